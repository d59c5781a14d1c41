"""The stack image of strategy "source": GDAL compiled once, reused by every project.

The recipe (`recipe`) is a Dockerfile of its own: the base, the OS packages the lock pins
for it (apt's closure, from the bare base, of Python, the -dev packages of the declared
drivers, PROJ's and GEOS's among them, and the compilers: nothing a project's runtime
adds, such as the service's tini), and GDAL fetched, checked against the lock's sha256
again and compiled with only the declared drivers into /opt/gdal. A project's builder
copies /opt/gdal from it (`FROM ${GISBOX_STACK} AS stack`), so changing a project's
Python packages, app or runtime never recompiles GDAL, and a second project locked
against the same base and mirror state uses the same image (`gisbox.image.stack`).
"""

from __future__ import annotations

from dataclasses import dataclass

from gisbox.plugins import gdal_drivers
from gisbox.plugins.api import STACK_LABEL, CrossRecipe, StackRecipe
from gisbox.project.lockfile import Lock, UpstreamSource
from gisbox.project.platforms import PLATFORMS
from gisbox.project.spec import Spec
from gisbox.render.build_context import builder_script
from gisbox.render.context import ArchPins, split_pins
from gisbox.render.templating import render_string
from gisbox.runtime.errors import LockError

PREFIX = "/opt/gdal"
STACK_ARG = "GISBOX_STACK"  # the project's Dockerfile takes the stack image's tag by it


@dataclass(frozen=True, kw_only=True)
class GdalBuild:
    """What the GDAL compile uses."""

    base: str
    python: str
    url: str
    sha256: str
    version: str
    prefix: str
    cmake_options: tuple[str, ...]
    tools: bool
    pins: tuple[str, ...]  # every architecture's
    arch_pins: ArchPins  # (Debian arch, its other pins)
    labels: tuple[tuple[str, str], ...]


COMPILE_GDAL = """\
COPY fetch_upstream.py /tmp/gisbox/build/fetch_upstream.py
# GDAL {{ ctx.version }}: fetched and checked against the lock's sha256 again, configured
# with only the declared drivers, installed into {{ ctx.prefix }} (RPATH to its lib, no
# debug information). Debian's +dfsg tarball lacks two data files GDAL's CMake lists.
RUN {{ python }} /tmp/gisbox/build/fetch_upstream.py \\
       {{ ctx.url }} \\
       {{ ctx.sha256 }} /tmp/gdal.tar.xz \\
    && mkdir /tmp/gdal-src && tar -xJf /tmp/gdal.tar.xz -C /tmp/gdal-src --strip-components=1 \\
    && sed -i -e '/cubewerx_extra\\.wkt/d' -e '/ecw_cs\\.wkt/d' /tmp/gdal-src/ogr/CMakeLists.txt \\
    && cmake -S /tmp/gdal-src -B /tmp/gdal-build -DCMAKE_BUILD_TYPE=Release \\
       -DCMAKE_INSTALL_PREFIX={{ ctx.prefix }} -DCMAKE_INSTALL_RPATH={{ ctx.prefix }}/lib \\
       -DCMAKE_C_FLAGS=-g0 -DCMAKE_CXX_FLAGS=-g0 -DBUILD_TESTING=OFF \\
       -DBUILD_PYTHON_BINDINGS=OFF -DBUILD_JAVA_BINDINGS=OFF -DBUILD_CSHARP_BINDINGS=OFF \\
       -DBUILD_APPS={{ "ON" if ctx.tools else "OFF" }} -DGDAL_USE_EXTERNAL_LIBS=OFF \\
       {{ ctx.cmake_options | join(" ") }} \\
{%- for option in cross_options %}
       {{ option }} \\
{%- endfor %}
    && cmake --build /tmp/gdal-build -j"$(nproc)" \\
    && cmake --install /tmp/gdal-build --strip \\
    && rm -rf /tmp/gdal.tar.xz /tmp/gdal-src /tmp/gdal-build
"""
LABELS = """\
# the key (gisbox.plugins.api.StackRecipe.key) is a build argument: it digests this text
ARG GISBOX_STACK_KEY
LABEL io.gisbox.stack.key="${GISBOX_STACK_KEY}"
{%- for name, value in ctx.labels %} \\
      {{ name }}={{ value | tojson }}
{%- endfor %}
"""
APT_INSTALL = """\
ARG DEBIAN_FRONTEND=noninteractive
RUN --mount=type=cache,id=gisbox-apt-cache,target=/var/cache/apt,sharing=shared \\
    --mount=type=cache,id=gisbox-apt-lists,target=/var/lib/apt/lists,sharing=locked \\
    echo '// emptied by gisbox: apt keeps its downloads in the build cache' \\
       > /etc/apt/apt.conf.d/docker-clean \\
{%- if add_arch %}
    && dpkg --add-architecture {{ add_arch }} \\
{%- endif %}
    && apt-get update --no-list-cleanup \\
    && apt-get install -y --no-install-recommends \\
{%- for pin in pins %}
       {{ pin }}{% if not loop.last or arch_pins %} \\{% endif %}
{%- endfor %}
{%- for arch, more in arch_pins %}
    && if [ "$(dpkg --print-architecture)" = {{ arch }} ]; then \\
         apt-get install -y --no-install-recommends{% for pin in more %} {{ pin }}{% endfor %}; \\
       fi{% if not loop.last %} \\{% endif %}
{%- endfor %}
"""
STACK_DOCKERFILE = """\
# gisbox stack image: GDAL {{ ctx.version }} from Debian's source archive (sha256
# {{ ctx.sha256 }}),
# compiled with the drivers gisbox.toml declares
# on the base's PROJ and GEOS. Made by `gisbox build` when missing; `gisbox stack ls`.
ARG GISBOX_BASE={{ ctx.base }}
FROM ${GISBOX_BASE}
"""
CROSS_DOCKERFILE = """\
# gisbox stack image: GDAL {{ ctx.version }} from Debian's source archive (sha256
# {{ ctx.sha256 }}),
# compiled with the drivers gisbox.toml declares
# on the base's PROJ and GEOS, for {{ cross.platform }}:
# cross-compiled on {{ cross.build_platform }} with Debian's cross compilers and
# {{ cross.arch }}'s -dev packages (multiarch), then copied onto the {{ cross.arch }} base.
# Made by `gisbox build` when missing; `gisbox stack ls`.
ARG GISBOX_BASE={{ ctx.base }}
ARG GISBOX_BUILD_BASE={{ ctx.base }}
FROM --platform={{ cross.build_platform }} ${GISBOX_BUILD_BASE} AS cross
"""
CROSS_ENV = """\
# pkg-config and CMake find {{ cross.arch }}'s libraries, never the machine's
ENV PKG_CONFIG_LIBDIR=/usr/lib/{{ cross.triplet }}/pkgconfig:/usr/share/pkgconfig
"""
CROSS_COPY = """\
FROM ${GISBOX_BASE}
COPY --from=cross {{ ctx.prefix }} {{ ctx.prefix }}
"""


@dataclass(frozen=True, kw_only=True)
class CrossBuild:
    """What the cross-compiling stage for one platform uses."""

    platform: str
    build_platform: str
    arch: str
    triplet: str
    pins: tuple[str, ...]

    def cmake_options(self) -> tuple[str, ...]:
        machine = PLATFORMS[self.platform].machine
        return (
            "-DCMAKE_SYSTEM_NAME=Linux", f"-DCMAKE_SYSTEM_PROCESSOR={machine}",
            f"-DCMAKE_C_COMPILER={self.triplet}-gcc", f"-DCMAKE_CXX_COMPILER={self.triplet}-g++",
            f"-DCMAKE_LIBRARY_ARCHITECTURE={self.triplet}",
        )  # fmt: skip


def native_dockerfile(build: GdalBuild) -> str:
    """The stack image compiled in a container of its own platform."""
    text = STACK_DOCKERFILE + APT_INSTALL + COMPILE_GDAL + LABELS
    return render_string(
        text, build, python=f"python{build.python}", cross_options=(),
        pins=build.pins, arch_pins=build.arch_pins, add_arch="",
    )  # fmt: skip


def cross_dockerfile(build: GdalBuild, cross: CrossBuild) -> str:
    """The stack image compiled on `cross.build_platform` for `cross.platform`."""
    text = CROSS_DOCKERFILE + APT_INSTALL + CROSS_ENV + COMPILE_GDAL + CROSS_COPY + LABELS
    return render_string(
        text, build, python="python3", cross_options=cross.cmake_options(), cross=cross,
        pins=cross.pins, arch_pins=(), add_arch=cross.arch,
    )  # fmt: skip


def stack_pins(lock: Lock) -> tuple[tuple[str, ...], ArchPins]:
    """(the pins every platform installs, [(Debian arch, its other pins)]): the packages
    the lock pins for each platform's stack image (`Target.stack`), split as the project's
    Dockerfile splits its stages' pins. Platforms cross-compiled on another have their
    own Dockerfile: theirs join only when every platform is (then this one is what an
    emulated build of them would run)."""
    native = [t for t in lock.targets if not t.cross] or list(lock.targets)
    per = {PLATFORMS[t.platform].arch: list(t.stack) for t in native}
    if not all(per.values()):
        raise LockError(
            "gisbox.lock pins no packages for the stack image (made by an older gisbox)",
            hint="run `gisbox lock`",
        )
    arches = list(per)
    return split_pins(lambda arch: per[arch or arches[0]], arches)


def recipe(lock: Lock, spec: Spec, gdal: UpstreamSource) -> StackRecipe:
    """The stack image of this lock's GDAL, drivers and OS packages."""
    labels = {
        f"{STACK_LABEL}.gdal": gdal.upstream,
        f"{STACK_LABEL}.gdal-sha256": gdal.sha256,
        f"{STACK_LABEL}.drivers": ",".join(spec.stack.gdal_drivers),
        f"{STACK_LABEL}.tools": "yes" if spec.stack.tools else "no",
        f"{STACK_LABEL}.base": spec.image.base,
    }
    pins, arch_pins = stack_pins(lock)
    build = GdalBuild(
        base=spec.image.base, python=lock.target.python, url=gdal.url, sha256=gdal.sha256,
        version=gdal.upstream, prefix=PREFIX,
        cmake_options=tuple(gdal_drivers.cmake_options(spec.stack.gdal_drivers)),
        tools=spec.stack.tools, pins=pins, arch_pins=arch_pins,
        labels=tuple(labels.items()),
    )  # fmt: skip
    cross = {
        t.platform: CrossRecipe(
            build_platform=t.cross_from,
            build_layers=t.cross_base_layers,
            dockerfile=cross_dockerfile(build, CrossBuild(
                platform=t.platform, build_platform=t.cross_from,
                arch=PLATFORMS[t.platform].arch, triplet=PLATFORMS[t.platform].triplet,
                pins=t.cross,
            )),
        )
        for t in lock.targets if t.cross
    }  # fmt: skip
    return StackRecipe(
        name=f"gdal-{gdal.upstream}",
        dockerfile=native_dockerfile(build),
        files={"fetch_upstream.py": builder_script("fetch_upstream.py")},
        labels=labels,
        cross=cross,
    )

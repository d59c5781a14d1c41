"""Strategy "source": one current GDAL, compiled with the drivers the spec declares, on
the base's own PROJ and GEOS, under every binding.

- Lock: GDAL's newest release in Debian's source archive (`[stack] suites`), found and
  pinned through the signed InRelease, the Sources index and the tarball's sha256
  (`gisbox.locking.debian_sources`); PROJ, GEOS and the libraries the drivers link are
  the base's Debian packages, pinned like every OS package. Bindings are capped at what
  these libraries support (the `system` strategy's table) and compiled from their sdists.
- Build: the builder fetches the tarball and checks its sha256 again, compiles GDAL into
  /opt/gdal with only the declared drivers (RPATH /opt/gdal/lib, no debug information),
  then compiles the bindings against it; the runtime gets /opt/gdal (library, data, and
  the programs with `[stack] tools`) and the drivers' runtime libraries.

Debian's `+dfsg` tarball leaves out two data files GDAL's CMake lists
(`ogr/data/cubewerx_extra.wkt`, `ecw_cs.wkt`, for CubeWerx and ECW coordinate systems);
the build drops them from the list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from packaging.requirements import Requirement

from gisbox.locking.debian_sources import Archive
from gisbox.plugins import gdal_drivers
from gisbox.plugins.api import BaseFacts, Contribution, Family, Fragments, Plan, ProbeStep
from gisbox.plugins.strategies.system import (
    COMPILE,
    CompileContext,
    SystemStrategy,
    constrain,
    upstream,
)
from gisbox.project.lockfile import Lock, requirements_txt
from gisbox.project.spec import Spec
from gisbox.render.build_context import builder_script
from gisbox.render.templating import render_string
from gisbox.runtime.errors import LockError

PREFIX = "/opt/gdal"
# build tools besides the drivers' -dev packages ($want: the Python version)
TOOLS = ("build-essential", "cmake", "pkg-config", "xz-utils", "python$want-dev")


def probe_step(spec: Spec) -> ProbeStep:
    """PROJ's and GEOS's versions, and the runtime libraries the build links: the packages
    of apt's dependency tree of the -dev packages that are built from the same Debian
    source as one of them and are not -dev packages themselves (libtiff-dev: libtiff6;
    libjpeg-dev: libjpeg62-turbo; libproj-dev: libproj25 and proj-data). What those need
    in turn is apt's to resolve, as for every runtime package."""
    dev = " ".join(gdal_drivers.dev_packages(spec.stack.gdal_drivers))
    return ProbeStep(
        shell=r"""for lib in proj geos; do
  echo "lib $lib $(apt-cache show --no-all-versions lib$lib-dev 2>/dev/null \
    | sed -n 's/^Version: //p')"
done
stack_dev=" """
        + dev
        + r""" "
stack_tree=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances $stack_dev \
  | sed -n 's/^ *Depends: \([a-z0-9][a-z0-9.+-]*\)$/\1/p' | sort -u)
stack_runtime=$(apt-cache show --no-all-versions $stack_dev $stack_tree 2>/dev/null \
  | awk -v dev="$stack_dev" '
      /^Package: /{p=$2; s=$2} /^Source: /{s=$2} /^$/{if (p != "") src[p]=s; p=""}
      END{if (p != "") src[p]=s
          for (d in src) if (index(dev, " " d " ")) want[src[d]]=1
          for (q in src) if ((src[q] in want) && q !~ /-dev$/) print q}' \
  | sort -u | tr '\n' ' ')""",
        runtime=("$stack_runtime",),
        builder=(*dev.split(), *TOOLS),
    )


@dataclass(frozen=True, kw_only=True)
class GdalBuild:
    """What the GDAL compile of the builder uses."""

    python: str
    url: str
    sha256: str
    version: str
    prefix: str
    cmake_options: tuple[str, ...]
    tools: bool


HEADER = """\
# Strategy "source": GDAL {{ ctx.version }} compiled from Debian's source archive (sha256
# {{ ctx.sha256 }}) with the drivers gisbox.toml declares, on the base's PROJ and GEOS;
# every binding compiled against it: one libgdal, libproj, libgeos_c and proj.db."""
GDAL_BUILD = """\
# GDAL {{ ctx.version }}: fetched and checked against the lock's sha256 again, configured
# with only the declared drivers, installed into {{ ctx.prefix }} (RPATH to its lib, no
# debug information). Debian's +dfsg tarball lacks two data files GDAL's CMake lists.
RUN python{{ ctx.python }} /tmp/gisbox/build/fetch_upstream.py \\
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
    && cmake --build /tmp/gdal-build -j"$(nproc)" \\
    && cmake --install /tmp/gdal-build --strip \\
    && rm -rf /tmp/gdal.tar.xz /tmp/gdal-src /tmp/gdal-build"""
PRUNE = """\
# {{ ctx.prefix }} keeps what runs: the library, its data
{%- if ctx.tools %}, the programs (on PATH through the environment's bin){% endif %};
# headers, CMake and pkg-config files go.
RUN rm -rf {{ ctx.prefix }}/include {{ ctx.prefix }}/lib/cmake {{ ctx.prefix }}/lib/pkgconfig \\
       {{ ctx.prefix }}/share/bash-completion {{ ctx.prefix }}/bin/gdal-config \\
{%- if ctx.tools %}
    && for tool in {{ ctx.prefix }}/bin/*; do ln -s "$tool" /opt/venv/bin/; done
{%- else %}
       {{ ctx.prefix }}/bin
{%- endif %}"""


@dataclass(frozen=True)
class SourceStrategy(SystemStrategy):
    name: str = "source"
    uses_os_gis_libraries: bool = True
    archive: Archive = field(default_factory=Archive)

    def probe_steps(self, family: Family, spec: Spec) -> Sequence[ProbeStep]:
        return (probe_step(spec),)

    def plan(self, spec: Spec, facts: BaseFacts) -> Plan:
        requirements, base = spec.python.packages, spec.image.base
        libs = {k: upstream(v) for k, v in facts.libs.items() if k in ("proj", "geos") and v}
        missing = {"proj", "geos"} - libs.keys()
        if missing:
            names = ", ".join(f"lib{m}-dev" for m in sorted(missing))
            raise LockError(
                f'strategy = "source" builds GDAL on the base\'s PROJ and GEOS, and {base} '
                f"offers no {names}",
                hint='use a Debian base (image.base = "debian:trixie-slim"), or '
                'strategy = "wheels"',
            )
        gdal = self.archive.newest("gdal", spec.stack.suites)
        libs = {"gdal": gdal.upstream, **libs}
        want_gdal = any(Requirement(r).name.lower() == "gdal" for r in requirements)
        extra = constrain(requirements, libs, base, want_gdal)
        reqs = [r for r in requirements if Requirement(r).name.lower() != "gdal"]
        reqs += [e for e in extra if not e.startswith("gdal==")]
        return Plan(
            requirements=tuple(reqs), os_libraries=libs, want_gdal_bindings=want_gdal,
            caps=extra, upstream=(gdal,),
        )  # fmt: skip

    def contribute(self, lock: Lock, spec: Spec) -> Contribution:
        (gdal,) = lock.upstream_sources
        build = GdalBuild(
            python=lock.target.python, url=gdal.url, sha256=gdal.sha256, version=gdal.upstream,
            prefix=PREFIX, cmake_options=tuple(gdal_drivers.cmake_options(spec.stack.gdal_drivers)),
            tools=spec.stack.tools,
        )  # fmt: skip
        compile_ctx = CompileContext(
            python=lock.target.python,
            sources=tuple(p.name for p in lock.sources),
            index_args=spec.index_args(),
            build_only=tuple(lock.build_only()),
            gdal_prefix=PREFIX,
        )
        files = {"fetch_upstream.py": builder_script("fetch_upstream.py")}
        for p in lock.sources:
            files[f"{p.name}.build.txt"] = requirements_txt(p.build)
            files[f"{p.name}.src.txt"] = f"{p.name}=={p.version} --hash=sha256:{p.sdist.sha256}\n"
        stack = {
            "strategy": "source",
            "gdal": {
                "version": gdal.upstream, "debian_version": gdal.version, "sha256": gdal.sha256,
                "suite": gdal.suite, "drivers": list(spec.stack.gdal_drivers),
            },
            **{lib: {"version": v, "from": "debian"} for lib, v in lock.os_libraries.items()
               if lib != "gdal"},
        }  # fmt: skip
        env = (
            ("PROJ_DATA", "/usr/share/proj"),
            ("GDAL_DATA", f"{PREFIX}/share/gdal"),
            ("GISBOX_GDAL_DRIVERS", ",".join(spec.stack.gdal_drivers)),
        )
        return Contribution(
            fragments=Fragments(
                header=render_string(HEADER, build),
                # one PROJ (the base's) and one GDAL: their data for the build-time check
                # and every runtime, and the drivers `gisbox check` expects
                python_env=f"ENV {' '.join(f'{k}={json.dumps(v)}' for k, v in env)}",
                # what built the stack, for the fingerprint (the final image only: the
                # builder's cache does not depend on it)
                runtime_env=(
                    *env,
                    ("GISBOX_STACK", json.dumps(stack, sort_keys=True, separators=(",", ":"))),
                ),
                builder_inputs="COPY .gisbox/build /tmp/gisbox/build",
                builder_steps="\n".join(
                    (
                        render_string(GDAL_BUILD, build),
                        render_string(COMPILE, compile_ctx),
                        render_string(PRUNE, build),
                    )
                ),
                runtime_dirs=(PREFIX,),
            ),
            context_files=files,
        )


STRATEGY = SourceStrategy()

"""Strategy "system": one GDAL/PROJ/GEOS, the OS's, under every binding.

The builder compiles rasterio, pyproj, shapely, pyogrio, fiona and the GDAL bindings
(`gdal`, imported as osgeo) against the family's GIS libraries, each from its
hash-locked sdist with its own hash-locked build requirements; the runtime gets only the
libraries. Binding versions are capped at what the OS libraries support. Minimum
library versions come from each binding's release notes: pyproj 3.7 needs PROJ >= 9.2
and 3.8 needs PROJ >= 9.4; rasterio 1.4 needs GDAL >= 3.5 and 1.5 needs GDAL >= 3.8
(and Python >= 3.12, which the resolver applies itself); shapely 2.1 needs GEOS >= 3.9;
pyogrio 0.10 and fiona 1.10 need GDAL >= 3.4. The GDAL bindings must match the OS's GDAL
exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from packaging.requirements import Requirement
from packaging.version import Version

from gisbox.locking.pyindex import PythonIndex
from gisbox.plugins.api import BaseFacts, Contribution, Family, Fragments, Plan, ProbeStep
from gisbox.project.lockfile import Lock, PythonPackage, SourcePackage, requirements_txt
from gisbox.project.platforms import Platform
from gisbox.project.spec import Spec
from gisbox.render.templating import render_string
from gisbox.runtime.errors import LockError

# binding -> the OS library it links, and (first binding version, library version it needs)
MINIMUMS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "pyproj": ("proj", (("3.7", "9.2"), ("3.8", "9.4"))),
    "rasterio": ("gdal", (("1.4", "3.5"), ("1.5", "3.8"))),
    "shapely": ("geos", (("2.1", "3.9"),)),
    "pyogrio": ("gdal", (("0.10", "3.4"),)),
    "fiona": ("gdal", (("1.10", "3.4"),)),
}
SOURCE_BINDINGS = (*MINIMUMS, "gdal")
# Builds run without isolation, so what a build backend would fetch dynamically is listed
# here: meson-python asks for ninja, the GDAL bindings' setup.py imports numpy.
EXTRA_BUILD_REQUIREMENTS = {"meson-python": ("ninja",), "setuptools": ("wheel",)}
# Caps found by building here: pyproj 3.6 compiled with Cython 3.1 imports, then fails at
# run time ("TypeError: expected bytes, str found" from pyproj._crs).
BUILD_CAPS = {"pyproj": (("3.7", ("cython<3.1",)),)}
# What compiling needs besides the family's -dev packages ($want: the Python version).
COMPILERS = ProbeStep(builder=("build-essential", "python$want-dev", "pkg-config"))


def upstream(debian_version: str) -> str:
    """'3.6.2+dfsg-1+b2' -> '3.6.2'."""
    return debian_version.split("+")[0].split("-")[0].split("~")[0]


def build_caps(name: str, version: str) -> list[str]:
    caps: list[str] = []
    for below, extra in BUILD_CAPS.get(name, ()):
        if Version(version) < Version(below):
            caps += extra
    return caps


def build_requirements(declared: list[str], numpy: str | None) -> list[str]:
    """The sdists' declared build requirements, plus what their backends add, with NumPy
    pinned to the runtime's version so the extensions compile against the NumPy they run with."""
    reqs = [r for r in declared if Requirement(r).name.lower() != "numpy"]
    names = {Requirement(r).name.lower() for r in reqs}
    for name, extra in EXTRA_BUILD_REQUIREMENTS.items():
        if name in names:
            reqs += [e for e in extra if e not in names]
    if numpy:
        reqs.append(f"numpy=={numpy}")
    return sorted(set(reqs))


def _lower_bound(req: Requirement) -> Version | None:
    bounds = [
        Version(s.version)
        for s in req.specifier
        if s.operator in (">=", "==", "~=", ">", "===") and "*" not in s.version
    ]
    return max(bounds) if bounds else None


def constrain(
    requirements: Sequence[str], libs: dict[str, str], base: str, want_gdal: bool
) -> dict[str, str]:
    """The upper bounds the OS libraries impose (and the GDAL bindings' exact pin), each
    with the reason the lock records; refuse impossible pins clearly.
    `libs`: gdal/proj/geos -> upstream version."""
    names = {Requirement(r).name.lower(): Requirement(r) for r in requirements}
    extra: dict[str, str] = {}
    for binding, (lib, steps) in MINIMUMS.items():
        have = Version(libs[lib])
        for first, needs in steps:
            if have >= Version(needs):
                continue
            req = names.get(binding)
            low = _lower_bound(req) if req else None
            if low is not None and low >= Version(first):
                raise LockError(
                    f"{binding} {first} needs {lib.upper()} >= {needs}; {base} has "
                    f"{lib.upper()} {libs[lib]} (requirement {str(req)!r})",
                    hint=f'pin {binding}<{first}, or use strategy = "wheels", or a base with '
                    f"a newer {lib.upper()}",
                )
            extra[f"{binding}<{first}"] = (
                f"{binding} {first} needs {lib.upper()} >= {needs}; {base} has "
                f"{lib.upper()} {libs[lib]}"
            )
            break
    if want_gdal:
        gdal = names.get("gdal")
        version = libs["gdal"]
        if gdal is not None and gdal.specifier and not gdal.specifier.contains(version):
            raise LockError(
                f"the GDAL bindings must match the OS's GDAL: {base} has GDAL {version}, "
                f"the spec asks for {str(gdal)!r}",
                hint=f"drop the pin: gisbox adds gdal=={version}",
            )
        extra[f"gdal=={version}"] = (
            f"the GDAL bindings (osgeo) must match the OS's GDAL exactly; {base} has GDAL {version}"
        )
    return extra


@dataclass(frozen=True, kw_only=True)
class HeaderContext:
    os_libraries: str  # "GDAL 3.6.2, GEOS 3.11.1, PROJ 9.1.1"


@dataclass(frozen=True, kw_only=True)
class CompileContext:
    python: str  # "3.13"
    sources: tuple[str, ...]  # compiled in this order
    index_args: tuple[str, ...]
    build_only: tuple[str, ...]  # build requirements removed afterwards
    # strategy "source": the GDAL the bindings compile against (its gdal-config, pkg-config
    # files and an RPATH to its lib); None: the OS's
    gdal_prefix: str | None = None
    # strategy "source": a BuildKit cache of the wheels built from these sdists against this
    # stack, keyed by everything that decides their bytes (the stack image, each sdist's and
    # build requirement's sha256): a second project on the same stack compiles nothing
    wheel_cache: str = ""


HEADER = """\
# Strategy "system": one GDAL/PROJ/GEOS, the OS's ({{ ctx.os_libraries }}), under every binding;
# the builder compiles the bindings, the runtime installs only the runtime libraries."""
PYTHON_ENV = """\
# pyproj looks for PROJ's data only beside a `proj` program or in PROJ_DATA; point it at
# the one PROJ's data (`gisbox check` verifies that every binding agrees with it).
ENV PROJ_DATA=/usr/share/proj"""
COMPILE = """\
# Strategy "system": the GIS bindings compile against the OS's GDAL, PROJ and GEOS, one
# at a time, each without isolation against its own hash-locked build requirements
# (--no-cache: uv would otherwise reuse a wheel built against other build requirements;
# PROJ_DIR/PROJ_VERSION: pyproj otherwise runs the `proj` program, which -dev packages lack;
# PKG_CONFIG_PATH: meson finds the environment's NumPy first, not Debian's python3-numpy-dev,
# which Debian 13's gdal-bin pulls in through python3-gdal).
# Reproducible: -g0 for C and C++ (setuptools compiles C++ with CXXFLAGS), no debug
# information (stripped anyway: its temporary build paths made the linker's build id
# differ at every build); PYTHONHASHSEED=0 (rasterio writes its extras
# into METADATA in set order); no bytecode from the build's own imports (the build
# requirements' modules would leave theirs behind, dated by the build).
RUN --mount=type=secret,id=gisbox_ca \\
    --mount=type=secret,id=gisbox_netrc,target=/root/.netrc \\
    --mount=type=cache,id=gisbox-uv,target=/root/.cache/uv \\
{%- if ctx.wheel_cache %}
    --mount=type=cache,id={{ ctx.wheel_cache }},target=/root/.cache/gisbox-bindings \\
{%- endif %}
    if [ -f /run/secrets/gisbox_ca ]; then export SSL_CERT_FILE=/run/secrets/gisbox_ca; fi \\
    && PROJ_DIR="$(pkg-config --variable=prefix proj)" \
PROJ_VERSION="$(pkg-config --modversion proj)" \\
    && PKG_CONFIG_PATH=/opt/venv/lib/python{{ ctx.python }}/site-packages/numpy/_core/lib/\
pkgconfig \\
{%- if ctx.gdal_prefix %}
    && PKG_CONFIG_PATH={{ ctx.gdal_prefix }}/lib/pkgconfig:$PKG_CONFIG_PATH \
GDAL_CONFIG={{ ctx.gdal_prefix }}/bin/gdal-config \
LDFLAGS="${LDFLAGS:-} -Wl,-rpath,{{ ctx.gdal_prefix }}/lib" \\
    && export PROJ_DIR PROJ_VERSION PKG_CONFIG_PATH GDAL_CONFIG LDFLAGS \\
{%- else %}
    && export PROJ_DIR PROJ_VERSION PKG_CONFIG_PATH \\
{%- endif %}
    && export CFLAGS="${CFLAGS:-} -g0" CXXFLAGS="${CXXFLAGS:-} -g0" \\
    && export PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 \\
    && for name in{% for name in ctx.sources %} {{ name }}{% endfor %}; do \\
         uv pip install --python /opt/venv/bin/python --require-hashes --no-deps --no-progress \\
           --only-binary :all:{% for arg in ctx.index_args %} {{ arg }}{% endfor %} \
-r "/tmp/gisbox/build/$name.build.txt" \\
         && uv pip install --python /opt/venv/bin/python --require-hashes --no-deps --no-progress \\
           {% if ctx.wheel_cache %}--cache-dir /root/.cache/gisbox-bindings\
{%- else %}--no-cache{% endif %} --no-build-isolation --no-binary :all:\
{%- for arg in ctx.index_args %} {{ arg }}{% endfor %} -r "/tmp/gisbox/build/$name.src.txt" \\
         || exit 1; \\
       done \\
    && uv pip uninstall --python /opt/venv/bin/python{% for name in ctx.build_only %} {{ name }}\
{%- endfor %}"""


@dataclass(frozen=True)
class SystemStrategy:
    name: str = "system"
    uses_os_gis_libraries: bool = True

    def probe_steps(self, family: Family, spec: Spec) -> Sequence[ProbeStep]:
        return (family.gis_libraries(), COMPILERS)

    def plan(self, spec: Spec, facts: BaseFacts) -> Plan:
        requirements, base = spec.python.packages, spec.image.base
        libs = {k: upstream(v) for k, v in facts.libs.items()}
        missing = {"gdal", "proj", "geos"} - libs.keys()
        if missing:
            raise LockError(
                f"{base}: could not find the OS's {', '.join(sorted(missing)).upper()}",
                hint='use strategy = "wheels", or a base whose archive has GDAL, PROJ and GEOS',
            )
        want_gdal = any(Requirement(r).name.lower() == "gdal" for r in requirements)
        extra = constrain(requirements, libs, base, want_gdal)
        reqs = [r for r in requirements if Requirement(r).name.lower() != "gdal"]
        reqs += [e for e in extra if not e.startswith("gdal==")]
        return Plan(
            requirements=tuple(reqs),
            os_libraries=libs,
            want_gdal_bindings=want_gdal,
            caps=extra,
        )

    def complete(
        self,
        plan: Plan,
        packages: list[PythonPackage],
        index: PythonIndex,
        progress: Callable[[str], None],
    ) -> tuple[list[PythonPackage], list[SourcePackage]]:
        progress("pinning the source distributions of the bindings")
        sources = [index.sdist(p.name, p.version) for p in packages if p.name in SOURCE_BINDINGS]
        if plan.want_gdal_bindings:
            sources.append(index.sdist("gdal", plan.os_libraries["gdal"]))
        wheels = [p for p in packages if p.name not in SOURCE_BINDINGS]
        pinned = {p.name: p.version for p in wheels}
        progress("resolving each source distribution's build requirements")
        sources = [
            replace(
                src,
                build=tuple(
                    b
                    for b in index.compile(
                        build_requirements(
                            index.build_requires(src) + build_caps(src.name, src.version),
                            pinned.get("numpy"),
                        )
                    )
                    if b.name not in pinned
                ),
            )
            for src in sources
        ]
        return wheels, sources

    def cross_probe(self, family: Family, spec: Spec, target: Platform) -> str | None:
        return None  # the bindings compile in the target's own (emulated) builder

    def contribute(self, lock: Lock, spec: Spec) -> Contribution:
        libs = ", ".join(f"{k.upper()} {v}" for k, v in sorted(lock.os_libraries.items()))
        compile_ctx = CompileContext(
            python=lock.target.python,
            sources=tuple(p.name for p in lock.sources),
            index_args=spec.index_args(),
            build_only=tuple(lock.build_only()),
        )
        files: dict[str, str] = {}
        for p in lock.sources:
            files[f"{p.name}.build.txt"] = requirements_txt(p.build)
            files[f"{p.name}.src.txt"] = f"{p.name}=={p.version} --hash=sha256:{p.sdist.sha256}\n"
        return Contribution(
            fragments=Fragments(
                header=render_string(HEADER, HeaderContext(os_libraries=libs)),
                python_env=PYTHON_ENV,
                builder_inputs="COPY .gisbox/build /tmp/gisbox/build",
                builder_steps=render_string(COMPILE, compile_ctx),
            ),
            context_files=files,
        )


STRATEGY = SystemStrategy()

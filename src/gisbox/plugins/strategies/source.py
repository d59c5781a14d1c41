"""Strategy "source": one current GDAL, compiled with the drivers the spec declares, on
the base's own PROJ and GEOS, under every binding.

- Lock: GDAL's newest release in Debian's source archive (`[stack] suites`), found and
  pinned through the signed InRelease, the Sources index and the tarball's sha256
  (`gisbox.locking.debian_sources`); PROJ, GEOS and the libraries the drivers link are
  the base's Debian packages, pinned like every OS package. Bindings are capped at what
  these libraries support (the `system` strategy's table) and compiled from their sdists.
- Build: GDAL is compiled once in a stack image of its own (`gisbox.plugins.gdal_stack`:
  the tarball fetched and its sha256 checked again, only the declared drivers, into
  /opt/gdal with RPATH /opt/gdal/lib and no debug information), which `gisbox build`
  makes when missing and every project with the same recipe reuses. The project's builder
  copies /opt/gdal from it and compiles the bindings against it; the runtime gets
  /opt/gdal (library, data, and the programs with `[stack] tools`) and the drivers'
  runtime libraries.

Debian's `+dfsg` tarball leaves out two data files GDAL's CMake lists
(`ogr/data/cubewerx_extra.wkt`, `ecw_cs.wkt`, for CubeWerx and ECW coordinate systems);
the build drops them from the list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from packaging.requirements import Requirement

from gisbox.locking.debian_sources import Archive
from gisbox.plugins import gdal_drivers, gdal_stack
from gisbox.plugins.api import BaseFacts, Contribution, Family, Fragments, Plan, ProbeStep
from gisbox.plugins.strategies.system import (
    COMPILE,
    CompileContext,
    SystemStrategy,
    constrain,
    upstream,
)
from gisbox.project.lockfile import Lock, UpstreamSource, requirements_txt
from gisbox.project.platforms import Platform
from gisbox.project.spec import Spec
from gisbox.render.templating import render_string
from gisbox.runtime.errors import LockError

PREFIX = gdal_stack.PREFIX
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
  | sort -u | tr '\n' ' ')
# the stack image's own packages: from the bare base, Python (to fetch the tarball), the
# -dev packages and the compilers, and nothing the project's runtime adds (tini, ...)
for spec in $(closure "python$want" $stack_dev """
        + " ".join(TOOLS)
        + r"""); do echo "stack $spec"; done""",
        runtime=("$stack_runtime",),
        builder=(*dev.split(), *TOOLS),
    )


# what the machine's own platform compiles GDAL for another with, besides the cross
# compilers and the target's -dev packages (python3 fetches the tarball)
CROSS_TOOLS = ("cmake", "make", "pkg-config", "xz-utils", "python3")


def cross_probe_shell(spec: Spec, target: Platform, toolchain: Sequence[str]) -> str:
    """`cross PIN` for each package of the cross-compiling stage: apt's closure, on the
    machine's base with `target`'s architecture added, of the tools, the cross compilers
    and `target`'s C library and -dev packages (`libproj-dev:arm64`)."""
    dev = [
        f"{d}:{target.arch}"
        for d in ("libc6-dev", *gdal_drivers.dev_packages(spec.stack.gdal_drivers))
    ]
    wanted = " ".join((*CROSS_TOOLS, *toolchain, *dev))
    return f'for spec in $(closure {wanted}); do echo "cross $spec"; done'


HEADER = """\
# Strategy "source": GDAL {{ ctx.upstream }} compiled from Debian's source archive (sha256
# {{ ctx.sha256 }}) with the drivers gisbox.toml declares, on the base's PROJ and GEOS;
# every binding compiled against it: one libgdal, libproj, libgeos_c and proj.db."""
STACK_STAGE = """\
# --- stack: GDAL, compiled once in its own image (gisbox.plugins.gdal_stack; `gisbox build`
# makes it when missing and passes its tag for each platform; `gisbox stack ls`) ---
ARG {{ arg }}={{ tag }}
FROM ${{ '{' }}{{ arg }}{{ '}' }} AS stack"""
COPY_STACK = """\
# GDAL {{ ctx.upstream }} from the stack image: the library, its data, headers for the bindings
COPY --from=stack {{ prefix }} {{ prefix }}"""
PRUNE = """\
# {{ prefix }} keeps what runs: the library, its data
{%- if tools %}, the programs (on PATH through the environment's bin){% endif %};
# headers, CMake and pkg-config files go.
RUN rm -rf {{ prefix }}/include {{ prefix }}/lib/cmake {{ prefix }}/lib/pkgconfig \\
       {{ prefix }}/share/bash-completion {{ prefix }}/bin/gdal-config \\
{%- if tools %}
    && for tool in {{ prefix }}/bin/*; do ln -s "$tool" /opt/venv/bin/; done
{%- else %}
       {{ prefix }}/bin
{%- endif %}"""


def stack_record(lock: Lock, spec: Spec, gdal: UpstreamSource) -> str:
    """What built the stack, as JSON for the image's GISBOX_STACK (the fingerprint's
    "stack")."""
    record = {
        "strategy": "source",
        "gdal": {
            "version": gdal.upstream, "debian_version": gdal.version, "sha256": gdal.sha256,
            "suite": gdal.suite, "drivers": list(spec.stack.gdal_drivers),
        },
        **{lib: {"version": v, "from": "debian"} for lib, v in lock.os_libraries.items()
           if lib != "gdal"},
    }  # fmt: skip
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


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

    def cross_probe(self, family: Family, spec: Spec, target: Platform) -> str | None:
        toolchain = family.cross_toolchain(target) if spec.stack.cross else ()
        if not toolchain:
            return None  # compiled in an emulated container of the platform
        return cross_probe_shell(spec, target, toolchain)

    def contribute(self, lock: Lock, spec: Spec) -> Contribution:
        (gdal,) = lock.upstream_sources
        stack = gdal_stack.recipe(lock, spec, gdal)
        first = lock.target
        words = {"prefix": PREFIX, "tools": spec.stack.tools, "arg": gdal_stack.STACK_ARG}
        words["tag"] = stack.tag(first.base_layers, first.platform)
        files: dict[str, str] = {}
        for p in lock.sources:
            files[f"{p.name}.build.txt"] = requirements_txt(p.build)
            files[f"{p.name}.src.txt"] = f"{p.name}=={p.version} --hash=sha256:{p.sdist.sha256}\n"
        compile_ctx = CompileContext(
            python=lock.target.python,
            sources=tuple(p.name for p in lock.sources),
            index_args=spec.index_args(),
            build_only=tuple(lock.build_only()),
            gdal_prefix=PREFIX,
            wheel_cache=wheel_cache_id(str(words["tag"]), files),
        )
        env = (
            ("PROJ_DATA", "/usr/share/proj"),
            ("GDAL_DATA", f"{PREFIX}/share/gdal"),
            ("GISBOX_GDAL_DRIVERS", ",".join(spec.stack.gdal_drivers)),
        )
        return Contribution(
            fragments=Fragments(
                header=render_string(HEADER, gdal),
                stages=render_string(STACK_STAGE, None, **words),
                # one PROJ (the base's) and one GDAL: their data for the build-time check
                # and every runtime, and the drivers `gisbox check` expects
                python_env=f"ENV {' '.join(f'{k}={json.dumps(v)}' for k, v in env)}",
                # what built the stack, for the fingerprint (the final image only: the
                # builder's cache does not depend on it)
                runtime_env=(
                    *env,
                    ("GISBOX_STACK", stack_record(lock, spec, gdal)),
                ),
                builder_inputs="COPY .gisbox/build /tmp/gisbox/build",
                builder_steps="\n".join(
                    (
                        render_string(COPY_STACK, gdal, **words),
                        render_string(COMPILE, compile_ctx),
                        render_string(PRUNE, None, **words),
                    )
                ),
                runtime_dirs=(PREFIX,),
            ),
            context_files=files,
            stack=stack,
        )


def wheel_cache_id(stack_tag: str, files: dict[str, str]) -> str:
    """The BuildKit cache the bindings' wheels are kept in: one per stack image and set of
    sdists with their build requirements (each pinned by sha256), so a wheel is reused only
    where it would be built from the same inputs against the same GDAL."""
    inputs = "\n".join([stack_tag, *(f"{name}\n{text}" for name, text in sorted(files.items()))])
    return "gisbox-bindings-" + hashlib.sha256(inputs.encode()).hexdigest()[:16]


STRATEGY = SourceStrategy()

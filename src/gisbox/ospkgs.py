"""Resolve the OS packages an image installs from the base image's own index.

A throwaway container of the base runs `apt-get update` and a simulated
install; every package of the closure is recorded at its exact version with
the sha256 of its .deb, so a rebuild installs the same bytes or fails loudly.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from gisbox.bases import family_for, probe_prepare
from gisbox.engine import Engine
from gisbox.runtime.errors import LockError

# Builder-only tools: binutils provides `strip`.
BUILDER_TOOLS = ("binutils",)

_PROBE = r"""
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
. /etc/os-release
echo "os ${ID} ${VERSION_ID:-unknown}"
echo "glibc $(ldd --version | head -n1 | grep -oE '[0-9]+\.[0-9]+$')"
want=%(python)s
if [ "$want" = base ]; then
  want=$(apt-cache show --no-all-versions python3 | sed -n 's/^Depends:.*python\(3\.[0-9]*\) .*/\1/p' | head -n1)
fi
if ! apt-cache show --no-all-versions "python$want" >/dev/null 2>&1; then
  echo "nopython $want"; exit 0
fi
echo "python $want $(apt-cache show --no-all-versions python$want | sed -n 's/^Version: //p')"
# "Inst name (version …)" or, for an upgrade of a package of the base, "Inst name [old] (version …)"
closure() { apt-get install -s --no-install-recommends "$@" | awk '/^Inst/{v=($3 ~ /^\[/) ? $4 : $3; print $2"="substr(v,2)}'; }
keys=""
if [ -n "%(has_prepare)s" ]; then
  keys=$(closure gnupg curl ca-certificates)
  for spec in $keys; do echo "keys $spec"; done
  %(prepare)s
  apt-get purge -y -qq --auto-remove gnupg curl ca-certificates >/dev/null
  apt-get update -qq >/dev/null
fi
runtime_extra="%(runtime_extra)s"
builder_extra="%(builder_extra)s"
if [ "%(strategy)s" = system ] && [ "%(family)s" = osgeo ]; then
  # GDAL, PROJ and GEOS come with the base, built from source
  echo "lib libgdal-dev $(gdal-config --version)"
  echo "lib libproj-dev $(projinfo 2>&1 | sed -n 's/^Rel\. \([0-9.]*\).*/\1/p' | head -n1)"
  echo "lib libgeos-dev $(geos-config --version)"
  builder_extra="$builder_extra python$want-dev pkg-config"
elif [ "%(strategy)s" = system ]; then
  for dev in libgdal-dev libproj-dev libgeos-dev; do
    echo "lib $dev $(apt-cache show --no-all-versions $dev | sed -n 's/^Version: //p')"
  done
  libs=$(apt-cache depends libgdal-dev libproj-dev libgeos-dev | sed -n 's/^ *Depends: \(libgdal[0-9]*\|libproj[0-9]*\|libgeos-c1v5\)$/\1/p' | sort -u)
  runtime_extra="$runtime_extra $libs"
  builder_extra="$builder_extra libgdal-dev libproj-dev libgeos-dev python$want-dev pkg-config"
fi
for spec in $(closure "python$want" $runtime_extra); do echo "runtime $spec"; done
for spec in $(closure "python$want" $runtime_extra %(tools)s $builder_extra); do echo "builder $spec"; done
apt-cache show --no-all-versions $keys $(closure "python$want" $runtime_extra %(tools)s $builder_extra) \
  | awk '/^Package:/{p=$2} /^Version:/{v=$2} /^Architecture:/{a=$2} /^SHA256:/{h=$2}
         /^$/{if (p != "") print "deb " p "=" v " " a " " h; p=""}
         END{if (p != "") print "deb " p "=" v " " a " " h}'
"""


@dataclass(frozen=True, kw_only=True)
class OsPackage:
    name: str
    version: str
    arch: str
    sha256: str
    stage: str  # "runtime" (also in the builder), "builder" (builder only), "keys" (key fetch)

    @property
    def pin(self) -> str:
        return f"{self.name}={self.version}"


@dataclass(frozen=True, kw_only=True)
class BaseFacts:
    os: str
    glibc: str
    python: str  # e.g. "3.11"
    python_full: str  # e.g. "3.11.2"
    packages: tuple[OsPackage, ...]
    libs: dict[str, str]  # system strategy: gdal/proj/geos -> Debian version of the -dev package


def probe_base(
    engine: Engine,
    base: str,
    platform: str,
    python: str,
    *,
    strategy: str = "wheels",
    os_packages: tuple[str, ...] = (),
) -> BaseFacts:
    """Run the probe in the base image and parse what it prints."""
    tools = list(BUILDER_TOOLS) + (["build-essential"] if strategy == "system" else [])
    family = family_for(base, strategy)
    script = _PROBE % {
        "prepare": probe_prepare(family) or ":",
        "has_prepare": "1" if family.ppa else "",
        "family": family.name,
        "python": shlex.quote(python),
        "tools": " ".join(tools),
        "strategy": strategy,
        "runtime_extra": " ".join(shlex.quote(p) for p in os_packages),
        "builder_extra": "",
    }
    res = engine.container_run("--rm", "--platform", platform, base, "sh", "-c", script)
    if res.returncode != 0:
        raise LockError(
            f"could not read the package index of {base}: {res.stderr.strip()[-800:]}",
            hint="check that the base's apt mirror is reachable from containers",
        )
    return parse_probe(res.stdout, base, python)


def parse_probe(text: str, base: str, python: str) -> BaseFacts:
    facts: dict[str, str] = {}
    stages: dict[str, str] = {}
    debs: dict[str, tuple[str, str]] = {}
    libs: dict[str, str] = {}
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        if kind in ("os", "glibc", "python"):
            facts[kind] = rest
        elif kind == "nopython":
            raise LockError(
                f"{base} offers no Python {rest} package (python{rest})",
                hint='set image.python = "base" to use the base image\'s Python',
            )
        elif kind == "runtime":
            stages[rest] = "runtime"
        elif kind == "builder":
            stages.setdefault(rest, "builder")
        elif kind == "keys":
            stages.setdefault(rest, "keys")
        elif kind == "lib":
            dev, _, version = rest.partition(" ")
            libs[dev.removeprefix("lib").removesuffix("-dev")] = version
        elif kind == "deb":
            spec, arch, sha = rest.split()
            debs[spec] = (arch, sha)
    missing = {"os", "glibc", "python"} - facts.keys()
    if missing or not stages:
        raise LockError(f"unexpected output probing {base}: {text[-500:]}")
    minor, full_deb = facts["python"].split()
    m = re.match(r"(\d+\.\d+\.\d+)", full_deb)
    packages = []
    for spec, stage in stages.items():
        name, _, version = spec.partition("=")
        arch, sha = debs.get(spec, ("", ""))
        if not sha:
            raise LockError(f"no sha256 for {spec} in {base}'s package index")
        packages.append(OsPackage(name=name, version=version, arch=arch, sha256=sha, stage=stage))
    return BaseFacts(
        os=facts["os"],
        glibc=facts["glibc"],
        python=minor,
        python_full=m.group(1) if m else minor,
        packages=tuple(packages),
        libs=libs,
    )

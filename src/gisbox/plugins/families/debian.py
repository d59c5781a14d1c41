"""Debian bases (`debian:*`), and the fallback for any base no other family claims.

The OS's own archive; `gisbox base` makes `debian:<suite>[-slim]` from a Debian mirror.
The system strategy installs the archive's `-dev` packages of GDAL, PROJ and GEOS in the
builder and their runtime libraries (`apt-cache depends`) in the image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gisbox.plugins.api import Contribution, ProbeStep, Strategy
from gisbox.project.lockfile import Lock
from gisbox.project.platforms import Platform
from gisbox.project.spec import Spec

SUITES = {"11": "bullseye", "12": "bookworm", "13": "trixie"}
DEBIAN_REPOSITORIES = ("debian", "docker.io/library/debian", "library/debian")

# GDAL, PROJ and GEOS from an apt archive (Debian's, Ubuntu's or a PPA on top of it):
# the upstream versions of the -dev packages, and the library packages they depend on.
APT_GIS_LIBRARIES = ProbeStep(
    shell=r"""for lib in gdal proj geos; do
  echo "lib $lib $(apt-cache show --no-all-versions lib$lib-dev | sed -n 's/^Version: //p')"
done
gis_runtime=$(apt-cache depends libgdal-dev libproj-dev libgeos-dev \
  | sed -n 's/^ *Depends: \(libgdal[0-9]*\|libproj[0-9]*\|libgeos-c1v5\)$/\1/p' | sort -u)""",
    runtime=("$gis_runtime",),
    builder=("libgdal-dev", "libproj-dev", "libgeos-dev"),
)


@dataclass(frozen=True)
class DebianFamily:
    name: str = "debian"
    priority: int = 0

    def matches(self, base: str) -> bool:
        return True  # the fallback: Debian-based images are the common case

    def prepare(self, strategy: Strategy) -> Sequence[ProbeStep]:
        return ()

    def gis_libraries(self) -> ProbeStep:
        return APT_GIS_LIBRARIES

    def contribute(self, lock: Lock, spec: Spec, strategy: Strategy) -> Contribution:
        return Contribution()

    def debootstrap_suite(self, base: str) -> str | None:
        """'debian:bookworm-slim' / 'debian:12' -> 'bookworm'."""
        name, _, tag = base.partition(":")
        if name not in DEBIAN_REPOSITORIES or not tag:
            return None
        suite = tag.removesuffix("-slim")
        return SUITES.get(suite, suite)

    def cross_toolchain(self, target: Platform) -> tuple[str, ...]:
        """Debian's cross compilers: its archive serves every release architecture, and
        multiarch installs their -dev packages side by side (`libproj-dev:arm64`)."""
        return (f"gcc-{target.triplet}", f"g++-{target.triplet}")


FAMILY = DebianFamily()

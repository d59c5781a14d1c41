"""OSGeo's GDAL images (`ghcr.io/osgeo/gdal:*`): GDAL, PROJ and GEOS built from source
into /usr, so the system strategy installs no GIS packages and compiles the bindings
against the preinstalled libraries (their versions read with gdal-config, projinfo and
geos-config). Rendered and linted here; built only where ghcr.io is reachable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gisbox.plugins.api import Contribution, ProbeStep, Strategy
from gisbox.project.lockfile import Lock
from gisbox.project.platforms import Platform
from gisbox.project.spec import Spec

PREINSTALLED_GIS_LIBRARIES = ProbeStep(
    shell=r"""
echo "lib gdal $(gdal-config --version)"
echo "lib proj $(projinfo 2>&1 | sed -n 's/^Rel\. \([0-9.]*\).*/\1/p' | head -n1)"
echo "lib geos $(geos-config --version)"
""".strip()
)


@dataclass(frozen=True)
class OsgeoFamily:
    name: str = "osgeo"
    priority: int = 20

    def matches(self, base: str) -> bool:
        return base.split(":", 1)[0].endswith("osgeo/gdal")

    def prepare(self, strategy: Strategy) -> Sequence[ProbeStep]:
        return ()

    def gis_libraries(self) -> ProbeStep:
        return PREINSTALLED_GIS_LIBRARIES

    def contribute(self, lock: Lock, spec: Spec, strategy: Strategy) -> Contribution:
        return Contribution()

    def debootstrap_suite(self, base: str) -> str | None:
        return None

    def cross_toolchain(self, target: Platform) -> tuple[str, ...]:
        return ()  # its GDAL is the image's own: nothing to cross-compile


FAMILY = OsgeoFamily()

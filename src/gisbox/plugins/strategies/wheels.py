"""Strategy "wheels": manylinux wheels that vendor their own GDAL, PROJ, GEOS and data.

The runtime installs no system GIS packages and sets no PROJ_DATA/GDAL_DATA (each wheel
finds its own data; pointing them at one directory breaks the others). Smallest, but the
bindings may carry different GDAL/PROJ copies, which `gisbox check` reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from packaging.requirements import Requirement

from gisbox.locking.pyindex import PythonIndex
from gisbox.plugins.api import BaseFacts, Contribution, Family, Fragments, Plan, ProbeStep
from gisbox.project.lockfile import Lock, PythonPackage, SourcePackage
from gisbox.project.platforms import Platform
from gisbox.project.spec import Spec
from gisbox.runtime.errors import LockError

HEADER = """\
# Strategy "wheels": manylinux wheels vendor GDAL/PROJ/GEOS and their data, so the
# runtime installs no system GIS libraries and sets no PROJ_DATA/GDAL_DATA."""


@dataclass(frozen=True)
class WheelsStrategy:
    name: str = "wheels"
    uses_os_gis_libraries: bool = False

    def probe_steps(self, family: Family, spec: Spec) -> Sequence[ProbeStep]:
        return ()

    def plan(self, spec: Spec, facts: BaseFacts) -> Plan:
        requirements = spec.python.packages
        if any(Requirement(r).name.lower() == "gdal" for r in requirements):
            raise LockError(
                "the GDAL bindings (gdal on PyPI, imported as osgeo) publish no wheels",
                hint='set image.strategy = "system" to compile them against the OS\'s GDAL',
            )
        return Plan(requirements=tuple(requirements))

    def complete(
        self,
        plan: Plan,
        packages: list[PythonPackage],
        index: PythonIndex,
        progress: Callable[[str], None],
    ) -> tuple[list[PythonPackage], list[SourcePackage]]:
        return packages, []

    def cross_probe(self, family: Family, spec: Spec, target: Platform) -> str | None:
        return None

    def contribute(self, lock: Lock, spec: Spec) -> Contribution:
        return Contribution(fragments=Fragments(header=HEADER))


STRATEGY = WheelsStrategy()

"""Strategy "source": GDAL's release pinned from Debian's source archive, the drivers the
spec declares, the base's PROJ and GEOS, and a Dockerfile that compiles exactly that."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gisbox.locking.apt_probe import probe_script
from gisbox.plugins import gdal_drivers
from gisbox.plugins.api import BaseFacts
from gisbox.plugins.families import debian
from gisbox.plugins.strategies.source import SourceStrategy
from gisbox.project.lockfile import UpstreamSource
from gisbox.project.spec import Spec, parse_spec
from gisbox.runtime.errors import LockError, SpecError

BASE = "debian:trixie-slim"
GDAL = UpstreamSource(
    package="gdal", version="3.13.3+dfsg-2", upstream="3.13.3", suite="sid",
    url="http://deb.example/pool/main/g/gdal/gdal_3.13.3+dfsg.orig.tar.xz", sha256="ab" * 32,
    size=10, index_date="Fri, 30 Oct 2026 08:08:01 UTC",
)  # fmt: skip


class FakeArchive:
    def __init__(self) -> None:
        self.asked: list[tuple[str, tuple[str, ...]]] = []

    def newest(self, package: str, suites: tuple[str, ...]) -> UpstreamSource:
        self.asked.append((package, tuple(suites)))
        return GDAL


def spec_of(packages: list[str], stack: dict[str, object] | None = None) -> Spec:
    data: dict[str, object] = {
        "image": {"base": BASE, "strategy": "source"},
        "python": {"packages": packages},
    }
    if stack is not None:
        data["stack"] = stack
    return parse_spec(data, "<test>")


def facts(libs: dict[str, str]) -> BaseFacts:
    return BaseFacts(os="debian 13", glibc="2.41", python="3.13", python_full="3.13.5",
                     packages=(), libs=libs)  # fmt: skip


def test_the_plan_pins_gdal_from_the_archive_and_the_base_s_proj_and_geos() -> None:
    archive = FakeArchive()
    strategy = SourceStrategy(archive=archive)  # type: ignore[arg-type]
    spec = spec_of(["geopandas>=1.0", "rasterio>=1.4"], {"suites": ["forky", "sid"]})
    plan = strategy.plan(spec, facts({"proj": "9.6.0-1", "geos": "3.13.1-1"}))
    assert archive.asked == [("gdal", ("forky", "sid"))]
    assert plan.os_libraries == {"gdal": "3.13.3", "proj": "9.6.0", "geos": "3.13.1"}
    assert plan.upstream == (GDAL,) and plan.caps == {}  # 3.13, 9.6, 3.13: nothing capped


def test_a_base_without_proj_or_geos_is_refused_with_the_fix() -> None:
    strategy = SourceStrategy(archive=FakeArchive())  # type: ignore[arg-type]
    with pytest.raises(LockError, match="offers no libgeos-dev") as exc:
        strategy.plan(spec_of(["rasterio"]), facts({"proj": "9.6.0-1"}))
    assert exc.value.hint and "debian:trixie-slim" in exc.value.hint


def test_unknown_drivers_and_a_stack_without_the_strategy_are_spec_errors() -> None:
    with pytest.raises(
        SpecError, match=r"stack\.gdal_drivers.*unknown GDAL driver\(s\) \['GTif'\]"
    ):
        spec_of([], {"gdal_drivers": ["GTif"]})
    with pytest.raises(SpecError, match=r'\[stack\] applies to strategy = "source" only'):
        parse_spec({"stack": {"tools": True}}, "<test>")


def test_the_drivers_suites_and_tools_make_the_lock_stale() -> None:
    base = spec_of([])
    more = spec_of([], {"gdal_drivers": [*gdal_drivers.CORE, "netCDF"]})
    tools = spec_of([], {"tools": True})
    assert base.input_digest() != more.input_digest()
    # the tools bring Debian's PROJ programs (projinfo) into the runtime: the lock pins them
    assert base.input_digest() != tools.input_digest()
    assert tools.os_packages() == ("proj-bin",) and base.os_packages() == ()
    assert "stack" not in parse_spec({}, "<test>").lock_inputs()  # other strategies: as before


def test_cmake_builds_exactly_the_declared_drivers_and_their_libraries() -> None:
    options = gdal_drivers.cmake_options(("GTiff", "GPKG", "netCDF"))
    assert "-DGDAL_BUILD_OPTIONAL_DRIVERS=OFF" in options
    assert "-DOGR_ENABLE_DRIVER_GPKG=ON" in options and "-DGDAL_ENABLE_DRIVER_NETCDF=ON" in options
    assert "-DGDAL_ENABLE_DRIVER_PNG=ON" not in options
    assert {"-DGDAL_USE_SQLITE3=ON", "-DGDAL_USE_NETCDF=ON", "-DGDAL_USE_CURL=ON"} <= set(options)
    dev = gdal_drivers.dev_packages(("GTiff", "netCDF"))
    assert "libnetcdf-dev" in dev and "libproj-dev" in dev and "libpng-dev" not in dev


def test_the_probe_is_valid_shell_and_installs_the_drivers_dev_packages() -> None:
    spec = spec_of([], {"gdal_drivers": ["GTiff", "PostgreSQL"]})
    steps = SourceStrategy(archive=FakeArchive()).probe_steps(debian.FAMILY, spec)  # type: ignore[arg-type]
    script = probe_script("base", [], steps)
    assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
    assert "libpq-dev" in script and "cmake" in script
    assert 'runtime_extra="$runtime_extra $stack_runtime"' in script


def test_the_recorded_project_renders_the_compile_and_the_runtime_copy(tmp_path: Path) -> None:
    from gisbox.project.project import Project
    from gisbox.render.dockerfile import render

    project = Project.load(Path(__file__).parents[1] / "projects" / "source")
    text = render(project).dockerfile  # GDAL's compile: tests/unit/test_stack_image.py
    assert "GDAL_CONFIG=/opt/gdal/bin/gdal-config" in text
    assert "COPY --from=builder /opt/gdal /opt/gdal" in text  # distroless
    assert 'GDAL_DATA="/opt/gdal/share/gdal"' in text and 'PROJ_DATA="/usr/share/proj"' in text
    runtime = text[text.index("FROM scratch AS runtime") :]
    assert 'GDAL_DATA="/opt/gdal/share/gdal"' in runtime  # distroless: nothing inherited

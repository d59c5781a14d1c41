"""Strategy "system" on Debian 12: one GDAL/PROJ/GEOS under every binding, osgeo.gdal included."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from gisbox.engine import Engine

from ..conftest import add_app
from .conftest import Built, docker, gisbox, lock_and_build

pytestmark = pytest.mark.docker


@pytest.fixture(scope="session")
def system_image(
    engine: Engine, base_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    project = tmp_path_factory.mktemp("system")
    assert gisbox("init", "--profile", "minimal", "-C", str(project)).returncode == 0
    add_app(
        project, "from osgeo import gdal; print(gdal.__version__)", name_prefix="gisbox-test-system"
    )
    spec = project / "gisbox.toml"
    spec.write_text(
        spec.read_text()
        .replace('strategy = "wheels"', 'strategy = "system"')
        .replace('  "pystac-client>=0.8",', '  "pystac-client>=0.8",\n  "gdal",')
        .replace("os_packages = []", 'os_packages = ["gdal-bin", "proj-bin"]')
    )
    report = lock_and_build(project, timeout=3000)
    yield Built(project=project, report=report, marker=b"", tag="")


def fingerprint(built: Built) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((built.project / ".gisbox/fingerprint.json").read_text())
    return data


def test_one_gdal_proj_geos_matching_the_command_line_tools(
    engine: Engine, system_image: Built
) -> None:
    fp = fingerprint(system_image)
    assert fp["summary"]["error"] == 0, fp["findings"]
    libs = fp["libraries"]
    assert len(libs["gdal"]) == 1 and len(libs["proj"]) == 1 and len(libs["geos_c"]) == 1
    tag = system_image.report["tag"]
    gdalinfo = docker(engine, "run", "--rm", tag, "gdalinfo", "--version").stdout
    assert re.search(rf"GDAL {re.escape(libs['gdal'][0])}\b", gdalinfo), gdalinfo
    projinfo = docker(engine, "run", "--rm", tag, "sh", "-c", "projinfo 2>&1 | head -1").stdout
    assert libs["proj"][0] in projinfo, projinfo
    ids = {f["id"] for f in fp["findings"]}
    assert "libs.multiple-copies" not in ids and "libs.version-skew" not in ids
    for binding in ("rasterio", "osgeo.gdal"):
        assert fp["bindings"][binding]["gdal"] == libs["gdal"][0]


def test_osgeo_gdal_imports_as_the_non_root_user(engine: Engine, system_image: Built) -> None:
    res = docker(engine, "run", "--rm", system_image.report["tag"])
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == fingerprint(system_image)["libraries"]["gdal"][0]
    uid = docker(engine, "run", "--rm", system_image.report["tag"], "id", "-u").stdout.strip()
    assert uid == "10001"


def test_runtime_has_no_compiler_or_dev_headers(engine: Engine, system_image: Built) -> None:
    res = docker(
        engine,
        "run",
        "--rm",
        system_image.report["tag"],
        "sh",
        "-c",
        "command -v gcc cc g++ gdal-config cython; ls /usr/include/gdal 2>/dev/null",
    )
    assert res.stdout.strip() == ""


def test_diff_between_wheels_and_system(minimal_image: Built, system_image: Built) -> None:
    res = gisbox(
        "diff",
        str(minimal_image.project / ".gisbox/fingerprint.json"),
        str(system_image.project / ".gisbox/fingerprint.json"),
    )
    assert res.returncode == 1
    assert re.search(r"bindings\.rasterio\.gdal: 3\.\d+\.\d+ -> 3\.6\.\d+", res.stdout), res.stdout
    assert "libraries.gdal" in res.stdout
    # numeric probes are listed with their magnitude (GEOS 3.11 vs the wheels' newer GEOS)
    assert re.search(r"\[probe\] \S+ differs by [0-9.e+-]+", res.stdout), res.stdout

"""Strategy "system" on Debian 12: one GDAL/PROJ/GEOS under every binding, osgeo.gdal included."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from gisbox.engines.cli_engine import CliEngine
from tests.image_fixtures import Built, docker, gisbox

pytestmark = pytest.mark.docker


def fingerprint(built: Built) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((built.project / ".gisbox/fingerprint.json").read_text())
    return data


def test_one_gdal_proj_geos_matching_the_command_line_tools(
    engine: CliEngine, system_image: Built
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

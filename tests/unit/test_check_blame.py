"""Blame the right library: a PROJ failure inside a geometry probe is reported as PROJ's,
the GEOS probes stay; the data of a binding that fails to import is still checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyproj
import pytest
import shapely

from gisbox.runtime.check import bindings_data, stack, suite
from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.geometry import run_geometry
from gisbox.runtime.check.stack import blame


def test_a_crs_proj_cannot_build_is_blamed_on_proj_and_geos_probes_stay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import geopandas

    def no_database(*args: Any, **kwargs: Any) -> Any:
        raise pyproj.exceptions.CRSError("proj_create: cannot open proj.db")

    monkeypatch.setattr(pyproj.CRS, "from_user_input", no_database)
    findings = Findings()
    probes = run_geometry({"shapely": shapely, "geopandas": geopandas}, findings)
    (failed,) = [f for f in findings.sorted() if f.id == "geometry.failed"]
    assert failed.message.startswith("geopandas sjoin failed in PROJ (pyproj): CRSError")
    assert "GEOS" not in failed.message
    assert probes["geometry.buffer.area"]["value"] and "geometry.sjoin.counts" not in probes


def test_blame_names_the_innermost_known_library() -> None:
    with pytest.raises(shapely.errors.GEOSException) as caught:
        shapely.from_wkt("POLYGON ((0 0, 1")
    assert blame(caught.value) == "GEOS (shapely)"
    assert blame(ValueError("plain")) == "Python"


def test_the_data_of_a_binding_that_failed_to_import_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "rasterio"
    (pkg / "proj_data").mkdir(parents=True)
    (pkg / "proj_data" / "proj.db").write_bytes(b"not a database at all" * 100)
    (pkg / "gdal_data").mkdir()
    monkeypatch.setattr(bindings_data, "package_dir", lambda name: str(pkg))
    real = stack.import_all

    def rasterio_broken() -> tuple[dict[str, Any], dict[str, str]]:
        modules, errors = real()
        modules.pop("rasterio", None)
        return modules, {**errors, "rasterio": "ImportError: libgdal: cannot open shared object"}

    monkeypatch.setattr(suite, "import_all", rasterio_broken)
    fp = suite.run_check()
    assert fp["data"]["rasterio"]["imported"] is False
    said = {(f["id"], f["message"]) for f in fp["findings"]}
    assert any(
        i == "data.proj-db-unreadable" and m.startswith("rasterio (not importable): ")
        for i, m in said
    ), said
    assert any(i == "data.gdal-data-missing" and "rasterio (not importable)" in m for i, m in said)
    assert (
        "import.failed",
        "import rasterio failed: ImportError: libgdal: cannot open shared object",
    ) in said

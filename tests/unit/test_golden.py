"""The independent reference formulas behind the golden transformations."""

from __future__ import annotations

import math
from typing import Any

import pytest

from gisbox.runtime.check import golden


def test_web_mercator_matches_the_published_pyproj_values() -> None:
    x, y = golden.web_mercator(15.0, 12.0)
    assert x == pytest.approx(1669792.3618991035, abs=1e-6)
    assert y == pytest.approx(1345708.4084091093, abs=1e-6)
    assert golden.web_mercator(140.0, 0.0)[0] == pytest.approx(15584728.711058298, abs=1e-6)


def test_geocentric_on_the_axes() -> None:
    a, f = golden.WGS84
    assert golden.geocentric(0.0, 0.0) == pytest.approx((a, 0.0, 0.0))
    assert golden.geocentric(90.0, 0.0) == pytest.approx((0.0, a, 0.0), abs=1e-6)
    x, _, z = golden.geocentric(0.0, 90.0)
    assert (x, z) == pytest.approx((0.0, a * (1 - f)), abs=1e-6)  # the semi-minor axis


def test_transverse_mercator_origin_and_symmetry() -> None:
    assert golden.transverse_mercator(15.0, 0.0, 15.0, 0.9996, 500000.0, 0.0) == (500000.0, 0.0)
    east = golden.transverse_mercator(16.0, 45.0, 15.0, 0.9996, 500000.0, 0.0)
    west = golden.transverse_mercator(14.0, 45.0, 15.0, 0.9996, 500000.0, 0.0)
    assert east[0] - 500000.0 == pytest.approx(500000.0 - west[0], abs=1e-9)
    assert east[1] == pytest.approx(west[1], abs=1e-9)
    # on the central meridian, northing is k0 x the meridian arc: 45 deg ~ 4984944 m (WGS 84)
    assert golden.transverse_mercator(15.0, 45.0, 15.0, 1.0, 0.0, 0.0)[1] == pytest.approx(
        4984944.378, abs=1e-3
    )


def test_lambert93_false_origin() -> None:
    x, y = golden.lambert_conformal_2sp(3.0, 46.5, **golden.LAMBERT93)
    assert (x, y) == pytest.approx((700000.0, 6600000.0), abs=1e-6)


def test_every_case_cites_its_source_and_tolerance() -> None:
    ids = [c.id for c in golden.CASES]
    assert len(ids) == len(set(ids))
    for case in golden.CASES:
        assert case.source and 0 < case.tolerance <= 1e-3
        assert all(math.isfinite(v) for v in case.expected)


def test_the_southern_grid_and_etrs89_references_at_their_origins() -> None:
    assert golden.nztm(173.0, 0.0) == pytest.approx((1600000.0, 10000000.0), abs=1e-6)
    south = golden.nztm(174.7633, -36.8485)
    assert south[1] < 10000000.0 and south[0] > 1600000.0  # south and east of the origin
    grs80 = golden.transverse_mercator(10.0, 53.55, 9.0, 0.9996, 500000.0, 0.0, golden.GRS80)
    wgs84 = golden.transverse_mercator(10.0, 53.55, 9.0, 0.9996, 500000.0, 0.0)
    assert 0 < abs(grs80[1] - wgs84[1]) < 0.01  # the ellipsoids differ by 0.1 mm in b


def test_every_binding_here_meets_every_reference(tmp_path: Any) -> None:
    """pyproj, rasterio.warp and geopandas (this venv) against the independent formulas:
    UTM, ETRS89/UTM, a southern national grid, geocentric with height, and back."""
    import geopandas
    import pyproj
    import rasterio

    from gisbox.runtime.check.findings import Findings
    from gisbox.runtime.check.transforms import run_axis_order, run_golden

    findings = Findings()
    modules = {"pyproj": pyproj, "rasterio": rasterio, "geopandas": geopandas}
    probes = run_golden(modules, findings) | run_axis_order(modules, findings)
    assert findings.sorted() == []
    for binding in ("pyproj", "rasterio", "geopandas"):
        for case in ("4258-25832", "4167-2193", "4326-3857"):
            assert f"transform.{binding}.{case}" in probes
            assert f"transform.{binding}.{case}.inverse" in probes
    assert "transform.rasterio.4979-4978-h" in probes  # 3D: not through geopandas (2D)
    assert probes["axis.pyproj.authority.4167-2193"]["value"] == pytest.approx(
        golden.nztm(174.7633, -36.8485)[::-1], abs=1e-3
    )  # northing first, the authority's order


def test_a_binding_that_answers_easting_first_in_the_authority_order_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pyproj

    from gisbox.runtime.check import transforms
    from gisbox.runtime.check.findings import Findings

    nz = next(c for c in golden.CASES if c.id == "4167-2193")
    real = transforms._authority
    monkeypatch.setattr(
        transforms, "_authority", lambda b, c: c.expected if c is nz else real(b, c)
    )
    findings = Findings()
    transforms.run_axis_order({"pyproj": pyproj}, findings)
    (finding,) = findings.sorted()
    assert finding.id == "transform.axis-order" and "EPSG:4167" in finding.message
    assert "(the axes were swapped)" in finding.message

"""The independent reference formulas behind the golden transformations."""

from __future__ import annotations

import math

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

"""Reference coordinates computed independently of PROJ, with their sources.

Each case maps EPSG:4326 (longitude, latitude) to a target CRS. Expected values
come either from a published test suite or from the closed-form or series
formulas of IOGP's EPSG Guidance Note 7-2 (GN7-2), evaluated here in pure
Python, so a wrong PROJ, a wrong proj.db or a swapped axis order all show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WGS84 = (6378137.0, 1 / 298.257223563)
GRS80 = (6378137.0, 1 / 298.257222101)


@dataclass(frozen=True)
class Case:
    id: str
    target: str
    lonlat: tuple[float, float]
    expected: tuple[float, ...]
    tolerance: float  # metres
    source: str
    crs: str = "EPSG:4326"  # the geographic CRS `lonlat` is in (longitude first)
    height: float = 0.0  # ellipsoidal height, for 3D cases (len(expected) == 3)


def web_mercator(lon: float, lat: float) -> tuple[float, float]:
    a = WGS84[0]
    return a * math.radians(lon), a * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def geocentric(lon: float, lat: float, h: float = 0.0) -> tuple[float, float, float]:
    a, f = WGS84
    e2 = f * (2 - f)
    phi, lam = math.radians(lat), math.radians(lon)
    n = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    return (
        (n + h) * math.cos(phi) * math.cos(lam),
        (n + h) * math.cos(phi) * math.sin(lam),
        (n * (1 - e2) + h) * math.sin(phi),
    )


def transverse_mercator(
    lon: float,
    lat: float,
    lon0: float,
    k0: float,
    fe: float,
    fn: float,
    ellipsoid: tuple[float, float] = WGS84,
) -> tuple[float, float]:
    """GN7-2 §3.5.3.1 (JHS/Krüger series, latitude of origin 0), WGS 84 by default."""
    a, f = ellipsoid
    e = math.sqrt(f * (2 - f))
    n = f / (2 - f)
    b = a / (1 + n) * (1 + n**2 / 4 + n**4 / 64)
    h = (
        n / 2 - 2 / 3 * n**2 + 5 / 16 * n**3 + 41 / 180 * n**4,
        13 / 48 * n**2 - 3 / 5 * n**3 + 557 / 1440 * n**4,
        61 / 240 * n**3 - 103 / 140 * n**4,
        49561 / 161280 * n**4,
    )
    phi = math.radians(lat)
    q = math.asinh(math.tan(phi)) - e * math.atanh(e * math.sin(phi))
    beta = math.atan(math.sinh(q))
    eta0 = math.atanh(math.cos(beta) * math.sin(math.radians(lon - lon0)))
    xi0 = math.asin(math.sin(beta) * math.cosh(eta0))
    xi = xi0 + sum(
        hi * math.sin(2 * i * xi0) * math.cosh(2 * i * eta0) for i, hi in enumerate(h, 1)
    )
    eta = eta0 + sum(
        hi * math.cos(2 * i * xi0) * math.sinh(2 * i * eta0) for i, hi in enumerate(h, 1)
    )
    return fe + k0 * b * eta, fn + k0 * b * xi


def lambert_conformal_2sp(
    lon: float,
    lat: float,
    *,
    lat1: float,
    lat2: float,
    latf: float,
    lonf: float,
    ef: float,
    nf: float,
) -> tuple[float, float]:
    """GN7-2 §3.5.1.1 (Lambert Conic Conformal, 2SP), GRS 1980."""
    a, f = GRS80
    e = math.sqrt(f * (2 - f))

    def m(p: float) -> float:
        return math.cos(p) / math.sqrt(1 - e**2 * math.sin(p) ** 2)

    def t(p: float) -> float:
        return math.tan(math.pi / 4 - p / 2) / ((1 - e * math.sin(p)) / (1 + e * math.sin(p))) ** (
            e / 2
        )

    p1, p2, pf, p = (math.radians(v) for v in (lat1, lat2, latf, lat))
    n = (math.log(m(p1)) - math.log(m(p2))) / (math.log(t(p1)) - math.log(t(p2)))
    big_f = m(p1) / (n * t(p1) ** n)
    r, rf = a * big_f * t(p) ** n, a * big_f * t(pf) ** n
    theta = n * math.radians(lon - lonf)
    return ef + r * math.sin(theta), nf + rf - r * math.cos(theta)


def nztm(lon: float, lat: float) -> tuple[float, float]:
    """NZGD2000 / NZTM2000 (EPSG:2193): TM, central meridian 173 E, k0 0.9996, false
    easting 1 600 000 m, false northing 10 000 000 m, GRS 1980 (LINZ's definition)."""
    return transverse_mercator(lon, lat, 173.0, 0.9996, 1600000.0, 10000000.0, ellipsoid=GRS80)


LAMBERT93 = {"lat1": 49.0, "lat2": 44.0, "latf": 46.5, "lonf": 3.0, "ef": 700000.0, "nf": 6600000.0}

CASES = (
    Case(
        "4326-3857",
        "EPSG:3857",
        (15.0, 12.0),
        (1669792.3618991035, 1345708.4084091093),
        1e-3,
        "pyproj test suite (test_transformer.py); GN7-2 §3.5.2 closed form",
    ),
    Case(
        "4326-3857-east",
        "EPSG:3857",
        (140.0, 0.0),
        (15584728.711058298, 0.0),
        1e-3,
        "pyproj test suite; GN7-2 §3.5.2 closed form",
    ),
    Case(
        "4326-32633",
        "EPSG:32633",
        (16.0, 45.0),
        transverse_mercator(16.0, 45.0, 15.0, 0.9996, 500000.0, 0.0),
        1e-3,
        "GN7-2 §3.5.3.1 JHS series (UTM zone 33N)",
    ),
    Case(
        "4326-32633-origin",
        "EPSG:32633",
        (15.0, 0.0),
        (500000.0, 0.0),
        1e-3,
        "EPSG:32633 definition: natural origin -> false easting/northing",
    ),
    Case(
        "4326-2154",
        "EPSG:2154",
        (2.35, 48.85),
        lambert_conformal_2sp(2.35, 48.85, **LAMBERT93),
        1e-3,
        "GN7-2 §3.5.1.1 closed form (RGF93 / Lambert-93, national grid of France)",
    ),
    Case(
        "4326-2154-origin",
        "EPSG:2154",
        (3.0, 46.5),
        (700000.0, 6600000.0),
        1e-3,
        "EPSG:2154 definition: false origin -> false easting/northing",
    ),
    Case(
        "4326-4978",
        "EPSG:4978",
        (15.0, 12.0),
        geocentric(15.0, 12.0),
        1e-3,
        "GN7-2 §4.1.1 geographic -> geocentric closed form",
    ),
    Case(
        "4979-4978-h",
        "EPSG:4978",
        (-70.5, -33.4),
        geocentric(-70.5, -33.4, 1500.0),
        1e-3,
        "GN7-2 §4.1.1 closed form, with height (WGS 84 3D, 1500 m above the ellipsoid)",
        crs="EPSG:4979",
        height=1500.0,
    ),
    Case(
        "4258-25832",
        "EPSG:25832",
        (10.0, 53.55),
        transverse_mercator(10.0, 53.55, 9.0, 0.9996, 500000.0, 0.0, ellipsoid=GRS80),
        1e-3,
        "GN7-2 §3.5.3.1 JHS series, GRS 1980 (ETRS89 / UTM zone 32N)",
        crs="EPSG:4258",
    ),
    Case(
        "4167-2193",
        "EPSG:2193",
        (174.7633, -36.8485),
        nztm(174.7633, -36.8485),
        1e-3,
        "GN7-2 §3.5.3.1 JHS series, GRS 1980 (NZGD2000 / New Zealand Transverse Mercator "
        "2000, a southern national grid; the authority's axis order is northing, easting)",
        crs="EPSG:4167",
    ),
)

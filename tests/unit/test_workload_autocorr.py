"""Moran's I and Getis-Ord Gi* against the formulas computed directly with NumPy.

The weights are built independently here (lattice index arithmetic, brute-force
distances), never through libpysal, so a wrong weights scheme fails too.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from gisbox.cli import cli
from gisbox.runtime.workloads import WorkloadInputError
from gisbox.runtime.workloads.autocorr import AutocorrRequest, Weights, run

N = 7  # a 7 x 7 lattice of 100 m cells: corners, edges and interior cells
X0, Y0 = 500000.0, 4000000.0


def lattice_values() -> np.ndarray:
    rng = np.random.default_rng(7)
    r, c = np.divmod(np.arange(N * N), N)
    return (r * 2.0 + c + rng.normal(0, 2, N * N)).round(3) + 20  # trend + noise, positive


@pytest.fixture
def lattice(tmp_path: Path) -> Path:
    r, c = np.divmod(np.arange(N * N), N)
    geoms = [
        box(X0 + j * 100, Y0 + i * 100, X0 + j * 100 + 100, Y0 + i * 100 + 100)
        for i, j in zip(r, c, strict=True)
    ]
    path = tmp_path / "lattice.gpkg"
    gdf = gpd.GeoDataFrame(
        {"v": lattice_values(), "name": ["x"] * (N * N)}, geometry=geoms, crs="EPSG:32633"
    )
    gdf.to_file(path)
    return path


def lattice_weights(queen: bool) -> np.ndarray:
    w = np.zeros((N * N, N * N))
    for i in range(N * N):
        for j in range(N * N):
            dr, dc = abs(i // N - j // N), abs(i % N - j % N)
            if i != j and dr <= 1 and dc <= 1 and (queen or dr + dc == 1):
                w[i, j] = 1.0
    return w


def numpy_moran(y: np.ndarray, w: np.ndarray) -> float:
    w = w / w.sum(axis=1, keepdims=True)  # row-standardised
    z = y - y.mean()
    return float(len(y) / w.sum() * (z @ w @ z) / (z @ z))


def numpy_gistar_z(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Getis & Ord (1992) Gi* with binary weights, each feature its own neighbour."""
    w = w + np.eye(len(y))
    n, mean = len(y), y.mean()
    s = np.sqrt((y**2).mean() - mean**2)
    wsum, w2sum = w.sum(axis=1), (w**2).sum(axis=1)
    return (w @ y - mean * wsum) / (s * np.sqrt((n * w2sum - wsum**2) / (n - 1)))


@pytest.mark.parametrize("scheme", ["queen", "rook"])
def test_moran_matches_the_formula(lattice: Path, scheme: str) -> None:
    summary, out = run(
        "moran", AutocorrRequest(path=lattice, column="v", weights=Weights(scheme=scheme))
    )
    expected = numpy_moran(lattice_values(), lattice_weights(queen=scheme == "queen"))
    assert summary["I"] == pytest.approx(expected, rel=1e-12)
    assert summary["expected_I"] == pytest.approx(-1 / (N * N - 1))
    assert summary["I"] > 0.3 and summary["p_sim"] == 0.001  # a strong trend: clustered
    assert set(out["moran_quadrant"]) <= {"HH", "HL", "LH", "LL"}


@pytest.mark.parametrize("scheme", ["queen", "rook"])
def test_gistar_matches_the_formula(lattice: Path, scheme: str) -> None:
    req = AutocorrRequest(path=lattice, column="v", weights=Weights(scheme=scheme))
    summary, out = run("gistar", req)
    expected = numpy_gistar_z(lattice_values(), lattice_weights(queen=scheme == "queen"))
    np.testing.assert_allclose(out["gi_z"].to_numpy(), expected, rtol=1e-10)
    hot = (out["gi_class"] == "hot").to_numpy()
    assert hot.sum() == summary["hot"] > 0
    assert (expected[hot] > 0).all() and (out["gi_p_sim"].to_numpy()[hot] <= 0.05).all()


def test_knn_and_distance_band_match_brute_force_neighbours(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 1000, (40, 2)) + np.array([X0, Y0])  # no ties in distance
    y = xy[:, 0] / 100 + rng.normal(0, 1, 40)
    path = tmp_path / "points.parquet"
    gpd.GeoDataFrame({"v": y}, geometry=[Point(p) for p in xy], crs="EPSG:32633").to_parquet(path)
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(d, np.inf)
    knn = np.zeros_like(d)
    for i, row in enumerate(np.argsort(d, axis=1)[:, :5]):
        knn[i, row] = 1
    got, _ = run(
        "moran", AutocorrRequest(path=path, column="v", weights=Weights(scheme="knn", k=5))
    )
    assert got["I"] == pytest.approx(numpy_moran(y, knn), rel=1e-12)
    band = (d <= 250).astype(float)
    req = AutocorrRequest(path=path, column="v", weights=Weights(scheme="distance", threshold=250))
    _, out = run("gistar", req)
    has = band.sum(axis=1) > 0
    np.testing.assert_allclose(
        out["gi_z"].to_numpy()[has], numpy_gistar_z(y, band)[has], rtol=1e-10
    )


def test_permutation_inference_is_seeded(lattice: Path) -> None:
    def p_values(seed: int) -> np.ndarray:
        _, out = run(
            "gistar", AutocorrRequest(path=lattice, column="v", seed=seed, permutations=99)
        )
        return out["gi_p_sim"].to_numpy()

    state = np.random.get_state()[1].copy()
    a, b, c = p_values(1), p_values(1), p_values(2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    m1 = run("moran", AutocorrRequest(path=lattice, column="v", seed=5, permutations=9))[0]
    m2 = run("moran", AutocorrRequest(path=lattice, column="v", seed=5, permutations=9))[0]
    assert m1["z_sim"] == m2["z_sim"]
    assert np.array_equal(np.random.get_state()[1], state)  # the caller's generator is untouched


def write(tmp_path: Path, gdf: gpd.GeoDataFrame, name: str = "layer.gpkg") -> Path:
    path = tmp_path / name
    gdf.to_file(path)
    return path


def test_bad_inputs_name_the_file_and_the_fix(lattice: Path, tmp_path: Path) -> None:
    gdf = gpd.read_file(lattice)

    def error(req: AutocorrRequest, stat: str = "moran") -> str:
        with pytest.raises(WorkloadInputError) as exc:
            run(stat, req)
        return str(exc.value)

    with pytest.warns(UserWarning, match="crs"):
        no_crs = write(tmp_path, gdf.set_crs(None, allow_override=True), "nocrs.gpkg")
    assert "no CRS" in error(AutocorrRequest(path=no_crs, column="v")) and "--assume-crs" in error(
        AutocorrRequest(path=no_crs, column="v")
    )
    assert (
        run("moran", AutocorrRequest(path=no_crs, column="v", assume_crs="EPSG:32633"))[0]["crs"]
        == "EPSG:32633"
    )
    knn = AutocorrRequest(
        path=lattice, column="v", weights=Weights(scheme="knn"), to_crs="EPSG:4326"
    )
    assert "geographic" in error(knn) and "--to-crs EPSG:32633" in error(knn)
    empty = write(tmp_path, gdf.iloc[:0], "empty.gpkg")
    assert "empty" in error(AutocorrRequest(path=empty, column="v"))
    assert "one of: v" in error(AutocorrRequest(path=lattice, column="nope"))
    assert "not numeric" in error(AutocorrRequest(path=lattice, column="name"))
    points = write(tmp_path, gdf.set_geometry(gdf.centroid), "points.gpkg")
    assert "needs polygons" in error(AutocorrRequest(path=points, column="v"))
    negative = write(tmp_path, gdf.assign(v=gdf.v - 100), "negative.gpkg")
    assert "non-negative" in error(AutocorrRequest(path=negative, column="v"), "gistar")
    const = write(tmp_path, gdf.assign(v=1.0), "const.gpkg")
    assert "constant" in error(AutocorrRequest(path=const, column="v"))
    band = AutocorrRequest(path=lattice, column="v", weights=Weights(scheme="distance"))
    assert "--threshold" in error(band)
    assert "no such file" in error(AutocorrRequest(path=tmp_path / "missing.gpkg", column="v"))


def test_cli_writes_geoparquet_geopackage_and_summary(lattice: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    summary = tmp_path / "summary.json"
    args = ["run", "gistar", str(lattice), "--column", "v", "--permutations", "99"]
    res = runner.invoke(
        cli, [*args, "--out", str(tmp_path / "gi.parquet"), "--summary", str(summary), "--json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["hot"] == json.loads(summary.read_text())["hot"]
    back = gpd.read_parquet(tmp_path / "gi.parquet")
    assert back.crs.to_epsg() == 32633 and {"gi_z", "gi_p_sim", "gi_class", "v"} <= set(
        back.columns
    )
    res = runner.invoke(cli, [*args, "--out", str(tmp_path / "gi.gpkg")])
    assert res.exit_code == 0 and "hot" in res.output
    assert len(gpd.read_file(tmp_path / "gi.gpkg")) == N * N


def test_cli_refuses_bad_input_with_exit_2_and_writes_nothing(
    lattice: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "m.parquet"
    res = runner.invoke(cli, ["run", "moran", str(lattice), "--column", "nope", "--out", str(out)])
    assert res.exit_code == 2 and "no column 'nope'" in res.output
    res = runner.invoke(
        cli, ["run", "moran", str(lattice), "--column", "v", "--out", str(tmp_path / "m.csv")]
    )
    assert res.exit_code == 2 and ".parquet" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lattice.gpkg"]


def test_a_missing_library_is_named_before_any_work(
    lattice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "esda" else real(name, *a)
    )
    res = CliRunner().invoke(cli, ["run", "moran", str(lattice), "--column", "v"])
    assert res.exit_code == 2
    assert "needs esda" in res.output and "pip install 'gisbox[workloads]'" in res.output


def test_islands_are_counted_and_reported_on_stderr(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 1000, (30, 2)) + np.array([X0, Y0])
    xy[0] = (X0 + 10000, Y0 + 10000)  # far from everything
    path = tmp_path / "points.gpkg"
    gdf = gpd.GeoDataFrame({"v": rng.uniform(1, 10, 30)}, geometry=[Point(p) for p in xy])
    gdf.set_crs("EPSG:32633").to_file(path)
    args = ["run", "moran", str(path), "--column", "v", "--weights", "distance"]
    res = CliRunner().invoke(cli, [*args, "--threshold", "300", "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["weights"]["islands"] == 1  # stdout stays pure JSON
    assert "1 feature(s) have no neighbours" in res.stderr

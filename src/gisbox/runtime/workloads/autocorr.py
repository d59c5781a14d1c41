"""Spatial autocorrelation: global Moran's I and local Getis-Ord Gi* (libpysal + esda).

esda computes the statistics and their analytical (normal) inference;
permutation inference runs as seeded tasks (`permutations`), in this process
or on a Dask cluster (`--cluster`), with the same p-values either way. The
same inputs, seed and library versions give the same p-values everywhere.

Weights schemes: queen and rook contiguity (polygons), k nearest neighbours
and a distance band (any geometry; centroids for polygons; need a projected
CRS because they measure distance).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gisbox.runtime.workloads import WorkloadInputError
from gisbox.runtime.workloads.executor import Executor, LocalExecutor
from gisbox.runtime.workloads.inputs import ensure_crs, numeric_column, read_layer
from gisbox.runtime.workloads.permutations import gistar_inference, moran_inference

SCHEMES = ("queen", "rook", "knn", "distance")
DEFAULT_SEED = 12345
DEFAULT_PERMUTATIONS = 999


@dataclass(frozen=True, kw_only=True)
class Weights:
    scheme: str = "queen"
    k: int = 8
    threshold: float | None = None  # metres, for "distance"

    @property
    def measures_distance(self) -> bool:
        return self.scheme in ("knn", "distance")

    def describe(self) -> str:
        if self.scheme == "knn":
            return f"knn(k={self.k})"
        if self.scheme == "distance":
            return f"distance(threshold={self.threshold:g})"
        return self.scheme


def build_weights(gdf: Any, weights: Weights, path: Path) -> Any:
    """A libpysal W over the layer's rows in order (ids 0..n-1)."""
    from libpysal import weights as lw

    n = len(gdf)
    if weights.scheme not in SCHEMES:
        raise WorkloadInputError(
            f"--weights {weights.scheme!r}: unknown scheme", f"choose one of {', '.join(SCHEMES)}"
        )
    if n < 3:
        raise WorkloadInputError(f"{path}: {n} feature(s); the statistics need at least 3")
    polygonal = bool(gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all())
    with warnings.catch_warnings():
        # islands are counted in the summary (libpysal would print them on stdout)
        warnings.simplefilter("ignore")
        if weights.scheme in ("queen", "rook"):
            if not polygonal:
                raise WorkloadInputError(
                    f"{path}: {weights.scheme} contiguity needs polygons; the layer has "
                    f"{', '.join(sorted(set(gdf.geometry.geom_type)))}",
                    "pass --weights knn or --weights distance for points and lines",
                )
            cls = lw.Queen if weights.scheme == "queen" else lw.Rook
            return cls.from_dataframe(gdf, use_index=False, silence_warnings=True)
        if weights.scheme == "knn":
            if not 1 <= weights.k < n:
                raise WorkloadInputError(
                    f"--k {weights.k}: must be between 1 and the feature count minus one ({n - 1})"
                )
            return lw.KNN.from_dataframe(gdf, k=weights.k, use_index=False, silence_warnings=True)
        if weights.threshold is None or weights.threshold <= 0:
            raise WorkloadInputError(
                "--weights distance needs --threshold METRES (a positive distance)"
            )
        return lw.DistanceBand.from_dataframe(
            gdf, threshold=weights.threshold, binary=True, use_index=False, silence_warnings=True
        )


def _weights_summary(w: Any, weights: Weights) -> dict[str, Any]:
    cards = list(w.cardinalities.values())
    return {
        "scheme": weights.describe(),
        "mean_neighbours": sum(cards) / len(cards),
        "islands": len(w.islands),
    }


@contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def moran(
    values: Any, w: Any, permutations: int, seed: int, executor: Executor | None = None
) -> tuple[dict[str, Any], Any]:
    """Global Moran's I with row-standardised weights: (summary, per-feature columns)."""
    import esda
    import numpy as np

    with _quiet():
        m = esda.Moran(values, w, transformation="r", permutations=0)
    sim = (
        moran_inference(m.z, w, float(m.I), permutations, seed, executor or LocalExecutor())
        if permutations
        else None
    )
    z = (values - values.mean()) / values.std()
    lag = w.sparse @ z  # w is row-standardised by esda.Moran
    quadrant = np.where(z >= 0, np.where(lag >= 0, "HH", "HL"), np.where(lag >= 0, "LH", "LL"))
    summary = {
        "statistic": "moran",
        "I": float(m.I),
        "expected_I": float(m.EI),
        "z_norm": float(m.z_norm),
        "p_norm": float(m.p_norm),
        "permutations": permutations,
        "seed": seed,
        "p_sim": sim["p_sim"] if sim else None,
        "z_sim": sim["z_sim"] if sim else None,
    }
    return summary, {"moran_z": z, "moran_lag": lag, "moran_quadrant": quadrant}


def gistar(
    values: Any,
    w: Any,
    permutations: int,
    seed: int,
    alpha: float = 0.05,
    executor: Executor | None = None,
) -> tuple[dict[str, Any], Any]:
    """Local Getis-Ord Gi* (binary weights, each feature its own neighbour)."""
    import esda
    import numpy as np

    with _quiet():
        g = esda.G_Local(values, w, transform="B", permutations=0, star=True)
    z = np.asarray(g.Zs, dtype=float)
    p_sim = (
        gistar_inference(values, w, permutations, seed, executor or LocalExecutor())
        if permutations
        else None
    )
    p = p_sim if p_sim is not None else np.asarray(g.p_norm, dtype=float)
    significant = p <= alpha
    label = np.where(significant & (z > 0), "hot", np.where(significant & (z < 0), "cold", "-"))
    summary = {
        "statistic": "gistar",
        "permutations": permutations,
        "seed": seed,
        "alpha": alpha,
        "inference": "p_sim" if permutations else "p_norm",
        "hot": int((label == "hot").sum()),
        "cold": int((label == "cold").sum()),
        "z_min": float(z.min()),
        "z_max": float(z.max()),
        "z_mean": float(z.mean()),
    }
    columns = {"gi_z": z, "gi_p_norm": np.asarray(g.p_norm, float), "gi_class": label}
    if p_sim is not None:
        columns["gi_p_sim"] = p_sim
    return summary, columns


@dataclass(frozen=True, kw_only=True)
class AutocorrRequest:
    path: Path
    column: str
    weights: Weights = Weights()
    permutations: int = DEFAULT_PERMUTATIONS
    seed: int = DEFAULT_SEED
    alpha: float = 0.05
    layer: str | None = None
    to_crs: str | None = None
    assume_crs: str | None = None


def run(
    statistic: str, req: AutocorrRequest, executor: Executor | None = None
) -> tuple[dict[str, Any], Any]:
    """Read, validate, compute: (summary, GeoDataFrame with the per-feature columns)."""
    if req.permutations < 0:
        raise WorkloadInputError(f"--permutations {req.permutations}: must be 0 or more")
    if not 0 < req.alpha < 1:
        raise WorkloadInputError(f"--alpha {req.alpha}: must be between 0 and 1")
    gdf = read_layer(req.path, req.layer)
    gdf = ensure_crs(
        gdf,
        req.path,
        projected=req.weights.measures_distance,
        to_crs=req.to_crs,
        assume_crs=req.assume_crs,
        why=f"--weights {req.weights.scheme}",
    )
    values = numeric_column(gdf, req.path, req.column)
    if float(values.std()) == 0.0:
        raise WorkloadInputError(
            f"{req.path}: column {req.column!r} is constant; autocorrelation is undefined"
        )
    w = build_weights(gdf, req.weights, req.path)
    if statistic == "moran":
        summary, columns = moran(values, w, req.permutations, req.seed, executor)
    else:
        if float(values.min()) < 0:
            raise WorkloadInputError(
                f"{req.path}: column {req.column!r} has negative values",
                "Getis-Ord G statistics need non-negative values (e.g. counts or rates)",
            )
        summary, columns = gistar(values, w, req.permutations, req.seed, req.alpha, executor)
    out = gdf.copy()
    for name, col in columns.items():
        out[name] = col
    summary.update(
        {
            "input": str(req.path),
            "column": req.column,
            "n": len(gdf),
            "crs": gdf.crs.to_string(),
            "weights": _weights_summary(w, req.weights),
        }
    )
    return summary, out

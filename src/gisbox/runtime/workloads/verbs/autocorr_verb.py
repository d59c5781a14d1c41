"""What `gisbox run moran` and `gisbox run gistar` share: spatial autocorrelation of one
attribute under a weights scheme (`gisbox.runtime.workloads.autocorr`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gisbox.runtime.workloads.executor import Executor
from gisbox.runtime.workloads.inputs import vector_format, write_layer
from gisbox.runtime.workloads.verbs import common_arguments


def add_autocorr_arguments(p: argparse.ArgumentParser) -> None:
    from gisbox.runtime.workloads.autocorr import DEFAULT_PERMUTATIONS, DEFAULT_SEED, SCHEMES

    p.add_argument("layer", type=Path, help="polygon or point layer (GeoPackage, GeoParquet, ...)")
    p.add_argument("--column", required=True, help="the numeric attribute to analyse")
    p.add_argument("--weights", choices=SCHEMES, default="queen", help="default: queen")
    p.add_argument("--k", type=int, default=8, help="neighbours for --weights knn (default 8)")
    p.add_argument("--threshold", type=float, help="metres, for --weights distance")
    p.add_argument("--permutations", type=int, default=DEFAULT_PERMUTATIONS)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="permutation seed")


def add_layer_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--layer-name", dest="layer_name", help="layer inside a multi-layer file")
    p.add_argument("--to-crs", help="reproject first (e.g. a UTM zone for distance weights)")
    p.add_argument("--assume-crs", help="the CRS of a layer that declares none")
    p.add_argument("--out", type=Path, help="per-feature results: .parquet or .gpkg")
    common_arguments(p)


def run_autocorr(
    kind: str, args: argparse.Namespace, _client: Any, executor: Executor
) -> dict[str, Any]:
    from gisbox.runtime.workloads.autocorr import AutocorrRequest, Weights, run

    if args.out is not None:
        vector_format(args.out)  # before any work
    req = AutocorrRequest(
        path=args.layer,
        column=args.column,
        weights=Weights(scheme=args.weights, k=args.k, threshold=args.threshold),
        permutations=args.permutations,
        seed=args.seed,
        alpha=getattr(args, "alpha", 0.05),
        layer=args.layer_name,
        to_crs=args.to_crs,
        assume_crs=args.assume_crs,
    )
    summary, out = run(kind, req, executor)
    if args.out is not None:
        write_layer(out, args.out)
        summary["output"] = str(args.out)
    return summary

"""`gisbox run features`: per-feature attributes in one declared CRS."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gisbox.runtime.workloads.executor import Executor
from gisbox.runtime.workloads.inputs import vector_format, write_layer
from gisbox.runtime.workloads.verbs import Verb, common_arguments


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("layer", type=Path, help="the features (any vector format, with a CRS)")
    p.add_argument("--crs", required=True, help="the projected CRS every layer is put in")
    p.add_argument("--near", type=Path, help="layer for `nearest` (distance to its nearest)")
    p.add_argument("--count", type=Path, help="layer for `count_within` (needs --radius)")
    p.add_argument("--radius", type=float, help="metres, for --count")
    p.add_argument("--raster", type=Path, help="raster for zonal statistics")
    p.add_argument("--band", type=int, default=1, help="band of --raster (default 1)")
    p.add_argument("--out", type=Path, required=True, help="the table: .parquet or .gpkg")
    common_arguments(p)


def run(args: argparse.Namespace, client: Any, _executor: Executor) -> dict[str, Any]:
    from gisbox.runtime.workloads import features

    vector_format(args.out)
    req = features.FeaturesRequest(
        layer=args.layer,
        crs=args.crs,
        near=args.near,
        count=args.count,
        radius=args.radius,
        raster=args.raster,
        band=args.band,
    )
    summary, table = features.run(req, client)
    write_layer(table, args.out)
    summary["output"] = str(args.out)
    return summary


VERB = Verb(
    name="features",
    help="per-feature attributes in one declared CRS",
    order=50,
    add_arguments=add_arguments,
    run=run,
)

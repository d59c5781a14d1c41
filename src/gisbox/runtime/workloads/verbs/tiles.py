"""`gisbox run tiles`: fixed-size georeferenced tiles with an index."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gisbox.runtime.workloads.executor import Executor
from gisbox.runtime.workloads.verbs import Verb, common_arguments, progress_for


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("raster", type=Path)
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.add_argument("--size", type=int, default=256, help="tile side in pixels (default 256)")
    p.add_argument("--overlap", type=int, default=0, help="pixels shared by neighbours")
    p.add_argument("--labels", type=Path, help="label polygons to burn per tile")
    p.add_argument("--label-column", help="integer class column (default: burn 1)")
    p.add_argument("--index", default="index.parquet", help="index.parquet or index.gpkg")
    p.add_argument("--keep-empty", action="store_true", help="keep nodata-only tiles")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    common_arguments(p)


def run(args: argparse.Namespace, _client: Any, executor: Executor) -> dict[str, Any]:
    from gisbox.runtime.workloads import tiles

    req = tiles.TilesRequest(
        raster=args.raster,
        out_dir=args.out,
        size=args.size,
        overlap=args.overlap,
        labels=args.labels,
        label_column=args.label_column,
        index_name=args.index,
        keep_empty=args.keep_empty,
        overwrite=args.overwrite,
    )
    return tiles.run(req, progress_for("tiles", args.progress), executor)


VERB = Verb(
    name="tiles",
    help="fixed-size georeferenced tiles with an index",
    order=40,
    add_arguments=add_arguments,
    run=run,
)

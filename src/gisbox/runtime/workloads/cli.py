"""`gisbox run moran|gistar|chunked|tiles|features ...`: the workloads' command line.

Defined once with argparse (standard library only) because the same command
runs inside images, where gisbox's host CLI and its dependencies are absent;
the host's click CLI forwards `gisbox run` here. Each subcommand is thin over
the workload's Python API; `--cluster ADDRESS` runs the same tasks on a Dask
scheduler's workers (`gisbox cluster up` starts one). Exit codes: 0 done, 2 bad input or usage (the
message names the file or option and the fix), 1 an unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from gisbox.runtime.workloads import WorkloadInputError
from gisbox.runtime.workloads.executor import WorkloadFailed, connect, executor_for
from gisbox.runtime.workloads.inputs import (
    Progress,
    require,
    vector_format,
    write_json,
    write_layer,
)


def _bands(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(b) for b in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: band numbers like 1 or 3,4") from None


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--summary", type=Path, metavar="FILE", help="also write the summary as JSON")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--progress", action="store_true", help="progress on stderr even without a TTY")
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run on a Dask scheduler (tcp://host:8786); its workers must see the same paths",
    )


def _autocorr_parser(sub: Any, name: str, help_text: str) -> None:
    from gisbox.runtime.workloads.autocorr import DEFAULT_PERMUTATIONS, DEFAULT_SEED, SCHEMES

    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("layer", type=Path, help="polygon or point layer (GeoPackage, GeoParquet, ...)")
    p.add_argument("--column", required=True, help="the numeric attribute to analyse")
    p.add_argument("--weights", choices=SCHEMES, default="queen", help="default: queen")
    p.add_argument("--k", type=int, default=8, help="neighbours for --weights knn (default 8)")
    p.add_argument("--threshold", type=float, help="metres, for --weights distance")
    p.add_argument("--permutations", type=int, default=DEFAULT_PERMUTATIONS)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="permutation seed")
    if name == "gistar":
        p.add_argument("--alpha", type=float, default=0.05, help="significance for hot/cold")
    p.add_argument("--layer-name", dest="layer_name", help="layer inside a multi-layer file")
    p.add_argument("--to-crs", help="reproject first (e.g. a UTM zone for distance weights)")
    p.add_argument("--assume-crs", help="the CRS of a layer that declares none")
    p.add_argument("--out", type=Path, help="per-feature results: .parquet or .gpkg")
    _common(p)


def parser() -> argparse.ArgumentParser:
    from gisbox.runtime.workloads.chunked import OPS

    top = argparse.ArgumentParser(prog="gisbox run", description="Run a spatial workload.")
    sub = top.add_subparsers(dest="workload", required=True, metavar="WORKLOAD")
    _autocorr_parser(sub, "moran", "global Moran's I with seeded permutation inference")
    _autocorr_parser(sub, "gistar", "local Getis-Ord Gi* hot and cold spots")
    p = sub.add_parser("chunked", help="band math or a focal filter, block by block, to a COG")
    p.add_argument("op", choices=OPS)
    p.add_argument("inputs", type=Path, nargs="+", help="rasters on one grid")
    p.add_argument("--out", type=Path, required=True, help="the output COG (.tif)")
    p.add_argument("--bands", type=_bands, default=(), help="ndvi: RED,NIR (default 1,2)")
    p.add_argument("--size", type=int, default=3, help="focal window side, odd (default 3)")
    p.add_argument("--block", type=int, default=512, help="block side in pixels (default 512)")
    p.add_argument("--cache-mb", type=int, default=64, help="GDAL block cache (default 64)")
    _common(p)
    p = sub.add_parser("tiles", help="fixed-size georeferenced tiles with an index")
    p.add_argument("raster", type=Path)
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.add_argument("--size", type=int, default=256, help="tile side in pixels (default 256)")
    p.add_argument("--overlap", type=int, default=0, help="pixels shared by neighbours")
    p.add_argument("--labels", type=Path, help="label polygons to burn per tile")
    p.add_argument("--label-column", help="integer class column (default: burn 1)")
    p.add_argument("--index", default="index.parquet", help="index.parquet or index.gpkg")
    p.add_argument("--keep-empty", action="store_true", help="keep nodata-only tiles")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    _common(p)
    p = sub.add_parser("features", help="per-feature attributes in one declared CRS")
    p.add_argument("layer", type=Path, help="the features (any vector format, with a CRS)")
    p.add_argument("--crs", required=True, help="the projected CRS every layer is put in")
    p.add_argument("--near", type=Path, help="layer for `nearest` (distance to its nearest)")
    p.add_argument("--count", type=Path, help="layer for `count_within` (needs --radius)")
    p.add_argument("--radius", type=float, help="metres, for --count")
    p.add_argument("--raster", type=Path, help="raster for zonal statistics")
    p.add_argument("--band", type=int, default=1, help="band of --raster (default 1)")
    p.add_argument("--out", type=Path, required=True, help="the table: .parquet or .gpkg")
    _common(p)
    return top


def _progress(label: str, forced: bool) -> Progress:
    if not (forced or sys.stderr.isatty()):
        from gisbox.runtime.workloads.inputs import no_progress

        return no_progress
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= 0.5:
            last[0] = now
            end = "\n" if done == total else ""
            print(
                f"\r{label}: {done}/{total} ({100 * done // total}%)",
                end=end,
                file=sys.stderr,
                flush=True,
            )

    return show


def _run(args: argparse.Namespace) -> dict[str, Any]:
    require(args.workload)
    client = connect(args.cluster)
    try:
        return _dispatch(args, client)
    finally:
        if client is not None:
            client.close()


def _dispatch(args: argparse.Namespace, client: Any) -> dict[str, Any]:
    executor = executor_for(client, args.cluster)
    if args.workload in ("moran", "gistar"):
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
        summary, out = run(args.workload, req, executor)
        if args.out is not None:
            write_layer(out, args.out)
            summary["output"] = str(args.out)
        return summary
    if args.workload == "features":
        from gisbox.runtime.workloads import features

        vector_format(args.out)
        freq = features.FeaturesRequest(
            layer=args.layer,
            crs=args.crs,
            near=args.near,
            count=args.count,
            radius=args.radius,
            raster=args.raster,
            band=args.band,
        )
        summary, table = features.run(freq, client)
        write_layer(table, args.out)
        summary["output"] = str(args.out)
        return summary
    if args.workload == "chunked":
        from gisbox.runtime.workloads import chunked

        creq = chunked.ChunkedRequest(
            inputs=tuple(args.inputs),
            output=args.out,
            op=args.op,
            bands=args.bands,
            size=args.size,
            block=args.block,
            cache_mb=args.cache_mb,
        )
        return chunked.run(creq, _progress(f"chunked {args.op}, regions", args.progress), executor)
    from gisbox.runtime.workloads import tiles

    treq = tiles.TilesRequest(
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
    return tiles.run(treq, _progress("tiles", args.progress), executor)


def _readable(summary: dict[str, Any]) -> str:
    lines = []
    for key, value in summary.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, float):
            value = f"{value:.6g}"
        lines.append(f"{key:>16}: {value}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        return int(exc.code or 0)
    try:
        summary = _run(args)
        if args.summary is not None:
            write_json(summary, args.summary)
    except WorkloadInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except WorkloadFailed as exc:
        print(f"error: gisbox run {args.workload}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(
            f"error: gisbox run {args.workload} failed: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 1
    islands = summary.get("weights", {}).get("islands", 0)
    if islands:
        print(
            f"warning: {islands} feature(s) have no neighbours under "
            f"{summary['weights']['scheme']}; raise --threshold or --k to include them",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(summary, indent=1, sort_keys=True))
    else:
        print(_readable(summary))
    return 0

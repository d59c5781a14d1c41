"""`gisbox run chunked`: band math or a focal filter, block by block, to a COG."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gisbox.runtime.workloads.executor import Executor
from gisbox.runtime.workloads.operations import OPERATIONS
from gisbox.runtime.workloads.verbs import Verb, common_arguments, progress_for


def _bands(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(b) for b in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: band numbers like 1 or 3,4") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("op", choices=tuple(OPERATIONS))
    p.add_argument("inputs", type=Path, nargs="+", help="rasters on one grid")
    p.add_argument("--out", type=Path, required=True, help="the output COG (.tif)")
    p.add_argument("--bands", type=_bands, default=(), help="ndvi: RED,NIR (default 1,2)")
    p.add_argument("--size", type=int, default=3, help="focal window side, odd (default 3)")
    p.add_argument("--block", type=int, default=512, help="block side in pixels (default 512)")
    p.add_argument("--cache-mb", type=int, default=64, help="GDAL block cache (default 64)")
    common_arguments(p)


def run(args: argparse.Namespace, _client: Any, executor: Executor) -> dict[str, Any]:
    from gisbox.runtime.workloads import chunked

    req = chunked.ChunkedRequest(
        inputs=tuple(args.inputs),
        output=args.out,
        op=args.op,
        bands=args.bands,
        size=args.size,
        block=args.block,
        cache_mb=args.cache_mb,
    )
    return chunked.run(req, progress_for(f"chunked {args.op}, regions", args.progress), executor)


VERB = Verb(
    name="chunked",
    help="band math or a focal filter, block by block, to a COG",
    order=30,
    add_arguments=add_arguments,
    run=run,
)

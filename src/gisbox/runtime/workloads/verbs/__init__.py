"""The workloads `gisbox run` knows, registered by name: every module here that exposes
`VERB` (a `Verb`) is one. Adding a workload is adding a module: its arguments (argparse,
standard library only) and how it runs them over the workload's Python API.

Modules are found without importing the workloads themselves: a verb imports its
workload (geopandas, rasterio, …) only when it runs.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import pkgutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gisbox.runtime.workloads.executor import Executor
from gisbox.runtime.workloads.inputs import Progress


@dataclass(frozen=True, kw_only=True)
class Verb:
    name: str
    help: str
    order: int  # where it is listed in `gisbox run -h`
    add_arguments: Callable[[argparse.ArgumentParser], None]
    # (arguments, the Dask client or None, the executor its tasks run on) -> summary
    run: Callable[[argparse.Namespace, Any, Executor], dict[str, Any]]


@functools.cache
def verbs() -> dict[str, Verb]:
    """Every workload, in listing order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        verb = getattr(importlib.import_module(f"{__name__}.{info.name}"), "VERB", None)
        if isinstance(verb, Verb):
            found.append(verb)
    return {v.name: v for v in sorted(found, key=lambda v: (v.order, v.name))}


def common_arguments(p: argparse.ArgumentParser) -> None:
    """What every workload takes: where its summary goes, progress, a cluster."""
    p.add_argument("--summary", type=Path, metavar="FILE", help="also write the summary as JSON")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--progress", action="store_true", help="progress on stderr even without a TTY")
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run on a Dask scheduler (tcp://host:8786); its workers must see the same paths",
    )


def progress_for(label: str, forced: bool) -> Progress:
    """Progress lines on stderr (a terminal, or `--progress`), at most two a second."""
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

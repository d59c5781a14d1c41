"""`gisbox run moran|gistar|chunked|tiles|features ...`: the workloads' command line,
one subcommand per registered workload (`gisbox.runtime.workloads.verbs`).

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
from typing import Any

from gisbox.runtime.workloads import WorkloadInputError
from gisbox.runtime.workloads.executor import WorkloadFailed, connect, executor_for
from gisbox.runtime.workloads.inputs import require, write_json
from gisbox.runtime.workloads.verbs import verbs


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="gisbox run", description="Run a spatial workload.")
    sub = top.add_subparsers(dest="workload", required=True, metavar="WORKLOAD")
    for verb in verbs().values():
        verb.add_arguments(sub.add_parser(verb.name, help=verb.help, description=verb.help))
    return top


def _run(args: argparse.Namespace) -> dict[str, Any]:
    require(args.workload)
    client = connect(args.cluster)
    try:
        return verbs()[args.workload].run(args, client, executor_for(client, args.cluster))
    finally:
        if client is not None:
            client.close()


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

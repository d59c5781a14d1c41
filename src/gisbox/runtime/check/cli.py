"""`gisbox check`: the verb's options, the human report, and the exit code.

Exit codes: 0 no errors, 1 errors, 2 usage (argparse).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gisbox.runtime.payloads import Fingerprint


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gisbox check",
        description="Run the verification suite in this Python environment; write its "
        "fingerprint (compare two with `gisbox diff`).",
    )
    p.add_argument(
        "--json", metavar="FILE", dest="json_to", help="write the fingerprint (- stdout)"
    )
    p.add_argument(
        "--accuracy", action="store_true", help="a ballpark-only datum shift is an error"
    )
    p.add_argument(
        "--workloads",
        action="store_true",
        help="also run small deterministic spatial workloads; their numbers join the fingerprint",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no report; errors on stderr")
    return p


def report(fp: Fingerprint) -> str:
    lines = [f"gisbox check: Python {fp['python']['version']} ({fp['python']['machine']})"]
    for name, info in sorted(fp["bindings"].items()):
        libs = ", ".join(
            f"{k.upper()} {v}" for k, v in info.items() if k != "version" and "_" not in k and v
        )
        lines.append(f"  {name} {info.get('version')}" + (f"  [{libs}]" if libs else ""))
    for lib, versions in sorted(fp["libraries"].items()):
        lines.append(f"  loaded lib{lib}: {', '.join(versions)}")
    numeric = sum(isinstance(v, dict) and "value" in v for v in fp["probes"].values())
    lines.append(f"  {numeric} numeric probes, {len(fp['probes'])} probes in all")
    for name, result in sorted(fp.get("workloads", {}).items()):
        lines.append(
            f"  workload {name}: {result.get('status')}"
            + (f" ({result['reason']})" if result.get("reason") else "")
        )
    for f in fp["findings"]:
        lines.append(f"{f['severity'].upper():8} {f['id']}: {f['message']}")
        if f["hint"]:
            lines.append(f"         fix: {f['hint']}")
    s = fp["summary"]
    lines.append(f"{s['error']} errors, {s['warning']} warnings")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # usage errors exit 2, --help exits 0
        return int(exc.code or 0)
    from gisbox.runtime.atomic import write_text_atomic
    from gisbox.runtime.check.suite import dumps, run_check

    fp = run_check(accuracy=args.accuracy, workloads=args.workloads)
    text = dumps(fp)
    if args.json_to == "-":
        sys.stdout.write(text)
    elif args.json_to:
        write_text_atomic(Path(args.json_to), text)
    if not args.quiet and args.json_to != "-":
        print(report(fp))
    elif fp["summary"]["error"]:  # quiet still names the errors, on stderr
        for f in fp["findings"]:
            if f["severity"] == "error":
                print(f"ERROR {f['id']}: {f['message']}", file=sys.stderr)
    return 1 if fp["summary"]["error"] else 0

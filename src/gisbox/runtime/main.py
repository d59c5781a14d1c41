"""The `gisbox` command inside images: one verb, one module, one option parser each.

Each verb's module defines `main(argv) -> exit code` with its own argparse parser; the
host's click CLI passes its arguments through to the same function, so a verb's options
are declared once. Modules are imported only for the verb that runs (the healthcheck
stays fast).
"""

from __future__ import annotations

import importlib
import sys

VERBS = {
    "check": ("gisbox.runtime.check.cli", "run the verification suite; write the fingerprint"),
    "healthcheck": ("gisbox.runtime.check.healthcheck", "the fast subset, for HEALTHCHECK"),
    "run": ("gisbox.runtime.workloads.cli", "run a spatial workload (moran, gistar, ...)"),
    "serve": ("gisbox.runtime.service.server", "the spatial HTTP API (service images)"),
    "eval": ("gisbox.runtime.workloads.evaluate", "predictions against truth, in any CRS"),
}
USAGE = "usage: gisbox VERB [OPTIONS]   (`gisbox VERB --help` for a verb's options)\n" + "".join(
    f"  {verb:12} {text}\n" for verb, (_module, text) in VERBS.items()
)


def run_verb(verb: str, argv: list[str]) -> int:
    """Run one verb with its arguments; its exit code."""
    module = importlib.import_module(VERBS[verb][0])
    code: int = module.main(argv)
    return code


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] and args[0] in VERBS:
        return run_verb(args[0], args[1:])
    if args[:1] in (["-h"], ["--help"]):
        print(USAGE + "(this is the in-image gisbox; the full CLI runs on the host)")
        return 0
    print(USAGE, file=sys.stderr, end="")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

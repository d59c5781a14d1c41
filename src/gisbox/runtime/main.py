"""The `gisbox` command inside images: stdlib-only dispatch to runtime commands."""

from __future__ import annotations

import sys

USAGE = (
    "usage: gisbox healthcheck [--json] | gisbox check [--json FILE|-] [--accuracy]"
    " [--workloads] | gisbox run moran|gistar|chunked|tiles ... | gisbox serve\n"
    "(this is the in-image gisbox; the full CLI runs on the host)"
)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["healthcheck"]:
        from gisbox.runtime.check.healthcheck import main as healthcheck

        return healthcheck(args[1:])
    if args[:1] == ["check"]:
        from gisbox.runtime.check.suite import main as check

        return check(args[1:])
    if args[:1] == ["run"]:
        from gisbox.runtime.workloads.cli import main as run

        return run(args[1:])
    if args[:1] == ["serve"]:
        from gisbox.runtime.service.server import main as serve

        return serve(args[1:])
    if args[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

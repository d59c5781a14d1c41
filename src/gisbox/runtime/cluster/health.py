"""`python -m gisbox.runtime.cluster.health PORT`: the container's HEALTHCHECK.

Dask's scheduler and workers serve `/health` ("ok") on their HTTP port; this
exits 0 when it answers, 1 otherwise (standard library only, 3 s).
"""

from __future__ import annotations

import sys
import urllib.request


def main(argv: list[str]) -> int:
    url = f"http://127.0.0.1:{argv[0] if argv else 8787}/health"
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return 0 if resp.read().strip() == b"ok" else 1
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

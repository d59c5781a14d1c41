"""Download an upstream source tarball in the builder and keep it only when its sha256 is
the one gisbox.lock pins (from Debian's signed archive index). Standard library only.

usage: fetch_upstream.py URL SHA256 DEST
"""

from __future__ import annotations

import hashlib
import sys
import urllib.request
from pathlib import Path


def main(argv: list[str]) -> int:
    url, sha256, dest = argv
    with urllib.request.urlopen(url, timeout=600) as resp:
        blob = resp.read()
    got = hashlib.sha256(blob).hexdigest()
    if got != sha256:
        print(f"fetch_upstream: {url}: sha256 {got}, gisbox.lock pins {sha256}", file=sys.stderr)
        return 1
    Path(dest).write_bytes(blob)
    print(f"fetch_upstream: {url}: {len(blob)} bytes, sha256 {got} as pinned")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

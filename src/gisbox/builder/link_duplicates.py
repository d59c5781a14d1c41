"""Builder-stage helper: hard-link byte-identical files in the environment.

Wheels that each vendor GDAL carry the same GDAL data files (rasterio's and
pyogrio's `gdal_data`, licence texts, ...). The environment is read-only at
run time, so one inode per content is invisible to every reader; BuildKit's
`COPY --from` keeps the links, so each content is stored once in the layer.
Files are linked only when size, bytes and permission bits all agree.
Standard library only: `python3 link_duplicates.py DIR` prints what it saved.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections import defaultdict

MIN_SIZE = 1024  # below this a link saves less than the bookkeeping is worth


def _digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def groups(root: str) -> list[list[str]]:
    """Sorted groups (2 or more paths) of regular files with identical bytes and mode."""
    by_size: dict[tuple[int, int], list[str]] = defaultdict(list)
    for top, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(top, name)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode) and st.st_size >= MIN_SIZE and st.st_nlink == 1:
                by_size[(st.st_size, stat.S_IMODE(st.st_mode))].append(path)
    found = []
    for paths in by_size.values():
        if len(paths) < 2:
            continue
        by_digest: dict[str, list[str]] = defaultdict(list)
        for path in paths:
            by_digest[_digest(path)].append(path)
        found += [sorted(same) for same in by_digest.values() if len(same) > 1]
    return sorted(found)


def link(root: str) -> tuple[int, int]:
    """Replace every duplicate by a hard link to the first of its group; (files, bytes)."""
    files = saved = 0
    for first, *rest in groups(root):
        for path in rest:
            tmp = path + ".gisbox-link"
            os.link(first, tmp)
            os.replace(tmp, path)
            files += 1
            saved += os.path.getsize(first)
    return files, saved


def main(argv: list[str]) -> int:
    files, saved = link(argv[0])
    print(f"link_duplicates: {files} duplicate files linked, {saved / 1e6:.1f} MB saved")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Builder-stage helper: make every distribution's RECORD describe the image's files.

gisbox deletes tests, stubs and sources from the environment and strips shared
objects, after the installer wrote each `*.dist-info/RECORD` (PEP 627: every
installed file with its sha256 and size). Verifiers and SBOM tools read RECORD,
so this rewrites it: rows of files that are gone are dropped, the hash and size
of every file that changed are recomputed. What was removed is not forgotten:
`RECORD.gisbox` beside it lists each dropped path with the hash and size the
wheel installed (a CSV in RECORD's own format), and RECORD lists that file too.
Files written later (bytecode compiled at build or run time) are not recorded,
as with any installer that does not compile at install time.

Standard library only: `python3 rewrite_records.py SITE_PACKAGES` prints what
it changed. A RECORD that does not parse stops the build naming the file and
the line.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import sys
from pathlib import Path

NOTE = "RECORD.gisbox"


class RecordError(Exception):
    pass


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return "sha256=" + base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()


def read_rows(record: Path) -> list[list[str]]:
    text = record.read_text(encoding="utf-8")
    rows = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row:
            continue
        if len(row) != 3 or not row[0]:
            raise RecordError(
                f"{record}:{number}: expected 'path,hash,size', got {len(row)} field(s): {row!r}"
            )
        rows.append(row)
    return rows


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def rewrite(record: Path, site: Path) -> tuple[int, int]:
    """Rewrite one RECORD; (rows dropped, rows rehashed)."""
    info = record.parent
    kept: list[list[str]] = []
    removed: list[list[str]] = []
    changed = 0
    own = {f"{info.name}/RECORD", f"{info.name}/{NOTE}"}
    for path, digest, size in read_rows(record):
        if path in own:
            continue
        target = site / path
        if not target.is_file():
            removed.append([path, digest, size])
            continue
        if digest:  # RECORD itself and signature files carry no hash
            now_size = str(target.stat().st_size)
            now_digest = file_hash(target)
            if (now_digest, now_size) != (digest, size):
                changed += 1
                digest, size = now_digest, now_size
        kept.append([path, digest, size])
    note = info / NOTE
    earlier = read_rows(note) if note.is_file() else []  # a second run keeps the first's
    if removed:
        _write(note, _csv(earlier + removed))
    if removed or earlier:
        kept.append([f"{info.name}/{NOTE}", file_hash(note), str(note.stat().st_size)])
    kept.append([f"{info.name}/RECORD", "", ""])
    if removed or changed:
        _write(record, _csv(kept))
    return len(removed), changed


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: rewrite_records.py SITE_PACKAGES", file=sys.stderr)
        return 2
    site = Path(argv[0])
    dropped = rehashed = 0
    try:
        for record in sorted(site.glob("*.dist-info/RECORD")):
            d, c = rewrite(record, site)
            dropped, rehashed = dropped + d, rehashed + c
    except RecordError as exc:
        print(f"gisbox: {exc}", file=sys.stderr)
        return 1
    print(f"RECORD: {dropped} removed file(s) dropped, {rehashed} changed file(s) rehashed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

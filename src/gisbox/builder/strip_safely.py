"""Builder-stage helper: strip shared objects, keeping only results that still load.

`strip --strip-unneeded` breaks libraries that auditwheel rewrote with
patchelf ("ELF load command address/offset not page-aligned"). Each file is
stripped to a temporary copy whose PT_LOAD segments are then checked; the
copy replaces the original only when every segment is still congruent to its
address modulo its alignment and it is smaller. Standard library only:
`python3 strip_safely.py DIR` prints how many files and bytes it saved.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys

PT_LOAD = 1


def loads_cleanly(path: str) -> bool:
    """True when every PT_LOAD segment of a 64-bit little-endian ELF is aligned."""
    with open(path, "rb") as fh:
        head = fh.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            return False
        (phoff,) = struct.unpack_from("<Q", head, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
        fh.seek(phoff)
        table = fh.read(phentsize * phnum)
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr = struct.unpack_from("<IIQQ", table, i * phentsize)
        (p_align,) = struct.unpack_from("<Q", table, i * phentsize + 48)
        if p_type == PT_LOAD and p_align > 1 and (p_offset - p_vaddr) % p_align:
            return False
    return True


def strip_file(path: str) -> int:
    """Strip `path` in place if that is safe; return the bytes saved."""
    tmp = path + ".gisbox-strip"
    try:
        res = subprocess.run(
            ["strip", "--strip-unneeded", "-o", tmp, path], capture_output=True, check=False
        )
        if res.returncode != 0 or not loads_cleanly(tmp):
            return 0
        saved = os.path.getsize(path) - os.path.getsize(tmp)
        if saved <= 0:
            return 0
        os.chmod(tmp, os.stat(path).st_mode)
        os.replace(tmp, path)
        return saved
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main(argv: list[str]) -> int:
    saved = files = kept = 0
    for root, _dirs, names in os.walk(argv[0]):
        for name in names:
            path = os.path.join(root, name)
            if (".so" in name) and os.path.isfile(path) and not os.path.islink(path):
                n = strip_file(path)
                files += n > 0
                kept += n == 0
                saved += n
    print(f"strip: {files} files stripped, {kept} left as they were, {saved / 1e6:.1f} MB saved")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Builder-stage helper: fetch the locked uv wheel, verify its sha256, extract `uv`.

Runs in the image's builder stage with only the standard library:
`python3 bootstrap_uv.py URL SHA256 DEST_DIR CACHE_DIR [URL SHA256 ...]`; with several
wheels (a lock for several platforms) the one built for this machine is taken. HTTPS
trust comes from SSL_CERT_FILE (the CA bundle passed as a BuildKit secret).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import sys
import urllib.request
import zipfile


def fetch(url: str, sha256: str, cache: str) -> str:
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, sha256 + ".whl")
    if not os.path.exists(path):
        tmp = path + ".part"
        with urllib.request.urlopen(url, timeout=120) as resp, open(tmp, "wb") as out:
            shutil.copyfileobj(resp, out)
        os.replace(tmp, path)
    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    if digest != sha256:
        os.unlink(path)
        raise SystemExit(f"hash mismatch for {url}: lock says sha256:{sha256}, got {digest}")
    return path


def for_this_machine(pairs: list[tuple[str, str]]) -> tuple[str, str]:
    """The (url, sha256) whose wheel is built for this machine (x86_64, aarch64)."""
    if len(pairs) == 1:
        return pairs[0]
    machine = platform.machine()
    for url, sha256 in pairs:
        if f"_{machine}." in url.rsplit("/", 1)[-1]:
            return url, sha256
    raise SystemExit(f"bootstrap_uv: no locked uv wheel for {machine}")


def main(argv: list[str]) -> int:
    url, sha256, dest, cache, *more = argv
    url, sha256 = for_this_machine([(url, sha256), *zip(more[::2], more[1::2], strict=True)])
    wheel = fetch(url, sha256, cache)
    with zipfile.ZipFile(wheel) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".data/scripts/uv"))
        os.makedirs(dest, exist_ok=True)
        target = os.path.join(dest, "uv")
        with zf.open(member) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out)
    os.chmod(target, 0o755)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

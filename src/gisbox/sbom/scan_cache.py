"""What the scan of an image's files found, kept by the digests of its layers, so a
rebuild that changed only the app's layer is not exported and scanned again.

A project's image ends with one layer that holds only the app (`[app] files` copied into
the workdir: the Dockerfile's last filesystem step, checked on the rendered Dockerfile).
When every layer below it is the same as at the last scan (same diff ids, same gisbox),
the OS packages, distributions and vendored libraries are the same too, and the app's
files are read from the project itself. An app that carries what the scan looks for (a
`site-packages` tree, a dpkg database) is always scanned in full. Kept in
`.gisbox/scan-cache.json`: one entry, the last image's.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from gisbox import __version__
from gisbox.runtime.atomic import write_text_atomic
from gisbox.sbom.libraries import Library
from gisbox.sbom.scan import Distribution, Inventory, OsPackage, SharedObject, wanted

CACHE_FILE = "scan-cache.json"
FORMAT = 1
IGNORED = ("__pycache__",)  # what the rendered .dockerignore keeps out of the app


def layers_key(layers: tuple[str, ...]) -> str:
    """The key of the layers below the app's: their diff ids, and the scanner's version."""
    text = "\n".join((f"gisbox {__version__} scan {FORMAT}", *layers))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def app_files(project_dir: Path, entries: tuple[str, ...], workdir: str) -> dict[str, int] | None:
    """The app's files as the image holds them (path without the leading /, size), or None
    when one of them is something the scan reads (then only a full scan is right)."""
    out: dict[str, int] = {}
    root = workdir.strip("/")
    for entry in entries:
        src = project_dir / entry.rstrip("/")
        files = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
        for path in files:
            rel = path.relative_to(project_dir).as_posix()
            if any(part in IGNORED for part in path.parts) or rel.endswith(".pyc"):
                continue
            image_path = f"{root}/{rel}" if root else rel
            if wanted(image_path):
                return None
            out[image_path] = os.stat(path).st_size
    return out


def to_json(inventory: Inventory, files: dict[str, int], key: str) -> str:
    return json.dumps({"key": key, "inventory": asdict(inventory), "files": files}, default=list)


def from_json(text: str, key: str) -> tuple[Inventory, dict[str, int]] | None:
    try:
        data: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError:
        return None
    if data.get("key") != key:
        return None
    inv = data["inventory"]
    inventory = Inventory(
        os_packages=[OsPackage(**p) for p in inv["os_packages"]],
        distributions=[
            Distribution(**{**d, "tags": tuple(d["tags"]), "files": frozenset(d["files"])})
            for d in inv["distributions"]
        ],
        shared_objects=[
            SharedObject(**{**s, "libraries": tuple(Library(**lib) for lib in s["libraries"])})
            for s in inv["shared_objects"]
        ],
        distro=inv["distro"],
    )
    return inventory, {str(k): int(v) for k, v in data["files"].items()}


def load(support: Path, key: str) -> tuple[Inventory, dict[str, int]] | None:
    """The kept scan of these layers, or None (another image, another gisbox, none)."""
    path = support / CACHE_FILE
    if not path.is_file():
        return None
    try:
        return from_json(path.read_text(), key)
    except (KeyError, TypeError):  # an older or damaged cache: scan again
        return None


def store(support: Path, key: str, inventory: Inventory, files: dict[str, int]) -> None:
    write_text_atomic(support / CACHE_FILE, to_json(inventory, files, key))

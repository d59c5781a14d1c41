"""A base image as a `docker save`-format archive whose every byte follows from the root
filesystem and its date, so `gisbox base` made twice from the same packages loads as the
same image id, on any machine and engine.

`docker import` / `podman import` date the image by the clock (its configuration, and so
its id, differ at every run). Here the configuration is written by gisbox: the one layer's
diff id, the architecture, `created` = the root filesystem's date (the newest package's,
or SOURCE_DATE_EPOCH), Cmd and PATH, serialised with sorted keys; the image id is the
sha256 of those bytes, which both engines keep on `load`.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
from pathlib import Path
from typing import IO

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
VARIANTS = {"arm64": "v8"}  # what engines record for linux/arm64


def config_bytes(*, diff_id: str, arch: str, epoch: int, created_by: str) -> bytes:
    """The image configuration (OCI/Docker image config), deterministic."""
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    config: dict[str, object] = {
        "architecture": arch,
        "os": "linux",
        "created": created,
        "config": {"Cmd": ["bash"], "Env": [f"PATH={PATH}"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created, "created_by": created_by}],
    }
    if arch in VARIANTS:
        config["variant"] = VARIANTS[arch]
    return json.dumps(config, sort_keys=True, separators=(",", ":")).encode()


def copy_hashed(source: IO[bytes], dest: Path) -> str:
    """Copy a stream to `dest`; its sha256 ("sha256:…")."""
    digest = hashlib.sha256()
    with open(dest, "wb") as out:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    return f"sha256:{digest.hexdigest()}"


def _add(archive: tarfile.TarFile, name: str, data: bytes, epoch: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), epoch, 0o644
    archive.addfile(info, io.BytesIO(data))


def write_archive(
    dest: Path, *, layer: Path, diff_id: str, tag: str, arch: str, epoch: int, created_by: str
) -> str:
    """The `docker load` archive of a one-layer image tagged `tag`; its image id."""
    config = config_bytes(diff_id=diff_id, arch=arch, epoch=epoch, created_by=created_by)
    config_hex = hashlib.sha256(config).hexdigest()
    layer_name = f"{diff_id.removeprefix('sha256:')}/layer.tar"
    manifest = [{"Config": f"{config_hex}.json", "RepoTags": [tag], "Layers": [layer_name]}]
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as archive:
        _add(archive, f"{config_hex}.json", config, epoch)
        info = archive.gettarinfo(str(layer), arcname=layer_name)
        info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "", ""
        with open(layer, "rb") as fh:
            archive.addfile(info, fh)
        _add(archive, "manifest.json", json.dumps(manifest).encode(), epoch)
    return f"sha256:{config_hex}"

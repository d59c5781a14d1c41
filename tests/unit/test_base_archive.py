"""`gisbox base` writes its image itself: the same root filesystem and date give the same
bytes, so the same image id (what `docker load` and `podman load` keep)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

from gisbox.locking.base_archive import config_bytes, copy_hashed, write_archive


def archive_of(tmp: Path, name: str, epoch: int = 1700000000, arch: str = "amd64") -> str:
    layer = tmp / f"{name}.layer"
    diff_id = copy_hashed(io.BytesIO(b"a root filesystem's tar"), layer)
    return write_archive(
        tmp / f"{name}.tar", layer=layer, diff_id=diff_id, tag="debian:bookworm-slim",
        arch=arch, epoch=epoch, created_by="gisbox base",
    )  # fmt: skip


def test_the_same_root_and_date_give_the_same_image_and_bytes(tmp_path: Path) -> None:
    first, second = archive_of(tmp_path, "one"), archive_of(tmp_path, "two")
    assert first == second
    assert (tmp_path / "one.tar").read_bytes() == (tmp_path / "two.tar").read_bytes()
    assert archive_of(tmp_path, "later", epoch=1700000001) != first  # dated otherwise
    assert archive_of(tmp_path, "arm", arch="arm64") != first


def test_the_archive_is_what_docker_load_reads(tmp_path: Path) -> None:
    image_id = archive_of(tmp_path, "one")
    with tarfile.open(tmp_path / "one.tar") as archive:
        (manifest,) = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
        config_file = archive.extractfile(manifest["Config"])
        assert config_file is not None
        config_raw = config_file.read()
        layer = archive.extractfile(manifest["Layers"][0])
        assert layer is not None and layer.read() == b"a root filesystem's tar"
    assert manifest["RepoTags"] == ["debian:bookworm-slim"]
    assert image_id == "sha256:" + hashlib.sha256(config_raw).hexdigest()  # the id
    config = json.loads(config_raw)
    diff_id = "sha256:" + hashlib.sha256(b"a root filesystem's tar").hexdigest()
    assert config["rootfs"] == {"type": "layers", "diff_ids": [diff_id]}
    assert config["created"] == "2023-11-14T22:13:20Z" and config["architecture"] == "amd64"
    assert config["config"]["Cmd"] == ["bash"]
    arm = json.loads(config_bytes(diff_id=diff_id, arch="arm64", epoch=0, created_by="x"))
    assert arm["variant"] == "v8"

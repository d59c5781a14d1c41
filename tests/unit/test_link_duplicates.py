"""Hard-linking identical files in the environment: same bytes and mode only."""

from __future__ import annotations

import os
from pathlib import Path

from gisbox.builder.link_duplicates import link

DATA = bytes(range(256)) * 40  # 10 KiB


def test_identical_files_share_one_inode_and_keep_their_bytes(tmp_path: Path) -> None:
    for where in ("rasterio/gdal_data", "pyogrio/gdal_data"):
        (tmp_path / where).mkdir(parents=True)
        (tmp_path / where / "ecw_cs.wkt").write_bytes(DATA)
    a, b = tmp_path / "rasterio/gdal_data/ecw_cs.wkt", tmp_path / "pyogrio/gdal_data/ecw_cs.wkt"
    assert link(str(tmp_path)) == (1, len(DATA))
    assert os.path.samefile(a, b) and a.read_bytes() == b.read_bytes() == DATA
    assert link(str(tmp_path)) == (0, 0)  # idempotent


def test_files_that_differ_in_bytes_mode_or_are_tiny_stay_apart(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(DATA)
    (tmp_path / "b").write_bytes(DATA[:-1] + b"x")  # same size, other bytes
    (tmp_path / "c").write_bytes(DATA)
    (tmp_path / "c").chmod(0o755)  # same bytes, other mode: a link would change a's mode
    (tmp_path / "d").write_bytes(b"tiny")
    (tmp_path / "e").write_bytes(b"tiny")
    assert link(str(tmp_path)) == (0, 0)
    inodes = {p.stat().st_ino for p in tmp_path.iterdir()}
    assert len(inodes) == 5

"""Reproducible content: what a build step wrote loses the marks of when it ran, and
`gisbox base` archives the same root filesystem as the same bytes."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from gisbox.builder import reproducible
from gisbox.locking.debootstrap import archive_argv, base_epoch
from gisbox.project.lockfile import keep_epoch, read_lock, write_lock
from gisbox.runtime.errors import EngineError

EPOCH = 1_700_000_000  # 2023-11-14
OLD = 1_600_000_000  # a package's own date, before the epoch
NOW = 1_800_000_000  # the run's date, after it
LOCK = Path(__file__).parents[1] / "projects/minimal/gisbox.lock"


def rootfs(root: Path, *, when: int, reverse: bool = False) -> Path:
    """A small root as a step leaves it: package files (dated OLD), files the step wrote
    (dated `when`), run records, a shadow file, a symlink, a hard link."""
    files = {
        "usr/bin/tool": b"ELF",
        "usr/share/doc/tool/copyright": b"GPL",
        "etc/passwd": b"root:x:0:0::/root:/bin/bash\n",
        "etc/shadow": b"root:*:20780:0:99999:7:::\ngis:!:19000:0:99999:7:::\n",
        "var/log/dpkg.log": b"2026-11-23 22:00:01 install tool\n",
        "var/cache/ldconfig/aux-cache": b"inode 123 ctime 456",
        "home/gis/.bashrc": b"# hi\n",
    }
    for rel, data in sorted(files.items(), reverse=reverse):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "usr/bin/alias").symlink_to("tool")
    os.link(root / "usr/bin/tool", root / "usr/bin/tool-again")
    for path in sorted(root.rglob("*"), reverse=True):
        stamp = OLD if "usr/" in str(path.relative_to(root)) else when
        os.utime(path, (stamp, stamp), follow_symlinks=False)
    os.utime(root, (when, when))
    return root


def test_a_step_s_run_records_are_removed_and_its_dates_clamped(tmp_path: Path) -> None:
    root = rootfs(tmp_path / "root", when=NOW)
    outside = tmp_path / "outside"
    outside.write_text("not ours")
    os.utime(outside, (NOW, NOW))
    (root / "etc/link-out").symlink_to(outside)
    reproducible.normalise(str(root), EPOCH)
    assert not (root / "var/log/dpkg.log").exists()
    assert not (root / "var/cache/ldconfig/aux-cache").exists()
    # shadow's day of the last password change: clamped to the epoch's day, not raised
    assert (root / "etc/shadow").read_text().splitlines() == [
        f"root:*:{EPOCH // 86400}:0:99999:7:::",
        "gis:!:19000:0:99999:7:::",
    ]
    assert (root / "etc/passwd").lstat().st_mtime == EPOCH  # written by the step
    assert (root / "home/gis").lstat().st_mtime == EPOCH and root.lstat().st_mtime == EPOCH
    assert (root / "usr/bin/tool").lstat().st_mtime == OLD  # a package's own date stays
    assert (root / "etc/link-out").lstat().st_mtime == EPOCH  # the link, not its target
    assert outside.stat().st_mtime == NOW


def test_mount_points_are_neither_walked_nor_touched(tmp_path: Path) -> None:
    root = rootfs(tmp_path / "root", when=NOW)
    cache = root / "var/cache"
    reproducible.clamp_mtimes(str(root), EPOCH, mounts={str(cache), "/"})
    assert cache.lstat().st_mtime == NOW
    assert (cache / "ldconfig/aux-cache").lstat().st_mtime == NOW
    assert (root / "etc/passwd").lstat().st_mtime == EPOCH


def test_mountinfo_paths_are_unescaped(tmp_path: Path) -> None:
    info = tmp_path / "mountinfo"
    info.write_text(
        "22 1 0:21 / / rw - overlay overlay rw\n"
        "23 22 0:5 / /run/my\\040secrets rw - tmpfs tmpfs rw\n"
    )
    assert reproducible.mount_points(str(info)) == {"/", "/run/my secrets"}


def test_set_gives_every_entry_the_epoch(tmp_path: Path) -> None:
    """The project's files: older dates are the checkout's, not a package's."""
    root = rootfs(tmp_path / "app", when=NOW)
    assert reproducible.main(["--set", str(EPOCH), str(root)]) == 0
    dates = {p.lstat().st_mtime for p in [root, *root.rglob("*")]}
    assert dates == {EPOCH}
    assert (root / "var/log/dpkg.log").exists()  # --set only dates, removes nothing


def test_a_bad_command_line_says_how_to_call_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert reproducible.main(["yesterday"]) == 2
    assert "usage: reproducible.py [--set] SOURCE_DATE_EPOCH" in capsys.readouterr().err


def archive_digest(root: Path, epoch: int) -> str:
    tar = subprocess.run(archive_argv(root, epoch), capture_output=True, check=True)
    return hashlib.sha256(tar.stdout).hexdigest()


def test_the_same_root_made_at_other_times_archives_to_the_same_bytes(tmp_path: Path) -> None:
    one = rootfs(tmp_path / "one", when=NOW)
    two = rootfs(tmp_path / "two", when=NOW + 3600, reverse=True)  # other order, other hour
    for root in (one, two):
        reproducible.normalise(str(root), base_epoch(root))
    assert base_epoch(one) == OLD  # the newest package's date
    assert archive_digest(one, OLD) == archive_digest(two, OLD)
    listing = subprocess.run(
        ["tar", "-tv", "--full-time"], input=subprocess.run(
            archive_argv(one, OLD), capture_output=True, check=True).stdout,
        capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    assert "PaxHeaders" not in listing and " 0/0 " in listing  # numeric owners, no pid
    names = [line.split()[-1] for line in listing.splitlines() if "->" not in line]
    assert names == sorted(names)


def test_the_base_s_date_is_source_date_epoch_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = rootfs(tmp_path / "root", when=NOW)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    assert base_epoch(root) == 1234567890
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    (root / "usr/share/doc/tool/copyright").unlink()
    with pytest.raises(EngineError, match="no /usr/share/doc/\\*/copyright") as exc:
        base_epoch(root)
    assert exc.value.hint and "SOURCE_DATE_EPOCH" in exc.value.hint


def test_locking_again_without_changes_keeps_the_lock_s_date(tmp_path: Path) -> None:
    path = tmp_path / "gisbox.lock"
    recorded = read_lock(LOCK)
    write_lock(recorded, path)
    again = replace(recorded, source_date_epoch=NOW)  # what a new resolution dates
    assert keep_epoch(again, path) == recorded
    changed = replace(again, gisbox_version="9.9")
    assert keep_epoch(changed, path).source_date_epoch == NOW
    path.write_text("not a lock")
    assert keep_epoch(again, path).source_date_epoch == NOW
    assert keep_epoch(again, tmp_path / "missing.lock").source_date_epoch == NOW


def test_a_file_that_was_only_read_is_never_touched(tmp_path: Path) -> None:
    """Reading a lower layer's file gives it a new atime (relatime); the clamp must leave
    it alone, or the step's layer would carry a copy of every file the image had read."""
    root = rootfs(tmp_path / "root", when=NOW)
    reproducible.normalise(str(root), EPOCH)  # as its own step left it
    read = root / "usr/bin/tool"
    os.utime(read, (NOW, OLD))  # read after its step: atime NOW, mtime the package's
    before = os.stat(read)
    assert reproducible.normalise(str(root), EPOCH) == 0
    after = os.stat(read)
    assert after.st_ctime_ns == before.st_ctime_ns, "utime was called: a copy-up on overlayfs"


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting overlayfs needs root")
def test_on_overlayfs_the_step_s_layer_holds_only_what_it_changed(tmp_path: Path) -> None:
    """The way a build step sees its lower layers: what the step wrote is in the upper
    directory (the layer), a lower file that was read (new atime) is not copied up."""
    lower = rootfs(tmp_path / "lower", when=NOW)
    reproducible.normalise(str(lower), EPOCH)  # as its own step left it
    os.utime(lower / "etc/passwd", (NOW, EPOCH))  # read by an earlier container
    upper, work, merged = (tmp_path / n for n in ("upper", "work", "merged"))
    for d in (upper, work, merged):
        d.mkdir()
    options = f"lowerdir={lower},upperdir={upper},workdir={work}"
    mounted = subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, str(merged)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"overlayfs cannot be mounted here: {mounted.stderr.strip()}")
    try:
        (merged / "app").mkdir()
        (merged / "app/main.py").write_text("print('hi')\n")
        reproducible.normalise(str(merged), EPOCH)
    finally:
        subprocess.run(["umount", str(merged)], check=True)
    layer = sorted(str(p.relative_to(upper)) for p in upper.rglob("*"))
    assert layer == ["app", "app/main.py"]
    assert os.stat(upper / "app/main.py").st_mtime == EPOCH

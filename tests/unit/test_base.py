"""`gisbox base`: suite mapping and slimming of a debootstrapped tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from gisbox.locking.debootstrap import slim_rootfs, suite_for
from gisbox.runtime.errors import UsageError


@pytest.mark.parametrize(
    ("ref", "suite"),
    [
        ("debian:bookworm-slim", "bookworm"),
        ("debian:bookworm", "bookworm"),
        ("debian:12", "bookworm"),
        ("debian:trixie-slim", "trixie"),
    ],
)
def test_suite_for(ref: str, suite: str) -> None:
    assert suite_for(ref) == suite


def test_non_debian_base_is_refused() -> None:
    with pytest.raises(UsageError, match="Debian bases only"):
        suite_for("ubuntu:22.04")


def touch(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_slim_rootfs_drops_docs_and_keeps_copyright(tmp_path: Path) -> None:
    root = tmp_path
    touch(root / "usr/share/doc/bash/copyright")
    touch(root / "usr/share/doc/bash/changelog.gz")
    touch(root / "usr/share/doc/bash/examples/x.sh")
    touch(root / "usr/share/man/man1/bash.1.gz")
    touch(root / "usr/share/locale/de/LC_MESSAGES/bash.mo")
    touch(root / "usr/share/locale/locale.alias")
    touch(root / "var/cache/apt/archives/bash.deb")
    touch(root / "var/lib/apt/lists/deb.debian.org_Packages")
    touch(root / "etc/apt/sources.list", "deb http://x bookworm main\n")
    (root / "etc/dpkg/dpkg.cfg.d").mkdir(parents=True)
    (root / "etc/apt/apt.conf.d").mkdir(parents=True)
    (root / "etc/apt/sources.list.d").mkdir(parents=True)
    slim_rootfs(root, "bookworm", "http://deb.debian.org/debian")
    assert (root / "usr/share/doc/bash/copyright").exists()
    assert not (root / "usr/share/doc/bash/changelog.gz").exists()
    assert not (root / "usr/share/doc/bash/examples").exists()
    assert not any((root / "usr/share/man").iterdir())
    assert [p.name for p in (root / "usr/share/locale").iterdir()] == ["locale.alias"]
    assert not (root / "var/cache/apt/archives/bash.deb").exists()
    assert not (root / "var/lib/apt/lists/deb.debian.org_Packages").exists()
    assert "path-exclude /usr/share/man/*" in (root / "etc/dpkg/dpkg.cfg.d/docker").read_text()
    sources = (root / "etc/apt/sources.list.d/debian.sources").read_text()
    assert "bookworm-security" in sources and "bookworm-updates" in sources
    assert not (root / "etc/apt/sources.list").exists()

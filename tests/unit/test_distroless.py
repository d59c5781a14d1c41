"""The distroless root's package set: walked from its roots, without script-only tools."""

from __future__ import annotations

import pytest

from gisbox.locking.apt_probe import parse_probe
from gisbox.locking.closure import needed
from gisbox.plugins.runtimes.distroless import refuse_scripts
from gisbox.runtime.errors import LockError

CLOSURE = ["base-files=13", "mawk=1", "libc6=2.41", "libgcc-s1=14", "python3.13=3.13.5",
           "libexpat1=2.7", "tzdata=2026", "debconf=1.5", "perl-base=5.40"]  # fmt: skip
DEPENDS = {
    "base-files": ["mawk | awk"],  # Pre-Depends: awk, for its postinst only
    "mawk": ["libc6 (>= 2.38)"],
    "libc6": ["libgcc-s1"],
    "python3.13": ["libexpat1 (>= 2.7.0), tzdata", "libc6"],
    "tzdata": ["debconf (>= 0.5) | debconf-2.0"],
    "debconf": ["perl-base (>= 5.20.1-3~)"],
}


def test_the_walk_skips_what_only_maintainer_scripts_use() -> None:
    got = needed(["python3.13", "base-files"], CLOSURE, DEPENDS)
    assert got == ("base-files=13", "libc6=2.41", "libgcc-s1=14", "python3.13=3.13.5",
                   "libexpat1=2.7", "tzdata=2026")  # fmt: skip


def test_probe_lines_become_the_rootfs_and_the_scripts_of_kept_packages() -> None:
    text = "\n".join([
        "os debian 13", "glibc 2.41", "python 3.13 3.13.5-2",
        "runtime python3.13=3.13.5",
        "rootfs-root python3.13", "rootfs-root tini",
        "rootfs libc6=2.41", "rootfs python3.13=3.13.5", "rootfs tini=0.19", "rootfs dpkg=1.22",
        "depends python3.13 libc6", "depends tini libc6",
        "deb python3.13=3.13.5 amd64 aa", "deb libc6=2.41 amd64 bb", "deb tini=0.19 amd64 cc",
        "deb dpkg=1.22 amd64 dd",
        "scripts tini postinst", "scripts dpkg preinst postinst",
    ])  # fmt: skip
    facts = parse_probe(text, "debian:trixie-slim")
    assert facts.rootfs == ("libc6=2.41", "python3.13=3.13.5", "tini=0.19")
    assert facts.scripts == {"tini": ("postinst",)}, "dpkg is not unpacked, so not refused"
    stages = {p.pin: p.stage for p in facts.packages}
    assert stages == {"python3.13=3.13.5": "runtime", "libc6=2.41": "rootfs", "tini=0.19": "rootfs"}


def test_refusal_names_each_package_and_its_scripts() -> None:
    with pytest.raises(LockError) as exc:
        refuse_scripts({"ca-certificates": ("config", "postinst")}, ["ca-certificates"])
    assert "ca-certificates (config, postinst)" in exc.value.message
    assert exc.value.hint and 'runtime = "slim"' in exc.value.hint
    refuse_scripts({}, ["tini"])  # nothing to refuse

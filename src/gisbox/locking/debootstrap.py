"""`gisbox base`: a Debian base image made from a Debian mirror with debootstrap.

For air-gapped sites and machines without a registry. The root filesystem is
slimmed the way the official `-slim` images are (documentation except
copyright files, man pages, info pages and locales are dropped, and dpkg is
configured to keep dropping them), made reproducible (run records removed, dates clamped
to the newest package's: `gisbox.builder.reproducible`), archived in name order and
loaded into the engine as an image gisbox writes itself (`gisbox.locking.base_archive`):
the same package set gives the same layer digest, the digest the lock pins
(`Target.base_layers`), and the same image id. Which bases can be
made is the base family's answer (`Family.debootstrap_suite`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from gisbox.builder.reproducible import normalise
from gisbox.engines.base import ContainerEngine
from gisbox.locking.base_archive import copy_hashed, write_archive
from gisbox.plugins.registry import family_for
from gisbox.project.platforms import PLATFORMS, host_platform, platform_base
from gisbox.runtime.errors import EngineError, UsageError

DEFAULT_MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
SUITES = {"12": "bookworm", "13": "trixie", "11": "bullseye"}
DPKG_EXCLUDES = """\
# gisbox base: keep the image slim, like the official -slim images
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
"""
APT_CONF = {
    "docker-clean": (
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
        '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n'
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
        '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n'
        'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";\n'
    ),
    "docker-no-languages": 'Acquire::Languages "none";\n',
    "docker-gzip-indexes": 'Acquire::GzipIndexes "true";\n',
    "docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
}


def suite_for(reference: str) -> str:
    """The Debian suite `reference` is made from; a usage error for other bases."""
    suite = family_for(reference).debootstrap_suite(reference)
    if suite is None:
        raise UsageError(
            f"`gisbox base` makes Debian bases only; {reference!r} is not one",
            hint="set image.base to e.g. 'debian:bookworm-slim', or pull your base yourself",
        )
    return suite


def sources(suite: str, mirror: str) -> str:
    return (
        f"Types: deb\nURIs: {mirror}\nSuites: {suite} {suite}-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        f"Types: deb\nURIs: {SECURITY_MIRROR}\nSuites: {suite}-security\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )


def slim_rootfs(root: Path, suite: str, mirror: str) -> None:
    """Drop what the official slim images drop and configure dpkg/apt likewise."""
    for sub in ("man", "info", "groff", "lintian", "linda"):
        d = root / "usr/share" / sub
        if d.is_dir():
            shutil.rmtree(d)
            d.mkdir()
    locale = root / "usr/share/locale"
    if locale.is_dir():
        for entry in locale.iterdir():
            if entry.name != "locale.alias":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    doc = root / "usr/share/doc"
    if doc.is_dir():
        for path in sorted(doc.rglob("*"), reverse=True):
            if path.is_dir() and not path.is_symlink():
                if not any(path.iterdir()):
                    path.rmdir()
            elif path.name != "copyright" or path.parent.parent != doc:
                path.unlink()
    for sub in ("var/lib/apt/lists", "var/cache/apt", "var/log"):
        d = root / sub
        for entry in d.rglob("*") if d.is_dir() else []:
            if entry.is_file() or entry.is_symlink():
                entry.unlink()
    (root / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
    (root / "etc/dpkg/dpkg.cfg.d/docker").write_text(DPKG_EXCLUDES)
    for name, text in APT_CONF.items():
        (root / "etc/apt/apt.conf.d" / name).write_text(text)
    hosts = root / "etc/hosts"  # engines mount their own over it; a RUN that finds none
    if not hosts.exists():  # makes a mount point and removes it, redating /etc (BuildKit)
        hosts.write_text("127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n")
    (root / "etc/apt/sources.list").unlink(missing_ok=True)
    (root / "etc/apt/sources.list.d/debian.sources").write_text(sources(suite, mirror))


def base_epoch(root: Path) -> int:
    """The root's date: SOURCE_DATE_EPOCH when set, else the newest package's (the mtime
    of its copyright file, which dpkg-deb clamps to the package's changelog date), so the
    same package set gives the same date, whenever it is bootstrapped."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    dates = [int(p.lstat().st_mtime) for p in (root / "usr/share/doc").glob("*/copyright")]
    if not dates:
        raise EngineError(
            f"{root}: no /usr/share/doc/*/copyright to date the root filesystem by",
            hint="set SOURCE_DATE_EPOCH to the date the base should carry",
        )
    return max(dates)


def archive_argv(root: Path, epoch: int) -> list[str]:
    """GNU tar of `root` that depends on its content only: entries sorted by name, numeric
    owners, mtimes clamped to `epoch`, no atime/ctime and no process id in pax headers."""
    return [
        "tar",
        "--create",
        "--format=posix",
        "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
        "--sort=name",
        "--numeric-owner",
        "--xattrs",
        f"--mtime=@{epoch}",
        "--clamp-mtime",
        "--exclude=./dev/*",
        "--exclude=./proc/*",
        "--exclude=./sys/*",
        "--directory",
        str(root),
        ".",
    ]


def load_rootfs(
    engine: ContainerEngine,
    root: Path,
    work: Path,
    *,
    local: str,
    arch: str,
    epoch: int,
    created_by: str,
) -> str:
    """Archive `root` as one layer, write the image around it (`base_archive`) and load
    it as `local`; its id, which depends on the content and the date only."""
    tar = subprocess.Popen(archive_argv(root, epoch), stdout=subprocess.PIPE)
    assert tar.stdout is not None
    layer = work / "layer.tar"
    try:
        diff_id = copy_hashed(tar.stdout, layer)
    finally:
        tar.stdout.close()
        if tar.wait() != 0:
            raise EngineError("tar of the debootstrapped root filesystem failed")
    archive = work / "image.tar"
    image_id = write_archive(
        archive, layer=layer, diff_id=diff_id, tag=local, arch=arch, epoch=epoch,
        created_by=created_by,
    )  # fmt: skip
    layer.unlink()
    engine.load(archive)
    return image_id


def make_base(
    engine: ContainerEngine,
    reference: str,
    *,
    mirror: str = DEFAULT_MIRROR,
    platform: str | None = None,
    on_line: Callable[[str], None] = lambda _l: None,
    local: str | None = None,
) -> str:
    """Create `reference` for `platform` (the host's by default) from `mirror`, as `local`
    (by default the local name `platform_base` gives); return the new image id. Another
    architecture's programs run under qemu-user-static (binfmt_misc), which the set-up
    script installs."""
    platform = platform or host_platform()
    arch = PLATFORMS[platform].arch
    suite = suite_for(reference)
    local = local or platform_base(reference, platform)
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        raise EngineError("debootstrap is not installed", hint="apt-get install -y debootstrap")
    with tempfile.TemporaryDirectory(prefix="gisbox-base-") as tmp:
        root = Path(tmp) / "rootfs"
        argv = [debootstrap, "--variant=minbase", f"--arch={arch}", suite, str(root), mirror]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        tail: list[str] = []
        for line in proc.stdout:
            on_line(line.rstrip())
            tail = [*tail[-20:], line.rstrip()]
        if proc.wait() != 0:
            emulation = (
                f"; {platform} programs need qemu-user-static and binfmt-support "
                "(scripts/setup-host.sh installs them)"
                if platform != host_platform()
                else ""
            )
            raise EngineError(
                f"debootstrap of {suite} ({arch}) from {mirror} failed:\n" + "\n".join(tail),
                hint="check that the mirror is reachable, or pass --mirror" + emulation,
            )
        slim_rootfs(root, suite, mirror)
        epoch = base_epoch(root)
        normalise(str(root), epoch)
        on_line(f"loading the root filesystem as {local} ({platform}), dated {epoch}")
        made_by = f"gisbox base: debootstrap --variant=minbase {suite} ({arch}) from {mirror}"
        image_id = load_rootfs(engine, root, Path(tmp), local=local, arch=arch, epoch=epoch,
                               created_by=made_by)  # fmt: skip
        return image_id

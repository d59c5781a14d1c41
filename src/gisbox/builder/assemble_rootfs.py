"""Builder script: unpack the pinned .debs into a distroless root filesystem.

    python3 assemble_rootfs.py MANIFEST DEBS ROOT --user NAME --uid UID
        [--exclude GLOB ...] [--partial PKG=PATH ...] [--stdlib-zip ARCHIVE SCRIPT]

MANIFEST lines are `name version arch sha256` (from gisbox.lock; those of this machine's
Debian architecture and `all` are used); DEBS holds the files
`apt-get download` fetched. Each .deb's sha256 must be the lock's, then it is unpacked
with `dpkg-deb -x` (maintainer scripts never run; of a `--partial` package only the
paths given) and its control fields are kept as
`var/lib/dpkg/status.d/<name>`, so scanners still see the package. Documentation, man
pages and locales go (copyright files stay), as in the slim bases, and glibc's iconv
modules for EBCDIC code pages; the user, /tmp and
the dynamic linker's cache are set up; the stdlib's sources move into the zip archive
when one is given. Runs in the image's `rootfs` stage with its Python (standard library
only), as root; never part of an image.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

# relative to the root; copyright files under usr/share/doc stay
DROP_DIRS = (
    "usr/share/man",
    "usr/share/info",
    "usr/share/lintian",
    "usr/share/linda",
    "usr/share/groff",
    "usr/share/bug",
    "usr/share/doc-base",
    "usr/share/menu",
    "etc/cron.daily",
    "etc/logrotate.d",
)


# glibc's iconv modules for EBCDIC (mainframe) code pages: no GIS format is stored in one
# (dBase/shapefile code pages are DOS and Windows ones: IBM437/850/866…, CP125x, GBK…,
# all kept), and they are 2.7 MB of the distroless root. iconv_open() on one fails cleanly.
EBCDIC = (
    *(f"IBM{n}" for n in (
        "037", "038", 273, 274, 275, 277, 278, 280, 281, 284, 285, 290, 297, 420, 423, 424,
        500, 870, 871, 875, 880, 905, 918, 930, 933, 935, 937, 939, 1025, 1026, 1047, 1097,
        1112, 1122, 1123, 1130, 1132, 1137, *range(1140, 1150), *range(1153, 1159), 1364,
        1371, 1388, 1390, 1399, 4899, 4971, 12712, 16804,
    )),
    "EBCDIC-*",
)  # fmt: skip


def deb_file(debs: str, name: str, version: str, arch: str) -> str:
    """The file `apt-get download` writes for name=version (an epoch's ':' as '%3a')."""
    return os.path.join(debs, f"{name}_{version.replace(':', '%3a')}_{arch}.deb")


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract(deb: str, root: str, keep: list[str]) -> None:
    """`dpkg-deb -x`, or of a package listed with --partial only the paths kept."""
    if not keep:
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
        return
    tmp = tempfile.mkdtemp(prefix="gisbox-partial-")
    try:
        subprocess.run(["dpkg-deb", "-x", deb, tmp], check=True)
        for rel in keep:
            src, dest = os.path.join(tmp, rel), os.path.join(root, rel)
            if not os.path.exists(src):
                raise SystemExit(f"assemble_rootfs: {deb} has no {rel}")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            if os.path.isdir(src):
                shutil.copytree(src, dest, symlinks=True, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dest, follow_symlinks=False)
    finally:
        shutil.rmtree(tmp)


def unpack(manifest: str, debs: str, root: str, partial: dict[str, list[str]]) -> int:
    status = os.path.join(root, "var/lib/dpkg/status.d")
    os.makedirs(status, exist_ok=True)
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    ).stdout.strip()
    count = 0
    with open(manifest, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            name, version, deb_arch, want = line.split()
            if deb_arch not in (arch, "all"):  # another platform's (a multi-platform lock)
                continue
            path = deb_file(debs, name, version, deb_arch)
            if not os.path.isfile(path):
                raise SystemExit(f"assemble_rootfs: {name}={version}: {path} was not downloaded")
            got = sha256(path)
            if got != want:
                raise SystemExit(
                    f"assemble_rootfs: {name}={version}: sha256 {got} is not the lock's {want}"
                )
            extract(path, root, partial.get(name, []))
            control = subprocess.run(
                ["dpkg-deb", "-f", path], check=True, capture_output=True, text=True
            ).stdout
            with open(os.path.join(status, name), "w", encoding="utf-8") as out:
                out.write(control.rstrip("\n") + "\nStatus: install ok installed\n")
            count += 1
    return count


def prune(root: str, excludes: list[str]) -> None:
    for sub in DROP_DIRS:
        shutil.rmtree(os.path.join(root, sub), ignore_errors=True)
    locale = os.path.join(root, "usr/share/locale")
    if os.path.isdir(locale):
        for entry in os.listdir(locale):
            if entry != "locale.alias":
                shutil.rmtree(os.path.join(locale, entry), ignore_errors=True)
    doc = os.path.join(root, "usr/share/doc")
    for top, dirs, files in os.walk(doc, topdown=False):
        for name in files:
            path = os.path.join(top, name)
            if name != "copyright" or os.path.dirname(top) != doc:
                os.unlink(path)
        for name in dirs:
            path = os.path.join(top, name)
            if not os.path.islink(path) and not os.listdir(path):
                os.rmdir(path)
    for name in EBCDIC:
        for path in glob.glob(os.path.join(root, "usr/lib/*/gconv", f"{name}.so")):
            os.unlink(path)
    for pattern in excludes:
        for path in glob.glob(os.path.join(root, pattern.lstrip("/"))):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)


def accounts(root: str, user: str, uid: int) -> None:
    """passwd/group with root and the user (no shell: /usr/sbin/nologin does not exist)."""
    etc = os.path.join(root, "etc")
    os.makedirs(etc, exist_ok=True)
    with open(os.path.join(etc, "passwd"), "w", encoding="utf-8") as fh:
        fh.write("root:x:0:0:root:/root:/sbin/nologin\n")
        fh.write(f"{user}:x:{uid}:{uid}::/home/{user}:/sbin/nologin\n")
        fh.write("nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n")
    with open(os.path.join(etc, "group"), "w", encoding="utf-8") as fh:
        fh.write(f"root:x:0:\n{user}:x:{uid}:\nnogroup:x:65534:\n")
    for path, mode, owner in (
        ("root", 0o700, 0),
        (f"home/{user}", 0o755, uid),
        ("tmp", 0o1777, 0),
        ("var/tmp", 0o1777, 0),
    ):
        full = os.path.join(root, path)
        os.makedirs(full, exist_ok=True)
        os.chown(full, owner, owner)
        os.chmod(full, mode)


def linker_cache(root: str) -> None:
    """/etc/ld.so.cache, so libraries load without searching every directory."""
    conf = os.path.join(root, "etc/ld.so.conf")
    if not os.path.exists(conf):
        with open(conf, "w", encoding="utf-8") as fh:
            fh.write("include /etc/ld.so.conf.d/*.conf\n")
    subprocess.run(["ldconfig", "-r", root], check=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="assemble_rootfs.py")
    parser.add_argument("manifest")
    parser.add_argument("debs")
    parser.add_argument("root")
    parser.add_argument("--user", required=True)
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--exclude", action="append", default=[])
    parser.add_argument("--partial", action="append", default=[], metavar="PKG=PATH")
    parser.add_argument("--stdlib-zip", nargs=2, metavar=("ARCHIVE", "SCRIPT"))
    args = parser.parse_args(argv)
    partial: dict[str, list[str]] = {}
    for item in args.partial:
        name, _, path = item.partition("=")
        partial.setdefault(name, []).append(path)
    count = unpack(args.manifest, args.debs, args.root, partial)
    prune(args.root, args.exclude)
    accounts(args.root, args.user, args.uid)
    linker_cache(args.root)
    if args.stdlib_zip:
        archive, script = args.stdlib_zip
        subprocess.run([sys.executable, script, "install-into", args.root, archive], check=True)
    print(f"assemble_rootfs: {count} packages unpacked into {args.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

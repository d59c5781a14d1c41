"""Builder/runtime helper: move the standard library's sources into `python3XY.zip`.

Python puts `<prefix>/lib/python3XY.zip` on `sys.path` before the stdlib directory
and imports from it with the frozen zipimport (the layout of CPython's embeddable
distribution). Deflated, Debian's 10 MB of stdlib sources take about 3 MB; the
bytecode of the modules the stack imports goes into the same archive as
unchecked hash-based `.pyc` files (zipimport never writes bytecode, and the
archive is immutable). Extension modules (`lib-dynload`) and symlinks stay
on disk.

    python3 stdlib_zip.py pack OUT.zip {imported|all|none}
        (builder, after the build-time check imported the stack) write the
        archive: every stdlib source; bytecode for the modules that have a
        `__pycache__` entry ("imported"), for all of them, or for none.
    python3 stdlib_zip.py install ARCHIVE SELF
        (runtime, in the RUN that installed Python) check that this Python's
        sources are the archive's byte for byte, delete them and every
        `__pycache__`, put the archive where `sys.path` expects it, and
        register `python3 SELF restore` as an apt hook (SELF: where this
        script lives in the image).
    python3 stdlib_zip.py install-into ROOT ARCHIVE
        (a distroless runtime's rootfs stage) the same for the Python unpacked
        under ROOT (this interpreter's version and layout), checked by running
        it chrooted there; no apt hook: there is no apt.
    python3 stdlib_zip.py restore
        (apt's DPkg::Post-Invoke hook) when a package update wrote stdlib
        sources back to disk, the archive would shadow them with the old
        ones: extract what is missing on disk and delete the archive, so the
        standard library is plain files again, every one the installed version.

Standard library only; reproducible (sorted entries, fixed timestamps).
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import py_compile
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

SKIP_DIRS = {"lib-dynload", "site-packages", "dist-packages", "__pycache__"}
# config-3.11-x86_64-linux-gnu: CPython's build configuration, from the -dev packages only
# the builder installs (strategy "system"); never archived, never removed.
SKIP_PREFIXES = ("config-",)
EPOCH = (1980, 1, 1, 0, 0, 0)
UNCHECKED_HASH = 0b01  # PEP 552: hash-based, source not checked (the archive is immutable)
PROBE = "import json, email.message, asyncio, encodings.idna, zipimport"
# Compiled in "imported" mode too, though the build-time check cannot import them: what
# reading the archive itself loads at run time. importlib.metadata lists every sys.path
# entry, the archive included, and zipfile decodes its names with cp437; in the builder
# the archive does not exist yet.
RUNTIME_ONLY = frozenset({"encodings/cp437.py"})


@dataclass(frozen=True)
class Layout:
    """Where an interpreter keeps its stdlib: the directory, the archive, the apt hook."""

    root: str
    archive: str
    apt_hook: str | None = "/etc/apt/apt.conf.d/90gisbox-stdlib-zip"
    python: str = sys.executable
    chroot: str | None = None  # the layout is this Python's, unpacked under another root

    @classmethod
    def of_this_python(cls) -> Layout:
        archive = archive_entry()
        if archive is None:
            raise SystemExit("stdlib_zip: this Python has no .zip entry on sys.path")
        return cls(root=sysconfig.get_paths()["stdlib"], archive=archive)

    @classmethod
    def under(cls, root: str) -> Layout:
        """This Python's layout unpacked under `root` (no apt there)."""
        mine = cls.of_this_python()
        return cls(
            root=root + mine.root,
            archive=root + mine.archive,
            apt_hook=None,
            python=os.path.realpath(sys.executable),
            chroot=root,
        )


def archive_entry() -> str | None:
    """The zipped-stdlib entry CPython puts on `sys.path`, whether or not the file exists."""
    return next((entry for entry in sys.path if entry.endswith(".zip")), None)


def _py_files(root: str) -> Iterator[tuple[str, str]]:
    """(path on disk, name relative to `root`) of every .py file outside skipped dirs, sorted."""
    for top, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(top, name)
                yield path, os.path.relpath(path, root).replace(os.sep, "/")


def sources(root: str) -> Iterator[tuple[str, str]]:
    """(path on disk, name in the archive) of every .py file to archive, sorted: regular
    files, and symlinks to them (Debian's `_sysconfigdata__linux_*` alias), which would
    dangle once their targets move; symlinks out of the stdlib (sitecustomize) stay."""
    real_root = os.path.realpath(root)
    for path, arc in _py_files(root):
        if os.path.islink(path):
            target = os.path.realpath(path)
            inside = os.path.relpath(target, real_root).split(os.sep)
            if inside[0] == ".." or any(map(_skipped, inside[:-1])) or not os.path.isfile(target):
                continue
        yield path, arc


def _skipped(directory: str) -> bool:
    return directory in SKIP_DIRS or directory.startswith(SKIP_PREFIXES)


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def bytecode(source: bytes, filename: str) -> bytes:
    """An unchecked hash-based .pyc of `source`, compiled as this interpreter would."""
    code = compile(source, filename, "exec", dont_inherit=True, optimize=0)
    flags = UNCHECKED_HASH.to_bytes(4, "little")
    header = importlib.util.MAGIC_NUMBER + flags + importlib.util.source_hash(source)
    return header + marshal.dumps(code)


def pack(layout: Layout, out: str, mode: str) -> tuple[int, int]:
    """Write the archive to `out`; (sources, compiled). See the module docstring for `mode`."""
    files = compiled = 0
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w", compresslevel=9) as zf:
        for path, arc in sources(layout.root):
            source = _read(path)
            zf.writestr(_entry(arc), source)
            files += 1
            imported = os.path.exists(importlib.util.cache_from_source(path))
            if mode == "all" or (mode == "imported" and (imported or arc in RUNTIME_ONLY)):
                # co_filename as zipimport itself names a module compiled from the archive
                pyc = bytecode(source, f"{layout.archive}/{arc}")
                zf.writestr(_entry(arc[:-3] + ".pyc"), pyc)
                compiled += 1
    os.replace(tmp, out)
    return files, compiled


def install(layout: Layout, archive: str, self_path: str) -> int:
    """Swap the stdlib's sources for `archive` (the builder's); return how many moved."""
    with zipfile.ZipFile(archive) as zf:
        names = {n for n in zf.namelist() if n.endswith(".py")}
        on_disk = {arc: path for path, arc in sources(layout.root)}
        differ = [a for a, p in on_disk.items() if a not in names or _read(p) != zf.read(a)]
        has_bytecode = any(n.endswith(".pyc") for n in zf.namelist())
        differ = sorted(differ) + sorted(names - on_disk.keys())
    if differ:
        shown = ", ".join(differ[:5]) + (" …" if len(differ) > 5 else "")
        raise SystemExit(
            f"stdlib_zip: this Python's standard library differs from the builder's ({shown});"
            " the runtime and builder stages must install the same pinned packages"
        )
    for path in on_disk.values():
        os.unlink(path)
    for top, dirs, _files in os.walk(layout.root):
        if "__pycache__" in dirs:
            shutil.rmtree(os.path.join(top, "__pycache__"))
            dirs.remove("__pycache__")
    shutil.copyfile(archive, layout.archive)
    os.chmod(layout.archive, 0o644)
    if has_bytecode:  # what stays on disk (sitecustomize, imported at every start) too
        for leftover, _arc in _py_files(layout.root):
            shown = leftover.removeprefix(layout.chroot) if layout.chroot else leftover
            py_compile.compile(leftover, dfile=shown, doraise=True)
    if layout.apt_hook is not None:
        with open(layout.apt_hook, "w", encoding="utf-8") as fh:
            fh.write(
                '// gisbox: the stdlib\'s sources are in a zip archive (image.stdlib = "zip"); '
                "when\n// a package update writes them back, go back to plain files (see "
                "stdlib_zip.py).\n"
                f'DPkg::Post-Invoke {{ "if [ -x {layout.python} ] && [ -f {self_path} ]; then '
                f'{layout.python} {self_path} restore; fi"; }};\n'
            )
    chroot = ["chroot", layout.chroot] if layout.chroot else []
    subprocess.run([*chroot, layout.python, "-I", "-B", "-c", PROBE], check=True)
    return len(on_disk)


def shadowed(layout: Layout) -> list[str]:
    """Sources on disk that the archive shadows (written back without apt's hook), sorted."""
    if not os.path.isfile(layout.archive):
        return []
    with zipfile.ZipFile(layout.archive) as zf:
        in_archive = {n for n in zf.namelist() if n.endswith(".py")}
    return [arc for _path, arc in sources(layout.root) if arc in in_archive]


def restore(layout: Layout) -> bool:
    """After a package update wrote sources back: files again, the archive gone. Did it?"""
    if not os.path.exists(layout.archive) or next(sources(layout.root), None) is None:
        return False
    with zipfile.ZipFile(layout.archive) as zf:
        for name in zf.namelist():
            target = os.path.join(layout.root, name)
            if name.endswith(".py") and not os.path.lexists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as fh:
                    fh.write(zf.read(name))
    os.unlink(layout.archive)
    if layout.apt_hook is not None and os.path.exists(layout.apt_hook):
        os.unlink(layout.apt_hook)
    return True


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "pack" and argv[2] in ("imported", "all", "none"):
        files, compiled = pack(Layout.of_this_python(), argv[1], argv[2])
        size = os.path.getsize(argv[1]) / 1e6
        print(f"stdlib_zip: {files} sources, {compiled} compiled, {size:.1f} MB")
        return 0
    if len(argv) == 3 and argv[0] == "install":
        layout = Layout.of_this_python()
        moved = install(layout, argv[1], argv[2])
        print(f"stdlib_zip: {moved} sources now in {layout.archive}")
        return 0
    if len(argv) == 3 and argv[0] == "install-into":
        layout = Layout.under(argv[1].rstrip("/"))
        moved = install(layout, argv[2], "")
        print(f"stdlib_zip: {moved} sources now in {layout.archive}")
        return 0
    if argv == ["restore"]:
        layout = Layout.of_this_python()
        if restore(layout):
            print(
                f"gisbox: a package update rewrote the standard library; {layout.archive}"
                " removed, its sources are plain files again"
            )
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

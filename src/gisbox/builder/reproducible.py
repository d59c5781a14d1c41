"""Make what a build step wrote reproducible: the same inputs give the same bytes.

What a step writes records *when* it ran in three ways, and each is undone here, the way
Docker's official Debian images do it (debuerreotype):

- logs and caches that are nothing but a record of the run (dpkg's and apt's logs,
  ldconfig's aux-cache, which holds inode numbers and ctimes) are removed;
- /etc/shadow's "last password change" day is clamped to the epoch's day;
- every file, directory and link whose mtime is newer than the epoch gets the epoch
  (clamped, not set: what a .deb unpacked keeps the package's own dates). The atime is
  never a reason to touch an entry: reading a lower layer's file updates it, and touching
  that file would copy it up into the step's layer.

The epoch is SOURCE_DATE_EPOCH, which gisbox takes from the lock. Mounted file systems
(/proc, /sys, /dev, BuildKit's cache, secret and bind mounts, read from
/proc/self/mountinfo) are never walked or touched. Standard library only: the builder and
runtime stages run it as `python3 reproducible.py EPOCH [ROOT ...]` (with `--set`, every
entry gets the epoch: the project's files, whose dates are only the checkout's); `gisbox base`
imports it for the debootstrapped root it archives.
"""

from __future__ import annotations

import os
import stat
import sys

# Removed wherever they are found: each only records a run (path relative to the root).
VOLATILE = (
    "var/log/dpkg.log",
    "var/log/bootstrap.log",
    "var/log/alternatives.log",
    "var/log/apt/history.log",
    "var/log/apt/term.log",
    "var/log/apt/eipp.log.xz",
    "var/cache/ldconfig/aux-cache",
    "run/mount/utab",
)
SHADOW = ("etc/shadow", "etc/shadow-")
SKIP = ("/proc", "/sys", "/dev")


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as \\ooo."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mount_points(mountinfo: str = "/proc/self/mountinfo") -> set[str]:
    """Every mount point of this process's namespace ("/" included); none without /proc."""
    try:
        with open(mountinfo, encoding="utf-8") as fh:
            return {_unescape(line.split()[4]) for line in fh if len(line.split()) > 4}
    except OSError:
        return set()


def remove_volatile(root: str) -> list[str]:
    """Delete the run records under `root`; the paths removed."""
    removed = []
    for rel in VOLATILE:
        path = os.path.join(root, rel)
        if os.path.lexists(path) and not os.path.isdir(path):
            os.unlink(path)
            removed.append(path)
    return removed


def clamp_shadow(root: str, epoch: int) -> None:
    """Clamp field 3 (days since 1970 of the last password change) to the epoch's day."""
    day = epoch // 86400
    for rel in SHADOW:
        path = os.path.join(root, rel)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines(keepends=True)
        changed = []
        for line in lines:
            fields = line.rstrip("\n").split(":")
            if len(fields) > 2 and fields[2].isdigit() and int(fields[2]) > day:
                fields[2] = str(day)
                line = ":".join(fields) + ("\n" if line.endswith("\n") else "")
            changed.append(line)
        if changed != lines:
            st = os.stat(path)
            with open(path, "w", encoding="utf-8") as fh:  # in place: keeps owner and mode
                fh.writelines(changed)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def clamp_mtimes(
    root: str, epoch: int, mounts: set[str] | None = None, *, exact: bool = False
) -> int:
    """Give every entry under `root` newer than `epoch` (every entry, `exact`) the epoch;
    how many were changed. Mount points other than `root` are neither walked nor touched."""
    mounts = mount_points() if mounts is None else mounts
    skip = (mounts | set(SKIP)) - {root} if root == "/" else mounts - {root}
    limit = epoch * 1_000_000_000
    changed = 0

    def clamp(path: str, st: os.stat_result) -> None:
        # Only the mtime decides: layers carry no atime, and a lower layer's file that
        # was merely read (relatime) has a new atime; touching it would copy it up into
        # this step's layer (a 300 MB app layer after the image had been run once).
        nonlocal changed
        if st.st_mtime_ns > limit or (exact and st.st_mtime_ns != limit):
            os.utime(path, ns=(limit, limit), follow_symlinks=False)
            changed += 1

    stack = [root]
    while stack:
        top = stack.pop()
        with os.scandir(top) as entries:
            for entry in entries:
                if entry.path in skip:
                    continue
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode):
                    stack.append(entry.path)
                clamp(entry.path, st)
    clamp(root, os.stat(root, follow_symlinks=False))
    return changed


def normalise(root: str, epoch: int) -> int:
    """Remove run records, clamp shadow and mtimes under `root`; entries clamped."""
    remove_volatile(root)
    clamp_shadow(root, epoch)
    return clamp_mtimes(root, epoch)


def main(argv: list[str]) -> int:
    exact = argv[:1] == ["--set"]
    argv = argv[1:] if exact else argv
    if not argv or not argv[0].isdigit():
        print("usage: reproducible.py [--set] SOURCE_DATE_EPOCH [ROOT ...]", file=sys.stderr)
        return 2
    epoch = int(argv[0])
    for root in argv[1:] or ["/"]:
        if exact:  # files from the build context: their dates are the checkout's
            clamp_mtimes(os.path.abspath(root), epoch, exact=True)
        else:
            normalise(os.path.abspath(root), epoch)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A root filesystem's package closure, walked from its roots the way a program needs it.

The probe prints apt's closure of an install into an empty system (`rootfs` lines), the
roots (`rootfs-root`) and each package's Depends/Pre-Depends (`depends`). `needed` keeps
what the roots reach without passing through the tools only maintainer scripts and
packaging use (apt's own resolution pulls those in as pre-dependencies): a runtime that
unpacks packages instead of installing them (distroless) needs none of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# What maintainer scripts and packaging use, never the program.
SCRIPT_ONLY = frozenset({
    "debconf", "dpkg", "tar", "mawk", "gawk", "perl-base", "debianutils", "coreutils",
    "bash", "dash", "sed", "grep", "findutils", "diffutils", "util-linux",
    "sysvinit-utils", "init-system-helpers", "login", "passwd", "adduser", "ucf",
})  # fmt: skip


def needed(
    roots: Sequence[str], closure: Sequence[str], depends: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """The pins of `closure` reachable from `roots` by Depends/Pre-Depends without passing
    through SCRIPT_ONLY; of alternatives (a | b) the first in the closure. Closure order."""
    by_name = {spec.partition("=")[0]: spec for spec in closure}
    seen: set[str] = set()
    todo = [r for r in roots if r in by_name]
    while todo:
        name = todo.pop()
        if name in seen or name in SCRIPT_ONLY:
            continue
        seen.add(name)
        for field in depends.get(name, ()):
            for group in field.split(","):
                for alternative in group.split("|"):
                    dep = alternative.split("(")[0].split(":")[0].strip()
                    if dep in by_name:
                        todo.append(dep)
                        break
    return tuple(spec for spec in closure if spec.partition("=")[0] in seen)

"""Read the base image's own package index: the OS packages each stage installs.

A throwaway container of the base runs `apt-get update` and simulated installs; every
package of each closure is recorded at its exact version with the sha256 of its .deb,
so a rebuild installs the same bytes or fails loudly. What gets installed beyond Python
comes from the plug-ins' `ProbeStep`s (the family's preparation first, then the
strategy's), plus the spec's `os_packages` and the builder's own tools.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

from gisbox.engines.base import ContainerEngine, RunOptions
from gisbox.locking.closure import needed
from gisbox.plugins.api import BaseFacts, ProbeStep
from gisbox.project.lockfile import OsPackage, Stage
from gisbox.render.templating import render_string, render_template
from gisbox.runtime.errors import LockError

# Every builder: binutils provides `strip`.
BUILDER_TOOLS = ProbeStep(builder=("binutils",))


@dataclass(frozen=True, kw_only=True)
class ProbeContext:
    """What probe.sh.j2 uses."""

    python: str  # shell-quoted: "base" or "3.11"
    os_packages: str  # shell-quoted, space-separated
    steps: tuple[ProbeStep, ...]


def probe_script(python: str, os_packages: Sequence[str], steps: Sequence[ProbeStep]) -> str:
    """The shell the probe container runs: find Python, run the steps, print closures."""
    ctx = ProbeContext(
        python=shlex.quote(python),
        os_packages=shlex.quote(" ".join(os_packages)),
        steps=(*steps, BUILDER_TOOLS),
    )
    return render_template("probe.sh.j2", ctx)


def probe_base(
    engine: ContainerEngine,
    base: str,
    platform: str,
    python: str,
    *,
    os_packages: Sequence[str],
    steps: Sequence[ProbeStep],
) -> BaseFacts:
    """Run the probe in the base image and parse what it prints."""
    script = probe_script(python, os_packages, steps)
    res = engine.run(base, ["sh", "-c", script], options=RunOptions(platform=platform), timeout=900)
    if res.returncode != 0:
        raise LockError(
            f"could not read the package index of {base}: {res.stderr.strip()[-800:]}",
            hint="check that the base's apt mirror is reachable from containers",
        )
    return parse_probe(res.stdout, base)


CROSS_PROBE = """set -eu
export DEBIAN_FRONTEND=noninteractive
dpkg --add-architecture {{ arch }}
apt-get update -qq >/dev/null
{% include "apt_closure.sh.j2" %}{{ shell }}
"""


def cross_probe_script(target_arch: str, shell: str) -> str:
    """The shell `probe_cross` runs: `target_arch` added to dpkg, `closure` in scope."""
    return render_string(CROSS_PROBE, None, arch=target_arch, shell=shell)


def probe_cross(
    engine: ContainerEngine, base: str, platform: str, target_arch: str, shell: str
) -> tuple[str, ...]:
    """What a stage of `base` (the machine's own platform) installs to cross-compile for
    `target_arch`: the `cross PIN` lines `shell` prints (`closure` in scope), each
    name[:arch]=version."""
    script = cross_probe_script(target_arch, shell)
    res = engine.run(base, ["sh", "-c", script], options=RunOptions(platform=platform), timeout=900)
    pins = tuple(sorted(line.split(" ", 1)[1] for line in res.stdout.splitlines()
                        if line.startswith("cross ")))  # fmt: skip
    if res.returncode != 0 or not pins:
        raise LockError(
            f"could not resolve the packages that cross-compile for {target_arch} in {base} "
            f"({platform}): {res.stderr.strip()[-800:]}",
            hint="check that the base's apt mirror serves that architecture, or set "
            "[stack] cross = false to compile in an emulated container instead",
        )
    return pins


@dataclass(kw_only=True)
class ProbeLines:
    """What the probe printed, line kind by line kind."""

    facts: dict[str, str] = field(default_factory=dict)  # os, glibc, python
    stages: dict[str, Stage] = field(default_factory=dict)  # pin -> its stage
    debs: dict[str, tuple[str, str]] = field(default_factory=dict)  # pin -> (arch, sha256)
    libs: dict[str, str] = field(default_factory=dict)
    rootfs: list[str] = field(default_factory=list)
    rootfs_roots: list[str] = field(default_factory=list)
    depends: dict[str, list[str]] = field(default_factory=dict)
    scripts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stack: list[str] = field(default_factory=list)
    base: list[str] = field(default_factory=list)

    def read(self, kind: str, rest: str, base: str) -> None:
        if kind in ("os", "glibc", "python"):
            self.facts[kind] = rest
        elif kind == "nopython":
            raise LockError(
                f"{base} offers no Python {rest} package (python{rest})",
                hint='set image.python = "base" to use the base image\'s Python',
            )
        elif kind == "runtime":
            self.stages[rest] = "runtime"
        elif kind == "builder":
            self.stages.setdefault(rest, "builder")
        elif kind == "keys":
            self.stages.setdefault(rest, "keys")
        elif kind == "rootfs":
            self.rootfs.append(rest)
        elif kind == "stack":
            self.stack.append(rest)
        elif kind == "base":
            self.base.append(rest)
        elif kind == "rootfs-root":
            self.rootfs_roots.append(rest)
        elif kind == "depends":
            name, _, value = rest.partition(" ")
            self.depends.setdefault(name, []).append(value)
        elif kind == "scripts":
            name, *names = rest.split()
            self.scripts[name] = tuple(names)
        elif kind == "lib":
            name, _, version = rest.partition(" ")
            if version:
                self.libs[name] = version
        elif kind == "deb":
            spec, arch, sha = rest.split()
            self.debs[spec] = (arch, sha)


def parse_probe(text: str, base: str) -> BaseFacts:
    lines = ProbeLines()
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        lines.read(kind, rest, base)
    missing = {"os", "glibc", "python"} - lines.facts.keys()
    if missing or not lines.stages:
        raise LockError(
            f"unexpected output probing {base}: {text[-500:]}",
            hint="check that the base is a Debian or Ubuntu image with apt",
        )
    rootfs = list(needed(lines.rootfs_roots, lines.rootfs, lines.depends))
    kept = {spec.partition("=")[0] for spec in rootfs}
    for spec in rootfs:
        lines.stages.setdefault(spec, "rootfs")
    minor, full_deb = lines.facts["python"].split()
    m = re.match(r"(\d+\.\d+\.\d+)", full_deb)
    return BaseFacts(
        os=lines.facts["os"],
        glibc=lines.facts["glibc"],
        python=minor,
        python_full=m.group(1) if m else minor,
        packages=tuple(os_packages(lines, base)),
        libs=lines.libs,
        rootfs=tuple(rootfs),
        stack=tuple(lines.stack),
        base_packages=tuple(sorted(lines.base)),
        scripts={name: s for name, s in lines.scripts.items() if name in kept},
    )


def os_packages(lines: ProbeLines, base: str) -> list[OsPackage]:
    """Every pinned package of every stage, with its .deb's sha256."""
    packages = []
    for spec, stage in lines.stages.items():
        name, _, version = spec.partition("=")
        arch, sha = lines.debs.get(spec, ("", ""))
        if not sha:
            raise LockError(
                f"no sha256 for {spec} in {base}'s package index",
                hint="run `gisbox lock` again; the mirror may have been updating",
            )
        packages.append(OsPackage(name=name, version=version, arch=arch, sha256=sha, stage=stage))
    return packages

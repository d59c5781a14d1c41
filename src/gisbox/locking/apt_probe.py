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
from dataclasses import dataclass

from gisbox.engines.base import ContainerEngine, RunOptions
from gisbox.locking.closure import needed
from gisbox.plugins.api import BaseFacts, ProbeStep
from gisbox.project.lockfile import OsPackage, Stage
from gisbox.render.templating import render_template
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


def parse_probe(text: str, base: str) -> BaseFacts:
    facts: dict[str, str] = {}
    stages: dict[str, Stage] = {}
    debs: dict[str, tuple[str, str]] = {}
    libs: dict[str, str] = {}
    rootfs: list[str] = []
    rootfs_roots: list[str] = []
    depends: dict[str, list[str]] = {}
    scripts: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        if kind in ("os", "glibc", "python"):
            facts[kind] = rest
        elif kind == "nopython":
            raise LockError(
                f"{base} offers no Python {rest} package (python{rest})",
                hint='set image.python = "base" to use the base image\'s Python',
            )
        elif kind == "runtime":
            stages[rest] = "runtime"
        elif kind == "builder":
            stages.setdefault(rest, "builder")
        elif kind == "keys":
            stages.setdefault(rest, "keys")
        elif kind == "rootfs":
            rootfs.append(rest)
        elif kind == "rootfs-root":
            rootfs_roots.append(rest)
        elif kind == "depends":
            name, _, field = rest.partition(" ")
            depends.setdefault(name, []).append(field)
        elif kind == "scripts":
            name, *names = rest.split()
            scripts[name] = tuple(names)
        elif kind == "lib":
            name, _, version = rest.partition(" ")
            if version:
                libs[name] = version
        elif kind == "deb":
            spec, arch, sha = rest.split()
            debs[spec] = (arch, sha)
    missing = {"os", "glibc", "python"} - facts.keys()
    if missing or not stages:
        raise LockError(
            f"unexpected output probing {base}: {text[-500:]}",
            hint="check that the base is a Debian or Ubuntu image with apt",
        )
    rootfs = list(needed(rootfs_roots, rootfs, depends))
    kept = {spec.partition("=")[0] for spec in rootfs}
    scripts = {name: s for name, s in scripts.items() if name in kept}
    for spec in rootfs:
        stages.setdefault(spec, "rootfs")
    minor, full_deb = facts["python"].split()
    m = re.match(r"(\d+\.\d+\.\d+)", full_deb)
    packages = []
    for spec, stage in stages.items():
        name, _, version = spec.partition("=")
        arch, sha = debs.get(spec, ("", ""))
        if not sha:
            raise LockError(
                f"no sha256 for {spec} in {base}'s package index",
                hint="run `gisbox lock` again; the mirror may have been updating",
            )
        packages.append(OsPackage(name=name, version=version, arch=arch, sha256=sha, stage=stage))
    return BaseFacts(
        os=facts["os"],
        glibc=facts["glibc"],
        python=minor,
        python_full=m.group(1) if m else minor,
        packages=tuple(packages),
        libs=libs,
        rootfs=tuple(rootfs),
        scripts=scripts,
    )

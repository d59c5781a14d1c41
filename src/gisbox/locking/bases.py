"""The base image a lock and a build start from: present in the engine, else pulled, else
copied from the other engine, else made.

A base for a platform other than the host's lives under its own local name
(`gisbox.project.platforms.platform_base`). When no registry gives it and the other
engine (Docker for Podman, Podman for Docker) does not hold it either, a Debian base is
made from the mirror with debootstrap (`gisbox.locking.debootstrap`, what `gisbox base`
runs), unless the caller says not to (`--no-make-base`: CI that wants to be told).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from gisbox.engines.base import ContainerEngine
from gisbox.progress import SILENT, Progress
from gisbox.project.platforms import host_platform, platform_base
from gisbox.runtime.errors import EngineError, GisboxError


def ensure_base(
    engine: ContainerEngine,
    reference: str,
    platform: str | None = None,
    *,
    make: bool = True,
    progress: Progress = SILENT,
) -> str:
    """The local name of `reference` for `platform`: present, pulled, copied from the
    other engine, or (with `make`) made from a Debian mirror."""
    platform = platform or host_platform()
    local = platform_base(reference, platform)
    if engine.exists(local):
        return local
    error = engine.pull(reference, platform)
    if error is None:
        if local != reference:  # the pull moved `reference` to this platform: move it back
            engine.tag(reference, local)
            engine.pull(reference, host_platform())
        return local
    if copy_from_other_engine(engine, local, progress):
        return local
    make_hint = f"run `gisbox base --engine {engine.name} --platform {platform}`"
    suite = debootstrap_suite(reference)
    if make and suite is not None:
        from gisbox.locking.debootstrap import make_base

        progress.on_step(
            f"making the base {local} ({platform}) from a Debian mirror with debootstrap "
            f"({suite}; a few minutes, once; --no-make-base refuses instead)"
        )
        make_base(engine, reference, platform=platform, on_line=progress.on_line)
        return local
    raise EngineError(
        f"the base image {reference} for {platform} is not present in {engine.name} (as "
        f"{local}) and cannot be pulled ({error})",
        hint=(
            f"{make_hint} to make it from a Debian mirror, or drop --no-make-base"
            if suite is not None
            else f"pull or load {reference} into {engine.name}"
        ),
    )


def debootstrap_suite(reference: str) -> str | None:
    """The Debian suite `gisbox base` makes `reference` from, or None when it cannot."""
    from gisbox.plugins.registry import family_for

    return family_for(reference).debootstrap_suite(reference)


def copy_from_other_engine(engine: ContainerEngine, local: str, progress: Progress) -> bool:
    """Copy `local` from another engine that holds it (`save` | `load`: the same id and
    layers); whether it did."""
    from gisbox.engines.registry import engine_kinds

    for kind in engine_kinds().values():
        if kind.name == engine.name:
            continue
        try:
            other = kind.detect()
            if not other.exists(local):
                continue
        except GisboxError:  # not installed or not running here
            continue
        progress.on_step(f"copying the base {local} from {other.name} into {engine.name}")
        with tempfile.TemporaryDirectory(prefix="gisbox-base-copy-") as tmp:
            archive = Path(tmp) / "base.tar"
            other.save(local, archive)
            engine.load(archive)
        return True
    return False


def package_differences(
    engine: ContainerEngine, local: str, platform: str, pinned: tuple[str, ...]
) -> str:
    """What the base `local`'s own packages differ in from `pinned` (name=version, what
    the lock recorded of its base): "" when the same or unknown."""
    from gisbox.engines.base import RunOptions

    if not pinned:  # a lock made before gisbox recorded them
        return ""
    res = engine.run(
        local, ["dpkg-query", "-W", "-f", "${Package}=${Version}\\n"],
        options=RunOptions(platform=platform), timeout=120,
    )  # fmt: skip
    if res.returncode != 0:
        return ""
    have = dict(line.split("=", 1) for line in res.stdout.split() if "=" in line)
    want = dict(pin.split("=", 1) for pin in pinned)
    said = [
        f"{n} {have[n]} (the lock's {want[n]})" for n in sorted(have.keys() & want.keys())
        if have[n] != want[n]
    ]  # fmt: skip
    said += [f"{n} {have[n]} (not in the lock's base)" for n in sorted(have.keys() - want.keys())]
    said += [f"no {n} (the lock's base has {want[n]})" for n in sorted(want.keys() - have.keys())]
    more = f", and {len(said) - 8} more" if len(said) > 8 else ""
    return "; ".join(said[:8]) + more

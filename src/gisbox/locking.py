"""`gisbox lock`: resolve a spec into a lock for the image's platform.

Steps: make sure the base is there -> probe its package index with the family's and
strategy's probe steps (OS packages of each stage, Python, glibc, the OS's GIS
libraries) -> the strategy's plan (the bounds it adds) -> resolve with the index for the
target (binary wheels only) -> the strategy completes it (sources to compile) -> pin the
uv wheel. Further platforms (`image.platforms`) are probed in their own bases and resolved
with the first platform's versions pinned; their wheels, OS packages and uv wheel join the
one lock. The engine and the index are parameters, so tests pass fakes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace

from gisbox import __version__, distroless
from gisbox.apt_probe import probe_base
from gisbox.debootstrap_base import ensure_base
from gisbox.engines import ContainerEngine
from gisbox.lockfile import Lock, PythonPackage, Target
from gisbox.plugin_api import BaseFacts, Family, Strategy
from gisbox.plugins import family_for, strategy_named
from gisbox.pyindex import PythonIndex, UvIndex, python_platform
from gisbox.runtime.errors import LockError
from gisbox.spec import LOCK_FORMAT, Spec

IndexFactory = Callable[[Target, Spec], PythonIndex]


def uv_index(target: Target, spec: Spec) -> PythonIndex:
    return UvIndex(
        python_version=target.python_full,
        uv_platform=target.python_platform,
        index_url=spec.python.index_url,
        extra_index_urls=spec.python.extra_index_urls,
    )


def _probe(
    spec: Spec,
    engine: ContainerEngine,
    platform: str,
    strategy: Strategy,
    family: Family,
    progress: Callable[[str], None],
) -> tuple[BaseFacts, Target]:
    """Probe the base for `platform`: its facts and the lock's target."""
    image = spec.image
    distroless_runtime = image.runtime == "distroless"
    local = ensure_base(engine, image.base, platform)
    progress(f"reading the package index of {local} ({platform}, {family.name} family)")
    facts = probe_base(
        engine,
        local,
        platform,
        image.python,
        os_packages=spec.os_packages(),
        steps=[
            *family.prepare(strategy),
            *strategy.probe_steps(family),
            *([distroless.PROBE] if distroless_runtime else []),
        ],
    )
    if distroless_runtime:
        distroless.refuse_scripts(facts.scripts, spec.os_packages())
    info = engine.inspect(local)
    target = Target(
        base=image.base,
        base_id=info.id,
        base_layers=info.layers,
        platform=platform,
        os=facts.os,
        glibc=facts.glibc,
        python=facts.python,
        python_full=facts.python_full,
        python_platform=python_platform(platform, facts.glibc),
    )
    return facts, target


def merge_wheels(
    primary: list[PythonPackage], other: list[PythonPackage], platform: str, skip: set[str]
) -> list[PythonPackage]:
    """One package list for every platform: each package with the wheels of both (the
    other platform was resolved with the primary's versions pinned)."""
    by_name = {p.name: p for p in other}
    extra = sorted(set(by_name) - {p.name for p in primary} - skip)
    if extra:
        raise LockError(
            f"{platform} needs packages the first platform does not ({', '.join(extra)}); "
            "gisbox locks one package set for all platforms",
            hint="lock those platforms separately (one spec per platform)",
        )
    merged = []
    for p in primary:
        more = by_name.get(p.name)
        wheels = p.wheels + tuple(w for w in (more.wheels if more else ()) if w not in p.wheels)
        merged.append(replace(p, wheels=wheels))
    return merged


def resolve_lock(
    spec: Spec,
    engine: ContainerEngine,
    progress: Callable[[str], None] = lambda _m: None,
    index_for: IndexFactory = uv_index,
) -> Lock:
    """Resolve the spec into a lock (the engine runs the probe in the base)."""
    image = spec.image
    strategy = strategy_named(image.strategy)
    family = family_for(image.base)
    first, *others = image.targets
    facts, target = _probe(spec, engine, first, strategy, family, progress)
    index = index_for(target, spec)
    plan = strategy.plan(spec.python.packages, facts, image.base)
    if plan.os_libraries:
        progress(
            "OS libraries: " + ", ".join(f"{k.upper()} {v}" for k, v in plan.os_libraries.items())
        )
    for cap, why in plan.caps.items():
        progress(f"{cap}: {why}")
    progress(
        f"resolving {len(plan.requirements)} requirements for {target.python_platform}, "
        f"Python {target.python_full}"
    )
    packages, sources = strategy.complete(
        plan, index.compile(list(plan.requirements)), index, progress
    )
    progress("pinning the uv wheel the builder stage uses")
    uv = index.uv_pin()
    os_packages = list(facts.packages)
    rootfs = list(facts.rootfs)
    more_targets: list[Target] = []
    for platform in others:
        other_facts, other = _probe(spec, engine, platform, strategy, family, progress)
        if other.python_full != target.python_full:
            raise LockError(
                f"{image.base} has Python {target.python_full} for {first} but "
                f"{other.python_full} for {platform}",
                hint="make both platforms' bases from the same mirror (`gisbox base`)",
            )
        pinned = [f"{p.name}=={p.version}" for p in packages]
        progress(f"resolving the same versions for {other.python_platform}")
        other_index = index_for(other, spec)
        try:
            resolved = other_index.compile([*plan.requirements, *pinned])
        except LockError as exc:
            raise LockError(
                f"{platform}: the versions locked for {first} have no wheel for "
                f"{other.python_platform}: {exc.message}",
                hint=f"pin a version of the package named above that publishes {platform} "
                "wheels, or drop the platform",
            ) from None
        packages = merge_wheels(packages, resolved, platform, {s.name for s in sources})
        uv = merge_wheels([uv], [other_index.uv_pin()], platform, set())[0]
        os_packages += [p for p in other_facts.packages if p not in os_packages]
        rootfs += [pin for pin in other_facts.rootfs if pin not in rootfs]
        more_targets.append(other)
    return Lock(
        format=LOCK_FORMAT,
        input_digest=spec.input_digest(),
        gisbox_version=__version__,
        target=target,
        other_targets=tuple(more_targets),
        packages=tuple(packages),
        uv=uv,
        os_packages=tuple(os_packages),
        sources=tuple(sources),
        os_libraries=plan.os_libraries,
        caps=plan.caps,
        rootfs=tuple(rootfs) if image.runtime == "distroless" else (),
        source_date_epoch=lock_epoch(),
    )


def lock_epoch() -> int:
    """A new lock's date: SOURCE_DATE_EPOCH when the caller sets one, else now."""
    given = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(given) if given.isdigit() else int(time.time())

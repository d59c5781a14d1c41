"""`gisbox lock`: resolve a spec into a lock for the image's platforms.

Steps: make sure the base is there -> probe its package index with the family's,
strategy's and runtime's probe steps (OS packages of each stage, Python, glibc, the OS's
GIS libraries, a distroless root's closure) -> the strategy's plan (the bounds it adds)
-> resolve with the index for the target (binary wheels only) -> the strategy completes
it (sources to compile) -> pin the uv wheel. Further platforms (`image.platforms`) are
probed in their own bases and resolved with the first platform's versions pinned; their
wheels, OS packages and uv wheel join the one lock. The engine and the index are
parameters, so tests pass fakes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from gisbox import __version__
from gisbox.engines.base import ContainerEngine
from gisbox.locking.apt_probe import probe_base, probe_cross
from gisbox.locking.bases import ensure_base
from gisbox.locking.pyindex import PythonIndex, UvIndex, python_platform
from gisbox.plugins.api import BaseFacts, Family, Plan, Runtime, Strategy
from gisbox.plugins.registry import family_for, runtime_named, strategy_named
from gisbox.progress import Progress
from gisbox.project.lockfile import Lock, OsPackage, PythonPackage, SourcePackage, Target
from gisbox.project.platforms import PLATFORMS, host_platform
from gisbox.project.spec import LOCK_FORMAT, Spec
from gisbox.runtime.errors import LockError

IndexFactory = Callable[[Target, Spec], PythonIndex]


def uv_index(target: Target, spec: Spec) -> PythonIndex:
    return UvIndex(
        python_version=target.python_full,
        uv_platform=target.python_platform,
        index_url=spec.python.index_url,
        extra_index_urls=spec.python.extra_index_urls,
    )


@dataclass(frozen=True, kw_only=True)
class Plugins:
    """The spec's plug-ins, looked up once."""

    strategy: Strategy
    family: Family
    runtime: Runtime

    @classmethod
    def of(cls, spec: Spec) -> Plugins:
        return cls(
            strategy=strategy_named(spec.image.strategy),
            family=family_for(spec.image.base),
            runtime=runtime_named(spec.image.runtime),
        )


def probe(
    spec: Spec, engine: ContainerEngine, platform: str, plugins: Plugins,
    progress: Callable[[str], None], make_base: bool = True,
) -> tuple[BaseFacts, Target]:  # fmt: skip
    """Probe the base for `platform`: its facts and the lock's target."""
    image = spec.image
    local = ensure_base(
        engine, image.base, platform, make=make_base, progress=Progress(on_step=progress)
    )
    progress(f"reading the package index of {local} ({platform}, {plugins.family.name} family)")
    facts = probe_base(
        engine,
        local,
        platform,
        image.python,
        os_packages=spec.os_packages(),
        steps=[
            *plugins.family.prepare(plugins.strategy),
            *plugins.strategy.probe_steps(plugins.family, spec),
            *plugins.runtime.probe_steps(),
        ],
    )
    plugins.runtime.accept(facts, spec)
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
        stack=facts.stack,
        base_packages=facts.base_packages,
    )
    return facts, probe_cross_compile(spec, engine, target, plugins, progress, make_base)


def probe_cross_compile(
    spec: Spec, engine: ContainerEngine, target: Target, plugins: Plugins,
    progress: Callable[[str], None], make_base: bool,
) -> Target:  # fmt: skip
    """`target` with what cross-compiles its stack image on this machine's platform, when
    it is another platform and the strategy compiles a stack the family can cross-compile
    (`[stack] cross`); else `target` as it is."""
    host = host_platform()
    wanted = PLATFORMS[target.platform]
    shell = None
    if target.platform != host:
        shell = plugins.strategy.cross_probe(plugins.family, spec, wanted)
    if shell is None:
        return target
    local = ensure_base(
        engine, spec.image.base, host, make=make_base, progress=Progress(on_step=progress)
    )
    progress(f"resolving what cross-compiles the stack for {target.platform} on {host} ({local})")
    pins = probe_cross(engine, local, host, wanted.arch, shell)
    crossed = replace(
        target, cross_from=host, cross_base_layers=engine.inspect(local).layers, cross=pins
    )
    check_cross_versions(crossed)
    return crossed


def check_cross_versions(target: Target) -> None:
    """The -dev packages the cross stage installs for the target's architecture are the
    versions its own stack pins (the runtime's libraries then match what GDAL was
    compiled against); one mirror state gives both, a mirror updating between the two
    probes does not."""
    suffix = f":{PLATFORMS[target.platform].arch}"
    native = dict(pin.split("=", 1) for pin in target.stack)
    crossed = {
        name.removesuffix(suffix): version
        for name, _, version in (pin.partition("=") for pin in target.cross)
        if name.endswith(suffix)
    }
    differ = [
        f"{name}{suffix} {version} (its own stack: {native[name]})"
        for name, version in sorted(crossed.items())
        if native.get(name, version) != version
    ]
    if differ:
        raise LockError(
            f"the cross-compiling stage for {target.platform} would install other versions "
            f"than its own stack pins: {', '.join(differ[:5])}",
            hint="run `gisbox lock` again (the mirror was updating), or set [stack] cross = false",
        )


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


@dataclass(frozen=True, kw_only=True)
class Resolved:
    """What the lock holds, gathered platform by platform."""

    targets: tuple[Target, ...]
    packages: list[PythonPackage]
    sources: list[SourcePackage]
    uv: PythonPackage
    os_packages: list[OsPackage]
    rootfs: list[str]


def resolve_lock(
    spec: Spec,
    engine: ContainerEngine,
    progress: Callable[[str], None] = lambda _m: None,
    index_for: IndexFactory = uv_index,
    *,
    make_base: bool = True,
) -> Lock:
    """Resolve the spec into a lock (the engine runs the probe in the base, made when
    missing unless not `make_base`)."""
    plugins = Plugins.of(spec)
    first, *others = spec.image.targets
    facts, target = probe(spec, engine, first, plugins, progress, make_base)
    index = index_for(target, spec)
    plan = plugins.strategy.plan(spec, facts)
    say_plan(plan, progress)
    progress(
        f"resolving {len(plan.requirements)} requirements for {target.python_platform}, "
        f"Python {target.python_full}"
    )
    packages, sources = plugins.strategy.complete(
        plan, index.compile(list(plan.requirements)), index, progress
    )
    progress("pinning the uv wheel the builder stage uses")
    resolved = Resolved(
        targets=(target,), packages=packages, sources=sources, uv=index.uv_pin(),
        os_packages=list(facts.packages), rootfs=list(facts.rootfs),
    )  # fmt: skip
    for platform in others:
        probed = probe(spec, engine, platform, plugins, progress, make_base)
        resolved = add_platform(spec, probed, plan, resolved, progress, index_for)
    return Lock(
        format=LOCK_FORMAT,
        input_digest=spec.input_digest(),
        gisbox_version=__version__,
        target=resolved.targets[0],
        other_targets=resolved.targets[1:],
        packages=tuple(resolved.packages),
        uv=resolved.uv,
        os_packages=tuple(resolved.os_packages),
        sources=tuple(resolved.sources),
        os_libraries=plan.os_libraries,
        caps=plan.caps,
        rootfs=tuple(resolved.rootfs),
        upstream_sources=plan.upstream,
        source_date_epoch=lock_epoch(),
    )


def say_plan(plan: Plan, progress: Callable[[str], None]) -> None:
    if plan.os_libraries:
        progress(
            "OS libraries: " + ", ".join(f"{k.upper()} {v}" for k, v in plan.os_libraries.items())
        )
    for cap, why in plan.caps.items():
        progress(f"{cap}: {why}")


def add_platform(
    spec: Spec,
    probed: tuple[BaseFacts, Target],
    plan: Plan,
    resolved: Resolved,
    progress: Callable[[str], None],
    index_for: IndexFactory,
) -> Resolved:
    """`resolved` with one more platform (`probed`: its own base's facts and target), the
    first platform's versions resolved again for it."""
    first = resolved.targets[0]
    facts, other = probed
    platform = other.platform
    if other.python_full != first.python_full:
        raise LockError(
            f"{spec.image.base} has Python {first.python_full} for {first.platform} but "
            f"{other.python_full} for {platform}",
            hint="make both platforms' bases from the same mirror (`gisbox base`)",
        )
    pinned = [f"{p.name}=={p.version}" for p in resolved.packages]
    progress(f"resolving the same versions for {other.python_platform}")
    other_index = index_for(other, spec)
    try:
        found = other_index.compile([*plan.requirements, *pinned])
    except LockError as exc:
        raise LockError(
            f"{platform}: the versions locked for {first.platform} have no wheel for "
            f"{other.python_platform}: {exc.message}",
            hint=f"pin a version of the package named above that publishes {platform} "
            "wheels, or drop the platform",
        ) from None
    skip = {s.name for s in resolved.sources}
    return replace(
        resolved,
        targets=(*resolved.targets, other),
        packages=merge_wheels(resolved.packages, found, platform, skip),
        uv=merge_wheels([resolved.uv], [other_index.uv_pin()], platform, set())[0],
        os_packages=resolved.os_packages
        + [p for p in facts.packages if p not in resolved.os_packages],
        rootfs=resolved.rootfs + [pin for pin in facts.rootfs if pin not in resolved.rootfs],
    )


def lock_epoch() -> int:
    """A new lock's date: SOURCE_DATE_EPOCH when the caller sets one, else now."""
    given = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(given) if given.isdigit() else int(time.time())

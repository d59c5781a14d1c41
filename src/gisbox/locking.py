"""`gisbox lock`: resolve a spec into a lock for the image's platform.

Steps: make sure the base is there -> probe its package index with the family's and
strategy's probe steps (OS packages of each stage, Python, glibc, the OS's GIS
libraries) -> the strategy's plan (the bounds it adds) -> resolve with the index for the
target (binary wheels only) -> the strategy completes it (sources to compile) -> pin the
uv wheel. The engine and the index are parameters, so tests pass fakes.
"""

from __future__ import annotations

from collections.abc import Callable

from gisbox import __version__, distroless
from gisbox.apt_probe import probe_base
from gisbox.debootstrap_base import ensure_base
from gisbox.engines import ContainerEngine
from gisbox.lockfile import Lock, Target
from gisbox.plugins import family_for, strategy_named
from gisbox.pyindex import PythonIndex, UvIndex, python_platform
from gisbox.spec import LOCK_FORMAT, Spec

IndexFactory = Callable[[Target, Spec], PythonIndex]


def uv_index(target: Target, spec: Spec) -> PythonIndex:
    return UvIndex(
        python_version=target.python_full,
        uv_platform=target.python_platform,
        index_url=spec.python.index_url,
        extra_index_urls=spec.python.extra_index_urls,
    )


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
    distroless_runtime = image.runtime == "distroless"
    ensure_base(engine, image.base)
    progress(f"reading the package index of {image.base} ({family.name} family)")
    facts = probe_base(
        engine,
        image.base,
        image.platform,
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
    target = Target(
        base=image.base,
        base_id=engine.inspect(image.base).id,
        platform=image.platform,
        os=facts.os,
        glibc=facts.glibc,
        python=facts.python,
        python_full=facts.python_full,
        python_platform=python_platform(image.platform, facts.glibc),
    )
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
    return Lock(
        format=LOCK_FORMAT,
        input_digest=spec.input_digest(),
        gisbox_version=__version__,
        target=target,
        packages=tuple(packages),
        uv=index.uv_pin(),
        os_packages=facts.packages,
        sources=tuple(sources),
        os_libraries=plan.os_libraries,
        caps=plan.caps,
        rootfs=facts.rootfs if distroless_runtime else (),
    )

"""Which container engines gisbox drives, and picking one.

Every module of `gisbox.engines` that exposes `ENGINE` (an `EngineKind`) is an engine:
adding one is adding a module. The CLI's `--engine` choices come from here.
`select_engine(name)` picks one: `--engine`, else `GISBOX_ENGINE`, else the first that
works in `order` (a reachable Docker engine first: Podman needs no daemon, so it is the
fallback).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from functools import cache

from gisbox.engines.base import ContainerEngine, EngineKind
from gisbox.runtime.errors import EngineError, UsageError


@cache
def engine_kinds() -> dict[str, EngineKind]:
    """Every engine gisbox drives, by name, in the order they are tried."""
    import gisbox.engines as package

    found: list[EngineKind] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"gisbox.engines.{info.name}")
        kind = getattr(module, "ENGINE", None)
        if isinstance(kind, EngineKind):
            found.append(kind)
    return {k.name: k for k in sorted(found, key=lambda k: (k.order, k.name))}


def engine_names() -> tuple[str, ...]:
    return tuple(engine_kinds())


def select_engine(name: str | None = None) -> ContainerEngine:
    """`name` ("docker", "podman"), else GISBOX_ENGINE, else the first that works."""
    kinds = engine_kinds()
    wanted = name or os.environ.get("GISBOX_ENGINE") or None
    if wanted is not None:
        if wanted not in kinds:
            where = "--engine" if name else "GISBOX_ENGINE"
            raise UsageError(
                f"{where} {wanted!r} is not an engine gisbox drives",
                hint=f"use one of: {', '.join(kinds)}",
            )
        return kinds[wanted].detect()
    reasons = []
    for kind in kinds.values():
        try:
            return kind.detect()
        except EngineError as exc:
            reasons.append(exc)
    raise EngineError(
        "no usable container engine: " + "; ".join(r.message for r in reasons),
        hint=" or ".join(r.hint for r in reasons if r.hint),
    )

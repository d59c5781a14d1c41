"""Finding the plug-ins: every module of `gisbox.strategies` exposes `STRATEGY`, every
module of `gisbox.families` exposes `FAMILY`. Adding one is adding a module."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

from gisbox.plugin_api import Family, Strategy
from gisbox.runtime.errors import SpecError


def _modules(package: str) -> list[ModuleType]:
    pkg = importlib.import_module(package)
    return [
        importlib.import_module(f"{package}.{info.name}")
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name)
    ]


@cache
def strategies() -> dict[str, Strategy]:
    found: dict[str, Strategy] = {}
    for module in _modules("gisbox.strategies"):
        strategy: Strategy = module.STRATEGY
        found[strategy.name] = strategy
    return found


@cache
def families() -> tuple[Family, ...]:
    """Highest priority first (the fallback last)."""
    found: list[Family] = [m.FAMILY for m in _modules("gisbox.families")]
    return tuple(sorted(found, key=lambda f: -f.priority))


def strategy_named(name: str) -> Strategy:
    try:
        return strategies()[name]
    except KeyError:
        raise SpecError(
            f"unknown strategy {name!r}", hint=f"use one of: {', '.join(sorted(strategies()))}"
        ) from None


def family_for(base: str) -> Family:
    return next(f for f in families() if f.matches(base))

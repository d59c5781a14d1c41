"""Finding the plug-ins: every module of `gisbox.plugins.strategies` exposes `STRATEGY`,
of `gisbox.plugins.families` `FAMILY`, of `gisbox.plugins.runtimes` `RUNTIME`. Adding one
is adding a module (named as the plug-in, for strategies and runtimes)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType
from typing import Any

from gisbox.plugins.api import Family, Runtime, Strategy
from gisbox.runtime.errors import SpecError


def _modules(package: str) -> list[ModuleType]:
    pkg = importlib.import_module(package)
    return [
        importlib.import_module(f"{package}.{info.name}")
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name)
    ]


def _named(modules: list[ModuleType], attribute: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for module in modules:
        plugin = getattr(module, attribute)
        name = module.__name__.rsplit(".", 1)[1]
        if plugin.name != name:  # the spec validates names by module (gisbox.plugins.names)
            raise TypeError(f"{module.__name__}.{attribute}.name is {plugin.name!r}, not {name!r}")
        found[name] = plugin
    return found


@cache
def strategies() -> dict[str, Strategy]:
    return _named(_modules("gisbox.plugins.strategies"), "STRATEGY")


@cache
def runtimes() -> dict[str, Runtime]:
    return _named(_modules("gisbox.plugins.runtimes"), "RUNTIME")


@cache
def families() -> tuple[Family, ...]:
    """Highest priority first (the fallback last)."""
    found: list[Family] = [m.FAMILY for m in _modules("gisbox.plugins.families")]
    return tuple(sorted(found, key=lambda f: -f.priority))


def _one(kind: str, found: dict[str, Any], name: str) -> Any:
    if name not in found:
        raise SpecError(f"unknown {kind} {name!r}", hint=f"use one of: {', '.join(sorted(found))}")
    return found[name]


def strategy_named(name: str) -> Strategy:
    strategy: Strategy = _one("strategy", strategies(), name)
    return strategy


def runtime_named(name: str) -> Runtime:
    runtime: Runtime = _one("runtime", runtimes(), name)
    return runtime


def family_for(base: str) -> Family:
    return next(f for f in families() if f.matches(base))

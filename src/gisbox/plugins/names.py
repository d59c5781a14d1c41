"""The names of the plug-ins, from their modules' names, without importing them.

A plug-in module is named as its plug-in (`strategies/system.py` is strategy "system";
`gisbox.plugins.registry` checks it), so the spec validates a name without importing
every plug-in and what they import.
"""

from __future__ import annotations

import importlib
import pkgutil


def module_names(package: str) -> tuple[str, ...]:
    """The modules of `gisbox.plugins.<package>`, sorted."""
    pkg = importlib.import_module(f"gisbox.plugins.{package}")
    return tuple(sorted(info.name for info in pkgutil.iter_modules(pkg.__path__)))


def strategy_names() -> tuple[str, ...]:
    return module_names("strategies")


def runtime_names() -> tuple[str, ...]:
    return module_names("runtimes")

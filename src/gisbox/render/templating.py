"""The one Jinja2 environment: package templates and plug-ins' fragment templates.

A runtime plug-in's templates load as `runtime:<name>:<slot>` (Dockerfile.j2 includes
them, so they see its `ctx` and its macros).

Templates see one variable, `ctx`, a frozen dataclass; `tests/unit/test_templates.py`
checks that every `ctx.<name>` a template uses is a field of its context type and that
every field is used, so the context's types (checked by mypy where it is built) are
what the template gets.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jinja2 import ChoiceLoader, Environment, FunctionLoader, PackageLoader, StrictUndefined


def _block(text: str) -> str:
    """A fragment slot: its lines on lines of their own, or nothing."""
    return "\n" + text if text else ""


def plugin_template(name: str) -> str | None:
    """`runtime:<name>:<slot>`: that runtime's template for the slot."""
    kind, _, rest = name.partition(":")
    if kind != "runtime":
        return None
    from gisbox.plugins.registry import runtime_named

    runtime, _, slot = rest.partition(":")
    return runtime_named(runtime).templates.get(slot)


@cache
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader("gisbox.render", "templates"), FunctionLoader(plugin_template)]
        ),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["q"] = lambda v: json.dumps(str(v))  # a quoted Dockerfile/shell word
    env.filters["block"] = _block
    return env


def render_template(name: str, ctx: Any) -> str:
    return environment().get_template(name).render(ctx=ctx)


def render_string(source: str, ctx: Any, **words: Any) -> str:
    """A plug-in's fragment template (Jinja source held in its module): `ctx` and `words`
    in scope."""
    return environment().from_string(source).render(ctx=ctx, **words)

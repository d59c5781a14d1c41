"""Every template uses exactly the fields of its typed context: a `ctx.<name>` that is not
a field fails here, not at render time in a user's build; a field nothing uses is dead.
Loop variables over context fields are checked against their element types too."""

from __future__ import annotations

import dataclasses
import typing
from importlib import resources

import pytest
from jinja2 import nodes

from gisbox.locking.apt_probe import ProbeContext
from gisbox.plugins.api import Fragments
from gisbox.plugins.families import ubuntu
from gisbox.plugins.registry import runtimes
from gisbox.plugins.strategies import system
from gisbox.render.context import RenderContext
from gisbox.render.dockerfile import IgnoreContext
from gisbox.render.templating import environment


def attribute_chains(source: str) -> set[tuple[str, ...]]:
    """('ctx', 'a', 'b') for every `ctx.a.b`; loops `for x in ctx.a` map x to ('ctx', 'a', '[]')."""
    tree = environment().parse(source)
    loops: dict[str, tuple[str, ...]] = {}
    for loop in tree.find_all(nodes.For):
        if isinstance(loop.target, nodes.Name):
            loops[loop.target.name] = (*chain(loop.iter, loops), "[]")
    found: set[tuple[str, ...]] = set()
    for node in tree.find_all(nodes.Getattr):
        found.add(chain(node, loops))
    return {c for c in found if c and c[0] == "ctx"}


def chain(node: nodes.Node, loops: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    if isinstance(node, nodes.Getattr):
        return (*chain(node.node, loops), node.attr)
    if isinstance(node, nodes.Name):
        return loops.get(node.name, (node.name,))
    return ()


def field_types(cls: type) -> dict[str, type | None]:
    """Field name -> the dataclass behind it (itself, or tuple[X, ...]'s X), if any."""
    hints = typing.get_type_hints(cls)
    out: dict[str, type | None] = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        args = typing.get_args(hint) if typing.get_origin(hint) is tuple else ()
        inner = args[0] if args else hint
        out[f.name] = inner if dataclasses.is_dataclass(inner) else None
    return out


def check(source: str, context: type) -> None:
    chains = attribute_chains(source)
    used: dict[type, set[str]] = {}
    for c in chains:
        cls: type | None = context
        for name in c[1:]:
            if name == "[]" or cls is None:
                continue
            fields = field_types(cls)
            assert name in fields, f"{'.'.join(c)}: {cls.__name__} has no field {name!r}"
            used.setdefault(cls, set()).add(name)
            cls = fields[name]
    for cls, names in used.items():
        unused = set(field_types(cls)) - names
        assert not unused, f"{cls.__name__} fields no template uses: {sorted(unused)}"
    assert used, "the template uses no ctx field"


def package_template(name: str) -> str:
    return resources.files("gisbox.render").joinpath("templates", name).read_text(encoding="utf-8")


def dockerfile_with_runtimes() -> str:
    """Dockerfile.j2 and every runtime's templates it includes: one context for all."""
    parts = [package_template("Dockerfile.j2")]
    for runtime in runtimes().values():
        parts += runtime.templates.values()
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("source", "context"),
    [
        (dockerfile_with_runtimes(), RenderContext),
        (package_template("dockerignore.j2"), IgnoreContext),
        (package_template("probe.sh.j2"), ProbeContext),
        (ubuntu.KEYS_STAGE, ubuntu.KeysContext),
        (system.HEADER, system.HeaderContext),
        (system.COMPILE, system.CompileContext),
    ],
    ids=["Dockerfile", "dockerignore", "probe", "ubuntu-keys", "system-header", "system-compile"],
)
def test_template_uses_exactly_its_context(source: str, context: type) -> None:
    check(source, context)


def test_a_misspelt_field_is_caught() -> None:
    with pytest.raises(AssertionError, match="has no field 'pythn'"):
        check("FROM {{ ctx.base }}\n{{ ctx.pythn }}", RenderContext)


def test_fragments_merge_slot_by_slot() -> None:
    import dataclasses as dc

    def filled(mark: str) -> Fragments:
        values = {
            f.name: (mark,) if str(f.type).startswith("tuple") else mark
            for f in dc.fields(Fragments)
        }
        return Fragments(**values)  # type: ignore[arg-type]

    merged = filled("a").merged(filled("b"))
    for f in dc.fields(Fragments):
        want = ("a", "b") if str(f.type).startswith("tuple") else "a\nb"
        assert getattr(merged, f.name) == want, f.name
    assert Fragments(header="h").merged(Fragments()) == Fragments(header="h")

"""The layout keeps its promises: no import cycle between gisbox's modules (at module
level or inside functions; imports only type checkers read do not count), no function
longer than about 60 lines and no parameter list longer than 8 outside the in-image
checks and click commands, a docstring at the top of every module."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "gisbox"
MAX_LINES = 60
MAX_PARAMETERS = 8
# the in-image checks: one probe each, long by what they check (the issue allows them)
IN_IMAGE_CHECKS = ("gisbox/runtime/check/",)


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(tree: ast.AST, module: str, known: set[str]) -> Iterator[str]:
    """The gisbox modules `module` imports anywhere (not under `if TYPE_CHECKING`)."""
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node)
            for n in ast.walk(node)}  # fmt: skip
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from pkg import mod` imports pkg.mod when that is a module
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and name.startswith("gisbox"):
                yield name


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    out: dict[str, set[str]] = {}
    for name, path in found.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        out[name] = set(imports(tree, name, known))
    return out


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_a_cycle_is_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_console_output_does_not_import_the_build() -> None:
    assert "gisbox.image.build" not in graph()["gisbox.cli.output"]


def _is_click_command(fn: ast.FunctionDef) -> bool:
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        text = ast.unparse(target)
        if text.startswith("click.") or text.endswith((".command", ".group")):
            return True
    return False


def functions() -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for name, path in modules().items():
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith(IN_IMAGE_CHECKS):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if isinstance(node, ast.FunctionDef) and _is_click_command(node):
                    continue
                yield f"{name}.{node.name}", node


def test_no_long_function() -> None:
    long = {
        name: (fn.end_lineno or fn.lineno) - fn.lineno + 1
        for name, fn in functions()
        if (fn.end_lineno or fn.lineno) - fn.lineno + 1 > MAX_LINES
    }
    assert long == {}


def test_no_long_parameter_list() -> None:
    def count(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
        a = fn.args
        names = [*a.posonlyargs, *a.args, *a.kwonlyargs]
        return len([n for n in names if n.arg not in ("self", "cls")])

    many = {name: count(fn) for name, fn in functions() if count(fn) > MAX_PARAMETERS}
    assert many == {}


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_module_says_its_role(name: str) -> None:
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{name} has no module docstring"


def test_one_exit_code_per_error_class() -> None:
    from gisbox.runtime.errors import exit_codes

    assert exit_codes() == {
        1: "GisboxError", 2: "UsageError", 3: "LockError", 4: "EngineError",
        5: "BuildError", 6: "VerifyError", 7: "ClusterError", 8: "AuditUnavailable",
        9: "VulnerabilitiesFound",
    }  # fmt: skip


def test_no_command_exits_with_a_bare_number() -> None:
    """Exit codes come from the error classes (gisbox.runtime.errors), not literals."""
    bare = []
    for name, path in modules().items():
        if not name.startswith("gisbox.cli"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) in ("sys.exit", "ctx.exit")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value not in (0, 1)
            ):
                bare.append(f"{name}:{node.lineno}")
    assert bare == []

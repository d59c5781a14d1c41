"""The in-image part: one directory (`gisbox.runtime`) that needs only the standard library
and the stack, because images carry no click, pydantic, jinja2 or rich."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from click.testing import CliRunner

from gisbox.cli import cli

STACK = {
    "numpy",
    "pyproj",
    "rasterio",
    "shapely",
    "pyogrio",
    "osgeo",
    "fiona",
    "geopandas",
    "pandas",
    "affine",
    "libpysal",
    "esda",
    "pyarrow",
    "scipy",
    "xarray",
    "rioxarray",
    "dask",  # the analysis profile's cluster: scheduler, workers and client
    "distributed",
    "dask_geopandas",
}
# the service profile's own
SERVICE = {"fastapi", "uvicorn", "starlette", "pydantic", "pydantic_settings", "orjson", "simdjson"}
SRC = Path(__file__).resolve().parents[2] / "src/gisbox"


def imported_names(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return names


def test_the_context_holds_the_runtime_tree_as_one_directory(project: Path) -> None:
    assert CliRunner().invoke(cli, ["dockerfile", "-C", str(project)]).exit_code == 0
    copied = project / ".gisbox/runtime/gisbox"
    in_image = sorted(str(p.relative_to(copied)) for p in copied.rglob("*") if p.is_file())
    source = sorted(
        str(p.relative_to(SRC))
        for p in (SRC / "runtime").rglob("*")
        if p.is_file() and p.suffix in (".py", ".json") and "__pycache__" not in p.parts
    )
    assert in_image == ["__init__.py", *source]
    for part in ("check/healthcheck.py", "workloads/cli.py", "service/app.py", "errors.py"):
        assert f"runtime/{part}" in in_image


def test_the_runtime_imports_only_stdlib_and_the_stack() -> None:
    for path in (SRC / "runtime").rglob("*.py"):
        allowed = set(sys.stdlib_module_names) | STACK
        allowed |= SERVICE if "service" in path.relative_to(SRC).parts else set()
        for name in imported_names(path):
            if name.startswith("gisbox"):
                assert name == "gisbox" or name.startswith("gisbox.runtime"), (path, name)
                continue
            assert name.split(".")[0] in allowed, f"{path}: imports {name}"


def test_builder_scripts_are_standalone() -> None:
    """They run as `python3 script.py` in the builder stage, before gisbox is on sys.path."""
    for path in [*(SRC / "builder").glob("*.py"), SRC / "runtime/stdlib_zip.py"]:
        names = imported_names(path)
        assert all(n.split(".")[0] in sys.stdlib_module_names for n in names), (path, names)

"""The check sees what the application sees: each PROJ/GDAL variable that changes what an
application's call returns is named in an error with the library and the call; run here
with the host's wheels (osgeo's variables: tests/integration/test_check_in_images.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gisbox.runtime.check import app_calls
from gisbox.runtime.check.findings import Findings

SRC = Path(__file__).parents[2] / "src"


def check_with(**env: str) -> tuple[dict[str, object], list[dict[str, str]]]:
    """The application calls in a fresh interpreter with `env` added."""
    code = (
        f"import sys, json; sys.path.insert(0, {str(SRC)!r})\n"
        "from gisbox.runtime.check.app_calls import run_app_calls\n"
        "from gisbox.runtime.check.findings import Findings\n"
        "import pyproj, rasterio, pyogrio, geopandas\n"
        "mods = {'pyproj': 1, 'rasterio': 1, 'pyogrio': 1, 'geopandas': 1}\n"
        "f = Findings(); out = run_app_calls(mods, f)\n"
        "print(json.dumps([out, [x.as_dict() for x in f.sorted()]]))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in app_calls.VARIABLES}
    res = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                         capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    out, findings = json.loads(res.stdout.strip().splitlines()[-1])
    return out, findings


def test_nothing_set_every_call_as_expected() -> None:
    out, findings = check_with()
    assert out["config.set"] == {}
    assert {k: v for k, v in out.items() if k.startswith("app.")} == {
        "app.pyproj.transform": "ok", "app.pyproj.nad27": "ok", "app.rasterio.warp": "ok",
        "app.rasterio.geotiff": "ok", "app.pyogrio.gpkg": "ok",
    }  # fmt: skip
    assert findings == []


@pytest.mark.parametrize(
    ("variable", "value", "library", "call", "what"),
    [
        ("PROJ_ONLY_BEST_DEFAULT", "YES", "PROJ (pyproj)", "'EPSG:4267', 'EPSG:4269'",
         "non-finite"),
        ("GDAL_SKIP", "GTiff", "GDAL (rasterio)", "driver='GTiff'", "No such driver"),
        ("OGR_SKIP", "GPKG", "GDAL (pyogrio)", "a.gpkg", "Could not obtain driver: GPKG"),
        ("PROJ_DATA", "/nonexistent", "GDAL (rasterio)", "rasterio.warp.transform",
         "Cannot find proj.db"),
        ("PROJ_LIB", "/nonexistent", "GDAL (rasterio)", "rasterio.warp.transform",
         "proj.db"),
    ],
)  # fmt: skip
def test_a_variable_that_breaks_an_application_s_call_is_named(
    variable: str, value: str, library: str, call: str, what: str
) -> None:
    out, findings = check_with(**{variable: value})
    assert out["config.set"] == {variable: value}
    named = [f for f in findings if f["id"] == "config.changes-results" and call in f["message"]]
    assert named, findings
    message = named[0]["message"]
    assert message.startswith(f"{variable}={value} changes what applications get from {library}")
    assert what in message and named[0]["severity"] == "error"
    assert f"unset {variable}" in named[0]["hint"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CHECK_WITH_INVERT_PROJ", "YES"),
        ("PROJ_IGNORE_CELESTIAL_BODY", "YES"),
        ("GDAL_DRIVER_PATH", "/nonexistent"),  # the wheels' GDAL has no plug-ins to lose
        ("OGR_ENABLE_PARTIAL_REPROJECTION", "YES"),
    ],
)
def test_a_variable_that_breaks_no_call_here_is_listed(variable: str, value: str) -> None:
    out, findings = check_with(**{variable: value})
    assert out["config.set"] == {variable: value} and findings == []


def test_proj_network_is_blamed_exactly_when_the_call_goes_wrong() -> None:
    """With the CDN unreachable (no network) the NAD27 call returns infinity; with it
    reachable, another (grid-based) result: both are what an application gets."""
    out, findings = check_with(PROJ_NETWORK="ON")
    assert out["config.set"] == {"PROJ_NETWORK": "ON"}
    blamed = [f for f in findings if f["id"] == "config.changes-results"]
    if out["app.pyproj.nad27"] == "ok":
        assert blamed == []
    else:
        assert blamed and blamed[0]["message"].startswith("PROJ_NETWORK=ON changes")


def test_a_failure_no_variable_explains_is_still_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> tuple[float, float]:
        raise RuntimeError("proj_create: crs not found")

    call = app_calls.CALLS["pyproj.transform"]
    monkeypatch.setitem(app_calls.CALLS, "pyproj.transform", type(call)(
        call.id, call.name, call.library, call.needs, broken, call.good))  # fmt: skip
    findings = Findings()
    out = app_calls.run_app_calls({"pyproj": object()}, findings)
    assert out["app.pyproj.transform"].startswith("fails: RuntimeError: proj_create")
    (only,) = [f for f in findings.sorted() if f.id == "app.call-fails"]
    assert "as an application would call it" in only.message and only.severity == "error"


def test_the_docs_list_every_variable_with_its_finding() -> None:
    readme = (SRC.parent / "docs" / "check.md").read_text()
    for name, variable in app_calls.VARIABLES.items():
        row = next((ln for ln in readme.splitlines() if ln.startswith(f"| `{name}` |")), None)
        assert row is not None, f"docs/check.md: no row for {name}"
        assert f"`{variable.finding}`" in row, row


def test_without_a_writable_temp_dir_the_writing_calls_are_left_out() -> None:
    findings = Findings()
    modules = {m: object() for m in ("pyproj", "rasterio", "pyogrio", "geopandas")}
    out = app_calls.run_app_calls(modules, findings, can_write=False)
    assert "app.rasterio.warp" in out and "app.pyproj.transform" in out
    assert "app.rasterio.geotiff" not in out and "app.pyogrio.gpkg" not in out

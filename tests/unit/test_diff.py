"""`gisbox diff`: tolerances, magnitudes, what counts as drift, exit codes."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gisbox.cli import cli
from gisbox.image.diff import SECTIONS, compare, has_drift, numeric_difference

BASE: dict[str, Any] = {
    "format": 1,
    "python": {"version": "3.11.2", "machine": "x86_64", "implementation": "CPython"},
    "bindings": {"pyproj": {"version": "3.7.2", "proj": "9.5.1"}},
    "libraries": {"proj": ["9.5.1"]},
    "data": {"pyproj": {"proj_db": {"proj": "9.5.1", "layout": "1.4", "epsg": "v11.022"}}},
    "env": {},
    "runtime": {"runtime.tmp_writable": True},
    "import_errors": {},
    "probes": {
        "transform.pyproj.4326-26917": {
            "value": [500000.0, 4000000.0],
            "tolerance": 0.001,
            "unit": "m",
        },
        "geometry.buffer.area": {"value": [3.136548490545939], "tolerance": 1e-9, "unit": "1"},
        "drivers.rasterio": ["COG", "GTiff"],
    },
    "paths": {"data": {"pyproj": {"proj_db": "/opt/venv/pyproj/proj.db"}}},
    "findings": [],
    "summary": {"error": 0, "warning": 0, "info": 0},
}


def variant(**changes: Any) -> dict[str, Any]:
    fp = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = fp
        for p in parents:
            node = node[p]
        node[last] = value
    return fp


def test_identical_fingerprints_do_not_drift() -> None:
    assert compare(BASE, copy.deepcopy(BASE)) == []


def test_position_difference_is_reported_in_metres() -> None:
    moved = copy.deepcopy(BASE)
    moved["probes"]["transform.pyproj.4326-26917"]["value"] = [500000.72, 4000000.96]
    (d,) = compare(BASE, moved)
    assert d.drift and d.kind == "probe"
    assert d.message == "transform.pyproj.4326-26917 differs by 1.2 m (tolerance 0.001 m)"


def test_difference_within_tolerance_is_informational_unless_strict() -> None:
    moved = copy.deepcopy(BASE)
    moved["probes"]["transform.pyproj.4326-26917"]["value"] = [500000.0004, 4000000.0]
    diffs = compare(BASE, moved)
    assert len(diffs) == 1 and not diffs[0].drift
    assert not has_drift(diffs, strict=False)
    assert has_drift(diffs, strict=True)


def test_versions_data_and_drivers_drift() -> None:
    other = variant(bindings__pyproj__proj="9.7.1")
    other["data"]["pyproj"]["proj_db"]["proj"] = "9.7.1"
    other["probes"]["drivers.rasterio"] = ["GTiff", "JP2OpenJPEG"]
    kinds = {d.kind: d.message for d in compare(BASE, other)}
    assert kinds["version"] == "bindings.pyproj.proj: 9.5.1 -> 9.7.1"
    assert kinds["data"] == "data.pyproj.proj_db.proj: 9.5.1 -> 9.7.1"
    assert kinds["driver"] == "drivers.rasterio: only in B: JP2OpenJPEG; only in A: COG"


def test_paths_are_informational() -> None:
    other = copy.deepcopy(BASE)
    other["paths"]["data"]["pyproj"]["proj_db"] = "/home/me/.venv/pyproj/proj.db"
    (d,) = compare(BASE, other)
    assert d.kind == "path" and not d.drift


def test_new_finding_is_drift() -> None:
    other = copy.deepcopy(BASE)
    other["findings"] = [
        {
            "id": "data.proj-db-mismatch",
            "severity": "error",
            "message": "rasterio runs PROJ 9.7.1 but …",
            "hint": "",
        }
    ]
    (d,) = compare(BASE, other)
    assert d.drift and d.message.startswith("only in B: data.proj-db-mismatch")


def test_numeric_difference_of_scalars_and_missing_components() -> None:
    a = {"value": [1.0, 2.0], "tolerance": 0.1, "unit": "deg"}
    assert numeric_difference(a, {"value": [1.0, 2.5], "tolerance": 0.2}) == (0.5, 0.2)
    assert numeric_difference(a, {"value": [1.0]})[0] == float("inf")


def write(tmp_path: Path, name: str, fp: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(fp))
    return str(path)


def test_cli_exit_codes(tmp_path: Path) -> None:
    a = write(tmp_path, "a.json", BASE)
    same = CliRunner().invoke(cli, ["diff", a, write(tmp_path, "b.json", BASE)])
    assert same.exit_code == 0 and "no differences" in same.output
    moved = copy.deepcopy(BASE)
    moved["probes"]["transform.pyproj.4326-26917"]["value"] = [500001.2, 4000000.0]
    drift = CliRunner().invoke(cli, ["diff", a, write(tmp_path, "c.json", moved)])
    assert drift.exit_code == 1 and "differs by 1.2 m" in drift.output
    as_json = CliRunner().invoke(cli, ["diff", "--json", a, str(tmp_path / "c.json")])
    assert json.loads(as_json.output)["drift"] is True


@pytest.mark.parametrize("content", ["not json", '{"format": 2}'])
def test_cli_bad_input_exits_2(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    res = CliRunner().invoke(cli, ["diff", str(bad), str(bad)])
    assert res.exit_code == 2 and str(bad) in res.output


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["diff", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    assert res.exit_code == 2 and "gisbox check --json" in res.output


# -- property-based: `gisbox diff` never crashes, whatever fingerprints it is given ---------
JSON_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8)
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
PROBE = st.fixed_dictionaries(
    {"value": st.lists(st.floats(allow_nan=True) | st.integers(), max_size=3) | JSON},
    optional={
        "tolerance": st.floats(allow_nan=True) | JSON,
        "unit": st.sampled_from(["m", "1", "deg"]) | JSON,
    },
)
FINDING = st.fixed_dictionaries({}, optional={"id": JSON, "message": JSON, "severity": JSON})
FINGERPRINT = st.fixed_dictionaries(
    {
        "format": st.just(1),
        "probes": st.dictionaries(st.text(max_size=12), PROBE | JSON, max_size=5) | JSON,
    },
    optional={
        **{
            section: st.dictionaries(st.text(max_size=6), JSON, max_size=3) | JSON
            for section in SECTIONS
        },
        "findings": st.lists(FINDING | JSON, max_size=3) | JSON,
        "workloads": st.dictionaries(
            st.text(max_size=6),
            st.fixed_dictionaries(
                {"status": st.sampled_from(["ok", "failed"]) | JSON}, optional={"n": PROBE | JSON}
            )
            | JSON,
            max_size=3,
        )
        | JSON,
        "paths": JSON,
    },
)


def has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(has_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(has_non_finite(v) for v in value)
    return False


@settings(max_examples=400, deadline=None)
@given(FINGERPRINT, FINGERPRINT)
def test_diff_never_crashes_and_a_fingerprint_equals_its_copy(a: Any, b: Any) -> None:
    diffs = compare(a, b)
    assert all(isinstance(d.message, str) and d.message for d in diffs)
    if not has_non_finite(a):  # a NaN equals nothing, itself included: that is drift
        assert not has_drift(compare(a, copy.deepcopy(a)), strict=True)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(FINGERPRINT, FINGERPRINT)
def test_the_cli_answers_0_1_or_2_with_a_message_never_a_traceback(
    tmp_path: Path, a: Any, b: Any
) -> None:
    (tmp_path / "a.json").write_text(json.dumps(a))  # Python writes NaN/Infinity as JSON does not
    (tmp_path / "b.json").write_text(json.dumps(b))
    res = CliRunner().invoke(cli, ["diff", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert res.exit_code in (0, 1, 2) and "Traceback" not in res.output


def test_non_finite_probe_values_are_drift_never_within_tolerance() -> None:
    key = "transform.pyproj.4326-26917"
    nan, inf = copy.deepcopy(BASE), copy.deepcopy(BASE)
    nan["probes"][key] = {"value": [float("nan"), 1.0], "tolerance": 1e9, "unit": "m"}
    inf["probes"][key] = {"value": [float("inf"), 1.0], "tolerance": 1e9, "unit": "m"}
    (d,) = [d for d in compare(nan, inf) if d.key == key]
    assert d.drift and "A holds nan" in d.message and "B holds inf" in d.message
    (same,) = [d for d in compare(nan, nan) if d.key == key]  # not even equal to itself
    assert same.drift

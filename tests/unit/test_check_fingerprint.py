"""`gisbox check` on this (stack-less) host: deterministic output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gisbox.cli import cli
from gisbox.runtime.check import suite as check
from gisbox.runtime.check.suite import dumps, normalise, run_check


class FakeScalar:
    def __init__(self, v: float) -> None:
        self.v = v

    def item(self) -> float:
        return self.v


def test_normalise_makes_json_ready_values() -> None:
    assert normalise({"a": (FakeScalar(1.5), float("nan")), 2: [float("inf")]}) == {
        "a": [1.5, "nan"],
        "2": ["inf"],
    }


def test_two_runs_give_byte_identical_fingerprints() -> None:
    assert dumps(run_check()) == dumps(run_check())


def test_empty_environment_warns_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check, "import_all", lambda: ({}, {}))
    out = tmp_path / "fp.json"
    res = CliRunner().invoke(cli, ["check", "--json", str(out)])
    assert res.exit_code == 0, res.output
    fp = json.loads(out.read_text())
    assert fp["format"] == 1
    assert any(f["id"] == "inventory.empty" for f in fp["findings"])
    assert "inventory.empty" in res.output


def test_usage_error_exits_2() -> None:
    assert CliRunner().invoke(cli, ["check", "--bogus"]).exit_code == 2


def test_pyproj_on_this_host_passes_the_golden_transformations() -> None:
    fp = run_check()
    assert fp["bindings"]["pyproj"]["proj"]
    assert not [f for f in fp["findings"] if f["id"].startswith("transform.")]
    assert "transform.pyproj.4326-32633" in fp["probes"]

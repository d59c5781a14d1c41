"""`gisbox check --workloads`: deterministic numbers in the fingerprint, compared by diff."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gisbox.cli import cli
from gisbox.image.diff import compare
from gisbox.runtime.check.suite import run_check
from gisbox.runtime.workloads import selftest


@pytest.fixture(scope="module")
def fingerprint() -> dict[str, Any]:
    return run_check(workloads=True)


def test_every_workload_runs_and_agrees_with_its_reference(fingerprint: dict[str, Any]) -> None:
    w = fingerprint["workloads"]
    assert {name: r["status"] for name, r in w.items()} == dict.fromkeys(
        ("autocorr", "chunked", "tiles", "metrics"), "ok"
    )
    assert w["chunked"]["ndvi.equals_in_memory"] and w["chunked"]["focal-mean.equals_in_memory"]
    assert w["tiles"]["tiles.map_back_exact"] is True
    assert w["autocorr"]["moran.I"]["value"][0] > 0.5  # the lattice has a strong trend
    # classes 0, 1, 2 of the 3 x 3 case: IoU 1/4, 2/4, 3/4 by hand
    assert w["metrics"]["eval.mean_iou"]["value"] == [pytest.approx((1 / 4 + 2 / 4 + 3 / 4) / 3)]
    assert not [f for f in fingerprint["findings"] if f["id"].startswith("workload.")]


def test_the_workload_numbers_are_reproducible(fingerprint: dict[str, Any]) -> None:
    again = run_check(workloads=True)
    assert json.dumps(again["workloads"], sort_keys=True) == json.dumps(
        fingerprint["workloads"], sort_keys=True
    )


def test_diff_applies_tolerances_to_workload_numbers(fingerprint: dict[str, Any]) -> None:
    b = copy.deepcopy(fingerprint)
    b["workloads"]["autocorr"]["moran.I"]["value"][0] += 1e-12
    assert [d for d in compare(fingerprint, b) if d.drift] == []
    b["workloads"]["autocorr"]["moran.I"]["value"][0] += 1e-6
    b["workloads"]["chunked"]["ndvi.digest"] = "0" * 16
    drift = {d.key for d in compare(fingerprint, b) if d.drift}
    assert drift == {"workloads.autocorr.moran.I", "workloads.chunked.ndvi.digest"}


def test_diff_reports_a_workload_that_could_not_run(fingerprint: dict[str, Any]) -> None:
    b = copy.deepcopy(fingerprint)
    b["workloads"]["autocorr"] = {"status": "unavailable", "reason": "not installed here: esda"}
    [d] = compare(fingerprint, b)
    assert d.drift and d.message == "workloads.autocorr: ok -> unavailable"
    a = {k: v for k, v in fingerprint.items() if k != "workloads"}
    [d] = compare(a, fingerprint)
    assert not d.drift and "only in B" in d.message


def test_missing_libraries_make_a_workload_unavailable_not_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = selftest._missing
    monkeypatch.setattr(
        selftest, "_missing", lambda *m: "not installed here: esda" if "esda" in m else real(*m)
    )
    fp = run_check(workloads=True)
    assert fp["workloads"]["autocorr"] == {
        "status": "unavailable",
        "reason": "not installed here: esda",
    }
    assert fp["summary"]["error"] == 0
    assert "workload.unavailable" in {f["id"] for f in fp["findings"]}


def test_a_crashing_workload_is_an_error_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(work: Path) -> dict[str, Any]:
        raise RuntimeError("boom")

    monkeypatch.setitem(selftest.WORKLOADS, "tiles", (("numpy",), crash))
    fp = run_check(workloads=True)
    assert fp["workloads"]["tiles"]["status"] == "failed"
    assert any(f["id"] == "workload.failed" and "boom" in f["message"] for f in fp["findings"])


def test_cli_check_workloads_writes_them_into_the_fingerprint(tmp_path: Path) -> None:
    out = tmp_path / "fp.json"
    res = CliRunner().invoke(cli, ["check", "--workloads", "--json", str(out)])
    assert "workload chunked: ok" in res.output
    assert json.loads(out.read_text())["workloads"]["tiles"]["status"] == "ok"

"""Non-finite results are failures: a transformation returning inf/NaN is an error that
names the probe, and no inf/NaN ever reaches the fingerprint (which stays valid JSON)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from gisbox.runtime.check import transforms
from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.finite import finite_probes, finite_workloads
from gisbox.runtime.check.suite import dumps, run_check


def test_a_transformation_returning_inf_is_an_error_not_a_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = transforms.ADAPTERS["pyproj"]

    def broken(src: str, dst: str, pt: Any) -> Any:
        got = real(src, dst, pt)
        return (math.inf, *got[1:]) if dst == "EPSG:3857" else got

    monkeypatch.setitem(transforms.ADAPTERS, "pyproj", broken)
    fp = run_check()
    keys = [k for k in fp["probes"] if k.startswith("transform.pyproj.")]
    assert keys and not any("3857" in k and "inverse" not in k for k in keys)
    text = dumps(fp)
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the fingerprint"))
    said = {f["id"]: f["message"] for f in fp["findings"] if f["severity"] == "error"}
    assert "probe.non-finite" in said and "inf" in said["probe.non-finite"]
    assert "transform.pyproj." in said["probe.non-finite"]


def test_probes_with_nan_are_dropped_and_named() -> None:
    findings = Findings()
    kept = finite_probes(
        {
            "geometry.area": {"value": [float("nan")], "tolerance": 0, "unit": "1"},
            "geometry.length": {"value": [4.0], "tolerance": 0, "unit": "1"},
        },
        findings,
    )
    assert list(kept) == ["geometry.length"]
    (finding,) = findings.sorted()
    assert finding.severity == "error" and finding.message == "geometry.area returned nan"


def test_workload_numbers_that_are_not_finite_become_null_and_errors() -> None:
    findings = Findings()
    out = finite_workloads({"moran": {"status": "ok", "I": float("-inf"), "n": 3}}, findings)
    assert out == {"moran": {"status": "ok", "I": None, "n": 3}}
    assert [f.message for f in findings.sorted()] == ["workloads.moran.I returned -inf"]


def test_the_fingerprint_writer_refuses_nan_rather_than_writing_invalid_json() -> None:
    with pytest.raises(ValueError):
        dumps({"probes": {"x": {"value": [float("nan")]}}})  # type: ignore[typeddict-item]

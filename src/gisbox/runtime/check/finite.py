"""Non-finite results are failures, never values: a probe or workload number that came
out inf or NaN is dropped from the fingerprint and reported as an error naming it.

JSON has no inf or NaN (Python would write `Infinity`, which other readers refuse), and a
NaN equals nothing, so a fingerprint holding one could never compare equal to itself.
"""

from __future__ import annotations

import math
from typing import Any

from gisbox.runtime.check.findings import Findings

HINT = (
    "a transformation or computation that returns inf/NaN has failed silently: check the "
    "binding's proj.db and grids (data.* findings) and the inputs"
)


def non_finite(value: Any) -> list[str]:
    """The non-finite numbers in `value` (a number, or lists and dicts of them), as text."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [repr(value)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in non_finite(v)]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in non_finite(v)]
    return []


def finite_probes(probes: dict[str, Any], findings: Findings) -> dict[str, Any]:
    """`probes` without those holding inf/NaN; an error finding for each one dropped."""
    kept = {}
    for key, probe in probes.items():
        bad = non_finite(probe)
        if bad:
            findings.error(
                "probe.non-finite", f"{key} returned {', '.join(sorted(set(bad)))}", HINT
            )
        else:
            kept[key] = probe
    return kept


def finite_workloads(results: dict[str, Any], findings: Findings) -> dict[str, Any]:
    """Workload results with each non-finite number replaced by null, reported as errors."""

    def clean(where: str, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            findings.error("probe.non-finite", f"{where} returned {value!r}", HINT)
            return None
        if isinstance(value, dict):
            return {k: clean(f"{where}.{k}", v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(where, v) for v in value]
        return value

    return {name: clean(f"workloads.{name}", r) for name, r in results.items()}

"""`gisbox diff`: what differs between two fingerprints, with magnitudes and tolerances.

Drift is any difference in versions, loaded libraries, data, environment,
drivers, findings, or a numeric probe beyond its tolerance; paths and numeric
differences within tolerance are reported as informational (drift only
with --strict).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from gisbox.runtime.errors import UsageError
from gisbox.runtime.payloads import FINGERPRINT_FORMAT, Fingerprint

SECTIONS = (
    "python", "bindings", "tools", "libraries", "data", "env", "runtime", "import_errors",
    "stack",
)  # fmt: skip


@dataclass(frozen=True)
class Difference:
    kind: str
    key: str
    message: str
    drift: bool


def load_fingerprint(path: Path) -> Fingerprint:
    """A fingerprint file, checked for the keys every version of it has."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no such file", hint="write one with `gisbox check --json FILE`"
        ) from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not JSON ({exc})") from None
    if (
        not isinstance(data, dict)
        or data.get("format") != FINGERPRINT_FORMAT
        or "probes" not in data
    ):
        raise UsageError(
            f"{path}: not a gisbox fingerprint (format {FINGERPRINT_FORMAT})",
            hint="write one with `gisbox check --json FILE`",
        )
    return cast(Fingerprint, data)


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: obj}


def _fmt(value: Any) -> str:
    if value is None:
        return "(absent)"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _numbers(value: Any) -> list[float] | None:
    """A probe's value as numbers; None when it is not a list of numbers."""
    if not isinstance(value, list) or not all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in value
    ):
        return None
    return [float(x) for x in value]


def _tolerance(probe: dict[str, Any]) -> float:
    try:
        tol = float(probe.get("tolerance", 0))
    except (TypeError, ValueError):
        return 0.0
    return tol if math.isfinite(tol) and tol >= 0 else 0.0


def numeric_difference(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, float]:
    """(largest component difference, tolerance) between two numeric probes; inf when
    they cannot be compared (other lengths, values that are not numbers)."""
    va, vb = _numbers(a["value"]), _numbers(b["value"])
    tol = max(_tolerance(a), _tolerance(b))
    if va is None or vb is None or len(va) != len(vb):
        return math.inf, tol
    if a.get("unit") == "m" and len(va) in (2, 3):  # a position: Euclidean distance
        return math.dist(va, vb), tol
    return max((abs(x - y) for x, y in zip(va, vb, strict=True)), default=0.0), tol


def _non_finite(side: str, value: Any) -> str:
    bad = [repr(x) for x in value if isinstance(x, float) and not math.isfinite(x)]
    return f"{side} holds {', '.join(bad)}" if bad else ""


def _probe(key: str, a: Any, b: Any) -> Difference | None:
    if a == b and not (isinstance(a, dict) and _non_finite("", _numbers(a.get("value")) or [])):
        return None
    if isinstance(a, dict) and isinstance(b, dict) and "value" in a and "value" in b:
        bad = [
            said
            for side, p in (("A", a), ("B", b))
            if (said := _non_finite(side, _numbers(p["value"]) or []))
        ]
        if bad:  # inf/NaN is a failed result, never within a tolerance
            return Difference("probe", key, f"{key}: non-finite: {'; '.join(bad)}", drift=True)
        delta, tol = numeric_difference(a, b)
        unit = "" if a.get("unit", "1") == "1" else " " + str(a.get("unit"))
        if math.isinf(delta):
            msg = f"{key}: {_fmt(a['value'])} -> {_fmt(b['value'])} (not comparable)"
        else:
            msg = f"{key} differs by {delta:.6g}{unit} (tolerance {tol:g}{unit})"
        return Difference("probe", key, msg, drift=delta > tol)
    if isinstance(a, list) and isinstance(b, list) and key.startswith("drivers."):
        sa, sb = {_fmt(x) for x in a}, {_fmt(x) for x in b}
        added, removed = sorted(sb - sa), sorted(sa - sb)
        parts = ([f"only in B: {', '.join(added)}"] if added else []) + (
            [f"only in A: {', '.join(removed)}"] if removed else []
        )
        return Difference("driver", key, f"{key}: {'; '.join(parts) or 'order'}", drift=True)
    return Difference("probe", key, f"{key}: {_fmt(a)} -> {_fmt(b)}", drift=True)


def _objects(
    a: Mapping[str, Any], b: Mapping[str, Any], key: str, diffs: list[Difference]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(a[key], b[key]) when both are objects; else ({}, {}), and a difference when the two
    damaged values differ."""
    va, vb = a.get(key, {}), b.get(key, {})
    if isinstance(va, dict) and isinstance(vb, dict):
        return va, vb
    if va != vb:
        msg = f"{key} is not an object: {_fmt(va)} -> {_fmt(vb)}"
        diffs.append(Difference("format", key, msg, drift=True))
    return {}, {}


def _findings(fp: Mapping[str, Any]) -> set[tuple[str, str]]:
    items = fp.get("findings", [])
    return {
        (str(f.get("id", "(no id)")), str(f.get("message", "")))
        for f in (items if isinstance(items, list) else [])
        if isinstance(f, dict)
    }


def _workloads(a: Any, b: Any) -> list[Difference]:
    """Workload numbers: floats within their tolerance, digests and counts exactly."""
    if a is None and b is None:
        return []
    if a is None or b is None:
        side = "A" if b is None else "B"
        return [
            Difference(
                "workload",
                "workloads",
                f"workloads ran only in {side}; run `gisbox check --workloads` on both sides",
                drift=False,
            )
        ]
    if not isinstance(a, dict) or not isinstance(b, dict):
        said = f"workloads is not an object: {_fmt(a)} -> {_fmt(b)}"
        return [] if a == b else [Difference("format", "workloads", said, drift=True)]
    diffs: list[Difference] = []
    for name in sorted(a.keys() | b.keys()):
        wa, wb = a.get(name), b.get(name)
        wa, wb = wa if isinstance(wa, dict) else {}, wb if isinstance(wb, dict) else {}
        if wa.get("status") != "ok" or wb.get("status") != "ok":
            if wa.get("status") != wb.get("status"):
                msg = f"workloads.{name}: {_fmt(wa.get('status'))} -> {_fmt(wb.get('status'))}"
                diffs.append(Difference("workload", f"workloads.{name}", msg, drift=True))
            continue
        for key in sorted((wa.keys() | wb.keys()) - {"status"}):
            d = _probe(f"workloads.{name}.{key}", wa.get(key), wb.get(key))
            if d:
                diffs.append(Difference("workload", d.key, d.message, d.drift))
    return diffs


def compare(first: Fingerprint, second: Fingerprint) -> list[Difference]:
    """Every difference between two fingerprints. Any JSON objects are accepted (a damaged
    or foreign fingerprint is reported in differences, never by an exception)."""
    # sections are read by name, and a fingerprint of another version may lack some
    a, b = cast(Mapping[str, Any], first), cast(Mapping[str, Any], second)
    diffs: list[Difference] = []
    for section in SECTIONS:
        fa, fb = _flatten(a.get(section, {}), section), _flatten(b.get(section, {}), section)
        for key in sorted(fa.keys() | fb.keys()):
            if fa.get(key) != fb.get(key):
                kind = {"bindings": "version", "libraries": "library", "python": "version"}.get(
                    section, section
                )
                diffs.append(
                    Difference(
                        kind, key, f"{key}: {_fmt(fa.get(key))} -> {_fmt(fb.get(key))}", drift=True
                    )
                )
    pa, pb = _objects(a, b, "probes", diffs)
    for key in sorted(pa.keys() | pb.keys()):
        d = _probe(key, pa.get(key), pb.get(key))
        if d:
            diffs.append(d)
    diffs += _workloads(a.get("workloads"), b.get("workloads"))
    ids_a, ids_b = _findings(a), _findings(b)
    for fid, msg in sorted(ids_a - ids_b):
        diffs.append(Difference("finding", fid, f"only in A: {fid}: {msg}", drift=True))
    for fid, msg in sorted(ids_b - ids_a):
        diffs.append(Difference("finding", fid, f"only in B: {fid}: {msg}", drift=True))
    fa, fb = _flatten(a.get("paths", {}), "paths"), _flatten(b.get("paths", {}), "paths")
    for key in sorted(fa.keys() | fb.keys()):
        if fa.get(key) != fb.get(key):
            diffs.append(
                Difference(
                    "path", key, f"{key}: {_fmt(fa.get(key))} -> {_fmt(fb.get(key))}", drift=False
                )
            )
    return diffs


def has_drift(diffs: list[Difference], strict: bool) -> bool:
    return any(d.drift or strict for d in diffs)

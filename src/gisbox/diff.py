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

SECTIONS = ("python", "bindings", "tools", "libraries", "data", "env", "runtime", "import_errors")


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
    return (
        "(absent)" if value is None else json.dumps(value) if not isinstance(value, str) else value
    )


def numeric_difference(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, float]:
    """(largest component difference, tolerance) between two numeric probes."""
    va, vb = a["value"], b["value"]
    tol = max(float(a.get("tolerance", 0)), float(b.get("tolerance", 0)))
    if len(va) != len(vb):
        return math.inf, tol
    if a.get("unit") == "m" and len(va) in (2, 3):  # a position: Euclidean distance
        return math.dist(va, vb), tol
    return max((abs(x - y) for x, y in zip(va, vb, strict=True)), default=0.0), tol


def _probe(key: str, a: Any, b: Any) -> Difference | None:
    if a == b:
        return None
    if isinstance(a, dict) and isinstance(b, dict) and "value" in a and "value" in b:
        delta, tol = numeric_difference(a, b)
        unit = "" if a.get("unit", "1") == "1" else " " + str(a["unit"])
        msg = f"{key} differs by {delta:.6g}{unit} (tolerance {tol:g}{unit})"
        return Difference("probe", key, msg, drift=delta > tol)
    if isinstance(a, list) and isinstance(b, list) and key.startswith("drivers."):
        added, removed = sorted(set(b) - set(a)), sorted(set(a) - set(b))
        parts = ([f"only in B: {', '.join(added)}"] if added else []) + (
            [f"only in A: {', '.join(removed)}"] if removed else []
        )
        return Difference("driver", key, f"{key}: {'; '.join(parts)}", drift=True)
    return Difference("probe", key, f"{key}: {_fmt(a)} -> {_fmt(b)}", drift=True)


def _workloads(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[Difference]:
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
    diffs: list[Difference] = []
    for name in sorted(a.keys() | b.keys()):
        wa, wb = a.get(name) or {}, b.get(name) or {}
        if wa.get("status") != "ok" or wb.get("status") != "ok":
            if wa.get("status") != wb.get("status"):
                msg = (
                    f"workloads.{name}: {wa.get('status', '(absent)')} -> "
                    f"{wb.get('status', '(absent)')}"
                )
                diffs.append(Difference("workload", f"workloads.{name}", msg, drift=True))
            continue
        for key in sorted((wa.keys() | wb.keys()) - {"status"}):
            d = _probe(f"workloads.{name}.{key}", wa.get(key), wb.get(key))
            if d:
                diffs.append(Difference("workload", d.key, d.message, d.drift))
    return diffs


def compare(first: Fingerprint, second: Fingerprint) -> list[Difference]:
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
    pa, pb = a.get("probes", {}), b.get("probes", {})
    for key in sorted(pa.keys() | pb.keys()):
        d = _probe(key, pa.get(key), pb.get(key))
        if d:
            diffs.append(d)
    diffs += _workloads(a.get("workloads"), b.get("workloads"))
    ids_a = {(f["id"], f["message"]) for f in a.get("findings", [])}
    ids_b = {(f["id"], f["message"]) for f in b.get("findings", [])}
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

"""The verification suite: every probe, its findings, and the environment's fingerprint.

Runs in any Python environment with the standard library and the stack it
checks. The fingerprint is normalised (sorted keys, no timestamps, exact
float reprs) so two identical environments give byte-identical files.
"""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Callable
from typing import Any, cast

from gisbox.runtime.check import (
    app_calls,
    bindings_data,
    environment,
    geometry,
    libmaps,
    raster,
    records,
    tools,
    transforms,
)
from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.finite import finite_probes, finite_workloads
from gisbox.runtime.check.projdb import env_dirs
from gisbox.runtime.check.stack import carried_versions, import_all, one_line
from gisbox.runtime.payloads import FINGERPRINT_FORMAT, Fingerprint

NUMPY_ABI = (
    "numpy.core.multiarray failed to import",
    "compiled using NumPy 1.x",
    "_ARRAY_API not found",
    "numpy.dtype size changed",
)
DATA_BINDINGS = ("pyproj", "rasterio", "pyogrio", "osgeo.gdal")


def normalise(obj: Any) -> Any:
    """JSON-ready and deterministic: NumPy scalars to Python, NaN/inf to strings."""
    if isinstance(obj, dict):
        return {str(k): normalise(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [normalise(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str | bytes):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)
    return obj


def _imports(findings: Findings) -> tuple[dict[str, Any], dict[str, str]]:
    modules, errors = import_all()
    for name, err in errors.items():
        if any(marker in err for marker in NUMPY_ABI):
            findings.error(
                "import.numpy-abi",
                f"import {name}: NumPy ABI mismatch: {err}",
                "install builds of the binding made for this NumPy (re-lock)",
            )
        else:
            findings.error(
                "import.failed",
                f"import {name} failed: {err}",
                "reinstall the package from the lock",
            )
    return modules, errors


def _guard(name: str, probe: Callable[[], dict[str, Any]], findings: Findings) -> dict[str, Any]:
    """A probe that crashes is a finding, never a crash of the whole check."""
    try:
        return probe()
    except Exception as exc:
        findings.error(
            "check.probe-crashed",
            f"the {name} probes crashed: {one_line(exc)}",
            "report this to gisbox with the message",
        )
        return {}


def _workloads(workdir: str | None, findings: Findings) -> dict[str, Any]:
    """`--workloads`: the small deterministic workloads; their numbers join the fingerprint."""
    import tempfile
    from pathlib import Path

    from gisbox.runtime.workloads.selftest import run_all

    if workdir is None:
        findings.error(
            "workload.no-temp-dir",
            "the workloads need a writable temporary directory and there is none",
            "mount a tmpfs on /tmp (docker run --tmpfs /tmp) or set TMPDIR",
        )
        return {}

    def failed(name: str, exc: Exception) -> None:
        findings.error(
            "workload.failed",
            f"the {name} workload failed: {one_line(exc)}",
            "run it alone with `gisbox run` to see the whole error",
        )

    with tempfile.TemporaryDirectory(dir=workdir, prefix="gisbox-workloads-") as tmp:
        results = run_all(Path(tmp), failed)
    for name, result in results.items():
        if result.get("status") == "unavailable":
            findings.info("workload.unavailable", f"the {name} workload: {result['reason']}")
        for key, value in result.items():
            if key.endswith(("equals_in_memory", "map_back_exact")) and value is not True:
                findings.error(
                    "workload.inexact",
                    f"{name}: {key} is false: chunked or tiled output differs from the source",
                    "report this to gisbox with the fingerprint",
                )
    return results


STACK_ENV = "GISBOX_STACK"  # set by strategy "source": JSON of what built the stack


def built_stack(findings: Findings) -> dict[str, Any]:
    """What built the image's GDAL/PROJ/GEOS, as the image says (strategy "source")."""
    raw = os.environ.get(STACK_ENV, "")
    if not raw:
        return {}
    try:
        stack = json.loads(raw)
    except ValueError:
        stack = None
    if not isinstance(stack, dict):
        findings.warning("stack.unreadable", f"{STACK_ENV} is not a JSON object: {raw[:120]!r}")
        return {}
    return stack


def run_check(accuracy: bool = False, workloads: bool = False) -> Fingerprint:
    findings = Findings()
    env = env_dirs(findings)
    ca_env = environment.ca_env_snapshot()
    modules, errors = _imports(findings)
    if (
        not any(
            b in modules
            for b in ("pyproj", "shapely", "rasterio", "pyogrio", "fiona", "osgeo.gdal")
        )
        and not errors
    ):
        findings.warning(
            "inventory.empty",
            "no geospatial binding is installed here",
            "run the check in the environment that holds the stack",
        )
    carried = carried_versions(modules)
    mapped = libmaps.mapped_libraries()
    libmaps.check_copies(mapped, findings)
    cli_tools = tools.tool_versions()
    libmaps.check_skew({**carried, **cli_tools}, findings)
    data = {b: bindings_data.probe(b, modules, findings) for b in DATA_BINDINGS if b in modules}
    for binding in sorted(errors.keys() & bindings_data.BUNDLED.keys()):  # failed imports
        data[binding] = bindings_data.probe_unimported(binding, findings)
    probes: dict[str, Any] = {}
    guarded = {
        "transforms": lambda: transforms.run_golden(modules, findings),
        "axis order": lambda: transforms.run_axis_order(modules, findings),
        "grids": lambda: transforms.run_grids(modules, findings, accuracy),
        "geometry": lambda: geometry.run_geometry(modules, findings),
    }
    workdir = environment.writable_temp_dir()
    guarded["application calls"] = lambda: app_calls.run_app_calls(
        modules, findings, can_write=workdir is not None
    )
    if workdir is not None:  # without a temp dir the raster round trips cannot run
        guarded["raster"] = lambda: raster.run_raster(modules, findings, workdir)
    for name, probe in guarded.items():
        probes.update(_guard(name, probe, findings))
    runtime = _guard(
        "runtime", lambda: environment.run_environment(modules, findings, ca_env), findings
    )
    _guard("records", lambda: records.run_records(findings), findings)
    workload_results = _workloads(workdir, findings) if workloads else None
    probes = finite_probes(probes, findings)
    if workload_results is not None:
        workload_results = finite_workloads(workload_results, findings)
    paths = {b: {k: (v or {}).get("path") for k, v in d.items()} for b, d in data.items()}
    for d in data.values():
        for v in d.values():
            if isinstance(v, dict):
                v.pop("path", None)
    items = findings.sorted()
    optional: dict[str, Any] = {} if workload_results is None else {"workloads": workload_results}
    if cli_tools:
        optional["tools"] = cli_tools
    stack = built_stack(findings)
    if stack:
        optional["stack"] = stack
    fingerprint = normalise(
        {
            **optional,
            "format": FINGERPRINT_FORMAT,
            "python": {
                "version": platform.python_version(),
                "machine": platform.machine(),
                "implementation": platform.python_implementation(),
            },
            "bindings": carried,
            "import_errors": errors,
            "libraries": {
                lib: sorted({c["version"] for c in copies}) for lib, copies in mapped.items()
            },
            "data": data,
            "env": env,
            "runtime": runtime,
            "probes": probes,
            "paths": {
                "data": paths,
                "libraries": {k: [c["path"] for c in v] for k, v in mapped.items()},
            },
            "findings": [f.as_dict() for f in items],
            "summary": {
                s: sum(f.severity == s for f in items) for s in ("error", "warning", "info")
            },
        }
    )
    return cast(Fingerprint, fingerprint)


def dumps(fingerprint: Fingerprint) -> str:
    # allow_nan=False: a non-finite number that slipped past gisbox.runtime.check.finite
    # fails here rather than writing `NaN`, which is not JSON
    return json.dumps(fingerprint, indent=1, sort_keys=True, allow_nan=False) + "\n"

"""What the in-image commands print as JSON, as TypedDicts: produced in the image (or any
environment `gisbox check` runs in), read by name on the host (`build`, `verify`, `diff`,
`report`). Standard library only.

A fingerprint read back from a file is only as trustworthy as the file: the host reads
every key with `.get()` where a fingerprint of another gisbox version may lack it.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

FINGERPRINT_FORMAT = 1

# binding -> {"version": …, "gdal": …, "proj": …, "geos": …} (None where it carries none)
Bindings = dict[str, dict[str, str | None]]


class FindingPayload(TypedDict):
    id: str  # stable, e.g. "data.proj-db-mismatch"
    severity: str  # "error" | "warning" | "info"
    message: str
    hint: str


class Summary(TypedDict):
    error: int
    warning: int
    info: int


class PythonFacts(TypedDict):
    version: str
    machine: str
    implementation: str


class Fingerprint(TypedDict):
    """`gisbox check --json`: normalised so identical environments give identical bytes."""

    format: int
    python: PythonFacts
    bindings: Bindings
    import_errors: dict[str, str]
    libraries: dict[str, list[str]]  # "gdal" -> the versions of every copy mapped
    data: dict[str, dict[str, Any]]  # binding -> its proj.db / GDAL data
    env: dict[str, str]  # PROJ_DATA, PROJ_LIB, GDAL_DATA as set
    runtime: dict[str, Any]  # container pitfalls: temp, HOME, CA bundle, locale
    probes: dict[str, Any]  # id -> value, or {"value": [...], "tolerance": t, "unit": u}
    paths: dict[str, Any]  # where data and libraries were found (informational in diffs)
    findings: list[FindingPayload]
    summary: Summary
    workloads: NotRequired[dict[str, dict[str, Any]]]  # `check --workloads`
    tools: NotRequired[Bindings]  # gdalinfo / projinfo on PATH and the library each runs
    # strategy "source": what built the stack (GISBOX_STACK, set in the image)
    stack: NotRequired[dict[str, Any]]


class HealthReport(TypedDict):
    """`gisbox healthcheck --json`: one line."""

    healthy: bool
    bindings: NotRequired[Bindings]
    seconds: NotRequired[float]
    reason: NotRequired[str]  # why not healthy

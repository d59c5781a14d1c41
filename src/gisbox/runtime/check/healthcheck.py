"""`gisbox healthcheck`: the fast subset of `gisbox check`, for HEALTHCHECK and probes.

Uses the same probes as the full suite on the bindings that do coordinate
work: PROJ_DATA/PROJ_LIB/GDAL_DATA, the proj.db and GDAL data each binding
uses (pyogrio's without importing it: loading its GDAL takes ~0.4 s), and
EPSG:4326 -> EPSG:3857 (lon 15, lat 12) through pyproj, rasterio and
osgeo.osr to 1 mm. Exit 0 when healthy, 1 with one line on stderr.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from typing import Any

from gisbox.runtime.check import bindings_data, transforms
from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.golden import CASES
from gisbox.runtime.check.projdb import env_dirs
from gisbox.runtime.check.stack import carried_versions, one_line, present
from gisbox.runtime.payloads import HealthReport

FAST_BINDINGS = ("numpy", "pyproj", "shapely", "rasterio", "osgeo.gdal")
GOLDEN = CASES[0]


class Unhealthy(Exception):
    """One-line reason the environment is not healthy."""


def import_all() -> tuple[dict[str, Any], dict[str, str]]:
    modules: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in FAST_BINDINGS:
        if present(name.split(".")[0]):
            try:
                modules[name] = importlib.import_module(name)
            except Exception as exc:
                errors[name] = one_line(exc)
    return modules, errors


def run() -> HealthReport:
    """Run the fast probes; raise Unhealthy with the first error."""
    started = time.perf_counter()
    findings = Findings()
    env_dirs(findings)
    modules, errors = import_all()
    if errors:
        name, err = next(iter(errors.items()))
        raise Unhealthy(f"import {name} failed: {err}")
    if not {"pyproj", "rasterio", "osgeo.gdal"} & modules.keys():
        raise Unhealthy("no PROJ binding (pyproj, rasterio or osgeo.gdal) is installed")
    for binding in ("pyproj", "rasterio", "osgeo.gdal"):
        if binding in modules:
            bindings_data.probe(binding, modules, findings)
    if present("pyogrio"):
        bindings_data.probe("pyogrio", modules, findings)
    for binding in ("pyproj", "rasterio", "osgeo.gdal"):
        if binding in modules:
            try:
                got = transforms.forward(binding, GOLDEN)
            except Exception as exc:
                findings.error(
                    "transform.failed", f"{binding}: EPSG:4326->EPSG:3857 failed: {one_line(exc)}"
                )
                continue
            if transforms.distance(got, GOLDEN.expected) > GOLDEN.tolerance:
                findings.error(
                    "transform.golden",
                    f"{binding}: EPSG:4326->EPSG:3857 of lon 15 lat 12 gave "
                    f"({got[0]!r}, {got[1]!r}), expected {GOLDEN.expected} within "
                    f"{GOLDEN.tolerance} m",
                )
    errors_found = [f for f in findings.sorted() if f.severity == "error"]
    if errors_found:
        raise Unhealthy(f"{errors_found[0].id}: {errors_found[0].message}")
    return HealthReport(
        healthy=True,
        bindings=carried_versions(modules),
        seconds=round(time.perf_counter() - started, 3),
    )


def check_url(url: str) -> int:
    """Readiness over HTTP (service images): 0 when URL answers 200, else 1 with the reason."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=8) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        body = exc.read().decode(errors="replace")[:300]
        print(f"unhealthy: {url} answered {exc.code}: {body}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    print("healthy" if status == 200 else f"unhealthy: {url} answered {status}")
    return 0 if status == 200 else 1


def parser() -> Any:  # argparse.ArgumentParser, imported only here
    import argparse

    p = argparse.ArgumentParser(
        prog="gisbox healthcheck",
        description="Fast check of this environment: imports, PROJ/GDAL data, a golden "
        "transformation (exit 0 healthy, 1 not, with one line on stderr).",
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON line")
    p.add_argument("--url", help="instead, check that URL answers 200 (service readiness)")
    return p


def fast_options(argv: list[str]) -> tuple[bool, str | None] | None:
    """(--json, --url) for the argument lists HEALTHCHECK and `gisbox build` run, every
    30 s in every container: they skip importing argparse (about 16 ms); None for the
    rest, which parser() reads."""
    if argv in ([], ["--json"]):
        return bool(argv), None
    if len(argv) == 2 and argv[0] == "--url" and not argv[1].startswith("-"):
        return False, argv[1]
    return None


def main(argv: list[str]) -> int:
    fast = fast_options(argv)
    if fast is None:
        try:
            args = parser().parse_args(argv)
        except SystemExit as exc:  # usage errors exit 2, --help exits 0
            return int(exc.code or 0)
        fast = args.json, args.url
    as_json, url = fast
    if url:
        return check_url(url)
    try:
        report = run()
    except Unhealthy as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        if as_json:
            print(json.dumps(HealthReport(healthy=False, reason=str(exc))))
        return 1
    except Exception as exc:  # an unexpected crash is unhealthy too, never a traceback
        print(f"unhealthy: {one_line(exc)}", file=sys.stderr)
        return 1
    print(json.dumps(report, sort_keys=True) if as_json else "healthy")
    return 0

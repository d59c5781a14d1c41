"""Benchmark: build the `minimal` profile with gisbox and print size and speed figures.

    .venv/bin/python bench/bench_minimal.py [--warm]

    .venv/bin/python bench/bench_minimal.py --strategy system   # cold <= 5 min, rebuild <= 30 s

Prints: uncompressed size, gzip size of `docker save`, cold build time (BuildKit cache
pruned first, unless --warm), rebuild time after an app change (the engine's build, and
the whole `gisbox build` with its verification, SBOM and report, step by step), container start ->
healthy time (Docker's own HEALTHCHECK, and the first passing `gisbox healthcheck`),
and healthcheck latency (median of 10). Targets for `minimal`: <= 400 MB uncompressed,
<= 140 MB gzip, healthcheck median <= 0.25 s inside the image (with a breakdown of
where its time goes). Needs a Docker engine and
the base image (scripts/ensure-base.sh).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from gisbox.engines.cli_engine import CliEngine
from gisbox.engines.docker import detect_docker
from gisbox.image.build import BuildReport, build_image
from gisbox.locking.resolve import resolve_lock
from gisbox.progress import Progress
from gisbox.project.lockfile import write_lock
from gisbox.project.profiles import init_project
from gisbox.project.project import Paths, Project
from gisbox.project.spec import SPEC_FILE, load_spec

TARGET_MB, TARGET_GZIP_MB, TARGET_HEALTHCHECK_S = 400.0, 140.0, 0.25
TARGET_SYSTEM_COLD_S, TARGET_SYSTEM_WARM_S = 300.0, 30.0
TARGET_APP_CHANGE_S = 3.0  # the whole build after an app change: SBOM and check included


def verdict(value: float, target: float, unit: str) -> str:
    return f"target <= {target:g} {unit}: {'met' if value <= target else 'MISSED'}"


def make_project(root: Path, strategy: str, profile: str = "minimal") -> Path:
    init_project(root, profile)
    (root / "app").mkdir()
    (root / "app" / "main.py").write_text("print('bench')\n")
    spec = root / SPEC_FILE
    name = f"gisbox-bench/minimal-{strategy}"
    text = re.sub(r'^name = "[^"]*"', f'name = "{name}"', spec.read_text(), flags=re.M)
    text = text.replace("files = []", 'files = ["app/"]')
    if strategy == "system":  # one GDAL for everything, osgeo.gdal included
        text = text.replace('strategy = "wheels"', 'strategy = "system"').replace(
            '  "pystac-client>=0.8",', '  "pystac-client>=0.8",\n  "gdal",'
        )
    spec.write_text(text)
    return root


def lock(project: Path, engine: CliEngine) -> Project:
    """`gisbox lock` for the project; the project as build and push load it."""
    paths = Paths(project)
    write_lock(resolve_lock(load_spec(paths.spec), engine), paths.lock)
    return Project.load(project)


def build(project: Path, engine: CliEngine) -> BuildReport:
    return build_image(Project.load(project), engine)


@dataclass
class StepClock:
    """A Progress that keeps when each of the build's steps began."""

    steps: list[tuple[str, float]] = field(default_factory=list)

    def on_step(self, text: str) -> None:
        self.steps.append((text, time.monotonic()))

    def durations(self, end: float) -> list[tuple[str, float]]:
        ends = [t for _, t in self.steps[1:]] + [end]
        return [(text, stop - start) for (text, start), stop in zip(self.steps, ends, strict=True)]


def timed_build(project: Path, engine: CliEngine) -> tuple[float, list[tuple[str, float]]]:
    """The whole `gisbox build` (verification, SBOM and report included): its wall time,
    and each step's."""
    clock = StepClock()
    started = time.monotonic()
    build_image(Project.load(project), engine, progress=Progress(on_step=clock.on_step))
    end = time.monotonic()
    return end - started, clock.durations(end)


def gzip_size(engine: CliEngine, ref: str) -> int:
    """Bytes of `docker save REF | gzip -6`, streamed."""
    proc = subprocess.Popen([engine.path, "save", ref], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    comp, total = zlib.compressobj(6, zlib.DEFLATED, 31), 0
    while chunk := proc.stdout.read(1 << 20):
        total += len(comp.compress(chunk))
    total += len(comp.flush())
    proc.wait()
    return total


def start_to_healthy(engine: CliEngine, ref: str) -> tuple[float, float]:
    """(seconds until Docker says healthy, seconds until `gisbox healthcheck` first passes)."""
    name = f"gisbox-bench-{int(time.time())}"
    started = time.monotonic()
    engine.command("run", "-d", "--name", name, ref, "sleep", "300")
    first_pass = docker_healthy = -1.0
    try:
        while time.monotonic() - started < 120 and docker_healthy < 0:
            if first_pass < 0:
                res = engine.command("exec", name, "gisbox", "healthcheck", check=False)
                if res.returncode == 0:
                    first_pass = time.monotonic() - started
            status = engine.command("inspect", "--format", "{{.State.Health.Status}}", name).stdout
            if status.strip() == "healthy":
                docker_healthy = time.monotonic() - started
            time.sleep(0.25)
        return docker_healthy, first_pass
    finally:
        engine.remove_container(name)


def healthcheck_latency(engine: CliEngine, ref: str, runs: int = 10) -> tuple[float, float]:
    """(median wall seconds of `docker exec … gisbox healthcheck`, median in-process seconds)."""
    name = f"gisbox-bench-lat-{int(time.time())}"
    engine.command("run", "-d", "--name", name, ref, "sleep", "300")
    walls, inner = [], []
    try:
        for _ in range(runs):
            t = time.monotonic()
            res = engine.command("exec", name, "gisbox", "healthcheck", "--json")
            walls.append(time.monotonic() - t)
            inner.append(float(json.loads(res.stdout)["seconds"]))
    finally:
        engine.remove_container(name)
    return statistics.median(walls), statistics.median(inner)


# where a healthcheck's time goes, inside the image: each import and probe, in order
HEALTH_STAGES = r"""
import json, sys, time
t0 = time.perf_counter()
marks = []
def mark(name): marks.append((name, time.perf_counter()))
sys.path.insert(0, "/opt/gisbox")
from gisbox.runtime.check import healthcheck; mark("gisbox's check modules")
import numpy; mark("import numpy")
import pyproj; mark("import pyproj")
import shapely; mark("import shapely")
import rasterio; mark("import rasterio")
healthcheck.run(); mark("the probes (data dirs, proj.db, golden transformation)")
out, prev = [], t0
for name, at in marks:
    out.append([name, at - prev]); prev = at
print(json.dumps(out))
"""


def health_stages(engine: CliEngine, ref: str, runs: int = 5) -> list[tuple[str, float]]:
    """Median seconds of each stage of a healthcheck in a fresh process in the image."""
    name = f"gisbox-bench-stages-{int(time.time())}"
    engine.command("run", "-d", "--name", name, ref, "sleep", "300")
    samples: list[list[tuple[str, float]]] = []
    try:
        for _ in range(runs):
            res = engine.command("exec", name, "/opt/venv/bin/python", "-c", HEALTH_STAGES)
            samples.append([(str(n), float(t)) for n, t in json.loads(res.stdout)])
    finally:
        engine.remove_container(name)
    return [
        (stage, statistics.median(s[i][1] for s in samples))
        for i, (stage, _) in enumerate(samples[0])
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", action="store_true", help="keep BuildKit's cache")
    parser.add_argument("--strategy", choices=("wheels", "system"), default="wheels")
    args = parser.parse_args()
    engine = detect_docker()
    with tempfile.TemporaryDirectory(prefix="gisbox-bench-") as tmp:
        project = make_project(Path(tmp), args.strategy)
        spec = lock(project, engine).spec
        engine.command("rmi", "-f", spec.reference, check=False)
        if not args.warm:
            engine.command("builder", "prune", "-af", timeout=600)
        cold = build(project, engine)
        (project / "app" / "main.py").write_text("print('bench, changed')\n")
        warm = build(project, engine)
        whole: list[tuple[float, list[tuple[str, float]]]] = []
        for n in range(3):  # the whole build after an app change, verification included
            (project / "app" / "main.py").write_text(f"print('bench, change {n}')\n")
            whole.append(timed_build(project, engine))
        gz = gzip_size(engine, spec.reference)
        healthy, first_pass = start_to_healthy(engine, spec.reference)
        wall, inner = healthcheck_latency(engine, spec.reference)
        stages = health_stages(engine, spec.reference)
    size_mb, gz_mb = warm.size_bytes / 1e6, gz / 1e6
    system = args.strategy == "system"
    rows = [
        ("image", f"{spec.reference} ({len(cold.bindings)} bindings, healthy={warm.healthy})"),
        (
            "uncompressed size",
            f"{size_mb:.1f} MB = {warm.size_bytes / 2**20:.1f} MiB"
            + ("" if system else f" ({verdict(size_mb, TARGET_MB, 'MB')})"),
        ),
        (
            "gzip of docker save",
            f"{gz_mb:.1f} MB = {gz / 2**20:.1f} MiB"
            + ("" if system else f" ({verdict(gz_mb, TARGET_GZIP_MB, 'MB')})"),
        ),
        ("layers", str(warm.layers)),
        (
            "cold build" + (" (warm cache)" if args.warm else ""),
            f"{cold.build_seconds:.1f} s"
            + (f" ({verdict(cold.build_seconds, TARGET_SYSTEM_COLD_S, 's')})" if system else ""),
        ),
        (
            "rebuild after app change",
            f"{warm.build_seconds:.1f} s"
            + (f" ({verdict(warm.build_seconds, TARGET_SYSTEM_WARM_S, 's')})" if system else ""),
        ),
        ("start -> Docker healthy", f"{healthy:.1f} s (first check runs after --interval=30s)"),
        ("start -> healthcheck passes", f"{first_pass:.1f} s"),
        (
            "healthcheck latency (median of 10)",
            f"{wall:.3f} s via docker exec ({verdict(wall, TARGET_HEALTHCHECK_S, 's')}), "
            f"{inner:.3f} s in-process",
        ),
    ]
    rows.append((
        "where a healthcheck's time goes (median of 5)",
        "; ".join(f"{stage} {sec * 1000:.0f} ms" for stage, sec in stages)
        + " (the probes run after the imports, so they take the rest)",
    ))  # fmt: skip
    median_whole = statistics.median(w for w, _ in whole)
    rows.append((
        "whole `gisbox build` after app change (median of 3)",
        f"{median_whole:.2f} s ({verdict(median_whole, TARGET_APP_CHANGE_S, 's')}): "
        + "; ".join(f"{text.split(' (')[0][:48]} {sec:.2f} s" for text, sec in
                    min(whole)[1]),
    ))  # fmt: skip
    width = max(len(k) for k, _ in rows)
    print(f"gisbox bench: minimal profile, strategy {args.strategy}")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


if __name__ == "__main__":
    main()

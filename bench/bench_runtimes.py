"""Benchmark: the `minimal` profile in each runtime and base, `system` on Debian 13, and
the seed recipe, measured in one run.

    .venv/bin/python bench/bench_runtimes.py [--warm] [--only NAME ...]

Each row: uncompressed size (`docker image inspect` Size), gzip of `docker save`, cold
build time (BuildKit's cache pruned before each gisbox build, unless --warm; the lock is
made first and not timed) and the median of 5 `gisbox healthcheck` runs via `docker exec`.
Then a per-component breakdown of the distroless `minimal` image (what stands between it
and the seed's 300 MB promise), and the seed recipe (bench/seed/Dockerfile: multi-stage,
pip wheels, the system GIS libraries in the runtime, `chown -R`) built the same way.
Targets for `minimal` distroless: <= 330 MB uncompressed, <= 115 MB gzip. Needs Docker,
the bases (`gisbox base --tag debian:trixie-slim` for Debian 13) and network access.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from bench_minimal import gzip_size, lock, make_project

from gisbox.engines.cli_engine import CliEngine
from gisbox.engines.docker import detect_docker
from gisbox.image.build import build_image
from gisbox.image.cacert import find_ca_bundle
from gisbox.project.project import Project

ROWS = {  # name -> (strategy, base, runtime)
    "minimal slim bookworm": ("wheels", "debian:bookworm-slim", "slim"),
    "minimal distroless bookworm": ("wheels", "debian:bookworm-slim", "distroless"),
    "minimal slim trixie": ("wheels", "debian:trixie-slim", "slim"),
    "minimal distroless trixie": ("wheels", "debian:trixie-slim", "distroless"),
    "system slim trixie": ("system", "debian:trixie-slim", "slim"),
}
TARGET_MB, TARGET_GZIP_MB = 330.0, 115.0
SLEEP = ["python", "-c", "import time; time.sleep(600)"]  # no `sleep` in distroless
BREAKDOWN = r"""
import os, sys, json
seen, sizes = set(), {}
py = "python%d.%d" % sys.version_info[:2]
def component(path):
    if path.startswith("/opt/venv/"):
        rel = path.split("/site-packages/", 1)[-1]
        top = rel.split("/", 1)[0]
        if path.endswith(".pyc"): return "venv: bytecode"
        if top.endswith(".libs"): return "wheel libraries: " + top[:-5]
        if "/proj_data/" in path or "/gdal_data/" in path or "/share/proj/" in path:
            return "venv: PROJ/GDAL data"
        return "venv: sources and extension modules"
    if path.startswith("/opt/gisbox/") or path.startswith("/app/"): return "gisbox and the app"
    if ("/" + py + "/") in path or path.endswith((py, py.replace(".", "") + ".zip")):
        return "Python (interpreter, stdlib)"
    return "base files (libc, OpenSSL, libstdc++, ...)"
for top in ("/usr", "/etc", "/var", "/opt", "/app", "/home"):
    for root, dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(root, name)
            st = os.lstat(path)
            if (st.st_dev, st.st_ino) in seen: continue
            seen.add((st.st_dev, st.st_ino))
            key = component(path)
            sizes[key] = sizes.get(key, 0) + st.st_size
print(json.dumps(sizes))
"""


def project_for(root: Path, strategy: str, base: str, runtime: str) -> Path:
    make_project(root, strategy)
    spec = root / "gisbox.toml"
    text = spec.read_text().replace("debian:bookworm-slim", base)
    text = re.sub(
        r'^name = "([^"]*)"', rf'name = "\1-{base.split(":")[1]}-{runtime}"', text, flags=re.M
    )
    text = text.replace('stdlib = "zip"', f'stdlib = "zip"\nruntime = "{runtime}"', 1)
    spec.write_text(text)
    return root


def healthcheck_median(engine: CliEngine, ref: str, runs: int = 5) -> float:
    name = f"gisbox-bench-rt-{int(time.time() * 1000)}"
    engine.command("run", "-d", "--name", name, "--entrypoint", "python", ref, *SLEEP[1:])
    walls = []
    try:
        for _ in range(runs):
            started = time.monotonic()
            engine.command("exec", name, "/usr/local/bin/gisbox", "healthcheck")
            walls.append(time.monotonic() - started)
    finally:
        engine.remove_container(name)
    return statistics.median(walls)


def measure(engine: CliEngine, name: str, root: Path, warm: bool) -> dict[str, object]:
    strategy, base, runtime = ROWS[name]
    project = project_for(root, strategy, base, runtime)
    loaded = lock(project, engine)
    if not warm:
        engine.command("builder", "prune", "-af", timeout=600)
    started = time.monotonic()
    report = build_image(Project.load(project), engine)
    seconds = time.monotonic() - started
    return {
        "name": name, "reference": loaded.spec.reference, "mb": report.size_bytes / 1e6,
        "gzip_mb": gzip_size(engine, loaded.spec.reference) / 1e6, "cold_s": seconds,
        "healthcheck_s": healthcheck_median(engine, loaded.spec.reference),
    }  # fmt: skip


def breakdown(engine: CliEngine, ref: str) -> dict[str, int]:
    res = engine.command("run", "--rm", "--entrypoint", "python", ref, "-c", BREAKDOWN)
    sizes: dict[str, int] = json.loads(res.stdout)
    return sizes


def seed(engine: CliEngine, warm: bool) -> dict[str, object]:
    bundle, _ = find_ca_bundle(None)
    if not warm:
        engine.command("builder", "prune", "-af", timeout=600)
    started = time.monotonic()
    argv = ["build", "-t", "gisbox-bench/seed", "-f", "bench/seed/Dockerfile"]
    argv += ["--secret", f"id=ca,src={bundle}"] if bundle else []
    engine.command(*argv, "bench/seed", timeout=3600)
    seconds = time.monotonic() - started
    info = engine.inspect("gisbox-bench/seed")
    return {"name": "seed recipe (bench/seed)", "reference": "gisbox-bench/seed",
            "mb": info.size / 1e6, "gzip_mb": gzip_size(engine, "gisbox-bench/seed") / 1e6,
            "cold_s": seconds, "healthcheck_s": float("nan")}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", action="store_true", help="keep BuildKit's cache")
    parser.add_argument("--only", nargs="*", choices=[*ROWS, "seed"], default=None)
    args = parser.parse_args()
    engine = detect_docker()
    rows = []
    for name in args.only or [*ROWS, "seed"]:
        if name == "seed":
            rows.append(seed(engine, args.warm))
            continue
        with tempfile.TemporaryDirectory(prefix="gisbox-bench-") as tmp:
            rows.append(measure(engine, name, Path(tmp), args.warm))
    print(f"{'image':32} {'MB':>8} {'gzip MB':>8} {'cold s':>7} {'healthcheck s':>14}")
    for r in rows:
        print(f"{r['name']:32} {r['mb']:8.1f} {r['gzip_mb']:8.1f} {r['cold_s']:7.0f} "
              f"{r['healthcheck_s']:14.2f}")  # fmt: skip
    distroless = [r for r in rows if r["name"] == "minimal distroless trixie"]
    for r in distroless + [r for r in rows if r["name"] == "minimal distroless bookworm"]:
        ok = r["mb"] <= TARGET_MB and r["gzip_mb"] <= TARGET_GZIP_MB  # type: ignore[operator]
        verdict = "met" if ok else "MISSED"
        print(f"\n{r['name']}: target <= {TARGET_MB:g} MB, <= {TARGET_GZIP_MB:g} MB gzip: "
              f"{verdict}; where the bytes go (files, hard links once):")  # fmt: skip
        for part, size in sorted(
            breakdown(engine, str(r["reference"])).items(), key=lambda kv: -kv[1]
        ):
            print(f"  {size / 1e6:7.1f} MB  {part}")


if __name__ == "__main__":
    main()

"""Benchmark start -> ready -> healthy of a `service` image, on every engine available.

    .venv/bin/python bench/bench_healthy.py [--runs 3] [--limit 60]

Ready: the first 200 from /readyz, polled every 50 ms from the host over the engine's
bridge. Healthy: the engine's health status, polled every 100 ms. The image is built by
gisbox on each Docker engine (so the rendered HEALTHCHECK is the one that engine gets:
`--start-interval=1s` only where it is kept); Podman runs the image built by the host's
Docker (`docker save | podman load`). Engines:
- docker: the host's (Debian 12: 20.10, which keeps no start interval);
- docker-next: Debian 13's Docker 26 beside it (`bash scripts/docker-next.sh`), when up;
- podman: when installed (its healthchecks run from systemd timers).
Target (issue 15): healthy within 2 s of ready where the start interval is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench_minimal import build, lock

from gisbox.engines.base import RunOptions
from gisbox.engines.cli_engine import CliEngine
from gisbox.engines.docker import detect_docker
from gisbox.engines.podman import detect_podman
from gisbox.project.profiles import init_project
from gisbox.project.spec import SPEC_FILE
from gisbox.runtime.errors import EngineError

NEXT = os.environ.get("GISBOX_DOCKER_NEXT", "unix:///run/gisbox-next/docker.sock")
BASE = "debian:bookworm-slim"


def state(engine: CliEngine, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(engine.command("inspect", name).stdout)[0]
    return data


def address(engine: CliEngine, name: str) -> str:
    info = state(engine, name)["NetworkSettings"]
    ip = info.get("IPAddress") or next(
        (n["IPAddress"] for n in (info.get("Networks") or {}).values() if n.get("IPAddress")), ""
    )
    return str(ip)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def measure(engine: CliEngine, image: str, limit: float) -> tuple[float | None, float | None]:
    """(seconds from start to ready, to healthy); None when not within `limit`."""
    name = f"gisbox-bench-healthy-{os.getpid()}"
    engine.command("rm", "-f", name, check=False)
    started = time.monotonic()
    res = engine.run(image, options=RunOptions(detach=True, name=name))
    if res.returncode != 0:
        raise SystemExit(f"{engine.name}: cannot start {image}: {res.stderr.strip()}")
    ready = healthy = None
    try:
        url = ""
        while time.monotonic() - started < limit and healthy is None:
            url = url or (
                f"http://{address(engine, name)}:8080/readyz" if address(engine, name) else ""
            )
            if ready is None and url and answers(url):
                ready = time.monotonic() - started
            s = state(engine, name)["State"]
            health = (s.get("Health") or s.get("Healthcheck") or {}).get("Status")
            if health == "healthy":
                healthy = time.monotonic() - started
            time.sleep(0.05)
    finally:
        engine.command("rm", "-f", name, check=False)
    return ready, healthy


def service_image(engine: CliEngine, workdir: Path, docker: CliEngine) -> str:
    """The `service` profile built by gisbox on `engine` (Podman: the host Docker's)."""
    if engine.name == "podman":
        image = service_image(docker, workdir, docker)
        save = subprocess.Popen([docker.path, "save", image], stdout=subprocess.PIPE)
        subprocess.run([engine.path, "load", "-q"], stdin=save.stdout, check=True)
        save.wait()
        return image
    if not engine.exists(BASE):
        save = subprocess.Popen([docker.path, "save", BASE], stdout=subprocess.PIPE)
        subprocess.run([engine.path, "load", "-q"], stdin=save.stdout, env=engine.env(), check=True)
        save.wait()
    project = workdir / f"service-{engine.name}-{len(list(workdir.iterdir()))}"
    project.mkdir()
    init_project(project, "service")
    spec = project / SPEC_FILE
    spec.write_text(
        re.sub(r'^name = "[^"]*"', 'name = "gisbox-bench/healthy"', spec.read_text(), flags=re.M)
    )
    lock(project, engine)
    report = build(project, engine)
    probes = "every 1 s until healthy" if report.health_start_interval else "every 30 s"
    print(f"  built {report.tag} in {report.build_seconds:.0f} s; health probes {probes}")
    return report.tag


def engines() -> list[tuple[str, CliEngine]]:
    found: list[tuple[str, CliEngine]] = [("docker", detect_docker())]
    try:
        found.append(("docker-next", detect_docker(host=NEXT)))
    except EngineError as exc:
        print(
            f"docker-next: not available ({exc.message}); `bash scripts/docker-next.sh` starts it"
        )
    try:
        podman = detect_podman()
        assert isinstance(podman, CliEngine)
        found.append(("podman", podman))
    except EngineError as exc:
        print(f"podman: not available ({exc.message})")
    return found


def med(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} s" if xs else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds to wait per run")
    args = parser.parse_args()
    available = engines()
    docker = available[0][1]
    rows = []
    with tempfile.TemporaryDirectory(prefix="gisbox-bench-healthy-") as tmp:
        for label, engine in available:
            print(f"{label}: {engine.description}")
            image = service_image(engine, Path(tmp), docker)
            runs = [measure(engine, image, args.limit) for _ in range(args.runs)]
            rows.append((label, engine, runs))
    print(f"\n{'engine':<12} {'start->ready':>13} {'start->healthy':>15} {'ready->healthy':>15}")
    for label, engine, runs in rows:
        ready = [r for r, _ in runs if r is not None]
        healthy = [h for _, h in runs if h is not None]
        gaps = [h - r for r, h in runs if r is not None and h is not None]
        never = len(runs) - len(healthy)
        note = (
            f"  (not healthy within {args.limit:.0f} s in {never}/{len(runs)} runs)"
            if never
            else ""
        )
        print(f"{label:<12} {med(ready):>13} {med(healthy):>15} {med(gaps):>15}{note}")
        if engine.name == "podman" and never:
            print(f"{'':<13}Podman starts healthchecks from systemd timers: none without systemd")


if __name__ == "__main__":
    main()

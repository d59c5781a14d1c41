"""Healthy when ready: on an engine that keeps `HEALTHCHECK --start-interval` (Docker >= 25)
`gisbox build` renders it, and a service container turns healthy within 2 s of answering
/readyz; Docker 20.10 refuses the flag, so gisbox leaves it out there.

The newer engine is Debian 13's Docker 26 beside the host's (tests/next_engine.py). A
service project (the `service` profile narrowed to what `gisbox serve` imports, to keep
CI short) is built on it from scratch with the real CLI; the base is moved over with
save | load, as an air-gapped user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from gisbox.engines.cli_engine import CliEngine
from tests.next_engine import CLIENT, NEXT, raw_inspect

READY_TO_HEALTHY = 2.0  # seconds, the bound


def test_docker_20_10_refuses_the_flag_and_gisbox_leaves_it_out(engine: CliEngine) -> None:
    server = engine.command("version", "--format", "{{.Server.APIVersion}}").stdout.strip()
    if tuple(int(n) for n in server.split(".")) >= (1, 44):
        pytest.skip(f"the host engine speaks API {server}: it keeps the start interval")
    assert engine.supports_start_interval() is False
    refused = subprocess.run(
        [engine.path, *engine.build_command(), "-q", "-"],
        input='FROM scratch\nHEALTHCHECK --start-interval=1s CMD ["true"]\n',
        capture_output=True,
        text=True,
        env=engine.env(),
        check=False,
    )
    assert refused.returncode != 0 and "start-interval" in refused.stderr


def test_docker_26_build_renders_and_keeps_the_start_interval(
    service_on_next: dict[str, Any],
) -> None:
    assert service_on_next["health_start_interval"] is True
    dockerfile = (service_on_next["project"] / "Dockerfile").read_text()
    assert "--start-period=20s --start-interval=1s --retries=3" in dockerfile
    health = raw_inspect(service_on_next["tag"])["Config"]["Healthcheck"]
    assert health["StartInterval"] == 1_000_000_000 and health["Interval"] == 30_000_000_000


@pytest.fixture
def started(service_on_next: dict[str, Any]) -> Iterator[str]:
    name = f"gisbox-healthy-{os.getpid()}"
    subprocess.run([CLIENT, "-H", NEXT, "rm", "-f", name], capture_output=True, check=False)
    run = subprocess.run(
        [CLIENT, "-H", NEXT, "run", "-d", "--name", name, "--read-only", "--tmpfs", "/tmp",
         service_on_next["tag"]],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    yield name
    subprocess.run([CLIENT, "-H", NEXT, "rm", "-f", name], capture_output=True, check=False)


def container_state(name: str) -> dict[str, Any]:
    res = subprocess.run(
        [CLIENT, "-H", NEXT, "inspect", name], capture_output=True, text=True, check=True
    )
    data: dict[str, Any] = json.loads(res.stdout)[0]
    return data


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def test_a_service_is_healthy_within_2_s_of_ready(started: str) -> None:
    """Ready: the first 200 from /readyz (polled every 50 ms from the host, over the
    engine's bridge). Healthy: the engine's health status. Docker 20.10 would say healthy
    only at the 30 s interval."""
    ip = next(iter(container_state(started)["NetworkSettings"]["Networks"].values()))["IPAddress"]
    url = f"http://{ip}:8080/readyz"
    ready = healthy = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and healthy is None:
        now = time.monotonic()
        if ready is None and answers(url):
            ready = now
        state = container_state(started)["State"]
        assert state["Running"], f"the service stopped: {state}"
        if state["Health"]["Status"] == "healthy":
            healthy = time.monotonic()
        time.sleep(0.05)
    assert ready is not None and healthy is not None, container_state(started)["State"]
    health = container_state(started)["State"]["Health"]
    assert healthy - ready <= READY_TO_HEALTHY, f"healthy {healthy - ready:.2f} s after: {health}"

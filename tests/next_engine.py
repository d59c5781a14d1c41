"""The second, newer engine of the integration tests: Debian 13's Docker 26, run beside
the host's by scripts/docker-next.sh (scripts/test.sh starts it); its socket is
GISBOX_DOCKER_NEXT. Fixtures (session-scoped, registered in tests/integration/conftest.py):
`next_engine`, and `service_on_next`, a service project built on it once per session.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from gisbox.engines.cli_engine import CliEngine
from gisbox.engines.docker import DockerEngine, detect_docker
from gisbox.project.profiles import init_project
from gisbox.project.spec import SPEC_FILE
from gisbox.runtime.errors import EngineError
from tests.disk_budget import BUDGET
from tests.image_fixtures import BASE, IN_CI

NEXT = os.environ.get("GISBOX_DOCKER_NEXT", "unix:///run/gisbox-next/docker.sock")
CLIENT = "/usr/bin/docker"  # Debian 12's 20.10 (BuildKit built in) drives the newer engine too
# the `service` profile narrowed to what `gisbox serve` imports, to keep CI short
SERVICE = ["rasterio>=1.4", "pyproj>=3.6", "fastapi>=0.110", "uvicorn>=0.29", "orjson>=3.9",
           "pydantic-settings>=2.7", "pysimdjson>=6.0"]  # fmt: skip


@pytest.fixture(scope="session")
def next_engine(engine: CliEngine, base_image: str) -> DockerEngine:
    try:
        found = detect_docker(host=NEXT)
    except EngineError as exc:
        why = f"no engine at {NEXT}: {exc}; start one with `bash scripts/docker-next.sh`"
        if IN_CI:
            pytest.fail(f"CI=true: {why}")
        pytest.skip(why)
    if not found.keeps_start_interval():
        pytest.fail(f"the engine at {NEXT} is older than Docker 25: {found.description}")
    if not found.exists(BASE):  # the same base, by its layers (the lock pins them)
        save = subprocess.Popen([engine.path, "save", BASE], stdout=subprocess.PIPE)
        loaded = subprocess.run(
            [found.path, "load", "-q"],
            stdin=save.stdout,
            capture_output=True,
            env=found.env(),
            check=False,
        )
        assert save.wait() == 0 and loaded.returncode == 0, loaded.stderr
    BUDGET.track(found)
    return found


def raw_inspect(ref: str) -> dict[str, Any]:
    """`image inspect` at the engine's own API version: at 1.41 it hides StartInterval."""
    res = subprocess.run(
        [CLIENT, "-H", NEXT, "image", "inspect", ref],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DOCKER_API_VERSION": "1.45"},
    )
    data: dict[str, Any] = json.loads(res.stdout)[0]
    return data


def gisbox_on_next(*args: str) -> str:
    """The real CLI with DOCKER_HOST on the newer engine; its stdout."""
    res = subprocess.run(
        [sys.executable, "-m", "gisbox", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKER_HOST": NEXT},
        timeout=1800,
        check=False,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stdout


@pytest.fixture(scope="session")
def service_on_next(
    next_engine: DockerEngine, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A service project locked and built on the newer engine by the real CLI: its build
    report, plus "project" (the project's directory)."""
    project = tmp_path_factory.mktemp("next") / "service"
    project.mkdir()
    init_project(project, "service")
    spec = project / SPEC_FILE
    text = re.sub(r'(?m)^name = "[^"]*"', 'name = "gisbox-next/service"', spec.read_text())
    text = re.sub(r"(?ms)^packages = \[.*?^\]", f"packages = {json.dumps(SERVICE)}", text)
    spec.write_text(text)
    gisbox_on_next("lock", "-q", "-C", str(project))
    report: dict[str, Any] = json.loads(gisbox_on_next("build", "--json", "-C", str(project)))
    report["project"] = project
    return report

"""Fixtures for tests that build and run real images (imported by tests/conftest.py, so
the integration tests and the projects' `verify.py` items share them).

Each project of tests/projects is locked afresh and built with the real CLI at most once
per session and engine, with a CA bundle that carries a unique marker line (the build
must never leave it in a layer). With CI=true a missing engine is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from gisbox.engines.base import Mount, RunOptions
from gisbox.engines.cli_engine import CliEngine
from gisbox.engines.docker import detect_docker
from gisbox.image.cacert import find_ca_bundle
from gisbox.locking.bases import ensure_base
from gisbox.locking.debootstrap import make_base
from gisbox.runtime.errors import EngineError
from tests.disk_budget import BUDGET

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BASE = "debian:bookworm-slim"
PROJECTS = Path(__file__).parent / "projects"


def gisbox(
    *args: str, cwd: Path | None = None, timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "gisbox", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def docker(engine: CliEngine, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The engine's own client with ARGS (run, inspect, save, ...)."""
    return engine.command(*args, check=False, timeout=timeout)


def need(detect: Any, what: str) -> CliEngine:
    try:
        engine: CliEngine = detect()
    except EngineError as exc:
        if IN_CI:
            pytest.fail(f"CI=true but {what} is not usable: {exc}")
        pytest.skip(f"{what} is not usable: {exc}")
    return engine


@pytest.fixture(scope="session")
def engine() -> CliEngine:
    return BUDGET.track(need(detect_docker, "Docker"))


@pytest.fixture(scope="session")
def base_image(engine: CliEngine) -> str:
    if not engine.exists(BASE) and engine.pull(BASE) is not None:
        make_base(engine, BASE)
    return BASE


@dataclass
class Built:
    project: Path
    report: dict[str, Any]
    marker: bytes
    tag: str
    engine: CliEngine


def marked_ca_bundle(directory: Path) -> tuple[Path, bytes]:
    """The host's bundle (it may hold a TLS-intercepting proxy's CA) plus a unique marker
    line; OpenSSL and rustls skip text between certificates."""
    host_bundle, _ = find_ca_bundle(None)
    marker = f"# gisbox-ca-marker-{uuid.uuid4().hex}".encode()
    bundle = directory / "ca-with-marker.pem"
    bundle.write_bytes((host_bundle.read_bytes() if host_bundle else b"") + b"\n" + marker + b"\n")
    return bundle, marker


def copy_project(name: str, dest: Path) -> Path:
    """tests/projects/NAME without its recorded lock and golden files (links resolved)."""
    ignore = shutil.ignore_patterns("expected", "gisbox.lock", "build-args", "verify.py")
    shutil.copytree(PROJECTS / name, dest, ignore=ignore)
    return dest


def lock_and_build(
    project: Path, *build_args: str, engine: str = "docker", timeout: float = 1800
) -> dict[str, Any]:
    """`gisbox lock` then `gisbox build --json ARGS` with the real CLI; the build report."""
    res = gisbox("lock", "--engine", engine, "-C", str(project))
    assert res.returncode == 0, res.stderr
    res = gisbox(
        "build", "--json", "--engine", engine, *build_args, "-C", str(project), timeout=timeout
    )
    assert res.returncode == 0, res.stderr[-3000:]
    report: dict[str, Any] = json.loads(res.stdout)
    return report


class ProjectImages:
    """tests/projects/<name>, locked and built once per session (Docker)."""

    # system compiles the bindings, source GDAL too (about 13 minutes on 2 quiet cores)
    TIMEOUTS: ClassVar[dict[str, float]] = {"system": 3000.0, "source": 3600.0}

    def __init__(self, engine: CliEngine, workdir: Path) -> None:
        self.engine = engine
        self.workdir = workdir
        self.built: dict[str, Built] = {}

    def get(self, name: str) -> Built:
        if name not in self.built:
            root = self.workdir / name
            root.mkdir()
            project = copy_project(name, root / "project")
            image = tomllib.loads((project / "gisbox.toml").read_text())["image"]
            for platform in image.get("platforms") or [image.get("platform", "linux/amd64")]:
                try:  # present, or pulled
                    ensure_base(self.engine, image["base"], platform)
                except EngineError:  # e.g. debian:trixie-slim, made once
                    make_base(self.engine, image["base"], platform=platform)
            bundle, marker = marked_ca_bundle(root)
            extra = PROJECTS / name / "build-args"  # e.g. --workloads
            args = extra.read_text().split() if extra.is_file() else []
            report = lock_and_build(
                project, "--ca-cert", str(bundle), *args, timeout=self.TIMEOUTS.get(name, 1800)
            )
            self.built[name] = Built(project, report, marker, report["tag"], self.engine)
            BUDGET.bound()  # its cache is not needed by the next project's build
        return self.built[name]


@pytest.fixture(scope="session")
def project_images(
    engine: CliEngine, base_image: str, tmp_path_factory: pytest.TempPathFactory
) -> ProjectImages:
    return ProjectImages(engine, tmp_path_factory.mktemp("projects"))


COMMON = Path(__file__).parent / "projects" / "verify_common.py"  # what verify.py scripts share


def verify_in_image(request: pytest.FixtureRequest, project_images: ProjectImages) -> None:
    """A project's `verify.py`, run inside its image as the image's user."""
    name = request.node.path.parent.name
    built = project_images.get(name)
    script = request.node.path.parent / "verify.py"
    res = built.engine.run(
        built.tag,
        ["python", "/tmp/verify.py"],
        options=RunOptions(
            mounts=(
                Mount(source=script, target="/tmp/verify.py", read_only=True),
                Mount(source=COMMON, target="/tmp/verify_common.py", read_only=True),
            )
        ),
        timeout=600,
    )
    assert res.returncode == 0, f"{name}/verify.py failed:\n{res.stdout}\n{res.stderr}"

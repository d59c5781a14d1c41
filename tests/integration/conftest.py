"""Fixtures for tests that build and run real images.

With CI=true a missing engine or base is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gisbox.base import make_base
from gisbox.cacert import find_ca_bundle
from gisbox.engine import Engine
from gisbox.resolve import uv_bin
from gisbox.runtime.errors import EngineError

from ..conftest import add_app

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BASE = "debian:bookworm-slim"


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


@pytest.fixture(scope="session")
def engine() -> Engine:
    try:
        return Engine.detect()
    except EngineError as exc:
        if IN_CI:
            pytest.fail(f"CI=true but no usable Docker engine: {exc}")
        pytest.skip(f"no usable Docker engine: {exc}")


@pytest.fixture(scope="session")
def base_image(engine: Engine) -> str:
    if not engine.image_exists(BASE):
        ok, _ = engine.try_pull(BASE)
        if not ok:
            make_base(engine, BASE)
    return BASE


@dataclass
class Built:
    project: Path
    report: dict[str, Any]
    marker: bytes
    tag: str


def docker(engine: Engine, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return engine.run(*args, check=False, timeout=timeout)


def lock_and_build(project: Path, *build_args: str, timeout: float = 1800) -> dict[str, Any]:
    """`gisbox lock` then `gisbox build --json ARGS` with the real CLI; the build report."""
    res = gisbox("lock", "-C", str(project))
    assert res.returncode == 0, res.stderr
    res = gisbox("build", "--json", *build_args, "-C", str(project), timeout=timeout)
    assert res.returncode == 0, res.stderr[-3000:]
    report: dict[str, Any] = json.loads(res.stdout)
    return report


@pytest.fixture(scope="session")
def minimal_image(
    engine: Engine, base_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    """The `minimal` profile, locked and built by the real CLI with a marked CA bundle."""
    project = tmp_path_factory.mktemp("minimal")
    assert gisbox("init", "--profile", "minimal", "-C", str(project)).returncode == 0
    add_app(project, "print('hello from the app')", name_prefix="gisbox-test")
    # The host's bundle (it may hold a TLS-intercepting proxy's CA) plus a unique marker
    # line; OpenSSL and rustls skip text between certificates.
    host_bundle, _ = find_ca_bundle(None)
    marker = f"# gisbox-ca-marker-{uuid.uuid4().hex}".encode()
    bundle = project.parent / "ca-with-marker.pem"
    bundle.write_bytes((host_bundle.read_bytes() if host_bundle else b"") + b"\n" + marker + b"\n")
    report = lock_and_build(project, "--ca-cert", str(bundle))
    yield Built(project=project, report=report, marker=marker, tag=report["tag"])


SRC = Path(__file__).resolve().parents[2] / "src"


def venv_from_lock(project: Path, dest: Path) -> Path:
    """A host virtual environment with exactly the image's locked wheels (hash-checked).

    It holds the stack only (no click, pydantic, ...): the in-image part of gisbox runs
    there from the source tree, as it does in the image. Returns its python.
    """
    uv = uv_bin()
    python = dest / "bin/python"
    subprocess.run(
        [uv, "venv", "-q", "--python", shutil.which("python3") or "python3", str(dest)],
        check=True,
    )
    requirements = str(project / ".gisbox/requirements.txt")
    install = [uv, "pip", "install", "-q", "--python", str(python), "--require-hashes"]
    subprocess.run(
        [*install, "--no-deps", "--only-binary", ":all:", "-r", requirements],
        check=True,
        timeout=900,
    )
    return python


def in_image_gisbox(
    python: Path, *args: str, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run the in-image `gisbox` command (gisbox.runtime.main) with a host interpreter."""
    code = (
        f"import sys; sys.path.insert(0, {str(SRC)!r}); from gisbox.runtime.main import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [str(python), "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )

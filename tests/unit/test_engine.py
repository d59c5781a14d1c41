"""Engine detection with fake docker clients on PATH (no real engine needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gisbox.cli import cli
from gisbox.engine import Engine
from gisbox.runtime.errors import EngineError


def fake_docker(directory: Path, version: str, *, buildx: bool, server: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "docker"
    path.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = --version ]; then echo "Docker version {version}, build x"; exit 0; fi\n'
        f'if [ "$1" = buildx ]; then {"exit 0" if buildx else "echo no buildx >&2; exit 1"}; fi\n'
        'if [ "$1" = version ]; then '
        + (
            "echo 20.10.24; exit 0; fi\n"
            if server
            else 'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2; '
            "exit 1; fi\n"
        )
        + "exit 1\n"
    )
    path.chmod(0o755)
    return path


@pytest.fixture(autouse=True)
def isolated_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GISBOX_DOCKER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))


def test_prefers_buildx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_docker(tmp_path / "a", "28.2.2", buildx=True, server=True)
    monkeypatch.setenv("PATH", str(tmp_path / "a"))
    engine = Engine.detect(known=())
    assert engine.client.mode == "buildx"
    argv = engine.build_argv(
        context=Path("."), dockerfile=Path("Dockerfile"), tag="t", platform="linux/amd64"
    )
    assert argv[:3] == ["buildx", "build", "--load"]


def test_skips_new_client_without_buildx_for_old_builtin_buildkit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = fake_docker(tmp_path / "new", "28.2.2", buildx=False, server=True)
    old = fake_docker(tmp_path / "old", "20.10.24+dfsg1", buildx=False, server=True)
    monkeypatch.setenv("PATH", f"{new.parent}:{old.parent}")
    engine = Engine.detect(known=())
    assert engine.client.path == str(old)
    assert engine.client.mode == "legacy-buildkit"
    assert engine.env()["DOCKER_BUILDKIT"] == "1"
    assert "20.10.24" in engine.client.description


def test_no_client_that_can_build_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_docker(tmp_path / "new", "28.2.2", buildx=False, server=True)
    monkeypatch.setenv("PATH", str(tmp_path / "new"))
    with pytest.raises(EngineError) as exc:
        Engine.detect(known=())
    assert "no buildx plugin" in exc.value.message
    assert exc.value.hint and "docker.io" in exc.value.hint


def test_no_engine_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_docker(tmp_path / "old", "20.10.24", buildx=False, server=False)
    monkeypatch.setenv("PATH", str(tmp_path / "old"))
    with pytest.raises(EngineError) as exc:
        Engine.detect(known=())
    assert "no Docker engine is reachable" in exc.value.message
    assert "Cannot connect" in exc.value.message
    assert exc.value.hint and "dockerd" in exc.value.hint


def test_no_client_at_all() -> None:
    with pytest.raises(EngineError, match="no docker client found"):
        Engine.detect(known=())


def test_build_without_engine_exits_4_and_writes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GISBOX_DOCKER", "/nonexistent/docker")
    before = sorted(p.name for p in project.iterdir())
    result = CliRunner().invoke(cli, ["build", "-C", str(project)])
    assert result.exit_code == 4
    assert result.output.startswith("error: ")
    assert sorted(p.name for p in project.iterdir()) == before

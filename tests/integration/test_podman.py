"""The `minimal` profile built with Podman from the lock the Docker build used: healthy,
`gisbox check` clean inside, and the same fingerprint as the Docker-built image."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gisbox.engines.cli_engine import CliEngine
from gisbox.engines.podman import detect_podman
from tests.image_fixtures import BASE, Built, gisbox, marked_ca_bundle, need

pytestmark = pytest.mark.docker


@pytest.fixture(scope="session")
def podman(engine: CliEngine, base_image: str) -> CliEngine:
    """Podman, holding the same base image as Docker (`docker save | podman load`)."""
    podman = need(detect_podman, "Podman")
    if not podman.exists(BASE):
        save = subprocess.Popen([engine.path, "save", BASE], stdout=subprocess.PIPE)
        load = subprocess.run(
            [podman.path, "load"], stdin=save.stdout, capture_output=True, timeout=600
        )
        assert save.wait() == 0 and load.returncode == 0, load.stderr
    assert podman.inspect(BASE).id == engine.inspect(BASE).id
    return podman


@pytest.fixture(scope="session")
def podman_image(
    podman: CliEngine, minimal_image: Built, tmp_path_factory: pytest.TempPathFactory
) -> Built:
    project = tmp_path_factory.mktemp("podman") / "minimal"
    keep = shutil.ignore_patterns(".gisbox", "Dockerfile", ".dockerignore")
    shutil.copytree(minimal_image.project, project, ignore=keep)
    lock = (project / "gisbox.lock").read_bytes()
    assert lock == (minimal_image.project / "gisbox.lock").read_bytes()  # the same lock
    bundle, marker = marked_ca_bundle(project.parent)
    res = gisbox(
        "build", "--engine", "podman", "--ca-cert", str(bundle), "--json", "-C", str(project),
        timeout=2400,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    report = json.loads(res.stdout)
    return Built(project, report, marker, report["tag"], podman)


def test_podman_builds_a_healthy_image(podman: CliEngine, podman_image: Built) -> None:
    report = podman_image.report
    assert report["healthy"] is True and "Podman" in report["engine"]
    assert report["findings"]["error"] == 0
    info = podman.inspect(podman_image.tag)
    assert info.user == "10001:10001"
    assert info.healthcheck[:2] == ("CMD", "/usr/local/bin/gisbox")  # docker format keeps it
    assert info.labels["io.gisbox.lock-digest"] == report["lock_digest"]


def test_healthcheck_and_check_pass_inside(podman: CliEngine, podman_image: Built) -> None:
    health = podman.run(podman_image.tag, ["gisbox", "healthcheck"])
    assert (health.returncode, health.stdout.strip()) == (0, "healthy"), health.stderr
    check = podman.run(podman_image.tag, ["gisbox", "check", "--quiet"], timeout=300)
    assert check.returncode == 0, check.stderr
    app = podman.run(podman_image.tag)
    assert app.stdout.strip() == "hello from the app"


def test_the_fingerprint_equals_the_docker_built_images(
    minimal_image: Built, podman_image: Built
) -> None:
    docker_fp = minimal_image.project / ".gisbox/fingerprint.json"
    podman_fp = podman_image.project / ".gisbox/fingerprint.json"
    res = gisbox("diff", str(docker_fp), str(podman_fp))
    assert res.returncode == 0, res.stdout
    assert docker_fp.read_bytes() == podman_fp.read_bytes()


def test_the_ca_bundle_is_in_no_podman_layer(
    podman: CliEngine, podman_image: Built, tmp_path: Path
) -> None:
    """Podman's secrets, like BuildKit's, are mounted for one RUN and never stored."""
    archive = tmp_path / "image.tar"
    podman.save(podman_image.tag, archive)
    assert archive.stat().st_size > 100_000_000
    data = archive.read_bytes()
    assert podman_image.marker not in data and b"gisbox-ca-marker" not in data

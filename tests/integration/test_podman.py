"""The `minimal` profile built with Podman from the lock the Docker build used: healthy,
`gisbox check` clean inside, and the same fingerprint as the Docker-built image.

Podman builds from its own, initially empty, layer cache: this is also the test that two
builds from one lock, one of them from scratch, give byte-identical fingerprints (it
replaced a `docker build --no-cache` twin, whose second set of BuildKit cache records
made the order of the test modules matter)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gisbox.engines.cli_engine import CliEngine
from gisbox.engines.podman import detect_podman
from tests.image_fixtures import BASE, PROJECTS, Built, gisbox, marked_ca_bundle, need

pytestmark = pytest.mark.docker


@pytest.fixture(scope="session")
def podman(engine: CliEngine, base_image: str) -> CliEngine:
    """Podman without the base: the first gisbox command that needs it copies Docker's
    (`gisbox.locking.bases.copy_from_other_engine`)."""
    podman = need(detect_podman, "Podman")
    podman.command("rmi", "-f", BASE, check=False)
    assert not podman.exists(BASE)
    return podman


@pytest.fixture(scope="session")
def podman_image(
    podman: CliEngine, minimal_image: Built, tmp_path_factory: pytest.TempPathFactory
) -> Built:
    project = tmp_path_factory.mktemp("podman") / "minimal"
    keep = shutil.ignore_patterns(".gisbox", "Dockerfile", ".dockerignore")
    shutil.copytree(minimal_image.project, project, ignore=keep)
    shutil.rmtree(project / "app")  # another test changes the shared project's app
    shutil.copytree(PROJECTS / "minimal/app", project / "app")
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


def test_podman_builds_a_healthy_image(
    engine: CliEngine, podman: CliEngine, podman_image: Built
) -> None:
    # the base the build needed was copied from Docker: the same image, id for id
    assert podman.inspect(BASE).id == engine.inspect(BASE).id
    report = podman_image.report
    assert report["healthy"] is True and "Podman" in report["engine"]
    assert report["findings"]["error"] == 0
    info = podman.inspect(podman_image.tag)
    assert info.user == "10001:10001"
    assert info.healthcheck[:2] == ("CMD", "/usr/local/bin/gisbox")  # docker format keeps it
    assert info.labels["io.gisbox.lock-digest"] == report["lock_digest"]
    assert info.labels["io.gisbox.fingerprint-digest"] == report["fingerprint_digest"]


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


def test_push_to_a_registry_and_pull_back_by_digest(
    podman: CliEngine, podman_image: Built, registry: str
) -> None:
    res = gisbox(
        "push", "--engine", "podman", "--json", "--to", f"{registry}/gisbox/podman",
        "-C", str(podman_image.project),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    pushed = json.loads(res.stdout)
    assert pushed["digest"].startswith("sha256:") and pushed["by_digest"].startswith(registry)
    podman.command("rmi", pushed["reference"])
    pulled = podman.command("pull", "--tls-verify=false", pushed["by_digest"], check=False)
    assert pulled.returncode == 0, pulled.stderr
    assert podman.inspect(pushed["by_digest"]).id == pushed["image_id"]


def test_a_base_archive_loads_as_the_same_image_in_both_engines(
    engine: CliEngine, podman: CliEngine, tmp_path: Path
) -> None:
    """`gisbox base` writes the image itself (gisbox.locking.base_archive): Docker and
    Podman load it under the id gisbox computed, so the same root filesystem is the same
    base everywhere. Here the root filesystem is the one Docker exports of the base."""
    from gisbox.locking.base_archive import copy_hashed, write_archive

    created = engine.command("create", BASE, "true").stdout.strip()
    layer = tmp_path / "layer.tar"
    try:
        export = subprocess.Popen([engine.path, "export", created], stdout=subprocess.PIPE)
        assert export.stdout is not None
        diff_id = copy_hashed(export.stdout, layer)
        assert export.wait() == 0
    finally:
        engine.remove_container(created)
    tag = "gisbox-test/loaded:1"
    image_id = write_archive(
        tmp_path / "image.tar", layer=layer, diff_id=diff_id, tag=tag, arch="amd64",
        epoch=1700000000, created_by="test",
    )  # fmt: skip
    for each in (engine, podman):
        each.load(tmp_path / "image.tar")
        info = each.inspect(tag)
        assert info.id == image_id and info.layers == (diff_id,), each.name
        res = each.run(tag, ["cat", "/etc/debian_version"])
        assert res.returncode == 0 and res.stdout.strip().startswith("12."), res.stderr
        each.remove_image(tag)


def test_podman_locks_what_docker_locks(
    podman: CliEngine, minimal_image: Built, tmp_path: Path
) -> None:
    """The probe runs in a Podman container just as in a Docker one: the same lock, to the
    byte (relocked over Docker's lock, which keeps its date when nothing else changes)."""
    project = tmp_path / "relock"
    keep = shutil.ignore_patterns(".gisbox", "Dockerfile", ".dockerignore")
    shutil.copytree(minimal_image.project, project, ignore=keep)
    res = gisbox("lock", "--engine", "podman", "-C", str(project))
    assert res.returncode == 0, res.stderr
    ours = (project / "gisbox.lock").read_text()
    assert ours == (minimal_image.project / "gisbox.lock").read_text()

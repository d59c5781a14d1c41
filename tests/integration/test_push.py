"""`gisbox push` to a local registry (Debian's docker-registry on 127.0.0.1), pulled by digest."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gisbox.engines.cli_engine import CliEngine
from tests.image_fixtures import IN_CI, Built, docker, gisbox

pytestmark = pytest.mark.docker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
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


def test_push_then_pull_by_digest_gives_the_same_image(
    engine: CliEngine, minimal_image: Built, registry: str, tmp_path: Path
) -> None:
    # A unique image (a label on the minimal one) so that removing it locally and pulling
    # it back really fetches it from the registry.
    project = tmp_path / "pushme"
    shutil.copytree(minimal_image.project, project, ignore=shutil.ignore_patterns(".gisbox"))
    unique = uuid.uuid4().hex[:8]
    spec = project / "gisbox.toml"
    spec.write_text(spec.read_text().replace('tag = "latest"', f'tag = "push-{unique}"'))
    built = gisbox("build", "--json", "-C", str(project))
    assert built.returncode == 0, built.stderr[-2000:]
    image_id = json.loads(built.stdout)["image_id"]

    res = gisbox("push", "--json", "--to", f"{registry}/gisbox/minimal", "-C", str(project))
    assert res.returncode == 0, res.stderr
    pushed = json.loads(res.stdout)
    assert pushed["reference"] == f"{registry}/gisbox/minimal:push-{unique}"
    assert pushed["image_id"] == image_id

    for ref in (pushed["reference"], json.loads(built.stdout)["tag"]):
        assert docker(engine, "rmi", ref).returncode == 0
    assert not engine.exists(image_id)
    pulled = docker(engine, "pull", pushed["by_digest"], timeout=600)
    assert pulled.returncode == 0, pulled.stderr
    assert engine.inspect(pushed["by_digest"]).id == image_id


def test_push_of_an_unbuilt_image_says_build_first(registry: str, tmp_path: Path) -> None:
    assert gisbox("init", "-C", str(tmp_path)).returncode == 0
    res = gisbox("push", "--to", f"{registry}/nothing/here", "-C", str(tmp_path))
    assert res.returncode == 4 and "gisbox build" in res.stderr

"""`gisbox push` to a local registry (Debian's docker-registry on 127.0.0.1), pulled by digest."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from gisbox.engines.cli_engine import CliEngine
from tests.image_fixtures import Built, docker, gisbox

pytestmark = pytest.mark.docker


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


def test_push_needs_a_lock_and_an_image_built_from_it(
    minimal_image: Built, registry: str, tmp_path: Path
) -> None:
    assert gisbox("init", "-C", str(tmp_path)).returncode == 0
    res = gisbox("push", "--to", f"{registry}/nothing/here", "-C", str(tmp_path))
    assert res.returncode == 3 and "gisbox lock" in res.stderr
    project = tmp_path / "unbuilt"
    shutil.copytree(minimal_image.project, project, ignore=shutil.ignore_patterns(".gisbox"))
    spec = project / "gisbox.toml"
    spec.write_text(spec.read_text().replace('tag = "latest"', 'tag = "never-built"'))
    res = gisbox("push", "--to", f"{registry}/nothing/here", "-C", str(project))
    assert res.returncode == 4 and "gisbox build" in res.stderr

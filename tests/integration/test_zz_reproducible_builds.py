"""Two images built from one lock give byte-identical fingerprints.

This module's name sorts last on purpose: its --no-cache build adds second BuildKit
cache records for every step (apt and uv write new timestamps), after which cache hits
in other tests may pick either record and layer digests stop being comparable.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gisbox.engines.cli_engine import CliEngine
from tests.image_fixtures import Built, gisbox

pytestmark = pytest.mark.docker


def test_two_images_from_one_lock_give_identical_fingerprints(
    engine: CliEngine, minimal_image: Built, tmp_path: Path
) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(minimal_image.project, twin, ignore=shutil.ignore_patterns(".gisbox"))
    spec = twin / "gisbox.toml"
    spec.write_text(spec.read_text().replace('tag = "latest"', 'tag = "twin"'))
    res = gisbox("build", "--no-cache", "--json", "-C", str(twin))
    assert res.returncode == 0, res.stderr[-2000:]
    first = (minimal_image.project / ".gisbox" / "fingerprint.json").read_bytes()
    second = (twin / ".gisbox" / "fingerprint.json").read_bytes()
    assert first == second
    diff = gisbox(
        "diff",
        str(minimal_image.project / ".gisbox/fingerprint.json"),
        str(twin / ".gisbox/fingerprint.json"),
    )
    assert diff.returncode == 0, diff.stdout
    label = engine.inspect(json.loads(res.stdout)["tag"]).labels
    assert label["io.gisbox.fingerprint-digest"] == json.loads(res.stdout)["fingerprint_digest"]

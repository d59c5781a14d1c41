"""CI never rewrites the golden renderings of tests/projects: it would pass whatever the
rendering became."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_snapshot_updates_are_refused_when_ci_is_set() -> None:
    env = {**os.environ, "CI": "true", "GISBOX_UPDATE_SNAPSHOTS": "1"}
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/projects", "-q", "-k", "rendering"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 4, res.stdout[-2000:]  # pytest's usage error
    assert "GISBOX_UPDATE_SNAPSHOTS=1 is refused when CI is set" in res.stderr + res.stdout

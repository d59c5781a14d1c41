"""The shipped example projects stay valid specs with the strategy and base they document."""

from __future__ import annotations

from pathlib import Path

import pytest

from gisbox.plugins.registry import family_for
from gisbox.project.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("name", "family", "strategy"),
    [
        ("minimal", "debian", "wheels"),
        ("production-ubuntu", "ubuntu", "system"),
        ("analysis-osgeo", "osgeo", "system"),
    ],
)
def test_example_spec(name: str, family: str, strategy: str) -> None:
    spec = load_spec(EXAMPLES / name / "gisbox.toml")
    assert spec.image.strategy == strategy
    assert family_for(spec.image.base).name == family
    assert (EXAMPLES / name / "README.md").is_file() or name == "minimal"

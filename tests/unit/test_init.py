"""`gisbox init`: commented, valid specs from the shipped profiles."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gisbox.cli import cli
from gisbox.project import profiles
from gisbox.project.spec import load_spec


def test_profiles_shipped() -> None:
    assert {"minimal", "analysis"} <= set(profiles.available())


def test_minimal_profile_packages() -> None:
    names = {p.split(">")[0].split("=")[0] for p in profiles.packages("minimal")}
    assert names == {"geopandas", "rasterio", "xarray", "rioxarray", "pystac-client"}


def test_analysis_extends_minimal() -> None:
    analysis = profiles.packages("analysis")
    assert set(profiles.packages("minimal")) < set(analysis)
    for extra in ("scipy", "scikit-learn", "libpysal", "esda", "dask"):
        assert any(p.startswith(extra) for p in analysis), extra


@pytest.mark.parametrize("profile", ["minimal", "analysis"])
def test_init_writes_a_commented_valid_spec(tmp_path: Path, profile: str) -> None:
    result = CliRunner().invoke(cli, ["init", "--profile", profile, "-C", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "gisbox.toml").read_text()
    assert text.count("#") > 10  # commented for humans
    spec = load_spec(tmp_path / "gisbox.toml")
    assert list(spec.python.packages) == profiles.packages(profile)


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "gisbox.toml").write_text("# mine\n")
    result = CliRunner().invoke(cli, ["init", "-C", str(tmp_path)])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert (tmp_path / "gisbox.toml").read_text() == "# mine\n"


def test_unknown_profile(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", "--profile", "huge", "-C", str(tmp_path)])
    assert result.exit_code == 2
    assert "minimal" in result.output
    assert not (tmp_path / "gisbox.toml").exists()

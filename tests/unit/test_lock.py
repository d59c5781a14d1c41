"""The lock file: round trip, staleness, and what it pins."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from gisbox.cli import cli
from gisbox.locking.apt_probe import parse_probe
from gisbox.project.lockfile import check_fresh, read_lock, to_toml
from gisbox.project.spec import load_spec
from gisbox.runtime.errors import LockError


def test_round_trip(project: Path) -> None:
    lock = read_lock(project / "gisbox.lock")
    again = to_toml(lock)
    (project / "again.lock").write_text(again)
    assert read_lock(project / "again.lock") == lock


def test_every_package_is_exact_with_sha256(project: Path) -> None:
    lock = read_lock(project / "gisbox.lock")
    names = {p.name for p in lock.packages}
    assert {"geopandas", "rasterio", "pyproj", "shapely", "numpy", "pyogrio"} <= names
    for p in lock.packages:
        assert p.wheels, p.name
        for w in p.wheels:
            assert len(w.sha256) == 64 and w.url.endswith(".whl")
    req = lock.requirements_txt()
    assert "rasterio==" in req and "--hash=sha256:" in req


def test_os_packages_are_pinned_with_hashes(project: Path) -> None:
    lock = read_lock(project / "gisbox.lock")
    runtime = lock.os_pins("runtime")
    assert any(pin.startswith(f"python{lock.target.python}=") for pin in runtime)
    assert all("=" in pin for pin in runtime)
    assert any(pin.startswith("binutils=") for pin in lock.os_pins("builder"))
    assert all(len(p.sha256) == 64 for p in lock.os_packages)


def test_requirements_have_hashes(project: Path) -> None:
    req = read_lock(project / "gisbox.lock").requirements_txt().splitlines()
    assert req and all(re.match(r"^\S+==\S+( --hash=sha256:[0-9a-f]{64})+$", ln) for ln in req)


def test_fresh_lock_passes(project: Path) -> None:
    spec = load_spec(project / "gisbox.toml")
    check_fresh(spec, read_lock(project / "gisbox.lock"), project / "gisbox.lock")


def test_changed_packages_make_the_lock_stale(project: Path) -> None:
    spec_path = project / "gisbox.toml"
    spec_path.write_text(spec_path.read_text().replace('"xarray>=2024.1",', '"xarray>=2025.1",'))
    with pytest.raises(LockError) as exc:
        check_fresh(load_spec(spec_path), read_lock(project / "gisbox.lock"), spec_path)
    assert "stale" in exc.value.message
    assert exc.value.hint == "run `gisbox lock`"


def test_changed_command_keeps_the_lock_fresh(project: Path) -> None:
    spec_path = project / "gisbox.toml"
    spec_path.write_text(spec_path.read_text().replace('"app/main.py"', '"-m", "app"'))
    check_fresh(load_spec(spec_path), read_lock(project / "gisbox.lock"), spec_path)


def test_stale_lock_refused_by_dockerfile_command(project: Path) -> None:
    spec_path = project / "gisbox.toml"
    spec_path.write_text(spec_path.read_text().replace("rasterio>=1.4", "rasterio>=1.4.1"))
    result = CliRunner().invoke(cli, ["dockerfile", "-C", str(project)])
    assert result.exit_code == 3
    assert "stale" in result.output and "gisbox lock" in result.output
    assert not (project / "Dockerfile").exists()


def test_corrupt_lock_file_is_reported(project: Path) -> None:
    (project / "gisbox.lock").write_text("format = 2\n[target]\n")
    with pytest.raises(LockError, match="not a valid gisbox lock"):
        read_lock(project / "gisbox.lock")


PROBE_OUTPUT = (
    """\
os debian 12
glibc 2.36
python 3.11 3.11.2-6+deb12u9
runtime libexpat1=2.5.0-1+deb12u5
runtime python3.11=3.11.2-6+deb12u9
builder libexpat1=2.5.0-1+deb12u5
builder python3.11=3.11.2-6+deb12u9
builder binutils=2.40-2
deb libexpat1=2.5.0-1+deb12u5 amd64 """
    + "a" * 64
    + """
deb python3.11=3.11.2-6+deb12u9 amd64 """
    + "b" * 64
    + """
deb binutils=2.40-2 amd64 """
    + "c" * 64
    + "\n"
)


def test_parse_probe() -> None:
    facts = parse_probe(PROBE_OUTPUT, "debian:bookworm-slim")
    assert (facts.os, facts.glibc, facts.python, facts.python_full) == (
        "debian 12",
        "2.36",
        "3.11",
        "3.11.2",
    )
    stages = {p.name: p.stage for p in facts.packages}
    assert stages == {"libexpat1": "runtime", "python3.11": "runtime", "binutils": "builder"}


def test_probe_reports_a_missing_python() -> None:
    with pytest.raises(LockError, match=r"offers no Python 3\.9"):
        parse_probe("os debian 12\nglibc 2.36\nnopython 3.9\n", "debian:bookworm-slim")

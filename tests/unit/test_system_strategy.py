"""The `system` strategy: OS library constraints, the lock's sources, the rendering."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from gisbox.cli import cli
from gisbox.lock import read_lock
from gisbox.ospkgs import parse_probe
from gisbox.runtime.errors import LockError
from gisbox.spec import load_spec
from gisbox.system import OsLibraries, constrain, upstream

from ..conftest import FIXTURES

BOOKWORM = OsLibraries(
    base="debian:bookworm-slim", versions={"gdal": "3.6.2", "proj": "9.1.1", "geos": "3.11.1"}
)


def test_upstream_version() -> None:
    assert upstream("3.6.2+dfsg-1+b2") == "3.6.2"
    assert upstream("9.1.1-1+b1") == "9.1.1"


def test_bookworm_constrains_pyproj_and_pins_the_gdal_bindings() -> None:
    extra = constrain(["geopandas", "pyproj", "gdal"], BOOKWORM, want_gdal=True)
    assert "pyproj<3.7" in extra
    assert "gdal==3.6.2" in extra
    assert not any(e.startswith(("rasterio", "shapely")) for e in extra)


def test_impossible_pin_names_binding_library_and_base() -> None:
    with pytest.raises(LockError) as exc:
        constrain(["pyproj>=3.8"], BOOKWORM, want_gdal=False)
    assert exc.value.message.startswith(
        "pyproj 3.7 needs PROJ >= 9.2; debian:bookworm-slim has PROJ 9.1.1"
    )
    assert exc.value.hint and "pyproj<3.7" in exc.value.hint


def test_newer_proj_allows_newer_pyproj() -> None:
    libs = OsLibraries(base="x", versions={"gdal": "3.10.0", "proj": "9.4.0", "geos": "3.12.0"})
    assert constrain(["pyproj>=3.8"], libs, want_gdal=False) == []


def test_gdal_bindings_must_match_the_os() -> None:
    with pytest.raises(LockError, match=r"has GDAL 3\.6\.2"):
        constrain(["gdal==3.8.0"], BOOKWORM, want_gdal=True)


def test_probe_reports_the_os_libraries() -> None:
    text = (
        "os debian 12\nglibc 2.36\npython 3.11 3.11.2-6\nlib libgdal-dev 3.6.2+dfsg-1+b2\n"
        "lib libproj-dev 9.1.1-1+b1\nlib libgeos-dev 3.11.1-1\nruntime libgdal32=3.6.2+dfsg-1+b2\n"
        "deb libgdal32=3.6.2+dfsg-1+b2 amd64 " + "d" * 64 + "\n"
    )
    facts = parse_probe(text, "debian:bookworm-slim", "base")
    assert facts.libs == {"gdal": "3.6.2+dfsg-1+b2", "proj": "9.1.1-1+b1", "geos": "3.11.1-1"}


@pytest.fixture
def system_project(project: Path) -> Path:
    spec = project / "gisbox.toml"
    spec.write_text(spec.read_text().replace('strategy = "wheels"', 'strategy = "system"'))
    digest = load_spec(spec).input_digest()
    lock = (FIXTURES / "minimal-system.lock").read_text()
    lock = re.sub(r'^input_digest = ".*"$', f'input_digest = "{digest}"', lock, flags=re.M)
    (project / "gisbox.lock").write_text(lock)
    assert CliRunner().invoke(cli, ["dockerfile", "-C", str(project)]).exit_code == 0
    return project


def test_lock_holds_hashed_sources_for_the_bindings(system_project: Path) -> None:
    lock = read_lock(system_project / "gisbox.lock")
    sources = {p.name: p for p in lock.sources}
    assert {"rasterio", "pyproj", "shapely", "pyogrio", "gdal"} <= sources.keys()
    assert sources["gdal"].version == lock.os_libraries["gdal"]
    assert all(
        len(p.sdist.sha256) == 64 and p.sdist.url.endswith(".tar.gz") for p in sources.values()
    )
    assert not {p.name for p in lock.packages} & sources.keys()  # no wheel of a binding
    for src in sources.values():  # every source carries its own hash-locked build requirements
        assert src.build and all(len(w.sha256) == 64 for b in src.build for w in b.wheels)
    cython = {p.name: b.version for p in sources.values() for b in p.build if b.name == "cython"}
    assert cython["pyproj"].startswith("3.0.")  # capped: pyproj 3.6 breaks with Cython 3.1
    assert "cython" in lock.build_only() and "numpy" not in lock.build_only()


def test_rendering_compiles_in_the_builder_only(system_project: Path, hadolint: str) -> None:
    text = (system_project / "Dockerfile").read_text()
    builder = text.split("AS runtime")[0]
    assert "--no-build-isolation --no-binary :all:" in builder
    assert 'PROJ_VERSION="$(pkg-config --modversion proj)"' in builder  # no proj-bin needed
    assert "for name in pyogrio pyproj rasterio shapely gdal; do" in builder
    assert "libgdal-dev=" in builder and "build-essential=" in builder
    python_stage = text.split("AS builder")[0]
    assert "ENV PROJ_DATA=/usr/share/proj" in python_stage
    assert re.search(r"libgdal32=\S+", python_stage)  # runtime library in the shared stage
    assert "libgdal-dev" not in python_stage and "gcc" not in python_stage
    assert "uv pip uninstall" in builder and " cython" in builder
    src = (system_project / ".gisbox/build/gdal.src.txt").read_text()
    assert re.search(r"^gdal==3\.6\.2 --hash=sha256:[0-9a-f]{64}$", src, flags=re.M)
    res = subprocess.run(
        [hadolint, str(system_project / "Dockerfile")], capture_output=True, text=True
    )
    assert res.returncode == 0 and res.stdout == "", res.stdout


def test_build_requirements_add_what_backends_fetch_and_pin_numpy() -> None:
    from gisbox.system import build_requirements

    reqs = build_requirements(
        ["meson-python>=0.15", "cython>=3.1", "numpy>=2", "setuptools>=61", "numpy"], "2.4.6"
    )
    assert "ninja" in reqs and "wheel" in reqs
    assert [r for r in reqs if r.startswith("numpy")] == ["numpy==2.4.6"]

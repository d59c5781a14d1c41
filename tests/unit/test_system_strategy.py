"""The `system` strategy: the bounds the OS libraries put on the bindings, and its lock."""

from __future__ import annotations

import pytest

from gisbox.locking.apt_probe import parse_probe
from gisbox.plugins.api import BaseFacts
from gisbox.plugins.strategies.system import STRATEGY, build_requirements, constrain, upstream
from gisbox.project.lockfile import read_lock
from gisbox.project.spec import Spec, parse_spec
from gisbox.runtime.errors import LockError

from ..conftest import PROJECTS

BOOKWORM = {"gdal": "3.6.2", "proj": "9.1.1", "geos": "3.11.1"}
BASE = "debian:bookworm-slim"


def spec_of(packages: list[str]) -> Spec:
    data = {"image": {"base": BASE, "strategy": "system"}, "python": {"packages": packages}}
    return parse_spec(data, "<test>")


def facts(libs: dict[str, str]) -> BaseFacts:
    return BaseFacts(os="debian 12", glibc="2.36", python="3.11", python_full="3.11.2",
                     packages=(), libs=libs)  # fmt: skip


def test_upstream_version() -> None:
    assert upstream("3.6.2+dfsg-1+b2") == "3.6.2"
    assert upstream("9.1.1-1+b1") == "9.1.1"
    assert upstream("3.8.4+dfsg-1~jammy0") == "3.8.4"


def test_bookworm_constrains_pyproj_and_pins_the_gdal_bindings() -> None:
    extra = constrain(["geopandas", "pyproj", "gdal"], BOOKWORM, BASE, want_gdal=True)
    assert "pyproj<3.7" in extra
    assert "gdal==3.6.2" in extra
    assert "rasterio<1.5" in extra  # rasterio 1.5 needs GDAL >= 3.8
    assert not any(e.startswith("shapely") for e in extra)
    assert (
        extra["pyproj<3.7"] == "pyproj 3.7 needs PROJ >= 9.2; debian:bookworm-slim has PROJ 9.1.1"
    )
    assert "must match the OS's GDAL" in extra["gdal==3.6.2"]


def test_trixie_allows_rasterio_1_5_and_pyproj_3_8() -> None:
    trixie = {"gdal": "3.10.3", "proj": "9.6.0", "geos": "3.13.1"}
    assert constrain(["rasterio", "pyproj", "shapely"], trixie, "debian:trixie-slim", False) == {}


def test_impossible_pin_names_binding_library_and_base() -> None:
    with pytest.raises(LockError) as exc:
        constrain(["pyproj>=3.8"], BOOKWORM, BASE, want_gdal=False)
    assert exc.value.message.startswith(
        "pyproj 3.7 needs PROJ >= 9.2; debian:bookworm-slim has PROJ 9.1.1"
    )
    assert exc.value.hint and "pyproj<3.7" in exc.value.hint


def test_newer_proj_allows_newer_pyproj() -> None:
    libs = {"gdal": "3.10.0", "proj": "9.4.0", "geos": "3.12.0"}
    assert constrain(["pyproj>=3.8"], libs, "x", want_gdal=False) == {}


def test_gdal_bindings_must_match_the_os() -> None:
    with pytest.raises(LockError, match=r"has GDAL 3\.6\.2"):
        constrain(["gdal==3.8.0"], BOOKWORM, BASE, want_gdal=True)


def test_plan_resolves_capped_bindings_and_leaves_gdal_to_the_sources() -> None:
    debian = {"gdal": "3.6.2+dfsg-1+b2", "proj": "9.1.1-1+b1", "geos": "3.11.1-1"}
    plan = STRATEGY.plan(spec_of(["geopandas>=1.0", "gdal"]), facts(debian))
    assert plan.os_libraries == BOOKWORM
    assert plan.want_gdal_bindings
    assert "gdal" not in {r.split("<")[0].split("=")[0] for r in plan.requirements}
    assert "pyproj<3.7" in plan.requirements and "geopandas>=1.0" in plan.requirements


def test_plan_without_the_os_libraries_says_which_are_missing() -> None:
    with pytest.raises(LockError, match="could not find the OS's GEOS"):
        STRATEGY.plan(spec_of(["rasterio"]), facts({"gdal": "3.6.2", "proj": "9.1.1"}))


def test_probe_reports_the_os_libraries() -> None:
    text = (
        "os debian 12\nglibc 2.36\npython 3.11 3.11.2-6\nlib gdal 3.6.2+dfsg-1+b2\n"
        "lib proj 9.1.1-1+b1\nlib geos 3.11.1-1\nruntime libgdal32=3.6.2+dfsg-1+b2\n"
        "deb libgdal32=3.6.2+dfsg-1+b2 amd64 " + "d" * 64 + "\n"
    )
    assert parse_probe(text, BASE).libs == {
        "gdal": "3.6.2+dfsg-1+b2",
        "proj": "9.1.1-1+b1",
        "geos": "3.11.1-1",
    }


def test_lock_holds_hashed_sources_for_the_bindings() -> None:
    lock = read_lock(PROJECTS / "system/gisbox.lock")
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


def test_context_files_pin_each_source_with_its_build_requirements() -> None:
    from gisbox.project.project import Project

    lock = read_lock(PROJECTS / "system/gisbox.lock")
    files = STRATEGY.contribute(lock, Project.load(PROJECTS / "system").spec).context_files
    names = {p.name for p in lock.sources}
    assert set(files) == {f"{n}.{kind}.txt" for n in names for kind in ("build", "src")}
    gdal = next(p for p in lock.sources if p.name == "gdal")
    assert files["gdal.src.txt"] == f"gdal=={gdal.version} --hash=sha256:{gdal.sdist.sha256}\n"


def test_build_requirements_add_what_backends_fetch_and_pin_numpy() -> None:
    reqs = build_requirements(
        ["meson-python>=0.15", "cython>=3.1", "numpy>=2", "setuptools>=61", "numpy"], "2.4.6"
    )
    assert "ninja" in reqs and "wheel" in reqs
    assert [r for r in reqs if r.startswith("numpy")] == ["numpy==2.4.6"]

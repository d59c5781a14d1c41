"""proj.db reading, PROJ/GDAL environment variables and loaded-library inventory."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gisbox.runtime.check import libmaps
from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.projdb import check_proj_db_matches, env_dirs, read_proj_db


def make_proj_db(directory: Path, proj: str, layout: tuple[int, int] = (1, 4)) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(directory / "proj.db") as con:
        con.execute("CREATE TABLE metadata (key TEXT, value TEXT)")
        con.executemany(
            "INSERT INTO metadata VALUES (?, ?)",
            [
                ("DATABASE.LAYOUT.VERSION.MAJOR", str(layout[0])),
                ("DATABASE.LAYOUT.VERSION.MINOR", str(layout[1])),
                ("EPSG.VERSION", "v10.076"),
                ("PROJ.VERSION", proj),
            ],
        )
    return directory


def ids(findings: Findings) -> list[str]:
    return [f.id for f in findings.sorted()]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PROJ_DATA", "PROJ_LIB", "GDAL_DATA"):
        monkeypatch.delenv(var, raising=False)


def test_read_proj_db(tmp_path: Path) -> None:
    db = read_proj_db(str(make_proj_db(tmp_path / "share", "9.1.1", (1, 2))))
    assert db is not None
    assert (db["proj"], db["layout"], db["epsg"]) == ("9.1.1", "1.2", "v10.076")
    assert read_proj_db(str(tmp_path)) is None


def test_env_pointing_nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GDAL_DATA", str(tmp_path / "nowhere"))
    findings = Findings()
    env_dirs(findings)
    assert ids(findings) == ["data.env-missing-dir"]
    assert "GDAL_DATA=" in findings.sorted()[0].message


def test_proj_data_without_proj_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PROJ_DATA", str(tmp_path))
    findings = Findings()
    env_dirs(findings)
    assert ids(findings) == ["data.proj-db-missing"]


def test_gdal_data_without_marker_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GDAL_DATA", str(tmp_path))
    findings = Findings()
    env_dirs(findings)
    assert ids(findings) == ["data.gdal-data-missing"]
    (tmp_path / "gdalvrt.xsd").write_text("<xs/>")
    ok = Findings()
    env_dirs(ok)
    assert ids(ok) == []


def test_proj_db_from_another_proj_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old = make_proj_db(tmp_path / "debian", "9.1.1", (1, 2))
    monkeypatch.setenv("PROJ_DATA", str(old))
    findings = Findings()
    check_proj_db_matches("rasterio", "9.7.1", read_proj_db(str(old)), findings)
    (finding,) = findings.sorted()
    assert (finding.id, finding.severity) == ("data.proj-db-mismatch", "error")
    assert "PROJ 9.7.1" in finding.message and "PROJ 9.1.1" in finding.message
    assert f"PROJ_DATA={old}" in finding.message and finding.hint == "unset PROJ_DATA"


def test_same_minor_version_matches(tmp_path: Path) -> None:
    findings = Findings()
    db = read_proj_db(str(make_proj_db(tmp_path, "9.7.0")))
    check_proj_db_matches("rasterio", "9.7.1", db, findings)
    assert ids(findings) == []


@pytest.mark.parametrize(
    ("lib", "path", "version"),
    [
        ("gdal", "/x/rasterio.libs/libgdal-c8c9c467.so.36.3.10.3", "3.10.3"),
        ("gdal", "/usr/lib/x86_64-linux-gnu/libgdal.so.32.3.6.2", "3.6.2"),
        ("proj", "/x/pyproj.libs/libproj-1eb8c554.so.25.9.5.1", "9.5.1"),
        ("geos", "/x/shapely.libs/libgeos-1269e1bd.so.3.14.1", "3.14.1"),
        ("curl", "/x/libcurl-48f56f56.so.4.8.0", "4.8.0"),
    ],
)
def test_library_version_from_file_name(lib: str, path: str, version: str) -> None:
    assert libmaps.library_version(lib, path) == version


def test_two_gdal_copies_are_reported(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    maps.write_text(
        "7f0-7f1 r-xp 00000000 08:01 1 /opt/venv/rasterio.libs/libgdal-a.so.36.3.10.3\n"
        "7f1-7f2 r--p 00001000 08:01 1 /opt/venv/rasterio.libs/libgdal-a.so.36.3.10.3\n"
        "7f2-7f3 r-xp 00000000 08:01 2 /usr/lib/x86_64-linux-gnu/libgdal.so.32.3.6.2\n"
        "7f3-7f4 r-xp 00000000 08:01 3 /usr/lib/libgeos_c.so.1.17.1\n"
        "7f4-7f5 rw-p 00000000 00:00 0 \n"
    )
    mapped = libmaps.mapped_libraries(str(maps))
    assert [c["version"] for c in mapped["gdal"]] == ["3.10.3", "3.6.2"]
    findings = Findings()
    libmaps.check_copies(mapped, findings)
    (finding,) = findings.sorted()
    assert finding.id == "libs.multiple-copies" and "2 copies of libgdal" in finding.message


def test_version_skew_between_bindings() -> None:
    findings = Findings()
    libmaps.check_skew(
        {
            "rasterio": {"gdal": "3.10.3"},
            "pyogrio": {"gdal": "3.12.4"},
            "pyproj": {"proj": "9.5.1"},
        },
        findings,
    )
    (finding,) = findings.sorted()
    assert finding.id == "libs.version-skew"
    assert "pyogrio GDAL 3.12.4, rasterio GDAL 3.10.3" in finding.message


def test_binding_built_against_another_proj_than_it_runs() -> None:
    findings = Findings()
    libmaps.check_skew({"pyproj": {"proj": "9.1.1", "proj_built": "9.4.0"}}, findings)
    (finding,) = findings.sorted()
    assert finding.id == "libs.build-runtime-mismatch"
    assert "built against PROJ 9.4.0 but runs with 9.1.1" in finding.message

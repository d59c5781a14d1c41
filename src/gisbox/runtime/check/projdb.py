"""proj.db and GDAL data directories: what each binding uses, and the PROJ/GDAL env vars."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from gisbox.runtime.check.findings import Findings

GDAL_DATA_MARKERS = ("gdalvrt.xsd", "header.dxf", "pcs.override.csv")
PROJ_ENV = ("PROJ_DATA", "PROJ_LIB")


def read_proj_db(directory: str | None) -> dict[str, Any] | None:
    """Metadata of DIRECTORY/proj.db: layout version, EPSG version, PROJ version."""
    if not directory:
        return None
    path = os.path.join(directory, "proj.db")
    if not os.path.isfile(path):
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as con:
            meta = dict(con.execute("SELECT key, value FROM metadata").fetchall())
    except sqlite3.Error as exc:
        return {"path": path, "error": str(exc)}
    return {
        "path": path,
        "layout": f"{meta.get('DATABASE.LAYOUT.VERSION.MAJOR')}."
        f"{meta.get('DATABASE.LAYOUT.VERSION.MINOR')}",
        "epsg": meta.get("EPSG.VERSION"),
        "proj": meta.get("PROJ.VERSION"),
    }


def major_minor(version: str | None) -> str:
    return ".".join((version or "").split(".")[:2])


def env_dirs(findings: Findings) -> dict[str, Any]:
    """Check PROJ_DATA / PROJ_LIB / GDAL_DATA when set; return what they point at."""
    out: dict[str, Any] = {}
    for var in (*PROJ_ENV, "GDAL_DATA"):
        value = os.environ.get(var)
        if value is None:
            continue
        first = value.split(os.pathsep)[0]
        out[var] = value
        if not os.path.isdir(first):
            findings.error(
                "data.env-missing-dir",
                f"{var}={value} names no directory",
                f"unset {var} (wheels find their own data) or point it at an existing directory",
            )
        elif var in PROJ_ENV and read_proj_db(first) is None:
            findings.error(
                "data.proj-db-missing",
                f"{var}={value} holds no proj.db",
                f"unset {var}, or point it at the share/proj of the PROJ your bindings use",
            )
        elif var == "GDAL_DATA" and not any(
            os.path.exists(os.path.join(first, m)) for m in GDAL_DATA_MARKERS
        ):
            findings.error(
                "data.gdal-data-missing",
                f"GDAL_DATA={value} holds no GDAL data files",
                "unset GDAL_DATA or point it at GDAL's share/gdal",
            )
    return out


def check_proj_db_matches(
    binding: str, proj_version: str | None, db: dict[str, Any] | None, findings: Findings
) -> None:
    """A binding whose proj.db comes from another PROJ (major.minor) is an error."""
    if db is None:
        findings.error(
            "data.proj-db-missing",
            f"{binding}: no proj.db found",
            "unset PROJ_DATA/PROJ_LIB, or reinstall the binding",
        )
        return
    if "error" in db:
        findings.error("data.proj-db-unreadable", f"{binding}: {db['path']}: {db['error']}")
        return
    if proj_version and db.get("proj") and major_minor(db["proj"]) != major_minor(proj_version):
        source = next((v for v in PROJ_ENV if os.environ.get(v)), None)
        via = f" (from {source}={os.environ[source]})" if source else ""
        findings.error(
            "data.proj-db-mismatch",
            f"{binding} runs PROJ {proj_version} but uses {db['path']}{via} "
            f"from PROJ {db['proj']} (layout {db['layout']}, EPSG {db['epsg']})",
            f"unset {source}" if source else "reinstall the binding so its data matches",
        )


def gdal_data_ok(path: str | None) -> bool:
    return (
        bool(path)
        and os.path.isdir(str(path))
        and any(os.path.exists(os.path.join(str(path), m)) for m in GDAL_DATA_MARKERS)
    )

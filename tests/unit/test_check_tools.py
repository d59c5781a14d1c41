"""The GDAL/PROJ command-line tools on PATH are reported beside the bindings."""

from __future__ import annotations

from pathlib import Path

import pytest

from gisbox.runtime.check import libmaps, tools
from gisbox.runtime.check.findings import Findings


def fake_tool(directory: Path, name: str, output: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{output}' >&2\nexit 1\n")
    path.chmod(0o755)


def test_tools_on_path_report_the_library_they_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_tool(tmp_path, "gdalinfo", "GDAL 3.6.2, released 2023/01/02")
    fake_tool(tmp_path, "proj", "Rel. 9.1.1, December 1st, 2022")
    monkeypatch.setenv("PATH", str(tmp_path))
    found = tools.tool_versions()
    assert found == {
        "gdalinfo": {"version": "3.6.2", "gdal": "3.6.2"},
        "proj": {"version": "9.1.1", "proj": "9.1.1"},
    }
    findings = Findings()
    libmaps.check_skew({"rasterio": {"gdal": "3.10.3", "proj": "9.1.1"}, **found}, findings)
    (skew,) = [f for f in findings.sorted() if f.id == "libs.version-skew"]
    assert "gdalinfo GDAL 3.6.2" in skew.message and "rasterio GDAL 3.10.3" in skew.message


def test_no_tools_no_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert tools.tool_versions() == {}

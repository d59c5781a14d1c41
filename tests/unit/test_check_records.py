"""`gisbox check` says when a distribution's RECORD lies about the installed files (what
pip uninstall, SBOM tools and integrity checks trust)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.records import untrue_rows


def site(tmp_path: Path, record: str) -> Path:
    root = tmp_path / "site-packages"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("x = 1\n")  # 6 bytes
    info = root / "pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n")
    (info / "RECORD").write_text(record)
    return root


def test_a_true_record_passes(tmp_path: Path) -> None:
    root = site(tmp_path, "pkg/mod.py,sha256=abc,6\npkg-1.0.dist-info/RECORD,,\n")
    assert untrue_rows([str(root)]) == []


def test_a_stripped_or_pruned_file_is_named(tmp_path: Path) -> None:
    record = (
        "pkg/mod.py,sha256=abc,999\npkg/tests/test_x.py,sha256=def,10\npkg-1.0.dist-info/RECORD,,\n"
    )
    rows = untrue_rows([str(site(tmp_path, record))])
    assert rows == [
        "pkg: pkg/mod.py is 6 bytes, RECORD says 999",
        "pkg: pkg/tests/test_x.py is gone",
    ]


def test_the_finding_is_a_warning_with_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gisbox.runtime.check.records as records

    findings = Findings()
    root = site(tmp_path, "pkg/gone.py,sha256=x,3\n")
    monkeypatch.setattr(records, "untrue_rows", lambda: untrue_rows([str(root)]))
    records.run_records(findings)
    (finding,) = findings.sorted()
    assert finding.id == "python.record" and finding.severity == "warning"
    assert "1 RECORD row(s)" in finding.message and "pkg/gone.py is gone" in finding.message

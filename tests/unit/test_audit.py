"""`gisbox audit`: findings by component, never a clean result it cannot vouch for.

No scanner (grype, trivy) is installable on these machines (neither is on PyPI and
no other registry is reachable), so these tests put stand-in executables on PATH
that print what the real ones print; what is tested is gisbox's side: how it calls
them, reads their JSON, reports, and which exit code it chooses.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from gisbox.cli import cli
from gisbox.sbom import cyclonedx as sbom
from gisbox.sbom.scan import dir_entries, scan
from tests.unit.test_sbom import SUBJECT, tree


@pytest.fixture
def sbom_file(tmp_path: Path) -> Path:
    inv = scan(dir_entries(tree(tmp_path / "fs")))
    path = tmp_path / "sbom.cdx.json"
    path.write_text(sbom.to_json(sbom.build(inv, SUBJECT, None)))
    return path


def scanner(bin_dir: Path, name: str, stdout: str, code: int = 0, stderr: str = "") -> Path:
    """An executable `name` on PATH that records its arguments and answers as given."""
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "out.json").write_text(stdout)
    (bin_dir / "err.txt").write_text(stderr)
    script = bin_dir / name
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{bin_dir}/args"\n'
        f'cat "{bin_dir}/out.json"; cat "{bin_dir}/err.txt" >&2; exit {code}\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def audit(monkeypatch: pytest.MonkeyPatch, path: Path, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("PATH", f"{path}:/usr/bin:/bin")
    res = CliRunner().invoke(cli, ["audit", *args])
    return res.exit_code, res.output


def test_grype_findings_are_reported_by_component_with_the_vendored_file(
    sbom_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = json.loads(sbom_file.read_text())
    proj = next(c for c in doc["components"] if c["name"] == "proj")
    matches = {
        "matches": [
            {
                "vulnerability": {"id": "CVE-2099-0001", "severity": "High",
                                  "fix": {"versions": ["9.6.0"]}},
                "artifact": {"name": "proj", "version": "9.5.1", "purl": proj["purl"]},
            },
            {
                "vulnerability": {"id": "CVE-2099-0002", "severity": "Low"},
                "artifact": {"name": "libgdal32", "version": "3.6.2+dfsg-1+b2",
                             "purl": "pkg:deb/debian/libgdal32@3.6.2%2Bdfsg-1%2Bb2"},
            },
        ]
    }  # fmt: skip
    bin_dir = scanner(tmp_path / "bin", "grype", json.dumps(matches))
    code, out = audit(monkeypatch, bin_dir, "--sbom", str(sbom_file))
    assert code == 9 and "1 finding(s) at or above high" in out
    assert "proj@9.5.1  (opt/venv/lib/python3.11/site-packages/geo.libs/libproj-" in out
    assert "high       CVE-2099-0001  fixed in 9.6.0" in out
    args = (bin_dir / "args").read_text().split()
    assert args[0].startswith("sbom:") and args[0].endswith("sbom.cdx.json")
    assert args[1:] == ["-o", "json"]
    code, _ = audit(monkeypatch, bin_dir, "--sbom", str(sbom_file), "--fail-on", "critical")
    assert code == 0
    code, out = audit(monkeypatch, bin_dir, "--sbom", str(sbom_file), "--json", "--fail-on", "none")
    assert code == 0 and {f["vulnerability"] for f in json.loads(out.split("\n2 finding")[0])} == {
        "CVE-2099-0001", "CVE-2099-0002"
    }  # fmt: skip


def test_trivy_findings_map_back_through_the_bom_ref(
    sbom_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = json.loads(sbom_file.read_text())
    proj = next(c for c in doc["components"] if c["name"] == "proj")
    out = {"Results": [{"Vulnerabilities": [{
        "VulnerabilityID": "CVE-2099-0003", "Severity": "CRITICAL", "PkgName": "proj",
        "InstalledVersion": "9.5.1", "FixedVersion": "9.6.1",
        "PkgIdentifier": {"PURL": proj["purl"], "BOMRef": proj["bom-ref"]},
    }]}]}  # fmt: skip
    bin_dir = scanner(tmp_path / "bin", "trivy", json.dumps(out))
    code, text = audit(monkeypatch, bin_dir, "--sbom", str(sbom_file), "--scanner", "trivy")
    assert code == 9 and "geo.libs/libproj-" in text and "critical   CVE-2099-0003" in text
    assert (bin_dir / "args").read_text().split()[0] == "sbom"


def test_without_a_scanner_the_audit_says_nothing_was_scanned(
    sbom_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    code, out = audit(monkeypatch, empty, "--sbom", str(sbom_file))
    assert code == 8 and "nothing was scanned" in out and "fix: install grype" in out


def test_a_scanner_without_its_database_is_not_a_clean_result(
    sbom_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = "failed to load vulnerability db: unable to update vulnerability database"
    bin_dir = scanner(tmp_path / "bin", "grype", "", code=1, stderr=stderr)
    code, out = audit(monkeypatch, bin_dir, "--sbom", str(sbom_file))
    assert code == 8 and "no vulnerability database" in out and "grype db import" in out
    assert (bin_dir / "args").is_file()  # the stand-in was the one called

"""`gisbox audit`: an installed vulnerability scanner run on gisbox's SBOM.

gisbox matches no CVEs itself. It hands its SBOM (`gisbox sbom`, which lists the
libraries vendored inside wheels with CPEs) to grype (`grype sbom:FILE`, which
matches CPEs, so the vendored GDAL, curl or OpenSSL are checked) or trivy (`trivy
sbom FILE`, which matches purls only: the OS packages and distributions), and
prints the findings by component, with the file a vendored library is in.

It never pretends to a clean result: no scanner on PATH, or a scanner without
its vulnerability database (an offline machine), is `AuditUnavailable` (exit 8);
findings at or above `fail_on` are `VulnerabilitiesFound` (exit 9).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gisbox.runtime.errors import AuditUnavailable, VulnerabilitiesFound

__all__ = ["AuditUnavailable", "Finding", "VulnerabilitiesFound", "scan"]

SCANNERS = ("grype", "trivy")
SEVERITIES = ("negligible", "low", "medium", "high", "critical")


@dataclass(frozen=True, kw_only=True)
class Finding:
    vulnerability: str
    severity: str  # lower case, one of SEVERITIES or "unknown"
    component: str  # name@version
    where: str  # the file of a vendored library, or the purl
    fixed_in: str


def find_scanner(wanted: str | None) -> tuple[str, str]:
    """(name, path) of the scanner to use: `wanted`, else the first installed."""
    for name in (wanted,) if wanted else SCANNERS:
        path = shutil.which(name)
        if path:
            return name, path
    raise AuditUnavailable(
        f"no vulnerability scanner: {wanted or ' or '.join(SCANNERS)} is not on PATH, so "
        "nothing was scanned",
        hint="install grype (it matches the CPEs of the libraries vendored in wheels) or "
        "trivy, or hand the SBOM (`gisbox sbom -o FILE`) to the scanner your platform runs",
    )


def scan(sbom_text: str, scanner: str, path: str) -> list[Finding]:
    """Run the scanner on the SBOM; its findings."""
    with tempfile.TemporaryDirectory(prefix="gisbox-audit-") as tmp:
        doc = Path(tmp) / "sbom.cdx.json"
        doc.write_text(sbom_text)
        argv = (
            [path, f"sbom:{doc}", "-o", "json"]
            if scanner == "grype"
            else [path, "sbom", str(doc), "--format", "json", "--quiet"]
        )
        res = subprocess.run(argv, capture_output=True, text=True, timeout=1800, env=os.environ)
    if res.returncode != 0:
        text = res.stderr.strip()[-600:]
        no_db = any(w in text.lower() for w in ("db", "database", "download", "network"))
        raise AuditUnavailable(
            f"{scanner} could not scan"
            + (" (no vulnerability database: offline?)" if no_db else "")
            + f": {text}",
            hint=f"give {scanner} its database (grype: `grype db import FILE`; trivy: "
            "`--cache-dir` with a downloaded DB), or run the audit where it can download one",
        )
    try:
        out = json.loads(res.stdout)
    except json.JSONDecodeError:
        raise AuditUnavailable(f"{scanner} printed no JSON: {res.stdout[:300]!r}") from None
    components = {c.get("bom-ref"): c for c in json.loads(sbom_text).get("components", [])}
    return _grype(out, components) if scanner == "grype" else _trivy(out, components)


def _where(component: dict[str, Any] | None, purl: str) -> str:
    for prop in (component or {}).get("properties", []):
        if prop.get("name") == "gisbox:path":
            return str(prop.get("value"))
    return purl


def _grype(out: dict[str, Any], components: dict[str, Any]) -> list[Finding]:
    by_purl = {c.get("purl"): c for c in components.values()}
    found = []
    for match in out.get("matches", []):
        vuln, art = match.get("vulnerability", {}), match.get("artifact", {})
        comp = by_purl.get(art.get("purl"))
        found.append(
            Finding(
                vulnerability=str(vuln.get("id", "?")),
                severity=str(vuln.get("severity", "unknown")).lower(),
                component=f"{art.get('name')}@{art.get('version')}",
                where=_where(comp, str(art.get("purl", ""))),
                fixed_in=", ".join(vuln.get("fix", {}).get("versions", []) or []),
            )
        )
    return found


def _trivy(out: dict[str, Any], components: dict[str, Any]) -> list[Finding]:
    found = []
    for result in out.get("Results", []) or []:
        for vuln in result.get("Vulnerabilities", []) or []:
            ident = vuln.get("PkgIdentifier", {})
            found.append(
                Finding(
                    vulnerability=str(vuln.get("VulnerabilityID", "?")),
                    severity=str(vuln.get("Severity", "unknown")).lower(),
                    component=f"{vuln.get('PkgName')}@{vuln.get('InstalledVersion')}",
                    where=_where(components.get(ident.get("BOMRef")), str(ident.get("PURL", ""))),
                    fixed_in=str(vuln.get("FixedVersion", "")),
                )
            )
    return found


def at_or_above(findings: list[Finding], fail_on: str) -> list[Finding]:
    if fail_on == "none":
        return []
    floor = SEVERITIES.index(fail_on)
    return [f for f in findings if f.severity in SEVERITIES[floor:]]


def report(findings: list[Finding]) -> list[str]:
    """Lines for a terminal: each component once, its vulnerabilities below it."""
    lines: list[str] = []
    by_component: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        by_component.setdefault((f.component, f.where), []).append(f)
    for (component, where), items in sorted(by_component.items()):
        lines.append(f"{component}  ({where})")
        for f in sorted(items, key=lambda f: f.vulnerability):
            fixed = f"  fixed in {f.fixed_in}" if f.fixed_in else ""
            lines.append(f"  {f.severity:<10} {f.vulnerability}{fixed}")
    return lines

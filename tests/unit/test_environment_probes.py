"""Container pitfalls: temp dir, HOME, CA bundle and the locale's decimal point."""

from __future__ import annotations

import locale
from pathlib import Path
from typing import Any

import pytest

from gisbox.runtime.check import environment
from gisbox.runtime.check.findings import Findings


def run(findings: Findings, ca_env: dict[str, str] | None = None) -> dict[str, Any]:
    return environment.run_environment({}, findings, ca_env or {})


def by_id(findings: Findings) -> dict[str, str]:
    return {f.id: f.severity for f in findings.sorted()}


@pytest.fixture(autouse=True)
def sane(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(environment, "CA_PATHS", (str(tmp_path / "missing.pem"),))
    for key in ("LC_ALL", "LC_NUMERIC"):
        monkeypatch.delenv(key, raising=False)
    import os

    for key in list(os.environ):
        if key.startswith(environment.NETWORK_ENV_PREFIXES):
            monkeypatch.delenv(key)
    monkeypatch.setenv("LANG", "C.UTF-8")


def test_unwritable_temp_dir_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: Any, **_k: Any) -> Any:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(environment.tempfile, "mkstemp", refuse)
    findings = Findings()
    assert run(findings)["runtime.tmp_writable"] is False
    assert by_id(findings)["runtime.tmp-not-writable"] == "error"


def test_missing_home_is_a_warning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "nope"))
    findings = Findings()
    run(findings)
    assert by_id(findings)["runtime.home-not-writable"] == "warning"


def test_ca_bundle_missing_is_an_error_only_when_network_is_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    quiet = Findings()
    run(quiet)
    assert by_id(quiet)["runtime.ca-bundle-missing"] == "warning"
    monkeypatch.setenv("AWS_PROFILE", "prod")
    loud = Findings()
    run(loud)
    assert by_id(loud)["runtime.ca-bundle-missing"] == "error"
    bundle = tmp_path / "ca.pem"
    bundle.write_text("pem")
    fine = Findings()
    run(fine, {"CURL_CA_BUNDLE": str(bundle)})
    assert "runtime.ca-bundle-missing" not in by_id(fine)


def test_comma_decimal_locale_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = locale.localeconv

    def comma() -> dict[str, Any]:
        conv = dict(real())
        conv["decimal_point"] = ","
        return conv

    monkeypatch.setattr(environment.locale, "localeconv", comma)
    findings = Findings()
    assert run(findings)["runtime.decimal_point"] == ","
    assert by_id(findings)["runtime.locale-decimal"] == "error"


def test_uninstalled_locale_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "xx_YY.UTF-8")
    findings = Findings()
    run(findings)
    assert by_id(findings)["runtime.locale-missing"] == "warning"

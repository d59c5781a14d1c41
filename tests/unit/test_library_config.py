"""Each library's configuration judged the way that library reads it: the first variable
set decides, and a broken one is not excused by a good one it shadows."""

from __future__ import annotations

from pathlib import Path

from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.library_config import (
    check_ca_bundles,
    check_gdal_tmp,
    check_proj_network,
    proj_cache_dir,
)


def found(findings: Findings) -> dict[str, tuple[str, str]]:
    return {f.id: (f.severity, f.message) for f in findings.sorted()}


def test_a_broken_curl_ca_bundle_is_caught_although_ssl_cert_file_is_fine(tmp_path: Path) -> None:
    good = tmp_path / "ca.pem"
    good.write_text("-----BEGIN CERTIFICATE-----\n")
    env = {"CURL_CA_BUNDLE": "/nonexistent/ca.pem", "SSL_CERT_FILE": str(good)}
    findings = Findings()
    out = check_ca_bundles(env, findings, network=False)
    severity, message = found(findings)["config.ca-bundle-unreadable"]
    assert severity == "warning" and message.startswith("CURL_CA_BUNDLE=/nonexistent/ca.pem")
    assert "GDAL" in message and "PROJ" in message and "requests" in message
    assert "Python ssl" not in message  # it reads SSL_CERT_FILE, which is fine
    assert f"before SSL_CERT_FILE={good}, which is fine" in message
    assert out["config.ca.gdal"] is False and out["config.ca.python"] in (True, False)


def test_the_variable_a_library_reads_first_decides(tmp_path: Path) -> None:
    good = tmp_path / "ca.pem"
    good.write_text("x")
    env = {"GDAL_CURL_CA_BUNDLE": str(good), "CURL_CA_BUNDLE": "/nonexistent"}
    findings = Findings()
    check_ca_bundles(env, findings, network=True)
    severity, message = found(findings)["config.ca-bundle-unreadable"]
    assert severity == "error"  # network reads are configured
    assert "GDAL" not in message and "PROJ" in message  # GDAL reads its own first


def test_no_ca_variable_leaves_the_libraries_defaults_alone() -> None:
    findings = Findings()
    out = check_ca_bundles({}, findings, network=True)
    assert findings.sorted() == [] and all(out.values())


def test_gdal_writes_temporary_files_where_cpl_tmpdir_says_not_in_tmp(tmp_path: Path) -> None:
    findings = Findings()
    assert check_gdal_tmp({"CPL_TMPDIR": str(tmp_path)}, findings) == {
        "config.gdal_tmp_writable": True
    }
    out = check_gdal_tmp({"CPL_TMPDIR": "", "TMPDIR": "/nonexistent/tmp"}, findings)
    severity, message = found(findings)["config.gdal-tmpdir"]
    assert out == {"config.gdal_tmp_writable": False} and severity == "warning"
    assert "TMPDIR=/nonexistent/tmp" in message


def test_proj_network_is_reported_with_its_effect_and_the_bindings_it_touches(
    tmp_path: Path,
) -> None:
    findings = Findings()
    env = {"PROJ_NETWORK": "ON", "XDG_DATA_HOME": str(tmp_path / "nowhere" / "deep")}
    out = check_proj_network(env, findings, {"rasterio": object()})
    severity, message = found(findings)["config.proj-network"]
    assert severity == "warning" and "cdn.proj.org" in message and "rasterio" in message
    assert out["config.proj_network"] is True and out["config.proj_cache_writable"] is True
    assert check_proj_network({"PROJ_NETWORK": "OFF"}, Findings(), {}) == {
        "config.proj_network": False
    }


def test_proj_s_cache_directory_follows_its_precedence() -> None:
    assert proj_cache_dir({"PROJ_USER_WRITABLE_DIRECTORY": "/a", "XDG_DATA_HOME": "/b"}) == (
        "/a",
        "PROJ_USER_WRITABLE_DIRECTORY",
    )
    assert proj_cache_dir({"XDG_DATA_HOME": "/b", "HOME": "/h"}) == ("/b/proj", "XDG_DATA_HOME")
    assert proj_cache_dir({"HOME": "/h"}) == ("/h/.local/share/proj", "HOME")


def test_the_network_s_effect_is_measured_by_the_transformation_proj_would_pick() -> None:
    import pyproj

    from gisbox.runtime.check.library_config import network_effect

    before = pyproj.network.is_network_enabled()
    said = network_effect(pyproj)
    assert said.startswith(" (NAD27 -> NAD83: 'NAD27 to NAD83")
    assert "with the network" in said and "'Ballpark geographic offset" in said
    assert pyproj.network.is_network_enabled() == before  # left as it was


def test_a_fault_an_import_hides_is_still_reported_and_the_mask_named(tmp_path: Path) -> None:
    """rasterio's import sets GDAL_CURL_CA_BUNDLE: a process that never imports rasterio
    still reads the broken CURL_CA_BUNDLE, so the check judges the environment at start."""
    good = tmp_path / "cacert.pem"
    good.write_text("x")
    at_start = {"CURL_CA_BUNDLE": "/nonexistent"}
    now = {**at_start, "GDAL_CURL_CA_BUNDLE": str(good), "PROJ_CURL_CA_BUNDLE": str(good)}
    findings = Findings()
    out = check_ca_bundles(at_start, findings, network=False, now=now)
    _, message = found(findings)["config.ca-bundle-unreadable"]
    assert "GDAL" in message and out["config.ca.gdal"] is False
    assert "here the bindings' imports set GDAL_CURL_CA_BUNDLE, PROJ_CURL_CA_BUNDLE" in message

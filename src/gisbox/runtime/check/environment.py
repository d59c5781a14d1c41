"""Container pitfalls: temp and home directories, PROJ's user directory, CA bundle, locale."""

from __future__ import annotations

import locale
import os
import tempfile
from typing import Any

from gisbox.runtime import stdlib_zip
from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.library_config import run_library_config

CA_ENV = (
    "CURL_CA_BUNDLE",
    "GDAL_CURL_CA_BUNDLE",
    "PROJ_CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
)
CA_PATHS = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")
# Variables that configure remote reads through GDAL (cloud credentials, HTTP options).
NETWORK_ENV_PREFIXES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_S3_ENDPOINT",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "GDAL_HTTP_",
    "CPL_VSIL_CURL_",
    "GS_ACCESS_KEY_ID",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AZURE_STORAGE_",
)


def writable_temp_dir() -> str | None:
    try:
        fd, path = tempfile.mkstemp(prefix="gisbox-check-")
    except OSError:
        return None
    os.close(fd)
    os.unlink(path)
    return os.path.dirname(path)


def _nearest_existing(path: str) -> str:
    while path and not os.path.exists(path):
        path = os.path.dirname(path)
    return path or "/"


def ca_env_snapshot() -> dict[str, str]:
    """The CA variables as the environment set them, before any binding's import changes them
    (pyogrio sets CURL_CA_BUNDLE to certifi's bundle when it is imported)."""
    return {v: os.environ[v] for v in CA_ENV if os.environ.get(v)}


def run_environment(
    modules: dict[str, Any], findings: Findings, ca_env: dict[str, str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tmp = writable_temp_dir()
    out["runtime.tmp_writable"] = tmp is not None
    if tmp is None:
        findings.error(
            "runtime.tmp-not-writable",
            f"no writable temporary directory (TMPDIR={os.environ.get('TMPDIR')!r}, /tmp, "
            "/var/tmp, the working directory)",
            "mount a tmpfs on /tmp (docker run --tmpfs /tmp; Kubernetes emptyDir) or set TMPDIR",
        )
    home = os.environ.get("HOME", "")
    home_ok = bool(home) and os.path.isdir(home) and os.access(home, os.W_OK)
    out["runtime.home_writable"] = home_ok
    if not home_ok:
        findings.warning(
            "runtime.home-not-writable",
            f"HOME={home!r} is not a writable directory",
            "give the user a writable HOME (an emptyDir or tmpfs) so PROJ and GDAL can cache",
        )
    if "pyproj" in modules:
        user_dir = modules["pyproj"].datadir.get_user_data_dir()
        ok = os.access(_nearest_existing(user_dir), os.W_OK)
        out["runtime.proj_user_dir_writable"] = ok
        if not ok:
            findings.warning(
                "runtime.proj-user-dir",
                f"PROJ's user directory {user_dir} is not writable: "
                "grids fetched with PROJ_NETWORK=ON cannot be cached",
                "set PROJ_USER_WRITABLE_DIRECTORY to a writable path (e.g. /tmp/proj)",
            )
    out.update(_ca_bundle(findings, ca_env))
    network = any(k.startswith(NETWORK_ENV_PREFIXES) for k in os.environ)
    out.update(run_library_config(findings, modules, network, ca_env))
    out.update(_locale(findings))
    _stdlib_archive(findings)
    return out


def _stdlib_archive(findings: Findings) -> None:
    """A zipped stdlib (image.stdlib = "zip") must not shadow sources a package update wrote."""
    archive = stdlib_zip.archive_entry()
    if archive is None or not os.path.isfile(archive):
        return
    hidden = stdlib_zip.shadowed(stdlib_zip.Layout.of_this_python())
    if hidden:
        findings.error(
            "runtime.stdlib-shadowed",
            f"{archive} shadows {len(hidden)} standard-library sources on disk "
            f"(e.g. {hidden[0]}): they were updated without apt's hook, and Python runs the "
            "archive's older copies",
            f"as root: python3 {stdlib_zip.__file__} restore (or rebuild the image)",
        )


def _ca_bundle(findings: Findings, ca_env: dict[str, str]) -> dict[str, Any]:
    named = list(ca_env.values())
    found = next((p for p in [*named, *CA_PATHS] if os.path.isfile(p)), None)
    network = sorted(k for k in os.environ if k.startswith(NETWORK_ENV_PREFIXES))
    if found is None:
        findings.add(
            "runtime.ca-bundle-missing",
            "error" if network else "warning",
            "no CA bundle for GDAL's HTTPS reads (/vsicurl/, s3://, https://)"
            + (f" although network access is configured ({', '.join(network)})" if network else ""),
            "set CURL_CA_BUNDLE to a PEM bundle (certifi's cacert.pem, or install ca-certificates)",
        )
    return {"runtime.ca_bundle": found is not None}


def _locale(findings: Findings) -> dict[str, Any]:
    """The decimal point of the locale the environment asks for (LC_ALL / LC_NUMERIC / LANG)."""
    saved = locale.setlocale(locale.LC_NUMERIC)
    try:
        name = locale.setlocale(locale.LC_NUMERIC, "")
        point = locale.localeconv()["decimal_point"]
    except locale.Error:
        wanted = os.environ.get("LC_ALL") or os.environ.get("LC_NUMERIC") or os.environ.get("LANG")
        findings.warning(
            "runtime.locale-missing",
            f"the locale {wanted!r} is not installed; C is used",
            "use LANG=C.UTF-8 (always present) or install the locale",
        )
        return {"runtime.decimal_point": "."}
    finally:
        locale.setlocale(locale.LC_NUMERIC, saved)
    if point != ".":
        findings.error(
            "runtime.locale-decimal",
            f"the locale {name} uses {point!r} as decimal point: C libraries that parse or print "
            "numbers after setlocale() (PROJ strings, GDAL drivers, CSV) read 1,5 as 1",
            "set LC_NUMERIC=C (or LC_ALL=C.UTF-8) in the image",
        )
    return {"runtime.decimal_point": point}

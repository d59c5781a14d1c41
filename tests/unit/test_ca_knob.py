"""One CA knob: in an image, a user's SSL_CERT_FILE (or CURL_CA_BUNDLE) is the bundle every
library reads, a variable the user set is kept, and no binding's import overrides it;
`gisbox check` says which bundle each library uses and warns when they differ."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gisbox.runtime.ca_env import apply
from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.library_config import bundles_used, check_ca_bundles

CERTIFI = "/opt/venv/lib/python3.11/site-packages/certifi/cacert.pem"
IMAGE = {"SSL_CERT_FILE": CERTIFI, "CURL_CA_BUNDLE": CERTIFI, "GISBOX_DEFAULT_CA": CERTIFI}
READ_BY = {  # what each library reads first (their own precedence)
    "GDAL": "GDAL_CURL_CA_BUNDLE", "PROJ": "PROJ_CURL_CA_BUNDLE",
    "requests": "REQUESTS_CA_BUNDLE", "ssl": "SSL_CERT_FILE",
}  # fmt: skip


def started(**given: str) -> dict[str, str]:
    env = {**IMAGE, **given}
    apply(env)
    # then rasterio/pyogrio are imported: they set these two when unset
    env.setdefault("GDAL_CURL_CA_BUNDLE", CERTIFI)
    env.setdefault("PROJ_CURL_CA_BUNDLE", CERTIFI)
    return env


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "CURL_CA_BUNDLE"])
def test_one_variable_alone_is_what_every_library_reads(variable: str) -> None:
    env = started(**{variable: "/etc/corp-ca.pem"})
    read = {lib: env[v] for lib, v in READ_BY.items()}
    assert read == dict.fromkeys(READ_BY, "/etc/corp-ca.pem")


def test_no_variable_leaves_certifi_everywhere_and_user_variables_are_kept() -> None:
    env = started()
    assert {env[v] for v in READ_BY.values()} == {CERTIFI}
    env = started(SSL_CERT_FILE="/etc/a.pem", GDAL_CURL_CA_BUNDLE="/etc/gdal.pem")
    assert env["GDAL_CURL_CA_BUNDLE"] == "/etc/gdal.pem" and env["SSL_CERT_FILE"] == "/etc/a.pem"
    assert env["PROJ_CURL_CA_BUNDLE"] == env["REQUESTS_CA_BUNDLE"] == "/etc/a.pem"
    both = started(SSL_CERT_FILE="/etc/a.pem", CURL_CA_BUNDLE="/etc/b.pem")
    assert both["SSL_CERT_FILE"] == "/etc/a.pem"  # each as the user said; curl's for curl
    assert both["GDAL_CURL_CA_BUNDLE"] == both["REQUESTS_CA_BUNDLE"] == "/etc/b.pem"


def test_the_pth_line_applies_it_at_start_in_images_only(tmp_path: Path) -> None:
    """As the image installs it: `_gisbox_ca_env.py` and a .pth line in site-packages."""
    import gisbox.runtime.ca_env as module

    shutil.copy(module.__file__, tmp_path / "_gisbox_ca_env.py")
    (tmp_path / "gisbox-ca.pth").write_text("import _gisbox_ca_env\n")
    code = (
        f"import site; site.addsitedir({str(tmp_path)!r}); import os; "
        "print(os.environ.get('GDAL_CURL_CA_BUNDLE'))"
    )

    def started(env: dict[str, str]) -> str:
        res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)  # fmt: skip
        return res.stdout.strip()

    assert started({**IMAGE, "SSL_CERT_FILE": "/etc/corp-ca.pem"}) == "/etc/corp-ca.pem"
    assert started({"SSL_CERT_FILE": "/etc/corp-ca.pem"}) == "None"  # not an image: untouched


def test_the_check_names_each_library_s_bundle_and_warns_when_they_differ(
    tmp_path: Path,
) -> None:
    a, b = tmp_path / "a.pem", tmp_path / "b.pem"
    a.write_text("pem"), b.write_text("pem")
    same = {"SSL_CERT_FILE": str(a), "CURL_CA_BUNDLE": str(a)}
    findings = Findings()
    out = check_ca_bundles(same, findings, network=False, now=same)
    assert out["config.ca.used"]["GDAL"] == f"CURL_CA_BUNDLE={a}"
    assert out["config.ca.used"]["Python ssl"] == f"SSL_CERT_FILE={a}"
    assert not [f for f in findings.sorted() if f.id == "config.ca-bundles-differ"]
    # a host: the user's SSL_CERT_FILE, and rasterio's import set GDAL's to certifi's
    after = {"SSL_CERT_FILE": str(a), "GDAL_CURL_CA_BUNDLE": str(b)}
    findings = Findings()
    check_ca_bundles({"SSL_CERT_FILE": str(a)}, findings, network=False, now=after)
    (differ,) = [f for f in findings.sorted() if f.id == "config.ca-bundles-differ"]
    assert differ.severity == "warning"
    assert f"GDAL: GDAL_CURL_CA_BUNDLE={b}" in differ.message
    assert f"SSL_CERT_FILE={a}" in differ.message
    assert "GDAL_CURL_CA_BUNDLE and PROJ_CURL_CA_BUNDLE" in differ.hint  # a host's fix
    assert bundles_used({})["Python requests"] == "none set: certifi's bundle"


def test_the_check_names_the_variable_the_user_set_not_the_derived_ones() -> None:
    env = started(CURL_CA_BUNDLE="/nonexistent/ca.pem")
    assert env["GISBOX_CA_FROM"] == "CURL_CA_BUNDLE"
    findings = Findings()
    check_ca_bundles(env, findings, network=True, now=env)
    (broken,) = [f for f in findings.sorted() if f.id == "config.ca-bundle-unreadable"]
    assert broken.message.startswith("CURL_CA_BUNDLE=/nonexistent/ca.pem is not a readable")
    assert "GDAL" in broken.message and "Python ssl" in broken.message
    assert started(SSL_CERT_FILE="/etc/a.pem")["GISBOX_CA_FROM"] == "SSL_CERT_FILE"
    assert started()["GISBOX_CA_FROM"] == "CURL_CA_BUNDLE"  # the image's own, followed

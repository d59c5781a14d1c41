"""Find the CA bundle to hand to the build as a BuildKit secret.

Order: `--ca-cert PATH`, then SSL_CERT_FILE, PIP_CERT, REQUESTS_CA_BUNDLE,
pip's `cert` setting, then the system bundle. The bundle is only ever passed
with `--secret`; it never enters the build context or a layer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gisbox.runtime.errors import UsageError

ENV_VARS = ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE")
SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


def _pip_cert() -> str | None:
    try:
        res = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.cert"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = res.stdout.strip()
    return value if res.returncode == 0 and value else None


def find_ca_bundle(explicit: Path | None = None) -> tuple[Path | None, str]:
    """Return (bundle, where it came from); (None, reason) when there is none."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"--ca-cert {explicit}: no such file", hint="name a PEM CA bundle")
        return explicit, "--ca-cert"
    for var in ENV_VARS:
        value = os.environ.get(var)
        if value and Path(value).is_file():
            return Path(value), f"${var}"
    pip_cert = _pip_cert()
    if pip_cert and Path(pip_cert).is_file():
        return Path(pip_cert), "pip config global.cert"
    for path in SYSTEM_BUNDLES:
        if Path(path).is_file():
            return Path(path), "system bundle"
    return None, "none found (the build uses the certificates built into uv and Python)"

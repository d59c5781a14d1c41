"""One CA knob for every library in the image, run at interpreter start.

Installed in the image's environment as `_gisbox_ca_env.py` with a `.pth` line that
imports it, so it runs before any application code. The image's ENV names certifi's
bundle in SSL_CERT_FILE and CURL_CA_BUNDLE, and the same path in GISBOX_DEFAULT_CA (what
marks them as the image's defaults, not a user's choice).

- A user's SSL_CERT_FILE (the variable OpenSSL, Python's ssl and most platforms set) or
  CURL_CA_BUNDLE is the bundle: the other of the two follows it when it still holds the
  image's default, so urllib, requests, GDAL and PROJ trust the same CA.
- GDAL_CURL_CA_BUNDLE, PROJ_CURL_CA_BUNDLE and REQUESTS_CA_BUNDLE, which GDAL, PROJ and
  requests read first, default to CURL_CA_BUNDLE: rasterio's and pyogrio's imports set
  the first two to certifi's bundle only when they are unset, so a binding's import can
  no longer override the user's CA.
- A variable the user set is never changed.
- What it did is recorded for `gisbox check`: GISBOX_CA_FROM (the variable whose bundle
  the others follow) and GISBOX_CA_SET (the variables it set), so a finding names the
  variable the user set, not one derived from it.

Standard library only.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

FOLLOWERS = ("GDAL_CURL_CA_BUNDLE", "PROJ_CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE")


def apply(env: MutableMapping[str, str]) -> None:
    """Make `env` name one CA bundle for every library, the user's when given."""
    default = env.get("GISBOX_DEFAULT_CA", "")

    def users(name: str) -> str:
        value = env.get(name, "")
        return value if value and value != default else ""

    source = next((n for n in ("SSL_CERT_FILE", "CURL_CA_BUNDLE") if users(n)), "")
    chosen = env[source] if source else ""
    derived = []
    if chosen:
        for name in ("SSL_CERT_FILE", "CURL_CA_BUNDLE"):
            if not users(name):
                env[name] = chosen
                derived.append(name)
    curl = env.get("CURL_CA_BUNDLE") or env.get("SSL_CERT_FILE") or default
    if curl:
        for name in FOLLOWERS:
            if not env.get(name):
                env[name] = curl
                derived.append(name)
    # the followers follow CURL_CA_BUNDLE: the user's, or the image's, or the user's other
    env["GISBOX_CA_FROM"] = source if "CURL_CA_BUNDLE" in derived else "CURL_CA_BUNDLE"
    env["GISBOX_CA_SET"] = ",".join(derived)


if os.environ.get("GISBOX_DEFAULT_CA"):  # in an image gisbox built
    apply(os.environ)

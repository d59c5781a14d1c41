"""What must hold inside the `distroless` image (Debian 12), checked as its user."""

import sys

import verify_common

verify_common.is_distroless()
with open("/etc/os-release", encoding="utf-8") as fh:
    assert 'VERSION_ID="12"' in fh.read(), "Debian 12"
assert sys.version_info[:2] == (3, 11), f"Debian 12's Python 3.11, not {sys.version}"
print("ok")

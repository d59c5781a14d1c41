"""What must hold inside the `distroless-trixie` image (Debian 13), checked as its user."""

import sys

import verify_common

verify_common.is_distroless()
assert sys.version_info[:2] == (3, 13), f"Debian 13's Python 3.13, not {sys.version}"
print("ok")

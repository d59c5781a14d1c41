"""Platforms: which local image holds each platform's base, and each platform's tag.

An engine's local store keeps one image per name, so a base for a platform other than
the host's gets its own name, `<base>-<arch>` (e.g. `debian:bookworm-slim-arm64`):
`gisbox base --platform` makes it, `ensure_base` pulls it into that name, and the
Dockerfile takes it as the `GISBOX_BASE` build argument. Built images are tagged
`<tag>-<arch>` per platform, the first platform also plain `<tag>`; `gisbox push`
joins them in one manifest list.
"""

from __future__ import annotations

import platform as _platform

ARCH = {"linux/amd64": "amd64", "linux/arm64": "arm64"}  # Debian's and the OCI's names
_MACHINES = {"x86_64": "linux/amd64", "amd64": "linux/amd64", "aarch64": "linux/arm64",
             "arm64": "linux/arm64"}  # fmt: skip


def host_platform() -> str:
    return _MACHINES.get(_platform.machine().lower(), "linux/amd64")


def platform_base(base: str, platform: str) -> str:
    """The local name of `base` for `platform`: the base itself on the host's platform."""
    if platform == host_platform():
        return base
    name, _, tag = base.rpartition(":") if ":" in base.split("/")[-1] else (base, "", "latest")
    return f"{name}:{tag}-{ARCH[platform]}"


def platform_tag(reference: str, platform: str) -> str:
    """`name:tag` -> `name:tag-arm64`."""
    return f"{reference}-{ARCH[platform]}"

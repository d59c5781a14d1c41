"""Platforms: the one table of what gisbox builds for, each platform's names, its local
base and its tag.

A new platform is one row of `PLATFORMS`; the spec's validation, the CLI's choices, uv's
`--python-platform`, Debian's architecture and the tags all read it.

An engine's local store keeps one image per name, so a base for a platform other than
the host's gets its own name, `<base>-<arch>` (e.g. `debian:bookworm-slim-arm64`):
`gisbox base --platform` makes it, `ensure_base` pulls it into that name, and the
Dockerfile takes it as the `GISBOX_BASE` build argument. Built images are tagged
`<tag>-<arch>` per platform, the first platform also plain `<tag>`; `gisbox push`
joins them in one manifest list.
"""

from __future__ import annotations

import platform as _platform
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Platform:
    name: str  # the OCI platform: "linux/amd64"
    arch: str  # Debian's and the OCI's architecture: "amd64"
    machine: str  # the kernel's and the manylinux tags' name: "x86_64"
    triplet: str  # the GNU triplet: Debian's multiarch directory and cross compilers' prefix
    aliases: tuple[str, ...] = ()  # other names `uname -m` may print


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform(name="linux/amd64", arch="amd64", machine="x86_64", triplet="x86_64-linux-gnu"),
        Platform(name="linux/arm64", arch="arm64", machine="aarch64", triplet="aarch64-linux-gnu"),
    )
}
DEFAULT_PLATFORM = "linux/amd64"


def platform_names() -> tuple[str, ...]:
    return tuple(PLATFORMS)


def host_platform() -> str:
    machine = _platform.machine().lower()
    for p in PLATFORMS.values():
        if machine in (p.machine, p.arch, *p.aliases):
            return p.name
    return DEFAULT_PLATFORM


def platform_base(base: str, platform: str) -> str:
    """The local name of `base` for `platform`: the base itself on the host's platform."""
    if platform == host_platform():
        return base
    name, _, tag = base.rpartition(":") if ":" in base.split("/")[-1] else (base, "", "latest")
    return f"{name}:{tag}-{PLATFORMS[platform].arch}"


def platform_tag(reference: str, platform: str) -> str:
    """`name:tag` -> `name:tag-arm64`."""
    return f"{reference}-{PLATFORMS[platform].arch}"

"""The base image a lock and a build start from: present in the engine, else pulled.

A base for a platform other than the host's lives under its own local name
(`gisbox.project.platforms.platform_base`). When neither the engine has it nor a
registry gives it, `gisbox base` (`gisbox.locking.debootstrap`) makes a Debian one.
"""

from __future__ import annotations

from gisbox.engines.base import ContainerEngine
from gisbox.project.platforms import host_platform, platform_base
from gisbox.runtime.errors import EngineError


def ensure_base(engine: ContainerEngine, reference: str, platform: str | None = None) -> str:
    """The local name of `reference` for `platform`: present, else pulled (into that name);
    when neither works say to run `gisbox base`."""
    platform = platform or host_platform()
    local = platform_base(reference, platform)
    if engine.exists(local):
        return local
    error = engine.pull(reference, platform)
    if error is None:
        if local != reference:  # the pull moved `reference` to this platform: move it back
            engine.tag(reference, local)
            engine.pull(reference, host_platform())
        return local
    raise EngineError(
        f"the base image {reference} for {platform} is not present in {engine.name} (as "
        f"{local}) and cannot be pulled ({error})",
        hint=f"run `gisbox base --engine {engine.name} --platform {platform}` to make it "
        "from a Debian mirror",
    )

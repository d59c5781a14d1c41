"""How `gisbox build` builds: the options the CLI gathers, as one frozen value passed
through `build_all` and `build_image` (the cibuildwheel way)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    ca_cert: Path | None = None  # CA bundle for HTTPS in the build (default: the host's)
    netrc: Path | None = None  # private-index credentials, a build secret
    no_cache: bool = False  # build without the engine's layer cache
    workloads: bool = False  # `gisbox check --workloads` in the image
    sbom: bool = True  # write the SBOM and label its digest
    make_base: bool = True  # a missing base is copied from the other engine or made
    stack_from: str | None = None  # REGISTRY/REPO to pull a missing stack image from


DEFAULTS = BuildOptions()

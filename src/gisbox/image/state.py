"""What the engine holds of a project's image: is it built, was it built from this lock,
what is its registry digest. The commands ask here instead of inspecting images
themselves."""

from __future__ import annotations

from gisbox.engines.base import ContainerEngine, ImageInfo
from gisbox.project.project import Project
from gisbox.render.context import LOCK_LABEL
from gisbox.runtime.errors import EngineError, UsageError


def require_built(
    engine: ContainerEngine, reference: str, hint: str = "run `gisbox build` first"
) -> ImageInfo:
    """The image `reference`; EngineError (exit 4) when the engine does not hold it."""
    if not engine.exists(reference):
        raise EngineError(
            f"{reference} does not exist in {engine.name}: it is not built", hint=hint
        )
    return engine.inspect(reference)


def require_image(engine: ContainerEngine, reference: str) -> ImageInfo:
    """An image the user named; a usage error (exit 2) when the engine has no such image."""
    if not engine.exists(reference):
        raise UsageError(
            f"{reference}: no such image in {engine.name}",
            hint=f"`{engine.name} images` lists what there is",
        )
    return engine.inspect(reference)


def built_from_lock(info: ImageInfo, project: Project) -> bool:
    """Whether the image was built from the project's lock as it is now (its label)."""
    return info.labels.get(LOCK_LABEL) == project.lock_digest


def require_built_from_lock(engine: ContainerEngine, project: Project, reference: str) -> ImageInfo:
    """The image, refused unless built from the project's current lock."""
    info = require_built(engine, reference)
    if not built_from_lock(info, project):
        built_from = info.labels.get(LOCK_LABEL)
        raise EngineError(
            f"{reference} was built from another lock ({built_from or 'no gisbox label'}; "
            f"gisbox.lock is {project.lock_digest})",
            hint="run `gisbox build`, then push",
        )
    return info


def pushed_digest(engine: ContainerEngine, reference: str) -> str:
    """`registry/repo@sha256:…` of the image as `gisbox push` left it (its first repo
    digest); a usage error when it was never pushed."""
    digests = engine.inspect(reference).repo_digests if engine.exists(reference) else ()
    if not digests:
        raise UsageError(
            f"{reference} has no registry digest: manifests reference images by digest",
            hint="run `gisbox push --to REGISTRY/REPO` first, or pass --image REPO@sha256:…",
        )
    return digests[0]

"""`gisbox push`: tag the project's image for a registry, push it, report the digest.

Only an image built from the project's current lock is pushed: its
`io.gisbox.lock-digest` label must be the digest of gisbox.lock. A lock for several
platforms pushes each platform's image, then one manifest list that names them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gisbox.engines.base import ContainerEngine
from gisbox.image.state import require_built_from_lock
from gisbox.project.platforms import platform_tag
from gisbox.project.project import Project
from gisbox.runtime.errors import UsageError

_REF = re.compile(r"^[a-z0-9.-]+(?::[0-9]+)?(?:/[a-z0-9._-]+)+(?::[A-Za-z0-9_.-]+)?$")


@dataclass(frozen=True)
class Pushed:
    reference: str  # registry/repo:tag
    digest: str  # sha256:…
    image_id: str

    @property
    def by_digest(self) -> str:
        """registry/repo@sha256:… (what to pull to get exactly these bytes)."""
        return f"{self.reference.rsplit(':', 1)[0]}@{self.digest}"


def target_reference(target: str, default_tag: str) -> str:
    """REGISTRY/REPO[:TAG] -> REGISTRY/REPO:TAG (the spec's tag when none is given)."""
    if not _REF.match(target):
        raise UsageError(
            f"--to {target!r} is not REGISTRY/REPOSITORY[:TAG]",
            hint="e.g. --to 127.0.0.1:5000/gisbox/minimal or --to ghcr.io/org/app:1.0",
        )
    return target if ":" in target.rsplit("/", 1)[-1] else f"{target}:{default_tag}"


def push(project: Project, engine: ContainerEngine, target: str) -> Pushed:
    """Push the image; with several platforms each as `<tag>-<arch>` and then one manifest
    list (index) `<tag>` of them all, whose digest is returned."""
    destination = target_reference(target, project.spec.image.tag)
    targets = project.lock.targets
    if len(targets) == 1:
        return push_one(project, engine, project.spec.reference, destination)
    pushed = [
        push_one(
            project,
            engine,
            project.reference_for(t.platform),
            platform_tag(destination, t.platform),
        )
        for t in targets
    ]
    digest = engine.push_index(destination, [p.by_digest for p in pushed])
    return Pushed(reference=destination, digest=digest, image_id=pushed[0].image_id)


def push_one(project: Project, engine: ContainerEngine, source: str, destination: str) -> Pushed:
    info = require_built_from_lock(engine, project, source)
    engine.tag(source, destination)
    digest = engine.push(destination)
    return Pushed(reference=destination, digest=digest, image_id=info.id)

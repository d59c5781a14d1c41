"""`gisbox push`: tag the spec's image for a registry, push it, report the digest."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gisbox.engine import Engine
from gisbox.runtime.errors import EngineError, UsageError

_DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64})")
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


def push(engine: Engine, source: str, target: str) -> Pushed:
    if not engine.image_exists(source):
        raise EngineError(f"{source} does not exist here", hint="run `gisbox build` first")
    engine.run("tag", source, target)
    res = engine.run("push", target, check=False, timeout=3600)
    if res.returncode != 0:
        raise EngineError(
            f"pushing {target} failed: {(res.stderr or res.stdout).strip()[-600:]}",
            hint="check the registry address, `docker login`, or TLS settings",
        )
    m = _DIGEST.search(res.stdout)
    if not m:
        raise EngineError(f"pushed {target} but the engine reported no digest: {res.stdout[-300:]}")
    return Pushed(reference=target, digest=m.group(1), image_id=str(engine.inspect(target)["Id"]))

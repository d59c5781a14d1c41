"""`/healthz` (liveness), `/readyz` (readiness: the healthcheck's probes) and `/v1/info`."""

from __future__ import annotations

import os
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gisbox import __version__
from gisbox.runtime.check import healthcheck
from gisbox.runtime.check.stack import carried_versions

router = APIRouter()
READY_FOR_S = 10  # a readiness answer is kept this long (per app: `app.state.ready`)


def fingerprint_digest() -> str | None:
    """The digest of the fingerprint `gisbox build` kept for this image (set at build)."""
    return os.environ.get("GISBOX_FINGERPRINT_DIGEST")


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Readiness: the healthcheck probes pass (cached for 10 s)."""
    _ready: dict[str, Any] = request.app.state.ready
    now = time.monotonic()
    if now - _ready.get("at", -1e9) > READY_FOR_S:
        try:
            healthcheck.run()
            _ready.update(at=now, ok=True, reason="")
        except Exception as exc:
            _ready.update(at=now, ok=False, reason=str(exc))
    if _ready["ok"]:
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "not ready", "reason": _ready["reason"]}, status_code=503)


@router.get("/v1/info")
def info() -> dict[str, Any]:
    """Versions of gisbox and the stack, and the digest of the image's fingerprint."""
    modules, _ = healthcheck.import_all()
    return {
        "gisbox": __version__,
        "bindings": carried_versions(modules),
        "fingerprint_digest": fingerprint_digest(),
    }

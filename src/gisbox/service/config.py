"""Service configuration from documented environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"gisbox serve: {name}={raw!r} is not an integer") from None


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    workers: int
    max_points: int  # largest coordinate batch per request
    max_body_bytes: int
    graceful_seconds: int  # time in-flight requests get after SIGTERM
    log_level: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            host=os.environ.get("GISBOX_HOST", "0.0.0.0"),
            port=_int("GISBOX_PORT", 8080),
            workers=_int("GISBOX_WORKERS", 1),
            max_points=_int("GISBOX_MAX_POINTS", 100_000),
            max_body_bytes=_int("GISBOX_MAX_BODY_BYTES", 16 * 1024 * 1024),
            graceful_seconds=_int("GISBOX_GRACEFUL_SECONDS", 20),
            log_level=os.environ.get("GISBOX_LOG_LEVEL", "info"),
        )


ENVIRONMENT = {
    "GISBOX_HOST": "address to listen on (0.0.0.0)",
    "GISBOX_PORT": "port (8080)",
    "GISBOX_WORKERS": "uvicorn worker processes (1)",
    "GISBOX_MAX_POINTS": "largest coordinate batch per request (100000)",
    "GISBOX_MAX_BODY_BYTES": "largest request body (16 MiB)",
    "GISBOX_GRACEFUL_SECONDS": "time in-flight requests get after SIGTERM (20)",
    "GISBOX_LOG_LEVEL": "debug, info, warning, error (info)",
}

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
    data_dirs: tuple[str, ...] = ("/data",)
    url_prefixes: tuple[str, ...] = ()
    max_pixels: int = 50_000_000
    model: str = "gisbox.runtime.service.landcover:predict"

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
            data_dirs=tuple(
                d for d in os.environ.get("GISBOX_DATA_DIRS", "/data").split(os.pathsep) if d
            ),
            url_prefixes=tuple(
                u for u in os.environ.get("GISBOX_ALLOWED_URL_PREFIXES", "").split(",") if u
            ),
            max_pixels=_int("GISBOX_MAX_PIXELS", 50_000_000),
            model=os.environ.get("GISBOX_MODEL", "gisbox.runtime.service.landcover:predict"),
        )


ENVIRONMENT = {
    "GISBOX_HOST": "address to listen on (0.0.0.0)",
    "GISBOX_PORT": "port (8080)",
    "GISBOX_WORKERS": "uvicorn worker processes (1)",
    "GISBOX_MAX_POINTS": "largest coordinate batch per request (100000)",
    "GISBOX_MAX_BODY_BYTES": "largest request body (16 MiB)",
    "GISBOX_GRACEFUL_SECONDS": "time in-flight requests get after SIGTERM (20)",
    "GISBOX_LOG_LEVEL": "debug, info, warning, error (info)",
    "GISBOX_DATA_DIRS": "directories rasters may be read from, ':'-separated (/data)",
    "GISBOX_ALLOWED_URL_PREFIXES": "URL prefixes rasters may be read from, ','-separated (none)",
    "GISBOX_MAX_PIXELS": "largest window a zonal-stats or predict request may cover (50000000)",
    "GISBOX_MODEL": "module:callable or gisbox.models entry point (the demo land-cover model)",
}

"""Service configuration from documented environment variables (pydantic-settings).

Every field is read from `GISBOX_<NAME>`; `ENVIRONMENT` documents them for
`gisbox serve --help`. A value that does not parse stops the server with the variable's
name (`Settings.from_env`).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator

try:
    from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
except ImportError:  # an image locked before the service profile listed it
    raise SystemExit(
        "gisbox serve needs pydantic-settings: add it to [python] packages in gisbox.toml "
        "(the service profile has it), then `gisbox lock` and `gisbox build`"
    ) from None

DEFAULT_MODEL = "gisbox.runtime.service.landcover:predict"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GISBOX_", frozen=True, extra="ignore", populate_by_name=True
    )

    host: str = "0.0.0.0"
    port: int = 8080
    workers: int = 1
    max_points: int = 100_000  # largest coordinate batch per request
    max_body_bytes: int = 16 * 1024 * 1024
    graceful_seconds: int = 20  # time in-flight requests get after SIGTERM
    log_level: str = "info"
    # ':'-separated in the environment
    data_dirs: Annotated[tuple[str, ...], NoDecode] = ("/data",)
    # ','-separated in the environment, as GISBOX_ALLOWED_URL_PREFIXES
    url_prefixes: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="GISBOX_ALLOWED_URL_PREFIXES",
    )
    max_pixels: int = 50_000_000
    model: str = DEFAULT_MODEL

    @field_validator("data_dirs", mode="before")
    @classmethod
    def _paths(cls, v: Any) -> Any:
        return tuple(d for d in v.split(os.pathsep) if d) if isinstance(v, str) else v

    @field_validator("url_prefixes", mode="before")
    @classmethod
    def _prefixes(cls, v: Any) -> Any:
        return tuple(u for u in v.split(",") if u) if isinstance(v, str) else v

    @classmethod
    def from_env(cls) -> Settings:
        try:
            return cls()
        except ValidationError as exc:
            err = exc.errors()[0]
            name = f"GISBOX_{str(err['loc'][0]).upper()}" if err["loc"] else "GISBOX_*"
            raise SystemExit(f"gisbox serve: {name}={err.get('input')!r}: {err['msg']}") from None

    def check_points(self, n: int) -> None:
        """Refuse a batch larger than GISBOX_MAX_POINTS (a 400)."""
        from gisbox.runtime.service.transform import BadRequest

        if n > self.max_points:
            raise BadRequest(
                f"{n} points; at most {self.max_points} per request (GISBOX_MAX_POINTS)"
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

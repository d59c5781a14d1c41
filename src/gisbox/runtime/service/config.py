"""Service configuration from documented environment variables (pydantic-settings).

Every field is read from `GISBOX_<NAME>` and documented by its description, which
`gisbox serve --help` lists (`environment()`). A value that does not parse stops the
server with the variable's name (`Settings.from_env`).
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

    host: str = Field(default="0.0.0.0", description="address to listen on")
    port: int = Field(default=8080, description="port")
    workers: int = Field(default=1, description="uvicorn worker processes")
    max_points: int = Field(default=100_000, description="largest coordinate batch per request")
    max_body_bytes: int = Field(default=16 * 1024 * 1024, description="largest request body")
    graceful_seconds: int = Field(
        default=20, description="time in-flight requests get after SIGTERM"
    )
    log_level: str = Field(default="info", description="debug, info, warning, error")
    data_dirs: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("/data",), description="directories rasters may be read from, ':'-separated"
    )
    url_prefixes: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="GISBOX_ALLOWED_URL_PREFIXES",
        description="URL prefixes rasters may be read from, ','-separated",
    )
    max_pixels: int = Field(
        default=50_000_000, description="largest window a zonal-stats or predict request may cover"
    )
    model: str = Field(
        default=DEFAULT_MODEL, description="module:callable or gisbox.models entry point"
    )

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


def environment() -> dict[str, str]:
    """`GISBOX_<NAME>` -> what it sets (default), from the fields themselves."""
    out = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else None
        default = field.default
        if isinstance(default, tuple):
            default = ":".join(default) if name == "data_dirs" else ",".join(default) or "none"
        out[alias or f"GISBOX_{name.upper()}"] = f"{field.description} ({default})"
    return out

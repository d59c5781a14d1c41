"""What the routes share: the settings dependency and the error response."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from gisbox.runtime.service.config import Settings


def error(status: int, message: str, request: Request) -> JSONResponse:
    rid = getattr(request.state, "request_id", "-")
    return JSONResponse({"error": message, "request_id": rid}, status_code=status)


def settings_of(request: Request) -> Settings:
    """The app's settings (a dependency: routes declare it, tests build apps with their own)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(settings_of)]

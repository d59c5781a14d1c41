"""The FastAPI application: its routers (health, transformation, rasters), the settings
they depend on, the request middleware (ids, body limit, JSON access log) and the
error answers."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from gisbox import __version__
from gisbox.runtime.service import predict, routes_health, routes_raster, routes_transform
from gisbox.runtime.service.config import Settings
from gisbox.runtime.service.deps import error
from gisbox.runtime.service.middleware import RequestContext
from gisbox.runtime.service.raster import Forbidden
from gisbox.runtime.service.transform import BadRequest

log = logging.getLogger("gisbox.runtime.service")
# exception -> the status it answers with
STATUS = {Forbidden: 403, predict.ModelError: 502, BadRequest: 400}


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="gisbox spatial API", version=__version__)
    app.state.settings = settings
    app.state.ready = {}
    for router in (routes_health.router, routes_transform.router, routes_raster.router):
        app.include_router(router)
    app.add_middleware(RequestContext)
    app.exception_handler(RequestValidationError)(invalid)
    for exc_class in STATUS:
        app.exception_handler(exc_class)(failed)
    return app


async def invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
    rid = getattr(request.state, "request_id", "-")
    return JSONResponse(
        {"error": "invalid request", "details": details, "request_id": rid}, status_code=422
    )


async def failed(request: Request, exc: Exception) -> JSONResponse:
    status = next(code for cls, code in STATUS.items() if isinstance(exc, cls))
    return error(status, str(exc), request)

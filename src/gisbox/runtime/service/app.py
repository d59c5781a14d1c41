"""The FastAPI application: its routers (health, transformation, rasters), the settings
they depend on, the request middleware (ids, body limit, JSON access log) and the
error answers."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from gisbox import __version__
from gisbox.runtime.service import predict, routes_health, routes_raster, routes_transform
from gisbox.runtime.service.config import Settings
from gisbox.runtime.service.deps import error
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
    app.middleware("http")(request_context)
    app.exception_handler(RequestValidationError)(invalid)
    for exc_class in STATUS:
        app.exception_handler(exc_class)(failed)
    return app


async def request_context(request: Request, call_next: Any) -> Any:
    """A request id on every request and answer, the body limit, one JSON log line each;
    the process survives anything a request does."""
    limit = request.app.state.settings.max_body_bytes
    request.state.request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    started = time.perf_counter()
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        response: Any = error(413, f"body larger than {limit} bytes", request)
    else:
        try:
            response = await call_next(request)
        except ClientDisconnect:  # gone before its body arrived: nobody to answer
            response = Response(status_code=499)  # nginx's "client closed request"
        except Exception as exc:
            log.exception("unhandled error")
            response = error(500, f"internal error: {type(exc).__name__}", request)
    response.headers["x-request-id"] = request.state.request_id
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    log.info(
        json.dumps(
            {
                "request_id": request.state.request_id,
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "ms": elapsed,
            }
        )
    )
    return response


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

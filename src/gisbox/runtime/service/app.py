"""The FastAPI application: health, readiness, info and coordinate transformation."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from typing import Any, Literal

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.requests import ClientDisconnect

from gisbox import __version__
from gisbox.runtime.check import healthcheck
from gisbox.runtime.check.stack import carried_versions
from gisbox.runtime.service import fast_json, predict, raster
from gisbox.runtime.service.config import Settings
from gisbox.runtime.service.raster import Forbidden, resolve_raster
from gisbox.runtime.service.transform import (
    BadRequest,
    parse_crs,
    transform_array,
    transform_geojson,
)

log = logging.getLogger("gisbox.runtime.service")
CrsInput = str | int | dict[str, Any]


class TransformRequest(BaseModel):
    """Either `coordinates` ([[x, y], …], longitude first for geographic CRSs) or `geojson`."""

    model_config = ConfigDict(extra="forbid")
    source_crs: CrsInput = Field(description="EPSG code, 'EPSG:4326', WKT, PROJ string or PROJJSON")
    target_crs: CrsInput
    coordinates: list[list[float]] | None = None
    geojson: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_payload(self) -> TransformRequest:
        if (self.coordinates is None) == (self.geojson is None):
            raise ValueError("give exactly one of coordinates or geojson")
        return self


class SampleRequest(BaseModel):
    """Values at points; `crs` is the points' CRS (x, y order)."""

    model_config = ConfigDict(extra="forbid")
    raster: str = Field(description="path under GISBOX_DATA_DIRS, or an allowed URL")
    points: list[list[float]] = Field(min_length=1)
    crs: CrsInput = "EPSG:4326"


class ZonalRequest(BaseModel):
    """Statistics of band 1 inside each feature of a GeoJSON FeatureCollection."""

    model_config = ConfigDict(extra="forbid")
    raster: str
    geojson: dict[str, Any]
    crs: CrsInput = "EPSG:4326"


class PredictRequest(BaseModel):
    """Run the model over a pixel window, or over the tiles covering a polygon."""

    model_config = ConfigDict(extra="forbid")
    raster: str
    window: dict[str, int] | None = Field(
        default=None, description="col_off, row_off, width, height (pixels)"
    )
    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON Polygon")
    crs: CrsInput = Field(default="EPSG:4326", description="CRS of geometry and of the output")
    format: Literal["geojson", "geotiff"] = "geojson"
    tile_size: int = 256
    overlap: int = 16


# /v1/transform reads its body itself (the fast path); the schema still documents it
TRANSFORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": TransformRequest.model_json_schema()}},
    }
}


def _json_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; a 422 like FastAPI's own when it is not one."""
    try:
        data = fast_json.loads(raw)
    except ValueError as exc:
        error = {"loc": ("body",), "msg": f"JSON decode error: {exc}", "type": "json_invalid"}
        raise RequestValidationError([error]) from None
    if not isinstance(data, dict):
        error = {"loc": ("body",), "msg": "the body must be a JSON object", "type": "dict_type"}
        raise RequestValidationError([error])
    return data


def _error(status: int, message: str, request: Request) -> JSONResponse:
    rid = getattr(request.state, "request_id", "-")
    return JSONResponse({"error": message, "request_id": rid}, status_code=status)


def fingerprint_digest() -> str | None:
    """The digest of the fingerprint `gisbox build` kept for this image (set at build)."""
    return os.environ.get("GISBOX_FINGERPRINT_DIGEST")


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="gisbox spatial API", version=__version__)
    ready_cache: dict[str, Any] = {}

    @app.middleware("http")
    async def request_context(request: Request, call_next: Any) -> Any:
        request.state.request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        started = time.perf_counter()
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_body_bytes:
            response: Any = _error(
                413, f"body larger than {settings.max_body_bytes} bytes", request
            )
        else:
            try:
                response = await call_next(request)
            except ClientDisconnect:  # gone before its body arrived: nobody to answer
                response = Response(status_code=499)  # nginx's "client closed request"
            except Exception as exc:  # the process must survive anything a request does
                log.exception("unhandled error")
                response = _error(500, f"internal error: {type(exc).__name__}", request)
        response.headers["x-request-id"] = request.state.request_id
        log.info(
            json.dumps(
                {
                    "request_id": request.state.request_id,
                    "method": request.method,
                    "path": request.url.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                }
            )
        )
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        rid = getattr(request.state, "request_id", "-")
        return JSONResponse(
            {"error": "invalid request", "details": details, "request_id": rid}, status_code=422
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return _error(403, str(exc), request)

    @app.exception_handler(predict.ModelError)
    async def model_failed(request: Request, exc: predict.ModelError) -> JSONResponse:
        return _error(502, str(exc), request)

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> JSONResponse:
        return _error(400, str(exc), request)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        """Readiness: the healthcheck probes pass (cached for 10 s)."""
        now = time.monotonic()
        if now - ready_cache.get("at", -1e9) > 10:
            try:
                healthcheck.run()
                ready_cache.update(at=now, ok=True, reason="")
            except Exception as exc:
                ready_cache.update(at=now, ok=False, reason=str(exc))
        if ready_cache["ok"]:
            return JSONResponse({"status": "ready"})
        return JSONResponse(
            {"status": "not ready", "reason": ready_cache["reason"]}, status_code=503
        )

    @app.get("/v1/info")
    def info() -> dict[str, Any]:
        """Versions of gisbox and the stack, and the digest of the image's fingerprint."""
        modules, _ = healthcheck.import_all()
        return {
            "gisbox": __version__,
            "bindings": carried_versions(modules),
            "fingerprint_digest": fingerprint_digest(),
        }

    def _check_count(n: int) -> None:
        if n > settings.max_points:
            raise BadRequest(
                f"{n} points; at most {settings.max_points} per request (GISBOX_MAX_POINTS)"
            )

    def _transform_batch(fields: dict[str, Any], arr: Any) -> Response:
        """The fields but the points, as the model says; then the points in one go."""
        try:
            body = TransformRequest.model_validate({**fields, "coordinates": []})
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        _check_count(len(arr))
        src, dst = parse_crs(body.source_crs), parse_crs(body.target_crs)
        out = transform_array(src, dst, arr)
        answer = {"coordinates": out, "target_crs": dst.to_string()}
        return Response(fast_json.dumps(answer), media_type="application/json")

    @app.post("/v1/transform", response_model=None, openapi_extra=TRANSFORM_BODY)
    async def transform(request: Request) -> Response:
        """Transform coordinates or a GeoJSON FeatureCollection between CRSs (x, y order).
        Batches of coordinates take the fast JSON path (gisbox.runtime.service.fast_json)."""
        raw = await request.body()
        batch = fast_json.parse_batch(raw)
        if batch is not None:  # a plain batch, parsed straight into one array
            fields, arr = batch
            return _transform_batch(fields, arr)
        data = _json_body(raw)
        points = data.get("coordinates")
        fast = isinstance(points, list)
        try:  # the fields but the points, as the model says (a placeholder for the points)
            body = TransformRequest.model_validate({**data, "coordinates": []} if fast else data)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        if fast:
            assert isinstance(points, list)
            _check_count(len(points))
            return _transform_batch(data, fast_json.coordinates_array(points))
        src, dst = parse_crs(body.source_crs), parse_crs(body.target_crs)
        assert body.geojson is not None
        geojson = transform_geojson(src, dst, body.geojson)
        return JSONResponse({"geojson": geojson, "target_crs": dst.to_string()})

    @app.post(
        "/v1/transform/array",
        response_class=Response,
        responses={200: {"content": {"application/octet-stream": {}}}},
    )
    async def transform_binary(
        request: Request, source_crs: str, target_crs: str, dims: int = 2
    ) -> Response:
        """Binary batches: the body is little-endian float64 x, y(, z) triples packed in
        order (`dims` per point); the answer is the same layout in the target CRS. For
        large batches this avoids JSON, which costs ~20x the transformation itself."""
        if dims not in (2, 3):
            raise BadRequest("dims must be 2 or 3")
        raw = await request.body()
        if len(raw) % (8 * dims):
            raise BadRequest(f"the body must be a whole number of {dims} x float64 points")
        arr = np.frombuffer(raw, dtype="<f8").reshape(-1, dims)
        if len(arr) > settings.max_points:
            raise BadRequest(f"{len(arr)} points; at most {settings.max_points} per request")
        out = transform_array(parse_crs(source_crs), parse_crs(target_crs), arr)
        return Response(out.astype("<f8").tobytes(), media_type="application/octet-stream")

    @app.post("/v1/raster/sample")
    def raster_sample(body: SampleRequest) -> dict[str, Any]:
        """Values of every band at each point; null outside the raster or at nodata."""
        if len(body.points) > settings.max_points:
            raise BadRequest(f"at most {settings.max_points} points per request")
        if any(len(p) < 2 for p in body.points):
            raise BadRequest("every point must be [x, y]")
        location = resolve_raster(body.raster, settings.data_dirs, settings.url_prefixes)
        return raster.sample(location, body.points, body.crs)

    @app.post("/v1/raster/zonal-stats")
    def raster_zonal(body: ZonalRequest) -> dict[str, Any]:
        """count, min, max, mean and sum of band 1 inside each feature (pixel centres)."""
        features = body.geojson.get("features")
        if body.geojson.get("type") != "FeatureCollection" or not isinstance(features, list):
            raise BadRequest("geojson must be a FeatureCollection with a features list")
        location = resolve_raster(body.raster, settings.data_dirs, settings.url_prefixes)
        return {"stats": raster.zonal_stats(location, features, body.crs, settings.max_pixels)}

    @app.post("/v1/predict", response_model=None)
    def run_model(body: PredictRequest) -> Response | dict[str, Any]:
        """The model's prediction as GeoJSON polygons (in `crs`) or a GeoTIFF."""
        if body.window is not None and body.geometry is not None:
            raise BadRequest("give a window or a geometry, not both")
        location = resolve_raster(body.raster, settings.data_dirs, settings.url_prefixes)
        model = predict.load_model(settings.model)
        out, transform, crs = predict.run(
            location,
            model,
            window=body.window,
            geometry=body.geometry,
            geom_crs=body.crs,
            tile=body.tile_size,
            overlap=body.overlap,
            max_pixels=settings.max_pixels,
        )
        if body.format == "geotiff":
            return Response(predict.to_geotiff(out, transform, crs), media_type="image/tiff")
        return {
            "geojson": predict.to_geojson(out, transform, crs, body.crs),
            "model": settings.model,
        }

    return app

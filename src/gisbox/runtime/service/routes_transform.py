"""`/v1/transform` (JSON: coordinates or GeoJSON) and `/v1/transform/array` (binary)."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from gisbox.runtime.service import fast_json
from gisbox.runtime.service.config import Settings
from gisbox.runtime.service.deps import SettingsDep
from gisbox.runtime.service.models import TransformRequest
from gisbox.runtime.service.transform import (
    BadRequest,
    crs_name,
    parse_crs,
    transform_array,
    transform_geojson,
)

router = APIRouter()
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


def _validated(data: dict[str, Any]) -> TransformRequest:
    try:
        return TransformRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def _transform_batch(settings: Settings, fields: dict[str, Any], arr: Any) -> Response:
    """The fields but the points, as the model says; then the points in one go."""
    body = _validated({**fields, "coordinates": []})
    settings.check_points(len(arr))
    src, dst = parse_crs(body.source_crs), parse_crs(body.target_crs)
    out = transform_array(src, dst, arr)
    target = body.target_crs
    name = crs_name(target) if isinstance(target, (str, int)) else dst.to_string()
    answer = {"coordinates": out, "target_crs": name}
    return Response(fast_json.dumps(answer), media_type="application/json")


@router.post("/v1/transform", response_model=None, openapi_extra=TRANSFORM_BODY)
async def transform(request: Request, settings: SettingsDep) -> Response:
    """Transform coordinates or a GeoJSON FeatureCollection between CRSs (x, y order).
    Batches of coordinates take the fast JSON path (gisbox.runtime.service.fast_json)."""
    raw = await request.body()
    batch = fast_json.parse_batch(raw)
    if batch is not None:  # a plain batch, parsed straight into one array
        fields, arr = batch
        return _transform_batch(settings, fields, arr)
    data = _json_body(raw)
    points = data.get("coordinates")
    if isinstance(points, list):
        # the fields but the points, as the model says (a placeholder for the points)
        _validated({**data, "coordinates": []})
        settings.check_points(len(points))
        return _transform_batch(settings, data, fast_json.coordinates_array(points))
    body = _validated(data)
    src, dst = parse_crs(body.source_crs), parse_crs(body.target_crs)
    assert body.geojson is not None
    geojson = transform_geojson(src, dst, body.geojson)
    return JSONResponse({"geojson": geojson, "target_crs": dst.to_string()})


@router.post(
    "/v1/transform/array",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def transform_binary(
    request: Request, settings: SettingsDep, source_crs: str, target_crs: str, dims: int = 2
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
    settings.check_points(len(arr))
    out = transform_array(parse_crs(source_crs), parse_crs(target_crs), arr)
    return Response(out.astype("<f8").tobytes(), media_type="application/octet-stream")

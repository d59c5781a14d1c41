"""`/v1/raster/sample`, `/v1/raster/zonal-stats` and `/v1/predict`: rasters read from
GISBOX_DATA_DIRS or allowed URLs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gisbox.runtime.service import predict, raster
from gisbox.runtime.service.deps import SettingsDep
from gisbox.runtime.service.models import PredictRequest, SampleRequest, ZonalRequest
from gisbox.runtime.service.raster import resolve_raster
from gisbox.runtime.service.transform import BadRequest

router = APIRouter()


@router.post("/v1/raster/sample")
def raster_sample(body: SampleRequest, settings: SettingsDep) -> dict[str, Any]:
    """Values of every band at each point; null outside the raster or at nodata."""
    settings.check_points(len(body.points))
    if any(len(p) < 2 for p in body.points):
        raise BadRequest("every point must be [x, y]")
    location = resolve_raster(body.raster, settings.data_dirs, settings.url_prefixes)
    return raster.sample(location, body.points, body.crs)


@router.post("/v1/raster/zonal-stats")
def raster_zonal(body: ZonalRequest, settings: SettingsDep) -> dict[str, Any]:
    """count, min, max, mean and sum of band 1 inside each feature (pixel centres)."""
    features = body.geojson.get("features")
    if body.geojson.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise BadRequest("geojson must be a FeatureCollection with a features list")
    location = resolve_raster(body.raster, settings.data_dirs, settings.url_prefixes)
    return {"stats": raster.zonal_stats(location, features, body.crs, settings.max_pixels)}


@router.post("/v1/predict", response_model=None)
def run_model(body: PredictRequest, settings: SettingsDep) -> Response | dict[str, Any]:
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
    return {"geojson": predict.to_geojson(out, transform, crs, body.crs), "model": settings.model}

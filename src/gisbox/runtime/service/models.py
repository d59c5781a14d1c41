"""The service's request bodies (pydantic models; FastAPI validates them and documents them
in the OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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

"""A tiny service: reproject a point with the image's one PROJ."""

from fastapi import FastAPI
from pyproj import Transformer

app = FastAPI()


@app.get("/transform")
def transform(lon: float, lat: float, to: str = "EPSG:3857") -> dict[str, float]:
    x, y = Transformer.from_crs("EPSG:4326", to, always_xy=True).transform(lon, lat)
    return {"x": x, "y": y}

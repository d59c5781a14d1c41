"""Example app: reproject a few cities and print them with the stack's versions."""

import geopandas as gpd
import pyproj
import rasterio
from shapely.geometry import Point

cities = gpd.GeoDataFrame(
    {"name": ["Lagos", "Oslo", "Quito"]},
    geometry=[Point(3.3792, 6.5244), Point(10.7522, 59.9139), Point(-78.4678, -0.1807)],
    crs="EPSG:4326",
)
print(
    f"pyproj {pyproj.__version__} (PROJ {pyproj.proj_version_str}), "
    f"rasterio {rasterio.__version__} (GDAL {rasterio.__gdal_version__})"
)
print(cities.to_crs("EPSG:3857").to_string())

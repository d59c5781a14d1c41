"""What must hold inside the `minimal` image, checked as its user (tests/projects/README.md)."""

import base64
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil

import geopandas
import pyproj
import rasterio

assert (os.getuid(), os.getgid()) == (10001, 10001), f"runs as {os.getuid()}:{os.getgid()}"
home = os.environ.get("HOME", "")
assert home == "/home/gis" and os.access(home, os.W_OK), f"a writable HOME, not {home!r}"
for tool in ("gcc", "cc", "pip", "pip3", "uv", "strip"):
    assert shutil.which(tool) is None, f"no {tool} in the runtime"
for module in ("pip", "setuptools"):
    assert importlib.util.find_spec(module) is None, f"no {module} module in the environment"
assert not os.access("/opt/venv", os.W_OK), "the environment is read-only for the user"
assert os.stat("/app/app/main.py").st_uid == 10001, "the app belongs to the user"
tests = [d for d, _, _ in os.walk("/opt/venv") if os.path.basename(d) == "tests"]
assert not tests, f"no tests directories in the environment: {tests[:3]}"
for var in ("PROJ_DATA", "PROJ_LIB", "GDAL_DATA"):  # every wheel finds its own data
    assert var not in os.environ, f"{var} is not set (strategy wheels)"
assert os.environ.get("LC_ALL") == "C.UTF-8", "LC_ALL=C.UTF-8"

point = geopandas.GeoSeries.from_xy([15.0], [12.0], crs="EPSG:4326").to_crs("EPSG:3857")[0]
assert abs(point.x - 1669792.3618991035) < 1e-3, f"lon 15 -> x {point.x}"
assert bool(pyproj.__version__ and rasterio.__gdal_version__), "pyproj and rasterio import"


# RECORD tells the truth after gisbox pruned and stripped (tests, stubs gone; .so rehashed)
untrue = []
for dist in importlib.metadata.distributions():
    for f in dist.files or []:
        path = str(f.locate())
        if not os.path.isfile(path):
            untrue.append(f"{dist.name}: {f} is gone")
        elif f.hash is not None:
            with open(path, "rb") as fh:
                raw = hashlib.sha256(fh.read()).digest()
            if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != f.hash.value:
                untrue.append(f"{dist.name}: {f} has another sha256")
assert not untrue, f"{len(untrue)} RECORD rows do not match the image: {untrue[:5]}"

print("ok")

"""What must hold inside the `source-service` image (the `service` profile on strategy
"source", slim, Debian 13), checked as its user: the service runs on the one GDAL that
the stack image compiled (shared with tests/projects/source)."""

import importlib
import os
import sys

import pyogrio
import rasterio
import verify_common

assert os.path.isfile("/usr/bin/tini"), "tini is PID 1's program"
assert os.environ.get("GISBOX_PORT") == "8080", "GISBOX_PORT=8080"
gdal = rasterio.__gdal_version__
assert tuple(int(n) for n in gdal.split(".")[:2]) >= (3, 13), f"GDAL {gdal}, not >= 3.13"
assert pyogrio.__gdal_version_string__ == gdal, f"pyogrio runs GDAL {pyogrio.__gdal_version__}"
verify_common.transforms_the_golden_point()

sys.path.insert(0, "/opt/gisbox")  # where the in-image gisbox lives
app = importlib.import_module("gisbox.runtime.service.app")
config = importlib.import_module("gisbox.runtime.service.config")
routes = set(app.create_app(config.Settings.from_env()).openapi()["paths"])
for path in ("/healthz", "/readyz", "/v1/transform", "/v1/transform/array", "/v1/predict"):
    assert path in routes, f"the API has {path}"
verify_common.maps_one_copy_of("libgdal.so", "libproj.so", "libgeos_c.so")
fingerprint = verify_common.gisbox_check()
assert fingerprint["stack"]["strategy"] == "source", fingerprint["stack"]
assert not [f for f in fingerprint["findings"] if f["id"].startswith("libs.")], fingerprint[
    "findings"
]
print("ok")

"""What must hold inside the `minimal` image, checked as its user (tests/projects/README.md)."""

import importlib.util
import os

import pyproj
import rasterio
import verify_common

verify_common.runs_as_the_user()
verify_common.has_a_writable_home()
verify_common.lacks_programs("gcc", "cc", "pip", "pip3", "uv", "strip")
for module in ("pip", "setuptools"):
    assert importlib.util.find_spec(module) is None, f"no {module} module in the environment"
assert not os.access("/opt/venv", os.W_OK), "the environment is read-only for the user"
assert os.stat("/app/app/main.py").st_uid == 10001, "the app belongs to the user"
tests = [d for d, _, _ in os.walk("/opt/venv") if os.path.basename(d) == "tests"]
assert not tests, f"no tests directories in the environment: {tests[:3]}"
for var in ("PROJ_DATA", "PROJ_LIB", "GDAL_DATA"):  # every wheel finds its own data
    assert var not in os.environ, f"{var} is not set (strategy wheels)"
assert os.environ.get("LC_ALL") == "C.UTF-8", "LC_ALL=C.UTF-8"
verify_common.transforms_the_golden_point()
assert bool(pyproj.__version__ and rasterio.__gdal_version__), "pyproj and rasterio import"
verify_common.gisbox_check()  # RECORD included

print("ok")

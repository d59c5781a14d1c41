"""What must hold inside the `system` image (one GDAL/PROJ/GEOS), checked as its user."""

import base64
import hashlib
import importlib.metadata
import os
import shutil

import pyogrio
import pyproj
import rasterio
import shapely
from osgeo import gdal, osr

assert os.getuid() == 10001, "osgeo.gdal imports as the non-root user"
gdal_version = gdal.__version__
assert rasterio.__gdal_version__ == gdal_version, f"rasterio runs GDAL {gdal_version}"
assert pyogrio.__gdal_version_string__ == gdal_version, f"pyogrio runs GDAL {gdal_version}"
proj = f"{osr.GetPROJVersionMajor()}.{osr.GetPROJVersionMinor()}.{osr.GetPROJVersionMicro()}"
assert pyproj.proj_version_str == proj, f"pyproj runs PROJ {proj}"
assert shapely.geos_version_string.startswith("3."), "shapely runs the OS's GEOS"
with open("/proc/self/maps") as fh:
    mapped = {line.split()[-1] for line in fh if ".so" in line}
for lib in ("libgdal.so", "libproj.so", "libgeos_c.so"):
    copies = sorted({m for m in mapped if os.path.basename(m).startswith(lib)})
    assert len(copies) == 1, f"one {lib} mapped, not {copies}"
assert os.path.isfile(os.path.join(os.environ.get("PROJ_DATA", ""), "proj.db")), "PROJ_DATA"
for tool in ("gcc", "cc", "g++", "gdal-config", "cython"):
    assert shutil.which(tool) is None, f"no {tool} in the runtime"
assert not os.path.exists("/usr/include/gdal"), "no GDAL headers in the runtime"
assert shutil.which("gdalinfo") is not None, "gdal-bin (os_packages) is installed"


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

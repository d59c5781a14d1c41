"""What must hold inside the `system` image (one GDAL/PROJ/GEOS), checked as its user."""

import os
import shutil

import pyogrio
import pyproj
import rasterio
import shapely
import verify_common
from osgeo import gdal, osr

assert os.getuid() == 10001, "osgeo.gdal imports as the non-root user"
gdal_version = gdal.__version__
assert rasterio.__gdal_version__ == gdal_version, f"rasterio runs GDAL {gdal_version}"
assert pyogrio.__gdal_version_string__ == gdal_version, f"pyogrio runs GDAL {gdal_version}"
proj = f"{osr.GetPROJVersionMajor()}.{osr.GetPROJVersionMinor()}.{osr.GetPROJVersionMicro()}"
assert pyproj.proj_version_str == proj, f"pyproj runs PROJ {proj}"
assert shapely.geos_version_string.startswith("3."), "shapely runs the OS's GEOS"
verify_common.maps_one_copy_of("libgdal.so", "libproj.so", "libgeos_c.so")
assert os.path.isfile(os.path.join(os.environ.get("PROJ_DATA", ""), "proj.db")), "PROJ_DATA"
verify_common.lacks_programs("gcc", "cc", "g++", "gdal-config", "cython")
assert not os.path.exists("/usr/include/gdal"), "no GDAL headers in the runtime"
assert shutil.which("gdalinfo") is not None, "gdal-bin (os_packages) is installed"


verify_common.gisbox_check()  # no error; RECORD tells the truth

print("ok")

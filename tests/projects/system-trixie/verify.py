"""What must hold inside the `system` image on Debian 13: one modern GDAL/PROJ/GEOS under
every binding and the command-line tools, and the GEOS features Debian 12's lacks."""

import os
import subprocess
import sys

import geopandas
import pyogrio
import pyproj
import rasterio
import shapely
import verify_common
from osgeo import gdal, osr

assert os.getuid() == 10001, "runs as the non-root user"
assert sys.version_info[:2] == (3, 13), f"Debian 13's Python 3.13, not {sys.version}"
assert gdal.__version__ == "3.10.3", f"Debian 13's GDAL, not {gdal.__version__}"
proj = f"{osr.GetPROJVersionMajor()}.{osr.GetPROJVersionMinor()}.{osr.GetPROJVersionMicro()}"
assert proj == "9.6.0" and pyproj.proj_version_str == proj, (
    f"PROJ {proj} / {pyproj.proj_version_str}"
)
assert rasterio.__gdal_version__ == gdal.__version__ == pyogrio.__gdal_version_string__
assert shapely.geos_version_string.startswith("3.13"), shapely.geos_version_string
verify_common.maps_one_copy_of("libgdal.so", "libproj.so", "libgeos_c.so")

# the command-line tools run the same libraries as the bindings
gdalinfo = subprocess.run(["gdalinfo", "--version"], capture_output=True, text=True).stdout
assert gdalinfo.startswith(f"GDAL {gdal.__version__},"), gdalinfo
proj_usage = subprocess.run(["proj"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
assert f"Rel. {proj}," in proj_usage.stderr + proj_usage.stdout, proj_usage.stderr

# GEOS 3.12+: M coordinates and coverage operations (GEOS 3.11 on Debian 12 raises)
measured = geopandas.GeoSeries.from_wkt(["POINT M (1 2 3)"])
assert bool(measured.has_m[0]) and float(shapely.get_m(measured[0])) == 3.0
squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
assert shapely.coverage_is_valid(shapely.GeometryCollection(squares))

# gisbox's own check agrees: one version of each library, the tools beside the bindings
fingerprint = verify_common.gisbox_check()
assert not [f for f in fingerprint["findings"] if f["id"].startswith("libs.")], fingerprint[
    "findings"
]
assert fingerprint["libraries"]["gdal"] == ["3.10.3"] and fingerprint["libraries"]["proj"] == [
    "9.6.0"
]
assert (
    fingerprint["tools"]["gdalinfo"]["gdal"] == "3.10.3"
    and fingerprint["tools"]["proj"]["proj"] == "9.6.0"
)

print("ok")

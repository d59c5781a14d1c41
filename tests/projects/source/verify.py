"""What must hold inside the `source` image (distroless, Debian 13): one current GDAL,
compiled with the declared drivers, on Debian's PROJ and GEOS, under every binding."""

import os
import subprocess

import pyogrio
import pyproj
import rasterio
import shapely
import verify_common

verify_common.runs_as_the_user()
gdal = rasterio.__gdal_version__
assert tuple(int(n) for n in gdal.split(".")[:2]) >= (3, 13), f"GDAL {gdal}, not >= 3.13"
assert pyogrio.__gdal_version_string__ == gdal, f"pyogrio runs GDAL {pyogrio.__gdal_version__}"
assert pyproj.proj_version_str.startswith("9.6"), f"Debian 13's PROJ, not {pyproj.proj_version_str}"
assert shapely.geos_version_string.startswith("3.13"), shapely.geos_version_string
verify_common.transforms_the_golden_point()
verify_common.maps_one_copy_of("libgdal.so", "libproj.so", "libgeos_c.so")
assert os.environ["GDAL_DATA"] == "/opt/gdal/share/gdal" and os.path.isdir(os.environ["GDAL_DATA"])
assert os.path.isfile("/usr/share/proj/proj.db"), "one proj.db, Debian's"
proj_dbs = [
    os.path.join(d, "proj.db")
    for top in ("/usr", "/opt")
    for d, _, fs in os.walk(top)
    if "proj.db" in fs
]
assert proj_dbs == ["/usr/share/proj/proj.db"], f"exactly one proj.db: {proj_dbs}"
with rasterio.Env() as env:
    drivers = env.drivers()
for name in os.environ["GISBOX_GDAL_DRIVERS"].split(","):
    assert name in drivers, f"the declared driver {name} is built"
assert "netCDF" not in drivers and "PDF" not in drivers, "undeclared drivers stay out"
# [stack] tools: the programs run the same library as the bindings
info = subprocess.run(["gdalinfo", "--version"], capture_output=True, text=True).stdout
assert info.split()[:2] == ["GDAL", gdal], info
# ...and projinfo (Debian's proj-bin) the same PROJ as pyproj
ran = subprocess.run(["projinfo"], capture_output=True, text=True)
proj = ran.stdout + ran.stderr
assert f"Rel. {pyproj.proj_version_str}," in proj, proj
fingerprint = verify_common.gisbox_check()
stack = fingerprint["stack"]  # what built it, as the image declares (GISBOX_STACK)
assert stack["strategy"] == "source" and stack["gdal"]["version"] == gdal, stack
assert stack["proj"]["from"] == "debian" and stack["geos"]["from"] == "debian", stack
assert not [f for f in fingerprint["findings"] if f["id"].startswith("libs.")], fingerprint[
    "findings"
]
print("ok")

"""What must hold inside the `distroless` image, checked as its user (no shell to use)."""

import os
import subprocess
import sys
import tempfile

import geopandas
import pyogrio

assert (os.getuid(), os.getgid()) == (10001, 10001), f"runs as {os.getuid()}:{os.getgid()}"
for tool in ("sh", "bash", "dash", "apt", "apt-get", "dpkg", "ls", "cat", "env", "ldconfig"):
    found = [
        d for d in ("/bin", "/usr/bin", "/sbin", "/usr/sbin") if os.path.lexists(f"{d}/{tool}")
    ]
    assert not found, f"no {tool} in a distroless runtime: {found}"
assert not os.path.exists("/var/lib/dpkg/status"), "no dpkg database"
records = set(os.listdir("/var/lib/dpkg/status.d"))
python = f"python{sys.version_info.major}.{sys.version_info.minor}"
assert {"libc6", python, "libstdc++6", "base-files"} <= records, sorted(records)
with open("/var/lib/dpkg/status.d/libc6", encoding="utf-8") as fh:
    control = fh.read()
assert "Package: libc6\n" in control and "\nVersion: " in control, control
assert "debconf" not in records and "dpkg" not in records, "script-only packages stay out"
with open("/etc/os-release", encoding="utf-8") as fh:
    assert "ID=debian" in fh.read(), "os-release for scanners"
home = os.environ.get("HOME", "")
assert home == "/home/gis" and os.access(home, os.W_OK), f"a writable HOME, not {home!r}"
assert os.access("/tmp", os.W_OK), "a writable /tmp"
assert not os.access("/opt/venv", os.W_OK), "the environment is read-only for the user"
assert os.path.isdir("/usr/lib/locale/C.utf8"), "the C.UTF-8 locale (LC_ALL=C.UTF-8)"
assert not os.path.isdir("/usr/share/man") and not os.path.isdir("/usr/share/info")

point = geopandas.GeoSeries.from_xy([15.0], [12.0], crs="EPSG:4326").to_crs("EPSG:3857")[0]
assert abs(point.x - 1669792.3618991035) < 1e-3, f"lon 15 -> x {point.x}"
# GDAL recodes shapefile attributes with glibc's iconv: the code pages GIS files use must
# still decode although the EBCDIC iconv modules are left out
with tempfile.TemporaryDirectory() as tmp:
    for codepage, text in (("cp1252", "Zürich Ørsted"), ("cp437", "Zürich Ñandú"),
                           ("cp936", "北京"), ("cp866", "Москва")):  # fmt: skip
        path = os.path.join(tmp, f"{codepage}.shp")
        frame = geopandas.GeoDataFrame({"name": [text]}, geometry=[point], crs="EPSG:3857")
        pyogrio.write_dataframe(frame, path, encoding=codepage)
        back = pyogrio.read_dataframe(path)["name"][0]
        assert back == text, f"{codepage}: {back!r} != {text!r}"
assert not os.path.exists("/usr/lib/x86_64-linux-gnu/gconv/IBM037.so"), "no EBCDIC iconv"
check = subprocess.run(
    ["/usr/local/bin/gisbox", "check", "--workloads", "--quiet"], capture_output=True, text=True
)
assert check.returncode == 0, f"gisbox check --workloads:\n{check.stdout}\n{check.stderr}"

print("ok")

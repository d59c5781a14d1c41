"""What every test project's `verify.py` may ask of its image, shared (mounted beside it
at /tmp, so `import verify_common` finds it). Standard library only: it runs inside the
image, as the image's user, with the image's Python."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any

USER_UID = 10001


def runs_as_the_user() -> None:
    assert (os.getuid(), os.getgid()) == (USER_UID, USER_UID), (
        f"runs as {os.getuid()}:{os.getgid()}"
    )


def has_a_writable_home(home: str = "/home/gis") -> None:
    got = os.environ.get("HOME", "")
    assert got == home and os.access(got, os.W_OK), f"a writable HOME, not {got!r}"


def lacks_programs(*names: str) -> None:
    for name in names:
        assert shutil.which(name) is None, f"no {name} in the runtime"


def maps_one_copy_of(*libraries: str) -> None:
    """One file of each library mapped into this process (after its imports)."""
    with open("/proc/self/maps") as fh:
        mapped = {line.split()[-1] for line in fh if ".so" in line}
    for lib in libraries:
        copies = sorted({m for m in mapped if os.path.basename(m).startswith(lib)})
        assert len(copies) == 1, f"one {lib} mapped, not {copies}"


def transforms_the_golden_point() -> None:
    import geopandas

    point = geopandas.GeoSeries.from_xy([15.0], [12.0], crs="EPSG:4326").to_crs("EPSG:3857")[0]
    assert abs(point.x - 1669792.3618991035) < 1e-3, f"lon 15 -> x {point.x}"


def gisbox_check(*args: str) -> dict[str, Any]:
    """`gisbox check ARGS` in the image: no error, RECORD true; the fingerprint."""
    res = subprocess.run(
        ["/usr/local/bin/gisbox", "check", *args, "--json", "-", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert res.stdout.strip(), f"gisbox check printed nothing:\n{res.stderr}"
    fingerprint: dict[str, Any] = json.loads(res.stdout)
    errors = [f for f in fingerprint["findings"] if f["severity"] == "error"]
    assert res.returncode == 0 and not errors, f"gisbox check {' '.join(args)}: {errors}"
    # RECORD tells the truth after gisbox pruned and stripped (tests, stubs gone)
    lies = [f["message"] for f in fingerprint["findings"] if f["id"] == "python.record"]
    assert not lies, lies
    return fingerprint


def is_distroless() -> None:
    """No shell or package tools; dpkg records for scanners; writable HOME and /tmp only."""
    import geopandas
    import pyogrio

    runs_as_the_user()
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
    has_a_writable_home()
    assert os.access("/tmp", os.W_OK), "a writable /tmp"
    assert not os.access("/opt/venv", os.W_OK), "the environment is read-only for the user"
    assert os.path.isdir("/usr/lib/locale/C.utf8"), "the C.UTF-8 locale (LC_ALL=C.UTF-8)"
    assert not os.path.isdir("/usr/share/man") and not os.path.isdir("/usr/share/info")
    transforms_the_golden_point()
    point = geopandas.GeoSeries.from_xy([0.0], [0.0], crs="EPSG:3857")[0]
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
    gisbox_check("--workloads")

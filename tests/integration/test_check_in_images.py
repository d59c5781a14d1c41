"""`gisbox check` in real images: faults injected one at a time, fingerprints compared.

The fault image is the `minimal` image plus Debian's proj-data (an older PROJ's
proj.db), a comma-decimal locale and Debian's osgeo.gdal (GDAL 3.6), the latter
visible only when WITH_DEBIAN_GDAL=1.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from gisbox.engines.cli_engine import CliEngine
from gisbox.image.diff import compare
from tests.image_fixtures import Built, docker

from .conftest import in_image_gisbox, venv_from_lock

pytestmark = pytest.mark.docker

FAULTS_DOCKERFILE = """\
FROM {base}
USER 0
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      proj-data locales python3-gdal \\
 && sed -i 's/^# *de_DE.UTF-8/de_DE.UTF-8/' /etc/locale.gen && locale-gen \\
 && rm -rf /var/lib/apt/lists/* \\
 && echo '{pth}' > /opt/venv/lib/python3.11/site-packages/zz_debian_gdal.pth
USER 10001:10001
"""
# Debian's dist-packages go *after* the environment's, so the locked NumPy still wins.
PTH = (
    'import os, sys; os.environ.get("WITH_DEBIAN_GDAL") '
    'and sys.path.append("/usr/lib/python3/dist-packages")'
)


@pytest.fixture(scope="session")
def faults_image(engine: CliEngine, minimal_image: Built) -> str:
    tag = f"{minimal_image.tag}-faults"
    text = FAULTS_DOCKERFILE.format(base=minimal_image.tag, pth=PTH)
    proc = subprocess.run(
        [engine.path, "build", "-q", "-t", tag, "-"],
        input=text,
        text=True,
        capture_output=True,
        env=engine.env(),
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return tag


def check_in(engine: CliEngine, image: str, *args: str, script: str = "") -> dict[str, Any]:
    cmd = (script + " && " if script else "") + "gisbox check --json -"
    res = docker(engine, "run", "--rm", *args, image, "sh", "-c", cmd, timeout=300)
    assert res.stdout.strip(), res.stderr
    fp: dict[str, Any] = json.loads(res.stdout)
    return fp


def finding_ids(fp: dict[str, Any], severity: str | None = None) -> set[str]:
    return {f["id"] for f in fp["findings"] if severity in (None, f["severity"])}


def turns_unhealthy(engine: CliEngine, image: str, *env: str) -> bool:
    """Run with a fast health interval; True once Docker reports unhealthy."""
    name = f"gisbox-fault-{uuid.uuid4().hex[:8]}"
    args = [
        "run",
        "-d",
        "--name",
        name,
        "--health-interval=1s",
        "--health-retries=1",
        "--health-start-period=0s",
        "--health-timeout=10s",
    ]
    for e in env:
        args += ["-e", e]
    assert docker(engine, *args, image, "sleep", "120").returncode == 0
    try:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            status = docker(
                engine, "inspect", "--format", "{{.State.Health.Status}}", name
            ).stdout.strip()
            if status in ("healthy", "unhealthy"):
                return status == "unhealthy"
            time.sleep(0.5)
        raise AssertionError("no health status within 45 s")
    finally:
        engine.remove_container(name)


def test_clean_image_has_no_errors(engine: CliEngine, minimal_image: Built) -> None:
    fp = check_in(engine, minimal_image.tag)
    assert fp["summary"]["error"] == 0, fp["findings"]
    assert "libs.version-skew" in finding_ids(fp, "warning")  # wheels carry different GDALs
    assert len(fp["libraries"]["gdal"]) == 2


def test_proj_data_from_an_older_proj(engine: CliEngine, faults_image: str) -> None:
    fp = check_in(engine, faults_image, "-e", "PROJ_DATA=/usr/share/proj")
    mismatch = [f for f in fp["findings"] if f["id"] == "data.proj-db-mismatch"]
    assert mismatch and mismatch[0]["severity"] == "error"
    assert "PROJ_DATA=/usr/share/proj" in mismatch[0]["message"]
    assert turns_unhealthy(engine, faults_image, "PROJ_DATA=/usr/share/proj")


def test_proj_data_pointing_at_an_empty_directory(engine: CliEngine, faults_image: str) -> None:
    fp = check_in(engine, faults_image, "-e", "PROJ_DATA=/home/gis")
    assert "data.proj-db-missing" in finding_ids(fp, "error")
    assert turns_unhealthy(engine, faults_image, "PROJ_DATA=/home/gis")


def test_gdal_data_pointing_nowhere(engine: CliEngine, faults_image: str) -> None:
    fp = check_in(engine, faults_image, "-e", "GDAL_DATA=/nonexistent")
    assert "data.env-missing-dir" in finding_ids(fp, "error")
    assert turns_unhealthy(engine, faults_image, "GDAL_DATA=/nonexistent")


def test_debian_osgeo_and_rasterio_wheel_in_one_process(
    engine: CliEngine, faults_image: str
) -> None:
    fp = check_in(engine, faults_image, "-e", "WITH_DEBIAN_GDAL=1")
    assert "osgeo.gdal" in fp["bindings"]
    assert fp["bindings"]["osgeo.gdal"]["gdal"].startswith("3.6.")
    copies = [
        f for f in fp["findings"] if f["id"] == "libs.multiple-copies" and "libgdal" in f["message"]
    ]
    assert copies and "3.6." in copies[0]["message"] and "3.10." in copies[0]["message"]
    assert any(v.startswith("3.6.") for v in fp["libraries"]["gdal"])


def test_read_only_root_and_unwritable_home(engine: CliEngine, faults_image: str) -> None:
    fp = check_in(engine, faults_image, "--read-only", "-e", "HOME=/nonexistent")
    assert "runtime.tmp-not-writable" in finding_ids(fp, "error")
    assert "runtime.home-not-writable" in finding_ids(fp, "warning")
    # computation still works: the healthcheck passes with a read-only root
    res = docker(
        engine,
        "run",
        "--rm",
        "--read-only",
        "-e",
        "HOME=/nonexistent",
        faults_image,
        "gisbox",
        "healthcheck",
    )
    assert res.returncode == 0, res.stderr


def test_a_broken_ca_variable_is_judged_by_the_library_that_reads_it(
    engine: CliEngine, faults_image: str
) -> None:
    """A user's CURL_CA_BUNDLE is the bundle every library in the image reads (the CA
    knob, gisbox.runtime.ca_env): a broken one is one finding that names it, not the
    variables the knob derived from it, and every library it breaks."""
    fp = check_in(
        engine, faults_image, "-e", "CURL_CA_BUNDLE=/nonexistent/ca.pem",
        "-e", "GDAL_HTTP_TIMEOUT=10",  # network reads configured: an error
    )  # fmt: skip
    (finding,) = [f for f in fp["findings"] if f["id"] == "config.ca-bundle-unreadable"]
    assert finding["severity"] == "error"
    assert finding["message"].startswith("CURL_CA_BUNDLE=/nonexistent/ca.pem is not a readable")
    for library in ("GDAL", "PROJ", "Python requests", "Python ssl"):
        assert library in finding["message"], finding["message"]
    assert fp["runtime"]["config.ca.gdal"] is False


def test_gdal_temp_files_go_to_the_working_directory_without_cpl_tmpdir(
    engine: CliEngine, faults_image: str
) -> None:
    """/tmp is writable, but GDAL does not use it: without CPL_TMPDIR/TMPDIR/TEMP it writes
    to the working directory, the image's root-owned /app."""
    fp = check_in(engine, faults_image, "-e", "CPL_TMPDIR=")
    (finding,) = [f for f in fp["findings"] if f["id"] == "config.gdal-tmpdir"]
    assert "the working directory /app" in finding["message"]
    assert "config.gdal-tmpdir" not in finding_ids(check_in(engine, faults_image))


def test_a_broken_proj_db_is_blamed_on_proj_and_geos_probes_stay(
    engine: CliEngine, faults_image: str, tmp_path: Path
) -> None:
    """pyproj's proj.db replaced by a file that is not a database: the data finding names
    the cause, the geometry probe that builds a CRS fails as PROJ's, GEOS's probes stay."""
    garbage = tmp_path / "proj.db"
    garbage.write_bytes(b"this is not an SQLite database\n" * 64)
    garbage.chmod(0o644)
    site = "/opt/venv/lib/python3.11/site-packages"
    mount = f"{garbage}:{site}/pyproj/proj_dir/share/proj/proj.db:ro"
    fp = check_in(engine, faults_image, "-v", mount)
    errors = {f["id"]: f["message"] for f in fp["findings"] if f["severity"] == "error"}
    assert errors["data.proj-db-unreadable"].startswith("pyproj: ")
    assert "in PROJ (pyproj)" in errors["geometry.failed"]
    assert "GEOS" not in errors["geometry.failed"]
    assert "geometry.buffer.area" in fp["probes"] and "geometry.sjoin.counts" not in fp["probes"]


@pytest.mark.parametrize(
    "variable",
    ["OSR_DEFAULT_AXIS_MAPPING_STRATEGY=TRADITIONAL_GIS_ORDER",
     "OGR_CT_FORCE_TRADITIONAL_GIS_ORDER=YES"],
)  # fmt: skip
def test_gdal_s_axis_order_variables_are_caught_as_applications_see_them(
    engine: CliEngine, faults_image: str, variable: str
) -> None:
    """osgeo's default call (authority order) returns swapped coordinates with these set:
    the check names the variable, the library and the call, though its own probes
    (traditional order) are unaffected."""
    fp = check_in(engine, faults_image, "-e", "WITH_DEBIAN_GDAL=1", "-e", variable)
    named = [f for f in fp["findings"] if f["id"] == "config.changes-results"]
    assert named and named[0]["severity"] == "error", fp["findings"]
    assert named[0]["message"].startswith(
        f"{variable} changes what applications get from GDAL (osgeo)"
    )
    assert "TransformPoint(lat, lon)" in named[0]["message"]
    name, value = variable.split("=")
    assert fp["probes"]["config.set"] == {name: value}
    assert fp["probes"]["app.osgeo.osr"].startswith("returns (")


def test_proj_network_is_reported_with_its_effect(engine: CliEngine, faults_image: str) -> None:
    fp = check_in(engine, faults_image, "-e", "PROJ_NETWORK=ON")
    (finding,) = [f for f in fp["findings"] if f["id"] == "config.proj-network"]
    assert "cdn.proj.org" in finding["message"] and "pyproj" in finding["message"]
    assert "NAD27 -> NAD83: 'NAD27 to NAD83" in finding["message"]  # the measured effect
    assert fp["runtime"]["config.proj_network"] is True


def test_a_read_only_root_needs_only_a_tmpfs_on_tmp(
    engine: CliEngine, minimal_image: Built
) -> None:
    """/tmp holds what the stack writes (Python's temp files, GDAL's CPL_TMPDIR, PROJ's grid
    cache): with it, a read-only root has no finding about a place to write but HOME's;
    without it, each library that needs one is named."""
    fp = check_in(engine, minimal_image.tag, "--read-only", "--tmpfs", "/tmp")
    assert fp["summary"]["error"] == 0, fp["findings"]
    writes = {"runtime.tmp-not-writable", "config.gdal-tmpdir", "runtime.proj-user-dir"}
    assert not writes & finding_ids(fp)
    assert "runtime.home-not-writable" in finding_ids(fp, "warning")  # other tools' config
    bare = check_in(engine, minimal_image.tag, "--read-only")
    assert writes <= finding_ids(bare) and "runtime.tmp-not-writable" in finding_ids(bare, "error")
    both = check_in(
        engine,
        minimal_image.tag,
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--tmpfs",
        "/home/gis:uid=10001",
    )
    assert not (writes | {"runtime.home-not-writable"}) & finding_ids(both)


def test_comma_decimal_locale(engine: CliEngine, faults_image: str) -> None:
    fp = check_in(engine, faults_image, "-e", "LC_ALL=de_DE.UTF-8")
    assert "runtime.locale-decimal" in finding_ids(fp, "error")
    assert fp["runtime"]["runtime.decimal_point"] == ","


def test_host_venv_from_the_same_lock_agrees_on_every_probe(
    minimal_image: Built, tmp_path: Path
) -> None:
    python = venv_from_lock(minimal_image.project, tmp_path / "venv")
    out = tmp_path / "host.json"
    res = in_image_gisbox(python, "check", "--json", str(out), "--quiet")
    assert out.exists(), res.stderr
    host = json.loads(out.read_text())
    image = json.loads((minimal_image.project / ".gisbox/fingerprint.json").read_text())
    probes = [d for d in compare(image, host) if d.kind in ("probe", "driver") and d.drift]
    assert probes == []
    assert host["bindings"] == image["bindings"]

"""The `minimal` profile built by gisbox, run and inspected with real Docker."""

from __future__ import annotations

import gzip
import json
import re
import tarfile
import time
import uuid
from pathlib import Path

import pytest

from gisbox.engines.cli_engine import CliEngine
from gisbox.project.lockfile import read_lock
from tests.image_fixtures import Built, docker, gisbox

pytestmark = pytest.mark.docker


def test_build_report(minimal_image: Built) -> None:
    r = minimal_image.report
    assert r["healthy"] is True
    assert r["image_id"].startswith("sha256:")
    assert r["size_bytes"] > 100_000_000 and r["layers"] >= 5
    assert "BuildKit" in r["engine"] or "buildx" in r["engine"]
    assert "build secret" in r["ca_bundle"]
    bindings = r["bindings"]
    assert re.match(r"^\d+\.\d+\.\d+", bindings["rasterio"]["gdal"])
    assert re.match(r"^\d+\.\d+\.\d+", bindings["pyproj"]["proj"])
    assert re.match(r"^\d+\.\d+\.\d+", bindings["shapely"]["geos"])
    assert {"geopandas", "xarray", "rioxarray", "pystac_client"} <= bindings.keys()


def test_runs_as_a_numeric_non_root_user(engine: CliEngine, minimal_image: Built) -> None:
    """Kubernetes' runAsNonRoot can verify only a numeric USER (verify.py checks inside)."""
    assert engine.inspect(minimal_image.tag).user == "10001:10001"


def test_app_runs_as_the_default_command(engine: CliEngine, minimal_image: Built) -> None:
    res = docker(engine, "run", "--rm", minimal_image.tag)
    assert res.returncode == 0 and res.stdout.strip() == "hello from the app"


def test_healthcheck_passes_inside(engine: CliEngine, minimal_image: Built) -> None:
    res = docker(engine, "run", "--rm", minimal_image.tag, "gisbox", "healthcheck")
    assert (res.returncode, res.stdout.strip(), res.stderr) == (0, "healthy", "")


STDLIB_PROBE = """
import runpy, sys, zipfile
sys.argv = ["gisbox", "check", "--quiet"]
try:
    runpy.run_path("/usr/local/bin/gisbox", run_name="__main__")
except SystemExit:
    pass
archive = "/usr/lib/python311.zip"
files = [getattr(m, "__file__", None) or "" for m in list(sys.modules.values())]
zipped = [f for f in files if f.startswith(archive + "/")]
print(len(zipped), sorted(f for f in zipped if not f.endswith(".pyc")))
entries = zipfile.ZipFile(archive).namelist()
print(sum(e.endswith(".pyc") for e in entries), sum(e.endswith(".py") for e in entries))
print(" ".join(e for e in entries if e in ("json/__init__.pyc", "tabnanny.pyc", "mailbox.pyc")))
"""


def test_the_stack_loads_from_bytecode_and_the_stdlib_from_its_archive(
    engine: CliEngine, minimal_image: Built
) -> None:
    """bytecode = "imported", stdlib = "zip": no module the check imports is compiled at
    start-up (the environment is read-only; zipimport never writes bytecode); the stdlib's
    sources are in python311.zip, with bytecode only for what the stack imports."""
    from_source = (
        "python -v /usr/local/bin/gisbox check --quiet 2>&1 | grep 'code object from'"
        " | grep -v '[.]pyc'; echo ---;"
        " find /usr/lib/python3.11 -name '*.py' -type f | head -3;"
        " find /usr/lib/python3.11 -name '*.pyc' -printf '%P\\n'"
    )
    res = docker(engine, "run", "--rm", minimal_image.tag, "sh", "-c", from_source)
    compiled_from_source, stdlib_files = res.stdout.split("---\n")
    assert compiled_from_source.strip() == ""
    # on disk: no stdlib source; bytecode only for Debian's sitecustomize (a link to /etc)
    assert stdlib_files.split() == ["__pycache__/sitecustomize.cpython-311.pyc"]
    res = docker(engine, "run", "--rm", minimal_image.tag, "python", "-c", STDLIB_PROBE)
    assert res.returncode == 0, res.stderr
    loaded, counts, present = res.stdout.splitlines()
    n_loaded, not_compiled = loaded.split(" ", 1)
    assert int(n_loaded) > 100 and not_compiled == "[]"  # every archived module from bytecode
    n_pyc, n_py = map(int, counts.split())
    assert 100 < n_pyc < n_py / 2 and n_py > 400  # Debian's stdlib has ~510 modules
    assert present.split() == ["json/__init__.pyc"]  # imported by the stack; the others not


def test_an_apt_update_of_the_stdlib_turns_the_archive_back_into_files(
    engine: CliEngine, minimal_image: Built
) -> None:
    """Images built FROM this one may upgrade Python's packages: the archive must not go on
    shadowing the new sources with the old ones (apt's Post-Invoke hook restores files)."""
    script = (
        "apt-get update -qq >/dev/null 2>&1 || exit 7;"
        " apt-get install -y -qq --reinstall libpython3.11-stdlib >/dev/null 2>&1 || exit 8;"
        " ls /usr/lib/python311.zip /etc/apt/apt.conf.d/90gisbox-stdlib-zip 2>/dev/null;"
        ' python -c "import json, os; print(json.__file__, os.__file__)";'
        " gisbox healthcheck"
    )
    res = docker(engine, "run", "--rm", "-u", "0", minimal_image.tag, "sh", "-c", script)
    assert res.returncode == 0, (res.returncode, res.stdout, res.stderr)
    assert res.stdout.splitlines() == [
        "/usr/lib/python3.11/json/__init__.py /usr/lib/python3.11/os.py",
        "healthy",
    ]


def test_broken_proj_data_makes_the_healthcheck_fail(
    engine: CliEngine, minimal_image: Built
) -> None:
    res = docker(
        engine,
        "run",
        "--rm",
        "-e",
        "PROJ_DATA=/nonexistent",
        "-e",
        "GDAL_DATA=/nonexistent",
        minimal_image.tag,
        "gisbox",
        "healthcheck",
    )
    assert res.returncode == 1
    assert res.stderr.startswith("unhealthy: ") and res.stderr.count("\n") == 1


def test_docker_reports_healthy_within_60s(engine: CliEngine, minimal_image: Built) -> None:
    name = f"gisbox-test-{uuid.uuid4().hex[:8]}"
    started = docker(engine, "run", "-d", "--name", name, minimal_image.tag, "sleep", "120")
    assert started.returncode == 0, started.stderr
    try:
        status, deadline = "", time.monotonic() + 60
        while time.monotonic() < deadline:
            status = docker(
                engine, "inspect", "--format", "{{.State.Health.Status}}", name
            ).stdout.strip()
            if status in ("healthy", "unhealthy"):
                break
            time.sleep(1)
        assert status == "healthy"
    finally:
        engine.remove_container(name)


SHADOW_PROBE = """
import json, subprocess, zipfile
archive = zipfile.ZipFile("/usr/lib/python311.zip")
with open("/usr/lib/python3.11/json/__init__.py", "wb") as fh:  # as `dpkg -i` would
    fh.write(archive.read("json/__init__.py"))
first = subprocess.run(["gisbox", "check", "--json", "-"], capture_output=True, text=True)
restore = ["python", "/opt/gisbox/gisbox/runtime/stdlib_zip.py", "restore"]
subprocess.run(restore, check=True, capture_output=True)
second = subprocess.run(["gisbox", "check", "--quiet"], capture_output=True)
errors = [f["id"] for f in json.loads(first.stdout)["findings"] if f["severity"] == "error"]
print(first.returncode, second.returncode, errors)
"""


def test_the_check_reports_sources_the_archive_shadows(
    engine: CliEngine, minimal_image: Built
) -> None:
    """`dpkg -i` runs no apt hook: stdlib sources written back stay shadowed by the archive,
    which `gisbox check` reports as an error until `stdlib_zip.py restore` runs."""
    res = docker(engine, "run", "--rm", "-u", "0", minimal_image.tag, "python", "-c", SHADOW_PROBE)
    assert res.stdout.strip() == "1 0 ['runtime.stdlib-shadowed']", (res.stdout, res.stderr)


def test_environment_shares_identical_files_and_drops_test_only_modules(
    engine: CliEngine, minimal_image: Built
) -> None:
    """rasterio and pyogrio each ship GDAL data; identical files are stored once (hard
    links), and NumPy's tests-only extension modules are gone while NumPy still works."""
    site = "/opt/venv/lib/python3.11/site-packages"
    script = (
        f"stat -c %i {site}/rasterio/gdal_data/ecw_cs.wkt {site}/pyogrio/gdal_data/ecw_cs.wkt;"
        " find /opt/venv -type f -links +1 | wc -l;"
        f" ls {site}/numpy/_core | grep -E '^_simd|_tests[.]';"
        " python -c 'import numpy as np; print(np.linalg.solve([[2.0, 0], [0, 4]], [2, 8]))'"
    )
    res = docker(engine, "run", "--rm", minimal_image.tag, "sh", "-c", script)
    assert res.returncode == 0, res.stderr
    inode_a, inode_b, linked, solved = res.stdout.splitlines()
    assert inode_a == inode_b and int(linked) > 50
    assert solved == "[1. 2.]"


def _layer_blobs(archive: Path) -> list[bytes]:
    blobs = []
    with tarfile.open(archive) as outer:
        for member in outer:
            if not member.isfile():
                continue
            fh = outer.extractfile(member)
            assert fh is not None
            data = fh.read()
            blobs.append(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    return blobs


def test_ca_bundle_is_in_no_layer(engine: CliEngine, minimal_image: Built, tmp_path: Path) -> None:
    archive = tmp_path / "image.tar"
    engine.save(minimal_image.tag, archive)
    blobs = _layer_blobs(archive)
    assert len(blobs) > minimal_image.report["layers"]  # every layer was scanned
    assert not any(minimal_image.marker in blob for blob in blobs)
    assert not any(b"gisbox-ca-marker" in blob for blob in blobs)


def test_hadolint_clean_dockerfile_was_used(minimal_image: Built) -> None:
    text = (minimal_image.project / "Dockerfile").read_text()
    assert minimal_image.report["lock_digest"] in text


def rebuilt_steps(build_log: Path) -> list[str]:
    """The Dockerfile steps BuildKit executed (not taken from its cache)."""
    text = build_log.read_text()
    pattern = r"^#(\d+) \[(?!internal)([^\]]+)\] (.*)$"
    steps = {n: f"[{stage}] {title}" for n, stage, title in re.findall(pattern, text, re.M)}
    cached = set(re.findall(r"^#(\d+) CACHED$", text, flags=re.M))
    return [title for n, title in steps.items() if n not in cached and "FROM" not in title]


def dangling(engine: CliEngine) -> set[str]:
    return set(docker(engine, "images", "-q", "--no-trunc", "-f", "dangling=true").stdout.split())


def app_layer_bytes(engine: CliEngine, image: str) -> int:
    """The size of the step that copies the app into the runtime (`docker history`)."""
    res = docker(engine, "history", "--no-trunc", "--human=false",
                 "--format", "{{.Size}}\t{{.CreatedBy}}", image)  # fmt: skip
    sizes = [int(line.split("\t")[0]) for line in res.stdout.splitlines()
             if "/mnt/gisbox-app/app/" in line]  # fmt: skip
    assert len(sizes) == 1, res.stdout
    return sizes[0]


def test_app_change_rebuilds_only_the_app_layer(engine: CliEngine, minimal_image: Built) -> None:
    # the user built the project before changing its app, and BuildKit has every step of
    # that build. This run prunes build caches between test files (tests/disk_budget.py),
    # and a build that finds its steps by key does not bring back their files: so build
    # it unchanged and clean first (reproducible: the same layers as the session's)
    warm = gisbox("build", "--json", "--no-cache", "-C", str(minimal_image.project))
    assert warm.returncode == 0, warm.stderr[-2000:]
    before = engine.inspect(minimal_image.tag)
    kept = "gisbox-test/minimal:kept-by-a-user"
    engine.tag(minimal_image.tag, kept)  # a user's own tag on the image being replaced
    untagged_before = dangling(engine)
    # a user runs the image before changing the app: reading its files gives them new
    # atimes in the very directories the next build's steps see as their lower layers
    ran = docker(engine, "run", "--rm", minimal_image.tag, "python", "-c",
                 "import geopandas, rasterio, pyproj; open('/etc/passwd').read()")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    greeting = f"hello again {uuid.uuid4().hex[:8]}"  # new content, never in any cache
    (minimal_image.project / "app" / "main.py").write_text(f"print({greeting!r})\n")
    try:
        res = gisbox("build", "--json", "-C", str(minimal_image.project))
        assert res.returncode == 0, res.stderr[-2000:]
        # BuildKit executed nothing but the app's steps: gathering it in the app stage, and
        # the runtime's one RUN that copies it in; every other step came from its cache
        rebuilt = rebuilt_steps(minimal_image.project / ".gisbox" / "build.log")
        assert len(rebuilt) == 3 and all("app" in step for step in rebuilt), rebuilt
        assert any("cp -a /mnt/gisbox-app/app/ /app/app/" in step for step in rebuilt)
        after = engine.inspect(minimal_image.tag)
        # the same lock gives the same layers (reproducible), whichever cache record
        # BuildKit picked: only the app's differs
        assert after.layers[:-1] == before.layers[:-1] and after.layers[-1] != before.layers[-1]
        # and the app's layer holds the app: no copy of what the run had read
        assert app_layer_bytes(engine, minimal_image.tag) < 64 * 1024
        assert docker(engine, "run", "--rm", minimal_image.tag).stdout.strip() == greeting
        assert json.loads(res.stdout)["build_seconds"] < 60
        # no litter: the build's unlabelled image went, and the user's tag kept the old one
        assert dangling(engine) <= untagged_before
        assert engine.inspect(kept).id == before.id
    finally:
        engine.command("rmi", kept, check=False)


def test_corrupted_hash_fails_the_build(
    engine: CliEngine, minimal_image: Built, tmp_path: Path
) -> None:
    project = tmp_path / "corrupt"
    project.mkdir()
    for name in ("gisbox.toml", "gisbox.lock"):
        (project / name).write_text((minimal_image.project / name).read_text())
    (project / "app").mkdir()
    (project / "app" / "main.py").write_text("print('x')\n")
    spec = project / "gisbox.toml"
    spec.write_text(spec.read_text().replace('"gisbox-test/', '"gisbox-test/corrupt-'))
    affine = next(p for p in read_lock(project / "gisbox.lock").packages if p.name == "affine")
    good = affine.wheels[0].sha256
    lock = (project / "gisbox.lock").read_text()
    (project / "gisbox.lock").write_text(lock.replace(good, "0" * 8 + good[8:]))
    res = gisbox("build", "-C", str(project))
    assert res.returncode == 5
    assert f"hash mismatch for affine=={affine.version}" in res.stderr
    assert "gisbox lock" in res.stderr

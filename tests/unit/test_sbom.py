"""The SBOM: vendored libraries identified from their own bytes, packages, CycloneDX 1.6."""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path

import pytest

from gisbox.project.lockfile import Lock, OsPackage, PythonPackage, Target, Wheel
from gisbox.sbom import cyclonedx as sbom
from gisbox.sbom.libraries import identify, soname, stem
from gisbox.sbom.scan import ScanError, dir_entries, scan, tar_entries

SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
SUBJECT = sbom.Subject(
    reference="app:1", content_id="sha256:" + "ab" * 32, created="2026-11-23T10:00:00Z",
    distro="debian-12",
)  # fmt: skip


def library(dist_libs: str, prefix: str) -> Path:
    found = sorted((SITE / "site-packages" / dist_libs).glob(f"{prefix}-*.so*"))
    assert found, f"the dev environment's wheels carry {dist_libs}/{prefix}-*"
    return found[0]


def test_vendored_gis_libraries_report_the_versions_their_bindings_report() -> None:
    """The versions read from the .so files equal what each binding says at run time."""
    import pyogrio
    import pyproj
    import rasterio
    import shapely

    expected = {
        ("rasterio.libs", "libgdal"): ("gdal", rasterio.__gdal_version__),
        ("pyogrio.libs", "libgdal"): ("gdal", pyogrio.__gdal_version_string__),
        ("pyproj.libs", "libproj"): ("proj", pyproj.proj_version_str),
        ("shapely.libs", "libgeos_c"): ("geos", shapely.geos_version_string),
    }
    for (libs, prefix), (name, version) in expected.items():
        path = library(libs, prefix)
        own = identify(path.name, path.read_bytes())[0]
        assert (own.name, own.version) == (name, version), path
        assert own.cpe is not None and own.cpe.split(":")[3:6] == ["osgeo", name, version]
        assert not own.embedded and own.evidence.startswith("string ")


def test_a_statically_linked_openssl_is_found_inside_libcurl() -> None:
    path = library("pyproj.libs", "libcurl")
    libs = identify(path.name, path.read_bytes())
    assert libs[0].name == "curl" and libs[0].version
    embedded = [lib for lib in libs if lib.embedded]
    assert [lib.name for lib in embedded] == ["openssl"]
    assert embedded[0].cpe and embedded[0].cpe.startswith("cpe:2.3:a:openssl:openssl:3.")


def test_names_and_sonames_of_mangled_files() -> None:
    assert stem("libgdal-c8c9c467.so.36.3.10.3") == "libgdal"
    assert stem("libgfortran-040039e1-0352e75f.so.5.0.0") == "libgfortran"
    assert stem("libscipy_openblas64_-32a4b2a6.so") == "libscipy_openblas64_"
    path = library("rasterio.libs", "libgdal")
    assert soname(path.read_bytes()) == path.name  # auditwheel renames the SONAME too
    assert soname(b"not an ELF file") is None
    unknown = identify("libLerc-c957a4c5.so.4", b"\0" * 64)
    assert (unknown[0].name, unknown[0].version, unknown[0].cpe) == ("Lerc", None, None)


DPKG = """Package: libgdal32
Status: install ok installed
Architecture: amd64
Version: 3.6.2+dfsg-1+b2
Description: Geospatial Data Abstraction Library
 continued description line

Package: removed-one
Status: deinstall ok config-files
Version: 1.0

"""


def tree(root: Path, dpkg: str = DPKG) -> Path:
    """A tiny image filesystem: dpkg database, os-release, one wheel with a vendored lib."""
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(dpkg)
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text('ID=debian\nVERSION_ID="12"\n')
    site = root / "opt/venv/lib/python3.11/site-packages"
    (site / "geo.libs").mkdir(parents=True)
    (site / "geo-1.0.dist-info").mkdir()
    lib = site / "geo.libs/libproj-0123abcd.so.25.9.5.1"
    lib.write_bytes(b"\x7fELF..." + b"\0Rel. 9.5.1, December 1st, 2024\0")
    (site / "geo-1.0.dist-info/METADATA").write_text("Name: geo\nVersion: 1.0\n")
    (site / "geo-1.0.dist-info/WHEEL").write_text("Tag: cp311-cp311-manylinux_2_28_x86_64\n")
    (site / "geo-1.0.dist-info/RECORD").write_text(
        "geo.libs/libproj-0123abcd.so.25.9.5.1,sha256=x,42\ngeo-1.0.dist-info/RECORD,,\n"
    )
    return root


def test_scan_reads_packages_distributions_and_who_carries_each_library(tmp_path: Path) -> None:
    inv = scan(dir_entries(tree(tmp_path)))
    assert [(p.name, p.version, p.arch) for p in inv.os_packages] == [
        ("libgdal32", "3.6.2+dfsg-1+b2", "amd64")
    ]  # the deinstalled package is not in the image
    assert inv.distro == "debian-12"
    (so,) = inv.shared_objects
    assert (so.libraries[0].name, so.libraries[0].version) == ("proj", "9.5.1")
    owner = inv.owner(so.path)
    assert owner is not None and owner.name == "geo" and owner.tags


def test_an_exported_tar_with_hard_links_is_scanned_like_the_tree(tmp_path: Path) -> None:
    root = tree(tmp_path / "fs")
    site = "opt/venv/lib/python3.11/site-packages"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(root, arcname=".")
        link = tarfile.TarInfo(f"{site}/other.libs/libproj-0123abcd.so.25.9.5.1")
        link.type, link.linkname = tarfile.LNKTYPE, f"{site}/geo.libs/libproj-0123abcd.so.25.9.5.1"
        tar.addfile(link)  # what link_duplicates leaves for two identical copies
        meta = tarfile.TarInfo(f"{site}/other-2.0.dist-info/METADATA")
        body = b"Name: other\nVersion: 2.0\n"
        meta.size = len(body)
        tar.addfile(meta, io.BytesIO(body))
        wheel = tarfile.TarInfo(f"{site}/other-2.0.dist-info/WHEEL")
        wheel.type, wheel.linkname = tarfile.LNKTYPE, f"{site}/geo-1.0.dist-info/WHEEL"
        tar.addfile(wheel)  # identical metadata files are linked too
    buf.seek(0)
    inv = scan(tar_entries(buf))
    assert sorted(so.path.split("/")[-2] for so in inv.shared_objects) == ["geo.libs", "other.libs"]
    assert len({so.sha256 for so in inv.shared_objects}) == 1
    assert inv.os_packages[0].name == "libgdal32"
    other = next(d for d in inv.distributions if d.name == "other")
    assert other.version == "2.0" and other.tags == ("cp311-cp311-manylinux_2_28_x86_64",)


def test_a_damaged_dpkg_database_is_reported_with_file_and_line(tmp_path: Path) -> None:
    bad = DPKG.replace("Version: 3.6.2+dfsg-1+b2", "this line is not a field")
    with pytest.raises(ScanError, match=r"var/lib/dpkg/status:4: not a dpkg field"):
        scan(dir_entries(tree(tmp_path, bad)))


def lock_for(wheel_sha: str, deb_sha: str) -> Lock:
    target = Target(
        base="debian:bookworm-slim", base_id="sha256:" + "cd" * 32, platform="linux/amd64",
        os="debian 12", glibc="2.36", python="3.11", python_full="3.11.2",
        python_platform="x86_64-manylinux_2_36", base_layers=("sha256:" + "ef" * 32,),
    )  # fmt: skip
    url = "https://files.example/geo-1.0-cp311-cp311-manylinux_2_28_x86_64.whl"
    other = "https://files.example/geo-1.0-cp311-cp311-manylinux_2_28_aarch64.whl"
    return Lock(
        format=2, input_digest="sha256:0", gisbox_version="0", target=target,
        source_date_epoch=1795392000,
        packages=(PythonPackage(name="geo", version="1.0", wheels=(
            Wheel(url=other, sha256="ee" * 32), Wheel(url=url, sha256=wheel_sha))),),
        uv=PythonPackage(name="uv", version="0", wheels=()),
        os_packages=(OsPackage(name="libgdal32", version="3.6.2+dfsg-1+b2", arch="amd64",
                               sha256=deb_sha, stage="runtime"),),
    )  # fmt: skip


def test_the_cyclonedx_document_validates_and_carries_the_lock_s_hashes(tmp_path: Path) -> None:
    inv = scan(dir_entries(tree(tmp_path)))
    text = sbom.to_json(sbom.build(inv, SUBJECT, lock_for("aa" * 32, "bb" * 32)))
    doc = json.loads(text)
    assert doc["specVersion"] == "1.6" and doc["metadata"]["component"]["name"] == "app:1"
    by_ref = {c["bom-ref"]: c for c in doc["components"]}
    deb = by_ref["deb:libgdal32:amd64"]
    assert deb["purl"] == "pkg:deb/debian/libgdal32@3.6.2%2Bdfsg-1%2Bb2?arch=amd64&distro=debian-12"
    assert deb["hashes"][0]["content"] == "bb" * 32
    geo = by_ref["pypi:geo@1.0"]
    assert geo["hashes"][0]["content"] == "aa" * 32  # the x86_64 wheel WHEEL names, not arm64's
    lib_ref = next(r for r in by_ref if r.startswith("file:"))
    assert by_ref[lib_ref]["cpe"] == "cpe:2.3:a:osgeo:proj:9.5.1:*:*:*:*:*:*:*"
    edges = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert edges["pypi:geo@1.0"] == [lib_ref]
    assert by_ref["base:sha256:" + "cd" * 32]["name"] == "debian:bookworm-slim"
    again = sbom.to_json(sbom.build(inv, SUBJECT, lock_for("aa" * 32, "bb" * 32)))
    assert again == text  # the same image gives the same document (serial and time too)


def test_without_a_lock_every_fact_is_marked_inferred(tmp_path: Path) -> None:
    doc = json.loads(sbom.to_json(sbom.build(scan(dir_entries(tree(tmp_path))), SUBJECT, None)))
    evidence = {
        p["value"] for c in doc["components"] for p in c.get("properties", [])
        if p["name"] == "gisbox:evidence"
    }  # fmt: skip
    assert evidence == {"inferred"}
    assert all("hashes" not in c for c in doc["components"] if c["bom-ref"].startswith("deb:"))


def test_a_gdal_compiled_from_source_is_a_component_with_its_tarball_s_hash(
    tmp_path: Path,
) -> None:
    """strategy "source": GDAL is in no package database; the lock says what it is."""
    from dataclasses import replace

    from gisbox.project.lockfile import UpstreamSource

    gdal = UpstreamSource(
        package="gdal", version="3.13.3+dfsg-2", upstream="3.13.3", suite="sid",
        url="http://deb.debian.org/debian/pool/main/g/gdal/gdal_3.13.3+dfsg.orig.tar.xz",
        sha256="cd" * 32, size=1, index_date="Fri, 30 Oct 2026 08:08:01 UTC",
    )  # fmt: skip
    lock = replace(lock_for("aa" * 32, "bb" * 32), upstream_sources=(gdal,))
    doc = json.loads(sbom.to_json(sbom.build(scan(dir_entries(tree(tmp_path))), SUBJECT, lock)))
    (comp,) = [c for c in doc["components"] if c["bom-ref"] == "upstream:gdal@3.13.3"]
    assert comp["cpe"] == "cpe:2.3:a:osgeo:gdal:3.13.3:*:*:*:*:*:*:*"
    assert comp["purl"] == "pkg:deb/debian/gdal@3.13.3%2Bdfsg-2?arch=source"
    assert comp["hashes"] == [{"alg": "SHA-256", "content": "cd" * 32}]
    props = {p["name"]: p["value"] for p in comp["properties"]}
    assert props["gisbox:built-from"] == gdal.url and props["gisbox:evidence"] == "lock"

"""Renderings for bases this machine cannot build: ubuntu:22.04 + UbuntuGIS, OSGeo's GDAL images.

The locks here are synthetic (the Debian system lock with the target and OS packages a
probe of those bases would report); they test the rendering, not the versions.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest

from gisbox.bases import OSGEO, UBUNTU, UBUNTU_GIS, UBUNTUGIS_FINGERPRINT, family_for
from gisbox.lock import Lock, read_lock
from gisbox.ospkgs import OsPackage
from gisbox.render import render
from gisbox.spec import Spec

from ..conftest import FIXTURES


def pkg(spec: str, stage: str) -> OsPackage:
    name, version = spec.split("=")
    return OsPackage(name=name, version=version, arch="amd64", sha256="e" * 64, stage=stage)


def lock_for(base: str, os_: str, python: str, packages: list[OsPackage]) -> Lock:
    lock = read_lock(FIXTURES / "minimal-system.lock")
    target = dataclasses.replace(lock.target, base=base, os=os_, python=python)
    return dataclasses.replace(lock, target=target, os_packages=tuple(packages))


def spec_for(base: str) -> Spec:
    return Spec.model_validate(
        {"image": {"base": base, "strategy": "system"}, "python": {"packages": ["rasterio"]}}
    )


def lint(text: str, tmp_path: Path, hadolint: str) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    res = subprocess.run([hadolint, str(path)], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout == "", res.stdout


def test_family_detection() -> None:
    assert family_for("ubuntu:22.04", "system") == UBUNTU_GIS
    assert family_for("ubuntu:22.04", "wheels") == UBUNTU
    assert family_for("ghcr.io/osgeo/gdal:ubuntu-small-3.9.2", "system") == OSGEO
    assert family_for("debian:bookworm-slim", "system").name == "debian"


UBUNTU_PACKAGES = [
    *(
        pkg(s, "keys")
        for s in (
            "gnupg=2.2.27-3ubuntu2.1",
            "curl=7.81.0-1ubuntu1.20",
            "ca-certificates=20240203~22.04.1",
        )
    ),
    *(
        pkg(s, "runtime")
        for s in (
            "python3.10=3.10.12-1~22.04.10",
            "libgdal34=3.8.4+dfsg-1~jammy0",
            "libproj25=9.3.1-1~jammy0",
            "libgeos-c1v5=3.12.1-1~jammy0",
        )
    ),
    *(
        pkg(s, "builder")
        for s in (
            "libgdal-dev=3.8.4+dfsg-1~jammy0",
            "build-essential=12.9ubuntu3",
            "python3.10-dev=3.10.12-1~22.04.10",
        )
    ),
]


def test_ubuntu_with_ubuntugis_ppa(tmp_path: Path, hadolint: str) -> None:
    lock = lock_for("ubuntu:22.04", "ubuntu 22.04", "3.10", UBUNTU_PACKAGES)
    text = render(spec_for("ubuntu:22.04"), lock, "sha256:" + "0" * 64).dockerfile
    keys, rest = text.split("AS python", 1)
    assert "FROM ubuntu:22.04 AS keys" in keys
    assert UBUNTUGIS_FINGERPRINT in keys and "gnupg=2.2.27-3ubuntu2.1" in keys
    python_stage = rest.split("AS builder")[0]
    assert "COPY --from=keys /usr/share/keyrings/ubuntugis.gpg" in python_stage
    assert re.search(
        r"signed-by=/usr/share/keyrings/ubuntugis\.gpg\] "
        r"http://ppa\.launchpadcontent\.net/ubuntugis/ubuntugis-unstable/ubuntu "
        r"\$\{VERSION_CODENAME\} main",
        python_stage,
    )
    assert "libgdal34=3.8.4+dfsg-1~jammy0" in python_stage and "gnupg" not in python_stage
    assert "python3.10 /tmp/gisbox/bootstrap_uv.py" in rest
    # the runtime installs the same pinned packages (stdlib = "zip"): it needs the keyring
    # the keys stage fetched, never the tools that fetched it
    runtime = text.split("AS runtime")[1]
    assert "COPY --from=keys /usr/share/keyrings/ubuntugis.gpg" in runtime
    assert "libgdal34=3.8.4+dfsg-1~jammy0" in runtime
    assert "curl" not in runtime and "gnupg" not in runtime
    lint(text, tmp_path, hadolint)


def test_osgeo_gdal_base_installs_no_gis_packages(tmp_path: Path, hadolint: str) -> None:
    base = "ghcr.io/osgeo/gdal:ubuntu-small-3.9.2"
    packages = [
        pkg("python3.12=3.12.3-1ubuntu0.5", "runtime"),
        pkg("build-essential=12.10ubuntu1", "builder"),
        pkg("python3.12-dev=3.12.3-1ubuntu0.5", "builder"),
    ]
    lock = lock_for(base, "ubuntu 24.04", "3.12", packages)
    lock = dataclasses.replace(
        lock, os_libraries={"gdal": "3.9.2", "proj": "9.4.1", "geos": "3.12.1"}
    )
    text = render(spec_for(base), lock, "sha256:" + "0" * 64).dockerfile
    assert f"FROM {base} AS python" in text and "AS keys" not in text
    assert "libgdal" not in text and "libproj" not in text
    assert "GDAL 3.9.2" in text  # the header names the preinstalled libraries
    assert "--no-build-isolation" in text
    lint(text, tmp_path, hadolint)


@pytest.mark.parametrize("base", ["ubuntu:22.04", "ghcr.io/osgeo/gdal:ubuntu-small-3.9.2"])
def test_spec_accepts_the_base(base: str) -> None:
    assert spec_for(base).image.base == base

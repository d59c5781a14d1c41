"""Base families as plug-ins: which family a base belongs to, what each adds to the probe,
and which bases `gisbox base` can make. (Their Dockerfile parts are checked by the golden
renderings of tests/projects/example-production-ubuntu and example-analysis-osgeo.)"""

from __future__ import annotations

import subprocess

import pytest

from gisbox.locking.apt_probe import probe_script
from gisbox.plugins.families import debian, osgeo, ubuntu
from gisbox.plugins.registry import families, family_for, strategy_named
from gisbox.project.spec import Spec


@pytest.mark.parametrize(
    ("base", "family"),
    [
        ("debian:bookworm-slim", "debian"),
        ("python:3.11-slim", "debian"),  # Debian-based: the fallback
        ("ubuntu:22.04", "ubuntu"),
        ("docker.io/library/ubuntu:24.04", "ubuntu"),
        ("ghcr.io/osgeo/gdal:ubuntu-small-3.9.2", "osgeo"),
    ],
)
def test_family_for(base: str, family: str) -> None:
    assert family_for(base).name == family


def test_every_module_of_the_package_is_a_family_and_the_fallback_is_last() -> None:
    assert [f.name for f in families()] == ["osgeo", "ubuntu", "debian"]
    assert families()[-1].matches("anything:at-all")


def test_the_ubuntugis_ppa_only_for_strategies_that_use_the_os_libraries() -> None:
    family = ubuntu.FAMILY
    assert family.prepare(strategy_named("wheels")) == ()
    (step,) = family.prepare(strategy_named("system"))
    assert ubuntu.FINGERPRINT in step.shell and "keys $spec" in step.shell
    assert "ubuntugis-unstable/ubuntu $VERSION_CODENAME main" in step.shell


def test_system_probe_composes_family_and_strategy_steps() -> None:
    system = strategy_named("system")
    for family, runtime_gis in ((debian.FAMILY, True), (osgeo.FAMILY, False)):
        script = probe_script("base", ["gdal-bin"], system.probe_steps(family, Spec()))
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
        assert ('runtime_extra="$runtime_extra $gis_runtime"' in script) == runtime_gis
        assert "gdal-config --version" in script or runtime_gis
        assert 'builder_extra="$builder_extra build-essential python$want-dev pkg-config"' in (
            script
        )
        assert script.rstrip().endswith(
            'debs $keys $(closure "python$want" $runtime_extra $builder_extra)'
        )


def test_wheels_probe_installs_only_python_and_the_builder_tools() -> None:
    wheels = strategy_named("wheels")
    script = probe_script("base", [], wheels.probe_steps(debian.FAMILY, Spec()))
    assert "runtime_extra=''" in script
    assert "lib" not in "".join(ln for ln in script.splitlines() if ln.startswith('echo "lib'))
    assert 'builder_extra="$builder_extra binutils"' in script
    assert "gis_runtime" not in script


@pytest.mark.parametrize(
    ("base", "suite"),
    [
        ("debian:bookworm-slim", "bookworm"),
        ("debian:12", "bookworm"),
        ("debian:trixie-slim", "trixie"),
        ("ubuntu:22.04", None),
        ("ghcr.io/osgeo/gdal:ubuntu-small-3.9.2", None),
        ("python:3.11-slim", None),
    ],
)
def test_only_debian_bases_can_be_debootstrapped(base: str, suite: str | None) -> None:
    assert family_for(base).debootstrap_suite(base) == suite

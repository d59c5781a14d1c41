"""`[image] runtime = "distroless"`: no shell, the healthcheck in exec form, a slim twin from
the same lock to debug with, and the lock's refusal of packages that need their scripts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gisbox.engines.base import RunOptions
from tests.image_fixtures import Built, copy_project, gisbox

pytestmark = pytest.mark.docker


def fingerprint(built: Built, tag: str) -> dict[str, object]:
    res = built.engine.run(tag, ["/usr/local/bin/gisbox", "check", "--json", "-", "--quiet"])
    assert res.returncode == 0, res.stderr
    data: dict[str, object] = json.loads(res.stdout)
    return data


def test_a_distroless_image_has_no_shell(distroless_image: Built) -> None:
    res = distroless_image.engine.run(
        distroless_image.tag, ["-c", "true"], options=RunOptions(entrypoint="sh")
    )
    assert res.returncode != 0
    assert "executable file not found" in res.stderr + res.stdout


def test_its_healthcheck_runs_in_exec_form(distroless_image: Built) -> None:
    info = distroless_image.engine.inspect(distroless_image.tag)
    assert info.healthcheck[:1] == ("CMD",), info.healthcheck
    res = distroless_image.engine.run(distroless_image.tag, list(info.healthcheck[1:]))
    assert res.returncode == 0 and res.stdout.strip() == "healthy", res.stdout + res.stderr


def test_the_slim_twin_is_built_from_the_same_lock_and_has_a_shell(
    distroless_image: Built,
) -> None:
    res = gisbox("build", "--json", "--runtime", "slim", "-C", str(distroless_image.project))
    assert res.returncode == 0, res.stderr[-2000:]
    twin = json.loads(res.stdout)["tag"]
    assert twin == distroless_image.tag + "-slim"
    engine = distroless_image.engine
    assert engine.run(twin, ["-c", "true"], options=RunOptions(entrypoint="sh")).returncode == 0
    lock_label = "io.gisbox.lock-digest"
    assert (
        engine.inspect(twin).labels[lock_label]
        == engine.inspect(distroless_image.tag).labels[lock_label]
    )
    a, b = fingerprint(distroless_image, distroless_image.tag), fingerprint(distroless_image, twin)
    assert a["bindings"] == b["bindings"] and a["libraries"] == b["libraries"]
    assert a["probes"] == b["probes"], "the same numbers in both runtimes"


def test_os_packages_that_need_their_install_scripts_are_refused_at_lock_time(
    tmp_path: Path, base_image: str
) -> None:
    project = copy_project("distroless", tmp_path / "p")
    spec = project / "gisbox.toml"
    spec.write_text(
        spec.read_text().replace("os_packages = []", 'os_packages = ["ca-certificates"]')
    )
    res = gisbox("lock", "-C", str(project))
    assert res.returncode == 3, res.stdout + res.stderr
    assert "ca-certificates (config, postinst)" in res.stderr and 'runtime = "slim"' in res.stderr
    assert not (project / "gisbox.lock").exists(), "nothing half-written"


def test_a_slim_lock_cannot_build_distroless(tmp_path: Path, base_image: str) -> None:
    project = copy_project("minimal", tmp_path / "p")
    shutil.copy(Path(__file__).parents[1] / "projects/minimal/gisbox.lock", project)
    res = gisbox("build", "--runtime", "distroless", "-C", str(project))
    assert res.returncode == 3 and "no distroless root filesystem" in res.stderr, res.stderr

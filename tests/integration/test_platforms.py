"""Several platforms (tests/projects/multiarch: minimal for amd64 and arm64, arm64 under
emulation): one lock, one verified image per platform, one manifest list in a registry
that gives each platform's image back by digest."""

from __future__ import annotations

import json
import urllib.request

import pytest

from gisbox.engines.base import RunOptions
from tests.image_fixtures import Built, ProjectImages, gisbox

pytestmark = pytest.mark.docker


@pytest.fixture(scope="session")
def multiarch(project_images: ProjectImages) -> Built:
    return project_images.get("multiarch")


def test_each_platform_is_built_and_checked_inside(multiarch: Built) -> None:
    reports = {r["platform"]: r for r in multiarch.report["platforms"]}
    assert set(reports) == {"linux/amd64", "linux/arm64"}
    assert reports["linux/arm64"]["tag"] == multiarch.tag + "-arm64"
    for platform, report in reports.items():
        assert report["healthy"] and report["findings"]["error"] == 0, (platform, report)
    engine = multiarch.engine
    assert engine.inspect(multiarch.tag).architecture == "amd64"
    assert engine.inspect(multiarch.tag + "-arm64").architecture == "arm64"
    machine = engine.run(
        multiarch.tag + "-arm64",
        ["python", "-c", "import platform, rasterio; print(platform.machine())"],
        options=RunOptions(platform="linux/arm64"),
    )
    assert machine.stdout.strip() == "aarch64", machine.stderr
    arm_fp = json.loads((multiarch.project / ".gisbox/fingerprint-arm64.json").read_text())
    assert arm_fp["python"]["machine"] == "aarch64" and arm_fp["summary"]["error"] == 0


def test_push_makes_one_manifest_list_that_gives_each_platform_back(
    multiarch: Built, registry: str
) -> None:
    res = gisbox(
        "push", "--json", "--to", f"{registry}/gisbox/multiarch", "-C", str(multiarch.project)
    )
    assert res.returncode == 0, res.stderr
    pushed = json.loads(res.stdout)
    digest = pushed["by_digest"].split("@")[1]
    request = urllib.request.Request(
        f"http://{registry}/v2/gisbox/multiarch/manifests/{digest}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.list.v2+json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        index = json.loads(resp.read())
    assert {(m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"]} == {
        ("linux", "amd64"), ("linux", "arm64")
    }  # fmt: skip
    engine = multiarch.engine
    for platform, arch in (("linux/arm64", "arm64"), ("linux/amd64", "amd64")):
        assert engine.pull(pushed["by_digest"], platform) is None
        assert engine.inspect(pushed["by_digest"]).architecture == arch
        # Docker 20.10 keeps one image per repo@digest: drop the reference before the next
        engine.command("rmi", pushed["by_digest"], check=False)

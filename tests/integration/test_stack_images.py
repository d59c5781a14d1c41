"""Strategy "source" compiles GDAL once per recipe: tests/projects/source and
tests/projects/source-service (another profile, another runtime, tini in its OS packages)
are locked and built afresh in this session, and only the first compiles the stack image;
`gisbox stack ls` shows it and `gisbox stack push` sends it to a registry."""

from __future__ import annotations

import json

from tests.image_fixtures import ProjectImages, docker, gisbox


def test_two_projects_share_one_compiled_stack(project_images: ProjectImages) -> None:
    source = project_images.get("source")
    service = project_images.get("source-service")
    first, second = source.report["stack"], service.report["stack"]
    assert first["tag"] == second["tag"] and first["key"] == second["key"]
    assert first["tag"].startswith("gisbox/stack:gdal-3.")
    built = [s["built_seconds"] for s in (first, second) if s["built_seconds"] is not None]
    assert len(built) <= 1, "the stack image was compiled twice"
    assert service.report["build_seconds"] < 300, service.report["build_seconds"]
    # both images run the stack's one libgdal, the same file
    digest = (
        "import hashlib, os; print(hashlib.sha256(open(os.path.realpath("
        "'/opt/gdal/lib/libgdal.so'), 'rb').read()).hexdigest())"
    )
    digests = {
        image.tag: docker(
            image.engine, "run", "--rm", "--entrypoint", "python", image.tag, "-c", digest
        ).stdout.strip()
        for image in (source, service)
    }
    assert len(set(digests.values())) == 1 and all(digests.values()), digests


def test_stack_ls_shows_it_and_push_sends_it(project_images: ProjectImages, registry: str) -> None:
    source = project_images.get("source")
    tag = source.report["stack"]["tag"]
    res = gisbox("stack", "ls", "--json", "--engine", "docker")
    assert res.returncode == 0, res.stderr
    (listed,) = [s for s in json.loads(res.stdout) if s["tag"] == tag]
    assert listed["key"] == source.report["stack"]["key"]
    assert listed["labels"]["gdal"] == source.report["bindings"]["rasterio"]["gdal"]
    assert listed["architecture"] == "amd64"
    res = gisbox("stack", "push", listed["key"][:12], "--to", f"{registry}/gisbox/stack")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"{registry}/gisbox/stack@sha256:"), res.stdout

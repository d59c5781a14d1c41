"""Strategy "source" compiles GDAL once, in a stack image keyed by what decides its
bytes; `gisbox build` makes it when missing and reuses it otherwise; `gisbox stack`
lists, removes and pushes stack images."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

import gisbox.engines.registry as engines
from gisbox.cli import cli
from gisbox.engines.base import Completed
from gisbox.image.build import build_image
from gisbox.image.options import BuildOptions
from gisbox.image.stack import KEY_LABEL
from gisbox.plugins.api import StackRecipe
from gisbox.project.project import Project
from gisbox.render.context import stack_recipe
from gisbox.render.dockerfile import render
from gisbox.runtime.errors import BuildError, UsageError
from tests.fakes import FakeEngine, completed

SOURCE = Path(__file__).parents[1] / "projects" / "source"
NO_SBOM = BuildOptions(sbom=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "source"
    dest.mkdir()
    for name in ("gisbox.toml", "gisbox.lock"):
        shutil.copy(SOURCE / name, dest / name)
    return dest


def recipe_of(project: Project) -> StackRecipe:
    recipe = stack_recipe(project)
    assert recipe is not None
    return recipe


def key_of(project: Project) -> str:
    target = project.lock.target
    return recipe_of(project).key(target.base_layers, target.platform)


def test_the_project_copies_gdal_from_the_stack_image_that_compiles_it() -> None:
    project = Project.load(SOURCE)
    rendered = render(project)
    text, stack = rendered.dockerfile, rendered.stack
    assert stack is not None
    target = project.lock.target
    tag = stack.tag(target.base_layers, target.platform)
    assert tag.startswith("gisbox/stack:gdal-3.13.3-") and len(tag.rsplit("-", 1)[1]) == 16
    assert f"ARG GISBOX_STACK={tag}\nFROM ${{GISBOX_STACK}} AS stack" in text
    assert "COPY --from=stack /opt/gdal /opt/gdal" in text
    assert "cmake --build" not in text and "fetch_upstream" not in text  # the stack compiles
    (gdal,) = project.lock.upstream_sources
    assert f"{gdal.url} \\\n       {gdal.sha256} /tmp/gdal.tar.xz" in stack.dockerfile
    assert "-DOGR_BUILD_OPTIONAL_DRIVERS=OFF" in stack.dockerfile
    assert "FROM ${GISBOX_BASE}" in stack.dockerfile
    # the packages the lock pins for the stack, and not the project's runtime extras
    assert all(f"       {pin}" in stack.dockerfile for pin in target.stack)
    assert set(stack.files) == {"fetch_upstream.py"}


def with_spec(project: Project, **stack: object) -> Project:
    spec = project.spec.model_copy(update={"stack": project.spec.stack.model_copy(update=stack)})
    return dataclasses.replace(project, spec=spec)


def test_the_key_follows_what_decides_the_stack_s_bytes_and_nothing_else() -> None:
    project = Project.load(SOURCE)
    key = key_of(project)
    lock = project.lock
    (gdal,) = lock.upstream_sources
    other_tarball = dataclasses.replace(gdal, sha256="00" * 32)
    bumped = tuple(p + "+b1" if p.startswith("libtiff-dev=") else p for p in lock.target.stack)
    assert bumped != lock.target.stack
    changed = {
        "the tarball": dataclasses.replace(
            project, lock=dataclasses.replace(lock, upstream_sources=(other_tarball,))
        ),
        "an OS package": dataclasses.replace(
            project,
            lock=dataclasses.replace(lock, target=dataclasses.replace(lock.target, stack=bumped)),
        ),
        "the drivers": with_spec(project, gdal_drivers=("GTiff", "COG", "MEM", "VRT")),
        "the tools": with_spec(project, tools=not project.spec.stack.tools),
    }
    for what, other in changed.items():
        assert key_of(other) != key, what
    recipe, target = recipe_of(project), lock.target
    assert recipe.key(("sha256:" + "cd" * 32,), target.platform) != key  # another base
    assert recipe.key(target.base_layers, "linux/arm64") != key  # another platform
    # the project's packages, app and runtime are not the stack's business
    spec = project.spec
    app = spec.app.model_copy(update={"command": ("python", "-m", "app")})
    unchanged = [
        dataclasses.replace(
            project, lock=dataclasses.replace(lock, packages=lock.packages[:-1], sources=())
        ),
        dataclasses.replace(project, spec=spec.model_copy(update={"app": app})),
        project.with_runtime("slim"),
    ]
    tini = dataclasses.replace(lock.os_packages[0], name="tini", version="0.19.0-3")
    unchanged.append(  # tini in the runtime (the service profile): not in the stack
        dataclasses.replace(
            project, lock=dataclasses.replace(lock, os_packages=(*lock.os_packages, tini))
        )
    )
    assert all(key_of(p) == key for p in unchanged)


def in_image(project: Project) -> FakeEngine:
    fp = {"format": 1, "bindings": {}, "findings": [],
          "summary": {"error": 0, "warning": 0, "info": 0}}  # fmt: skip

    def answer(image: str, command: Sequence[str], user: str | None) -> Completed:
        if command[1] == "healthcheck":
            return completed('{"healthy": true, "bindings": {}}\n')
        return completed(json.dumps(fp) + "\n")

    engine = FakeEngine(on_run=answer)
    engine.add_image(project.spec.image.base, layers=project.lock.target.base_layers)
    return engine


def test_build_compiles_the_stack_once_then_reuses_it(project: Path) -> None:
    loaded = Project.load(project)
    engine = in_image(loaded)
    first = build_image(loaded, engine, NO_SBOM)
    stack_request, image_request = engine.called("build")
    key = key_of(loaded)
    assert stack_request.tag == first.stack["tag"] and first.stack["key"] == key
    assert stack_request.context == project / ".gisbox/stack"
    assert (project / ".gisbox/stack/Dockerfile").read_text() == recipe_of(loaded).dockerfile
    assert dict(stack_request.build_args) == {
        "GISBOX_BASE": loaded.spec.image.base, "GISBOX_STACK_KEY": key,
    }  # fmt: skip
    assert ("GISBOX_STACK", stack_request.tag) in image_request.build_args
    assert isinstance(first.stack["built_seconds"], float)
    assert (project / ".gisbox/stack.log").is_file()
    # a second build (any project on this recipe): nothing compiled
    engine.calls.clear()
    second = build_image(Project.load(project), engine, BuildOptions(sbom=False, no_cache=True))
    (only,) = engine.called("build")
    assert only.tag == "gisbox-test/source:latest" and only.no_cache
    assert second.stack == {**first.stack, "built_seconds": None}


def test_a_failed_stack_build_names_its_log_and_builds_nothing_else(project: Path) -> None:
    loaded = Project.load(project)
    engine = in_image(loaded)
    engine.build_lines, engine.build_returncode = ["#12 cmake: error: no PROJ"], 1
    with pytest.raises(BuildError) as exc:
        build_image(loaded, engine, NO_SBOM)
    assert "build of the stack image gisbox/stack:gdal-3.13.3-" in exc.value.message
    assert "cmake: error: no PROJ" in exc.value.message
    assert exc.value.hint and str(project / ".gisbox/stack.log") in exc.value.hint
    assert len(engine.called("build")) == 1 and not engine.called("run")


def test_stack_ls_rm_and_push(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = Project.load(project)
    engine = in_image(loaded)
    key = key_of(loaded)
    tag = recipe_of(loaded).tag(loaded.lock.target.base_layers, loaded.lock.target.platform)
    engine.add_image(tag, **{KEY_LABEL: key, "io.gisbox.stack.gdal": "3.13.3"})
    engine.add_image("gisbox-test/other:latest")  # not a stack image
    monkeypatch.setattr(engines, "select_engine", lambda name=None: engine)
    runner = CliRunner()
    res = runner.invoke(cli, ["stack", "ls", "--json"])
    assert res.exit_code == 0, res.output
    (listed,) = json.loads(res.output)
    assert listed["tag"] == tag and listed["key"] == key and listed["labels"]["gdal"] == "3.13.3"
    res = runner.invoke(cli, ["stack", "push", key[:12], "--to", "127.0.0.1:5000/stacks"])
    assert res.exit_code == 0, res.output
    pushed = f"127.0.0.1:5000/stacks:{tag.split(':')[1]}"
    assert engine.called("push") == [pushed] and res.output.startswith("127.0.0.1:5000/stacks@")
    res = runner.invoke(cli, ["stack", "rm", "abcdef"])  # too short to be a key prefix
    assert res.exit_code == 2 and "matches 'abcdef'" in res.output and tag in res.output
    res = runner.invoke(cli, ["stack", "rm", key[:8]])
    assert res.exit_code == 0 and f"removed {tag}" in res.output
    assert not engine.exists(tag) and engine.exists("gisbox-test/other:latest")


def test_a_missing_stack_is_pulled_from_where_stack_push_put_it(project: Path) -> None:
    loaded = Project.load(project)
    engine = in_image(loaded)
    key = key_of(loaded)
    remote_repo = "127.0.0.1:5000/gisbox/stack"

    def pull(ref: str, platform: str | None = None) -> str | None:
        engine.calls.append(("pull", ref))
        engine.add_image(ref, **{KEY_LABEL: key})
        return None

    engine.pull = pull  # type: ignore[method-assign]
    options = BuildOptions(sbom=False, stack_from=remote_repo)
    report = build_image(loaded, engine, options)
    (only,) = engine.called("build")  # the project's: nothing compiled
    assert only.tag == "gisbox-test/source:latest"
    remote = f"{remote_repo}:{str(report.stack['tag']).split(':')[1]}"
    assert engine.called("pull")[-1] == remote and report.stack["pulled_from"] == remote
    assert engine.exists(str(report.stack["tag"]))
    with pytest.raises(UsageError, match="names a tag"):
        build_image(Project.load(project), in_image(loaded),
                    BuildOptions(sbom=False, stack_from=f"{remote_repo}:v1"))  # fmt: skip


def test_a_registry_without_the_stack_means_compiling_it(project: Path) -> None:
    loaded = Project.load(project)
    engine = in_image(loaded)  # its pull answers "no registry"
    report = build_image(loaded, engine, BuildOptions(sbom=False, stack_from="reg.example/s"))
    assert len(engine.called("build")) == 2 and report.stack["pulled_from"] == ""
    assert engine.called("pull") == [f"reg.example/s:{str(report.stack['tag']).split(':')[1]}"]


def test_the_bindings_wheel_cache_is_shared_exactly_where_the_inputs_agree() -> None:
    """Projects on one stack with the same sdists and build requirements share the cache of
    built wheels (a second project compiles nothing); any other input gets another one."""
    from gisbox.plugins.strategies.source import wheel_cache_id

    files = {"rasterio.src.txt": "rasterio==1.5.2 --hash=sha256:aa\n",
             "rasterio.build.txt": "cython==3.1.2 --hash=sha256:bb\n"}  # fmt: skip
    tag = "gisbox/stack:gdal-3.13.3-78425a77810eb8e2"
    same = wheel_cache_id(tag, dict(reversed(files.items())))
    assert wheel_cache_id(tag, files) == same and same.startswith("gisbox-bindings-")
    other_sdist = {**files, "rasterio.src.txt": "rasterio==1.5.2 --hash=sha256:ab\n"}
    other_build = {**files, "rasterio.build.txt": "cython==3.1.3 --hash=sha256:bc\n"}
    other_stack = "gisbox/stack:gdal-3.13.3-0000000000000000"
    assert len({same, wheel_cache_id(tag, other_sdist), wheel_cache_id(tag, other_build),
                wheel_cache_id(other_stack, files)}) == 4  # fmt: skip

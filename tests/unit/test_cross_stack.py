"""Strategy "source" for another platform than the machine's: the lock resolves what
cross-compiles GDAL on the machine's own base (Debian's cross compilers and the target's
multiarch -dev packages, at the versions the target's own stack pins), and the stack
image for that platform is compiled there and copied onto the target's base."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from gisbox.engines import registry as engines
from gisbox.image.stack import ensure_stack
from gisbox.locking import resolve
from gisbox.locking.apt_probe import cross_probe_script
from gisbox.plugins.api import StackRecipe
from gisbox.plugins.families import debian, osgeo, ubuntu
from gisbox.plugins.registry import strategy_named
from gisbox.progress import SILENT
from gisbox.project.lockfile import Target, read_lock, to_toml
from gisbox.project.platforms import PLATFORMS
from gisbox.project.project import Project
from gisbox.render.build_context import write_stack_context
from gisbox.render.context import stack_recipe
from gisbox.runtime.errors import BuildError, EngineError, LockError
from tests.fakes import FakeEngine, completed

SOURCE = Path(__file__).parents[1] / "projects" / "source"
ARM64 = PLATFORMS["linux/arm64"]
BUILD_LAYERS = ("sha256:" + "a1" * 32,)


def cross_pins(target: Target) -> tuple[str, ...]:
    """What the lock would record for arm64: the tools and compilers for amd64, the stack's
    -dev packages for arm64 at the versions the arm64 stack pins."""
    dev = tuple(
        f"{name}:arm64={version}"
        for name, _, version in (pin.partition("=") for pin in target.stack)
        if name.endswith("-dev")
    )
    return ("cmake=3.31.6-2", "g++-aarch64-linux-gnu=4:14.2.0-1", *dev)


def with_arm64(project: Project, *, cross: bool = True) -> Project:
    """The recorded source project with an arm64 platform locked next to amd64."""
    lock = project.lock
    arm64 = dataclasses.replace(
        lock.target, platform="linux/arm64", base_layers=("sha256:" + "b2" * 32,),
        python_platform="aarch64-manylinux_2_41",
    )  # fmt: skip
    if cross:
        arm64 = dataclasses.replace(
            arm64, cross_from="linux/amd64", cross_base_layers=BUILD_LAYERS,
            cross=cross_pins(arm64),
        )  # fmt: skip
    return dataclasses.replace(project, lock=dataclasses.replace(lock, other_targets=(arm64,)))


def recipe_of(project: Project) -> StackRecipe:
    recipe = stack_recipe(project)
    assert recipe is not None
    return recipe


def test_the_cross_probe_asks_for_the_compilers_and_the_target_s_dev_packages() -> None:
    project = Project.load(SOURCE)
    strategy = strategy_named("source")
    shell = strategy.cross_probe(debian.FAMILY, project.spec, ARM64)
    assert shell is not None
    for wanted in ("gcc-aarch64-linux-gnu", "g++-aarch64-linux-gnu", "cmake", "python3",
                   "libc6-dev:arm64", "libproj-dev:arm64", "libgeos-dev:arm64",
                   "libtiff-dev:arm64", "libcurl4-gnutls-dev:arm64"):  # fmt: skip
        assert f" {wanted}" in shell, wanted
    script = cross_probe_script("arm64", shell)
    assert "dpkg --add-architecture arm64" in script
    subprocess.run(["sh", "-n", "-c", script], check=True)  # valid shell
    # nothing to cross-compile: families whose archive cannot, `cross = false`, and the
    # strategies that compile nothing outside the target's own builder
    assert ubuntu.FAMILY.cross_toolchain(ARM64) == osgeo.FAMILY.cross_toolchain(ARM64) == ()
    assert strategy.cross_probe(ubuntu.FAMILY, project.spec, ARM64) is None
    no_cross = project.spec.stack.model_copy(update={"cross": False})
    spec = project.spec.model_copy(update={"stack": no_cross})
    assert strategy.cross_probe(debian.FAMILY, spec, ARM64) is None
    assert spec.input_digest() != project.spec.input_digest()  # the lock then differs
    for other in ("wheels", "system"):
        assert strategy_named(other).cross_probe(debian.FAMILY, project.spec, ARM64) is None


def lock_probe(monkeypatch: pytest.MonkeyPatch, stdout: str) -> tuple[FakeEngine, Project]:
    project = with_arm64(Project.load(SOURCE), cross=False)
    engine = FakeEngine(on_run=lambda image, command, user: completed(stdout))
    engine.add_image(project.spec.image.base, layers=BUILD_LAYERS)
    monkeypatch.setattr(resolve, "host_platform", lambda: "linux/amd64")
    return engine, project


def test_the_lock_records_the_cross_stage_from_the_machine_s_own_base(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engine, project = lock_probe(monkeypatch, "")
    arm64 = project.lock.other_targets[0]
    pins = cross_pins(arm64)
    engine.on_run = lambda image, command, user: completed(
        "".join(f"cross {p}\n" for p in pins) + "noise\n"
    )
    plugins = resolve.Plugins.of(project.spec)
    crossed = resolve.probe_cross_compile(project.spec, engine, arm64, plugins, print, False)
    ((image, command, _user, platform),) = engine.called("run")
    assert (image, platform) == (project.spec.image.base, "linux/amd64")  # the machine's
    assert "dpkg --add-architecture arm64" in command[2]
    assert crossed.cross_from == "linux/amd64" and crossed.cross_base_layers == BUILD_LAYERS
    assert crossed.cross == tuple(sorted(pins))
    # the machine's own platform cross-compiles nothing
    amd64 = project.lock.target
    assert resolve.probe_cross_compile(project.spec, engine, amd64, plugins, print, False) == amd64
    # recorded in the lock, and read back the same
    lock = dataclasses.replace(project.lock, other_targets=(crossed,))
    text = to_toml(lock)
    assert 'cross_from = "linux/amd64"' in text
    (tmp_path / "gisbox.lock").write_text(text)
    assert read_lock(tmp_path / "gisbox.lock") == lock
    assert "cross" not in to_toml(project.lock)  # a lock without it is written as before


def test_a_cross_stage_at_other_versions_than_the_target_s_stack_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, project = lock_probe(monkeypatch, "")
    arm64 = project.lock.other_targets[0]
    pins = [p.replace("libproj-dev:arm64=", "libproj-dev:arm64=0.") for p in cross_pins(arm64)]
    engine.on_run = lambda image, command, user: completed("".join(f"cross {p}\n" for p in pins))
    plugins = resolve.Plugins.of(project.spec)
    with pytest.raises(LockError) as exc:
        resolve.probe_cross_compile(project.spec, engine, arm64, plugins, print, False)
    assert "libproj-dev:arm64 0." in exc.value.message and exc.value.hint
    engine.on_run = lambda image, command, user: completed("", "E: no arm64", 100)
    with pytest.raises(LockError) as exc:
        resolve.probe_cross_compile(project.spec, engine, arm64, plugins, print, False)
    assert "E: no arm64" in exc.value.message
    assert exc.value.hint and "cross = false" in exc.value.hint


def test_the_cross_recipe_compiles_on_the_machine_and_copies_onto_the_target_base() -> None:
    plain = Project.load(SOURCE)
    project = with_arm64(plain)
    recipe = recipe_of(project)
    assert set(recipe.cross) == {"linux/arm64"}
    assert recipe.dockerfile_name("linux/arm64") == "Dockerfile.arm64"
    assert recipe.dockerfile_name("linux/amd64") == "Dockerfile"
    text = recipe.cross["linux/arm64"].dockerfile
    assert "FROM --platform=linux/amd64 ${GISBOX_BUILD_BASE} AS cross" in text
    assert "dpkg --add-architecture arm64" in text
    assert all(f"       {pin}" in text for pin in project.lock.other_targets[0].cross)
    for option in ("-DCMAKE_SYSTEM_PROCESSOR=aarch64", "-DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc",
                   "-DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++",
                   "-DCMAKE_LIBRARY_ARCHITECTURE=aarch64-linux-gnu"):  # fmt: skip
        assert option in text and option not in recipe.dockerfile
    assert "PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig" in text
    assert (
        text.index("AS cross")
        < text.index("cmake --build")
        < text.index("FROM ${GISBOX_BASE}\nCOPY --from=cross /opt/gdal /opt/gdal")
    )
    # the same GDAL, drivers and labels as the native recipe
    native = recipe.dockerfile
    for line in native.splitlines():
        if "-DGDAL_" in line or "-DOGR_" in line or "LABEL" in line or "sha256" in line:
            assert line.replace("python3.13", "python3") in text, line
    # the amd64 image is compiled as before: its recipe and key do not change
    plain_recipe = recipe_of(plain)
    layers = plain.lock.target.base_layers
    assert native == plain_recipe.dockerfile
    assert recipe.key(layers, "linux/amd64") == plain_recipe.key(layers, "linux/amd64")
    # arm64's key follows its cross stage: the build base and the cross pins
    arm64 = project.lock.other_targets[0]
    key = recipe.key(arm64.base_layers, "linux/arm64")
    assert key != with_arm64(plain, cross=False) and key != recipe_of(
        with_arm64(plain, cross=False)
    ).key(arm64.base_layers, "linux/arm64")
    other_base = dataclasses.replace(arm64, cross_base_layers=("sha256:" + "c3" * 32,))
    other_pins = dataclasses.replace(arm64, cross=(*arm64.cross, "file=1:5.46-5"))
    for changed in (other_base, other_pins):
        lock = dataclasses.replace(project.lock, other_targets=(changed,))
        again = recipe_of(dataclasses.replace(project, lock=lock))
        assert again.key(arm64.base_layers, "linux/arm64") != key


def test_build_cross_compiles_the_arm64_stack_from_the_machine_s_base(tmp_path: Path) -> None:
    project = with_arm64(Project.load(SOURCE))
    project = dataclasses.replace(project, paths=dataclasses.replace(project.paths, root=tmp_path))
    recipe = recipe_of(project)
    write_stack_context(project.paths.support / "stack", recipe)
    engine = FakeEngine()
    engine.add_image(project.spec.image.base, layers=BUILD_LAYERS)  # the machine's (amd64)
    arm64 = project.lock.other_targets[0]
    used = ensure_stack(
        project, engine, recipe, platform="linux/arm64", local_base="debian:trixie-slim-arm64",
        progress=SILENT,
    )  # fmt: skip
    (request,) = engine.called("build")
    assert request.platform == "linux/arm64" and request.tag == used.tag
    assert request.dockerfile == project.paths.support / "stack" / "Dockerfile.arm64"
    assert request.dockerfile.read_text() == recipe.cross["linux/arm64"].dockerfile
    assert dict(request.build_args) == {
        "GISBOX_BASE": "debian:trixie-slim-arm64",
        "GISBOX_BUILD_BASE": project.spec.image.base,
        "GISBOX_STACK_KEY": recipe.key(arm64.base_layers, "linux/arm64"),
    }
    # a machine whose base is not the one the lock cross-compiles on: refused, nothing built
    engine = FakeEngine()
    engine.add_image(project.spec.image.base, layers=("sha256:" + "ff" * 32,))
    with pytest.raises(BuildError) as exc:
        ensure_stack(
            project, engine, recipe, platform="linux/arm64",
            local_base="debian:trixie-slim-arm64", progress=SILENT,
        )  # fmt: skip
    assert "gisbox.lock" in exc.value.message and not engine.called("build")


def test_no_make_base_is_honoured_for_the_cross_stage_s_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`gisbox build --no-make-base` refuses to make the machine's base the cross stage
    starts from, as it refuses the platform's own: an error naming the base, nothing built."""
    project = with_arm64(Project.load(SOURCE))
    project = dataclasses.replace(project, paths=dataclasses.replace(project.paths, root=tmp_path))
    recipe = recipe_of(project)
    write_stack_context(project.paths.support / "stack", recipe)
    monkeypatch.setattr(engines, "engine_kinds", dict)  # no other engine to copy from
    engine = FakeEngine()  # holds no base for amd64
    with pytest.raises(EngineError) as exc:
        ensure_stack(
            project, engine, recipe, platform="linux/arm64",
            local_base="debian:trixie-slim-arm64", progress=SILENT, make_base=False,
        )  # fmt: skip
    assert project.spec.image.base in exc.value.message and "--no-make-base" in exc.value.hint
    assert not engine.called("build")

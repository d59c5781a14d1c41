"""Several platforms in one lock: each platform's base and wheels, the per-architecture
pins of the Dockerfile, one build per platform and one manifest list on push."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from gisbox.engines.base import Completed
from gisbox.image.build import build_all
from gisbox.image.push import push
from gisbox.locking.resolve import resolve_lock
from gisbox.project.lockfile import Lock, PythonPackage, Wheel, read_lock, write_lock
from gisbox.project.platforms import platform_base, platform_tag
from gisbox.project.project import Project
from gisbox.project.spec import parse_spec
from gisbox.render.context import LOCK_LABEL
from gisbox.render.dockerfile import render
from gisbox.runtime.errors import LockError, SpecError

from ..fakes import FakeEngine, FakeIndex, completed

BASE = "debian:bookworm-slim"
ARM_BASE = "debian:bookworm-slim-arm64"
SHA = "a" * 64


def probe(arch: str, binutils: str) -> str:
    return "\n".join([
        "os debian 12", "glibc 2.36", "python 3.11 3.11.2-6+deb12u9",
        "runtime python3.11=3.11.2-6+deb12u9",
        "builder binutils=2.40-2", f"builder {binutils}=2.40-2",
        f"deb python3.11=3.11.2-6+deb12u9 {arch} {arch[0] * 64}",
        f"deb binutils=2.40-2 {arch} {SHA}", f"deb {binutils}=2.40-2 {arch} {SHA}",
    ]) + "\n"  # fmt: skip


class ArmIndex(FakeIndex):
    """The same versions, with aarch64 wheels; `missing` has none for aarch64."""

    missing: tuple[str, ...] = ()

    def compile(self, requirements: list[str]) -> list[PythonPackage]:
        for name in self.missing:
            if any(r.startswith(f"{name}==") for r in requirements):
                raise LockError(f"Because {name}==1.0 has no wheels with a matching platform tag")
        return [arm(p) for p in super().compile(requirements)]

    def uv_pin(self) -> PythonPackage:
        return arm(super().uv_pin())


def arm(p: PythonPackage) -> PythonPackage:
    wheel = Wheel(url=p.wheels[0].url.replace("any", "manylinux_2_17_aarch64"), sha256="b" * 64)
    return PythonPackage(name=p.name, version=p.version, wheels=(wheel,))


def engine_with_bases() -> FakeEngine:
    def answer(image: str, command: Sequence[str], user: str | None) -> Completed:
        if tuple(command[:2]) == ("sh", "-c"):  # the probe
            arm64 = image == ARM_BASE
            return completed(probe(*(("arm64", "binutils-aarch64-linux-gnu") if arm64 else
                                     ("amd64", "binutils-x86-64-linux-gnu"))))  # fmt: skip
        if command[1] == "healthcheck":
            return completed('{"healthy": true}\n')
        return completed('{"format": 1, "bindings": {}, "findings": [], "summary": '
                         '{"error": 0, "warning": 0, "info": 0}}\n')  # fmt: skip

    engine = FakeEngine(on_run=answer)
    engine.add_image(BASE)
    engine.add_image(ARM_BASE)
    return engine


SPEC = {
    "image": {"name": "gisbox/multi", "platforms": ["linux/amd64", "linux/arm64"]},
    "python": {"packages": ["rasterio"]},
}


def lock_for(engine: FakeEngine, missing: tuple[str, ...] = (), make_base: bool = True) -> Lock:
    amd, arm64 = FakeIndex({"rasterio": "1.0", "numpy": "2.0"}), ArmIndex({"rasterio": "1.0"})
    arm64.missing = missing
    indexes = {"linux/amd64": amd, "linux/arm64": arm64}
    return resolve_lock(
        parse_spec(SPEC, "gisbox.toml"), engine, index_for=lambda t, s: indexes[t.platform],
        make_base=make_base,
    )  # fmt: skip


def test_local_names_of_bases_and_tags_per_platform() -> None:
    assert platform_base(BASE, "linux/amd64") == BASE  # this machine's platform
    assert platform_base(BASE, "linux/arm64") == ARM_BASE
    assert platform_tag("gisbox/app:1.0", "linux/arm64") == "gisbox/app:1.0-arm64"


def test_one_lock_holds_every_platform(tmp_path: Path) -> None:
    engine = engine_with_bases()
    lock = lock_for(engine)
    assert [t.platform for t in lock.targets] == ["linux/amd64", "linux/arm64"]
    assert [call[0] for call in engine.called("run")] == [BASE, ARM_BASE]
    (rasterio,) = lock.packages
    assert {w.sha256 for w in rasterio.wheels} == {rasterio.wheels[0].sha256, "b" * 64}
    assert len(lock.uv.wheels) == 2
    write_lock(lock, tmp_path / "gisbox.lock")
    back = read_lock(tmp_path / "gisbox.lock")
    assert back.targets == lock.targets
    assert back.os_pins("builder", "arm64") == [
        "binutils=2.40-2",
        "binutils-aarch64-linux-gnu=2.40-2",
    ]


def test_a_platform_without_a_wheel_of_a_locked_version_fails_the_lock_naming_both() -> None:
    with pytest.raises(LockError) as exc:
        lock_for(engine_with_bases(), missing=("rasterio",))
    assert exc.value.message.startswith("linux/arm64: the versions locked for linux/amd64")
    assert "rasterio==1.0" in exc.value.message


def test_a_platform_whose_base_is_missing_says_how_to_make_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gisbox.engines.registry as engines

    monkeypatch.setattr(engines, "engine_kinds", dict)  # no other engine to copy from
    engine = engine_with_bases()
    del engine.images[ARM_BASE]
    with pytest.raises(Exception, match="gisbox base --engine fake --platform linux/arm64"):
        lock_for(engine, make_base=False)


def test_platforms_are_validated() -> None:
    for bad in (["linux/amd64", "linux/amd64"], ["linux/s390x"]):
        with pytest.raises(SpecError, match=r"image\.platforms"):
            parse_spec({"image": {"platforms": bad}}, "gisbox.toml")
    with pytest.raises(SpecError, match="platform 'linux/arm64' is not one of platforms"):
        parse_spec({"image": {"platform": "linux/arm64", "platforms": ["linux/amd64"]}}, "x")
    spec = parse_spec({"image": {"platforms": ["linux/arm64", "linux/amd64"]}}, "gisbox.toml")
    assert spec.image.targets == ("linux/arm64", "linux/amd64")


@pytest.fixture
def multi(tmp_path: Path) -> tuple[Project, FakeEngine]:
    engine = engine_with_bases()
    (tmp_path / "gisbox.toml").write_text(
        '[image]\nname = "gisbox/multi"\nplatforms = ["linux/amd64", "linux/arm64"]\n'
        '[python]\npackages = ["rasterio"]\n'
    )
    write_lock(lock_for(engine), tmp_path / "gisbox.lock")
    return Project.load(tmp_path), engine


def test_the_dockerfile_takes_the_base_as_an_argument_and_installs_per_architecture(
    multi: tuple[Project, FakeEngine],
) -> None:
    text = render(multi[0]).dockerfile
    assert "ARG GISBOX_BASE=debian:bookworm-slim\n" in text
    assert "FROM ${GISBOX_BASE} AS python" in text
    assert 'if [ "$(dpkg --print-architecture)" = arm64 ]; then \\\n' in text
    assert "binutils-aarch64-linux-gnu=2.40-2; fi" in text


def test_build_makes_each_platform_from_its_base_and_push_joins_them(
    multi: tuple[Project, FakeEngine],
) -> None:
    project, engine = multi
    reports = build_all(project, engine)
    assert [r.tag for r in reports] == ["gisbox/multi:latest", "gisbox/multi:latest-arm64"]
    requests = engine.called("build")
    assert [(r.platform, r.build_args) for r in requests] == [
        ("linux/amd64", (("GISBOX_BASE", BASE),)),
        ("linux/arm64", (("GISBOX_BASE", ARM_BASE),)),
    ]
    assert project.paths.fingerprint.is_file()
    assert (project.paths.support / "fingerprint-arm64.json").is_file()
    for report in reports:  # the fake engine keeps no Dockerfile labels: set the lock's
        info = engine.images[report.tag]
        engine.images[report.tag] = replace(info, labels={LOCK_LABEL: project.lock_digest})
    pushed = push(project, engine, "127.0.0.1:5000/gisbox/multi")
    ((target, images),) = engine.called("push_index")  # type: ignore[misc]
    assert target == "127.0.0.1:5000/gisbox/multi:latest" == pushed.reference
    assert [i.split("@")[0] for i in images] == [
        "127.0.0.1:5000/gisbox/multi", "127.0.0.1:5000/gisbox/multi"
    ]  # fmt: skip
    assert engine.called("push") == [
        "127.0.0.1:5000/gisbox/multi:latest-amd64", "127.0.0.1:5000/gisbox/multi:latest-arm64"
    ]  # fmt: skip

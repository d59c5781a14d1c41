"""The pipeline against a fake engine and a fake index: lock, build, verify, push decide
what they should without Docker or a network."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

import gisbox.engines.registry as engines
from gisbox.engines.base import Completed, EngineKind
from gisbox.image.build import build_image
from gisbox.image.options import BuildOptions
from gisbox.image.push import push
from gisbox.locking.resolve import resolve_lock
from gisbox.project.lockfile import Target, read_lock, to_toml, write_lock
from gisbox.project.project import Project
from gisbox.project.spec import Spec, parse_spec
from gisbox.runtime.errors import BuildError, EngineError, LockError, VerifyError

from ..fakes import FakeEngine, FakeIndex, _tar, completed

BASE = "debian:bookworm-slim"
# the base layers tests/projects/minimal's lock pins (the `project` fixture's)
MINIMAL_LOCK = Path(__file__).parents[1] / "projects/minimal/gisbox.lock"
PINNED_BASE = read_lock(MINIMAL_LOCK).target.base_layers
SHA = "a" * 64
PROBE = f"""os debian 12
glibc 2.36
base libc6=2.36-9+deb12u9
base dpkg=1.21.22
python 3.11 3.11.2-6+deb12u9
lib gdal 3.6.2+dfsg-1+b2
lib proj 9.1.1-1+b1
lib geos 3.11.1-1
runtime python3.11=3.11.2-6+deb12u9
runtime libgdal32=3.6.2+dfsg-1+b2
builder python3.11=3.11.2-6+deb12u9
builder binutils=2.40-2
deb python3.11=3.11.2-6+deb12u9 amd64 {SHA}
deb libgdal32=3.6.2+dfsg-1+b2 amd64 {SHA}
deb binutils=2.40-2 amd64 {SHA}
"""
VERSIONS = {
    "geopandas": "1.1.1", "pyproj": "3.6.1", "rasterio": "1.4.3", "shapely": "2.1.1",
    "pyogrio": "0.11.0", "numpy": "2.2.6", "cython": "3.0.12", "setuptools": "80.9.0",
    "wheel": "0.45.1",
}  # fmt: skip


def spec_of(strategy: str, packages: Sequence[str]) -> Spec:
    data = {"image": {"strategy": strategy}, "python": {"packages": list(packages)}}
    return parse_spec(data, "gisbox.toml")


def probing_engine() -> FakeEngine:
    engine = FakeEngine(on_run=lambda image, command, user: completed(PROBE))
    engine.add_image(BASE)
    return engine


def test_wheels_lock_from_the_probe_and_the_index() -> None:
    engine, index = probing_engine(), FakeIndex(VERSIONS)
    spec = spec_of("wheels", ["geopandas>=1.0", "rasterio"])
    lock = resolve_lock(spec, engine, index_for=lambda target, s: index)
    ((image, command, _user, platform),) = engine.called("run")
    assert (image, command[:2], platform) == (BASE, ("sh", "-c"), "linux/amd64")
    assert "gis_runtime" not in command[2]  # the wheels strategy asks for no OS GIS library
    assert lock.target.python_platform == "x86_64-manylinux_2_36"
    assert lock.target.base_id == engine.images[BASE].id
    assert index.compiled == [["geopandas>=1.0", "rasterio"]]
    assert [p.name for p in lock.packages] == ["geopandas", "rasterio"]
    assert lock.uv.name == "uv" and lock.input_digest == spec.input_digest()
    assert lock.os_pins("builder") == ["binutils=2.40-2"] and not lock.sources
    # the base's own packages, sorted: another machine's base can say what differs
    assert lock.target.base_packages == ("dpkg=1.21.22", "libc6=2.36-9+deb12u9")
    assert 'base_packages = [\n    "dpkg=1.21.22",' in to_toml(lock)


def test_a_base_with_other_packages_says_which(project: Path) -> None:
    lock_path = project / "gisbox.lock"
    lock = read_lock(lock_path)
    pinned = ("dpkg=1.21.22", "libc6=2.36-9+deb12u9", "tzdata=2024a-0+deb12u1")
    write_lock(replace(lock, target=replace(lock.target, base_packages=pinned)), lock_path)
    engine = in_image(base_layers=("sha256:" + "ab" * 32,))
    dpkg = "dpkg=1.21.22\nlibc6=2.36-9+deb12u10\nnano=7.2-1\n"
    answer = engine.on_run
    engine.on_run = lambda image, command, user: (  # type: ignore[method-assign]
        completed(dpkg) if command[0] == "dpkg-query" else answer(image, command, user)
    )
    with pytest.raises(LockError) as exc:
        build_image(Project.load(project), engine)
    assert (
        "its packages differ: libc6 2.36-9+deb12u10 (the lock's 2.36-9+deb12u9); "
        "nano 7.2-1 (not in the lock's base); no tzdata (the lock's base has "
        "2024a-0+deb12u1)" in exc.value.message
    )


def test_gdal_bindings_need_the_system_strategy() -> None:
    with pytest.raises(LockError, match="publish no wheels"):
        resolve_lock(
            spec_of("wheels", ["gdal"]), probing_engine(), index_for=lambda t, s: FakeIndex({})
        )


def test_system_lock_caps_bindings_and_pins_their_sources(tmp_path: Path) -> None:
    engine, index = probing_engine(), FakeIndex(VERSIONS)
    spec = spec_of("system", ["geopandas>=1.0", "rasterio", "gdal", "numpy"])
    lock = resolve_lock(spec, engine, index_for=lambda target, s: index)
    ((_image, command, _user, _platform),) = engine.called("run")
    assert "libgdal-dev libproj-dev libgeos-dev" in command[2]  # the family's step
    assert "build-essential python$want-dev pkg-config" in command[2]  # the strategy's
    assert index.compiled[0] == [
        "geopandas>=1.0",
        "rasterio",
        "numpy",
        "pyproj<3.7",
        "rasterio<1.5",
    ]
    assert set(lock.caps) == {"rasterio<1.5", "pyproj<3.7", "gdal==3.6.2"}  # with the reasons
    write_lock(lock, tmp_path / "gisbox.lock")
    assert read_lock(tmp_path / "gisbox.lock").caps == lock.caps
    assert lock.os_libraries == {"gdal": "3.6.2", "proj": "9.1.1", "geos": "3.11.1"}
    assert {s.name: s.version for s in lock.sources} == {
        "pyproj": "3.6.1", "rasterio": "1.4.3", "gdal": "3.6.2",
    }  # fmt: skip
    assert {p.name for p in lock.packages} == {"geopandas", "numpy"}
    # each source's build requirements: pyproj < 3.7 builds with Cython < 3.1, NumPy is
    # pinned to the runtime's, setuptools brings wheel; the runtime's packages stay out
    builds = index.compiled[1:]
    assert (
        builds
        == [["cython<3.1", "numpy==2.2.6", "setuptools>=61", "wheel"]]
        + [["numpy==2.2.6", "setuptools>=61", "wheel"]] * 2
    )
    pyproj = next(s for s in lock.sources if s.name == "pyproj")
    assert {b.name for b in pyproj.build} == {"cython", "setuptools", "wheel"}


@pytest.fixture
def other_engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    """The one other engine the registry finds (instead of this machine's)."""
    other = FakeEngine(name="other")
    kinds = {
        "fake": EngineKind(name="fake", detect=FakeEngine, order=0),
        "other": EngineKind(name="other", detect=lambda: other, order=1),
    }
    monkeypatch.setattr(engines, "engine_kinds", lambda: kinds)
    return other


def test_no_base_with_no_make_base_says_to_make_one(other_engine: FakeEngine) -> None:
    engine = FakeEngine()
    with pytest.raises(EngineError) as exc:
        resolve_lock(
            spec_of("wheels", ["rasterio"]), engine, index_for=lambda t, s: FakeIndex({}),
            make_base=False,
        )  # fmt: skip
    assert exc.value.hint and "gisbox base --engine fake" in exc.value.hint
    assert "--no-make-base" in exc.value.hint
    assert engine.called("pull") == [BASE] and not engine.called("run")


def test_a_missing_base_is_copied_from_the_other_engine_or_made(
    other_engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gisbox.locking import debootstrap

    made: list[tuple[str, str | None]] = []

    def make_base(engine: FakeEngine, reference: str, **kw: object) -> str:
        made.append((reference, kw.get("platform")))  # type: ignore[arg-type]
        return engine.add_image(reference).id

    monkeypatch.setattr(debootstrap, "make_base", make_base)
    steps: list[str] = []
    engine = probing_engine()
    del engine.images[BASE]
    resolve_lock(spec_of("wheels", ["rasterio"]), engine, steps.append,
                 index_for=lambda t, s: FakeIndex(VERSIONS))  # fmt: skip
    assert made == [(BASE, "linux/amd64")] and not engine.called("load")
    assert any("making the base debian:bookworm-slim (linux/amd64)" in s for s in steps)
    # the other engine holds it: copied (save | load), nothing made
    made.clear()
    other_engine.add_image(BASE)
    engine = probing_engine()
    del engine.images[BASE]
    engine.load = lambda archive: engine.add_image(BASE) and None  # type: ignore[method-assign]
    resolve_lock(spec_of("wheels", ["rasterio"]), engine, steps.append,
                 index_for=lambda t, s: FakeIndex(VERSIONS))  # fmt: skip
    assert made == [] and any("copying the base debian:bookworm-slim from other" in s
                              for s in steps)  # fmt: skip


def fingerprint(errors: int = 0) -> str:
    findings = [
        {"id": "transform.golden", "severity": "error", "message": "off by 1 m", "hint": ""}
    ] * errors + [{"id": "libs.version-skew", "severity": "warning", "message": "two", "hint": ""}]
    summary = {"error": errors, "warning": 1, "info": 0}
    fp = {"format": 1, "bindings": {"pyproj": {"version": "3.7.1", "proj": "9.5.1"}},
          "findings": findings, "summary": summary}  # fmt: skip
    return json.dumps(fp, sort_keys=True) + "\n"


def in_image(
    health: str = '{"healthy": true, "bindings": {}}',
    fp: str = fingerprint(),
    base_layers: tuple[str, ...] = PINNED_BASE,
) -> FakeEngine:
    def answer(image: str, command: Sequence[str], user: str | None) -> Completed:
        if command[1] == "healthcheck":
            return completed(health + "\n", returncode=0 if '"healthy": true' in health else 1)
        return completed(fp, returncode=1 if '"error": 0' not in fp else 0)

    engine = FakeEngine(on_run=answer)
    engine.add_image(BASE, layers=base_layers)
    return engine


def test_a_base_other_than_the_pinned_one_is_refused_before_building(project: Path) -> None:
    engine = in_image(base_layers=("sha256:" + "ab" * 32,))
    with pytest.raises(LockError) as exc:
        build_image(Project.load(project), engine)
    assert exc.value.exit_code == 3 and "is not the one gisbox.lock pins" in exc.value.message
    assert "ab" * 32 in exc.value.message and PINNED_BASE[0] in exc.value.message
    assert exc.value.hint and "gisbox lock" in exc.value.hint
    assert not engine.called("build")


def test_build_passes_secrets_verifies_as_the_user_and_labels_the_fingerprint(
    project: Path, tmp_path: Path
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    engine = in_image()
    report = build_image(Project.load(project), engine, BuildOptions(ca_cert=ca, workloads=True))
    (request,) = engine.called("build")
    assert request.secrets == (("gisbox_ca", ca),)
    assert request.tag == "gisbox/proj:latest" and request.platform == "linux/amd64"
    runs = engine.called("run")
    assert [r[1][1:] for r in runs] == [
        ("healthcheck", "--json"),
        ("check", "--workloads", "--json", "-"),
    ]
    assert {r[2] for r in runs} == {"10001:10001"}
    written = (project / ".gisbox/fingerprint.json").read_text()
    digest = "sha256:" + hashlib.sha256(written.encode()).hexdigest()
    ((_image, tag, labels, env),) = engine.called("relabel")  # one relabelling for both
    sbom = (project / ".gisbox/sbom.cdx.json").read_text()
    assert json.loads(sbom)["specVersion"] == "1.6"
    sbom_digest = "sha256:" + hashlib.sha256(sbom.encode()).hexdigest()
    assert labels == {"io.gisbox.fingerprint-digest": digest, "io.gisbox.sbom-digest": sbom_digest}
    assert report.sbom_digest == sbom_digest and report.sbom.endswith("sbom.cdx.json")
    # the report, from the SBOM's pass over the files: the check's warning is on it
    assert report.report == str(project / ".gisbox" / "report.html")
    assert "libs.version-skew" in Path(report.report).read_text()
    assert env == {"GISBOX_FINGERPRINT_DIGEST": digest} and tag == "gisbox/proj:latest"
    assert report.fingerprint_digest == digest and report.image_id.endswith("-relabelled")
    assert report.findings == {"error": 0, "warning": 1, "info": 0}
    assert report.warnings == ["libs.version-skew: two"] and report.healthy
    assert report.ca_bundle == f"{ca} (--ca-cert, build secret)"
    assert (project / "Dockerfile").is_file() and (project / ".gisbox/build.log").is_file()


def test_errors_in_the_image_fail_the_build_but_keep_the_fingerprint(project: Path) -> None:
    engine = in_image(fp=fingerprint(errors=1))
    with pytest.raises(VerifyError) as exc:
        build_image(Project.load(project), engine)
    assert exc.value.exit_code == 6 and "transform.golden: off by 1 m" in exc.value.message
    assert json.loads((project / ".gisbox/fingerprint.json").read_text())["summary"]["error"] == 1


def test_an_unhealthy_image_fails_with_the_reason(project: Path) -> None:
    engine = in_image(health='{"healthy": false, "reason": "import rasterio failed"}')
    with pytest.raises(VerifyError, match="unhealthy: import rasterio failed"):
        build_image(Project.load(project), engine)
    assert not engine.called("relabel")


def test_a_hash_mismatch_is_explained(project: Path) -> None:
    engine = in_image()
    engine.build_returncode = 1
    engine.build_lines = ["#9 error: Hash mismatch for `affine==3.0.1`", "#9 ERROR: failed"]
    with pytest.raises(BuildError) as exc:
        build_image(Project.load(project), engine)
    assert exc.value.exit_code == 5 and "hash mismatch for affine==3.0.1" in exc.value.message
    assert "Hash mismatch" in (project / ".gisbox/build.log").read_text()


def test_push_only_an_image_built_from_this_lock(project: Path) -> None:
    loaded = Project.load(project)
    engine = FakeEngine()
    with pytest.raises(EngineError, match="does not exist"):
        push(loaded, engine, "127.0.0.1:5000/g/minimal")
    engine.add_image(loaded.spec.reference, **{"io.gisbox.lock-digest": "sha256:older"})
    with pytest.raises(EngineError, match="built from another lock"):
        push(loaded, engine, "127.0.0.1:5000/g/minimal")
    info = engine.add_image(loaded.spec.reference, **{"io.gisbox.lock-digest": loaded.lock_digest})
    pushed = push(loaded, engine, "127.0.0.1:5000/g/minimal")
    assert engine.called("tag")[-1] == (loaded.spec.reference, "127.0.0.1:5000/g/minimal:latest")
    assert pushed.image_id == info.id and pushed.digest.startswith("sha256:")
    assert pushed.by_digest == f"127.0.0.1:5000/g/minimal@{pushed.digest}"


def test_the_index_is_asked_for_the_target_the_probe_found() -> None:
    seen: list[Target] = []

    def index_for(target: Target, spec: Spec) -> FakeIndex:
        seen.append(target)
        return FakeIndex(VERSIONS)

    resolve_lock(spec_of("wheels", ["pyproj"]), probing_engine(), index_for=index_for)
    assert (seen[0].python_full, seen[0].glibc) == ("3.11.2", "2.36")


def test_a_build_leaves_no_untagged_image_behind(project: Path) -> None:
    engine = in_image()
    previous = engine.add_image("gisbox/proj:latest")  # the last build's image
    report = build_image(Project.load(project), engine)
    removed = engine.called("rmi")
    # the image the build made before relabelling, and the one the tag named before
    assert len(removed) == 2 and previous.id in removed and report.image_id not in removed
    assert engine.inspect("gisbox/proj:latest").id == report.image_id
    assert {i.id for i in engine.images.values()} == {
        engine.inspect(BASE).id,
        report.image_id,
    }


def test_an_image_the_user_tagged_is_never_removed(project: Path) -> None:
    engine = in_image()
    previous = engine.add_image("gisbox/proj:latest")
    engine.tag("gisbox/proj:latest", "mine:keep")
    build_image(Project.load(project), engine)
    assert previous.id not in engine.called("rmi")
    assert engine.inspect("mine:keep").id == previous.id


def test_no_sbom_writes_none_and_labels_only_the_fingerprint(project: Path) -> None:
    engine = in_image()
    report = build_image(Project.load(project), engine, BuildOptions(sbom=False))
    ((_image, _tag, labels, _env),) = engine.called("relabel")
    assert list(labels) == ["io.gisbox.fingerprint-digest"]
    assert report.sbom == "" and report.sbom_digest == ""
    assert not (project / ".gisbox/sbom.cdx.json").exists()
    assert report.fingerprint_digest and report.healthy


STATUS = b"Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n\n"


def test_an_app_change_reuses_the_scan_of_the_layers_below_the_app(project: Path) -> None:
    engine = in_image()
    engine.rootfs = _tar({"var/lib/dpkg/status": STATUS, "app/app/main.py": b"print('hello')\n"})
    engine.build_layers = ("sha256:base", "sha256:env", "sha256:app1")
    first = build_image(Project.load(project), engine)
    assert len(engine.called("export")) == 1
    before = json.loads(Path(first.sbom).read_text())
    (project / "app" / "main.py").write_text("print('changed, and longer')\n")
    engine.build_layers = ("sha256:base", "sha256:env", "sha256:app2")
    second = build_image(Project.load(project), engine)
    assert len(engine.called("export")) == 1  # the layers below the app were not read again
    after = json.loads(Path(second.sbom).read_text())
    assert after["components"] == before["components"]
    assert any(c["name"] == "libc6" for c in after["components"])
    subject = (before["metadata"]["component"], after["metadata"]["component"])
    assert subject[0] != subject[1]  # it names the new image's content
    page = Path(second.report).read_text()  # the app's size is the project's file's now
    assert "the app (0.0 MB)" in page
    # a change below the app (another environment layer) is scanned again, in full
    engine.build_layers = ("sha256:base", "sha256:env2", "sha256:app2")
    build_image(Project.load(project), engine)
    assert len(engine.called("export")) == 2


def test_an_app_that_holds_what_the_scan_reads_is_always_scanned(project: Path) -> None:
    site = project / "app" / "vendor" / "site-packages" / "x-1.dist-info"
    site.mkdir(parents=True)
    (site / "METADATA").write_text("Name: x\nVersion: 1\n")
    engine = in_image()
    engine.build_layers = ("sha256:base", "sha256:env", "sha256:app1")
    build_image(Project.load(project), engine)
    build_image(Project.load(project), engine)
    assert len(engine.called("export")) == 2

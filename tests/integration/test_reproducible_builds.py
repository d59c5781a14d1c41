"""Reproducible content, for real: `gisbox base` makes the same root filesystem twice, and
two clean builds (`--no-cache`) from one lock give the same layers, every one of them."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest

from gisbox.engines.base import RunOptions
from gisbox.engines.cli_engine import CliEngine
from gisbox.locking.debootstrap import make_base
from tests.image_fixtures import BASE, ProjectImages, copy_project, gisbox, lock_and_build
from tests.next_engine import gisbox_on_next, raw_inspect

FIELDS = ("mtime", "mode", "uid", "gid", "link", "bytes")
Entry = tuple[int, int, int, int, str, bytes]


def entry(layer: tarfile.TarFile, member: tarfile.TarInfo) -> Entry:
    data = layer.extractfile(member) if member.isreg() else None
    body = data.read() if data is not None else b""
    return (int(member.mtime), member.mode, member.uid, member.gid, member.linkname, body)


def layer_entries(engine: CliEngine, image: str) -> list[dict[str, Entry]]:
    """Each layer of `image` (`docker save`) as {path: (mtime, mode, uid, gid, link, bytes)}."""
    with tempfile.TemporaryDirectory() as tmp:
        saved = subprocess.run(
            [engine.path, "save", image], capture_output=True, check=True, timeout=600
        )
        with tarfile.open(fileobj=io.BytesIO(saved.stdout)) as archive:
            archive.extractall(tmp, filter="data")
        manifest = json.loads((Path(tmp) / "manifest.json").read_text())[0]
        layers = []
        for name in manifest["Layers"]:
            with tarfile.open(Path(tmp) / name) as layer:
                layers.append({m.name.removeprefix("./"): entry(layer, m) for m in layer})
        return layers


def differences(one: list[dict[str, Entry]], two: list[dict[str, Entry]]) -> list[str]:
    """What differs, layer by layer: the entries only one has, and how the others differ."""
    said = []
    for i, (a, b) in enumerate(zip(one, two, strict=True)):
        for path in sorted(a.keys() | b.keys()):
            if path not in a or path not in b:
                said.append(f"layer {i}: {path}: only in one build")
            elif a[path] != b[path]:
                which = [f for f, x, y in zip(FIELDS, a[path], b[path], strict=True) if x != y]
                said.append(f"layer {i}: {path}: {', '.join(which)}")
    return said


def test_gisbox_base_makes_the_same_root_filesystem_from_the_same_packages(
    engine: CliEngine, base_image: str
) -> None:
    """Made again, the base is the session's base: the same layers and the same image id
    (in CI that base was made by `gisbox base` minutes earlier); a base made earlier from
    other packages (the mirror moved on) is instead compared with a second one made now."""
    names = ["gisbox-test/base-again:one", "gisbox-test/base-again:two"]
    try:
        made = make_base(engine, BASE, local=names[0])
        again = engine.inspect(names[0])
        reference = engine.inspect(base_image)
        if again.layers != reference.layers:
            make_base(engine, BASE, local=names[1])
            reference = engine.inspect(names[1])
        assert again.layers == reference.layers  # the same root filesystem, byte for byte
        assert made == again.id == reference.id  # and the same image, whenever it was made
        entries = layer_entries(engine, names[0])[0]
        assert "etc/hosts" in entries and "var/log/dpkg.log" not in entries
        assert "var/cache/ldconfig/aux-cache" not in entries
        newest = max(e[0] for e in entries.values())
        copyrights = [e[0] for p, e in entries.items() if p.endswith("/copyright")]
        assert newest == max(copyrights)  # dated by its newest package
    finally:
        engine.command("rmi", *names, check=False)


def newer_than(engine: CliEngine, image: str, epoch: int) -> list[str]:
    """The image's files dated after `epoch` (the engine's own mounts left out)."""
    res = engine.run(
        image,
        ["find", "/", "-xdev", "-newermt", f"@{epoch}"],
        options=RunOptions(user="0"),
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    # what Docker's init layer adds to every container (its mount points, /.dockerenv,
    # /etc/mtab), redating "/" and /etc: not the image's
    mounts = {"/", "/.dockerenv", "/etc", "/etc/mtab", "/etc/hosts", "/etc/hostname"}
    mounts |= {"/etc/resolv.conf", "/dev", "/proc", "/sys"}
    return [p for p in res.stdout.splitlines() if p not in mounts]


def test_two_clean_builds_from_one_lock_give_identical_layers(
    engine: CliEngine, base_image: str, tmp_path: Path
) -> None:
    """A small stack (rasterio and pyproj: vendored libraries, data, stripped, linked and
    RECORD-rewritten like any) and an app with a nested file, whose parents the build
    makes: the same lock, built clean twice, gives every layer again."""
    project = copy_project("minimal", tmp_path / "project")
    spec = project / "gisbox.toml"
    text = spec.read_text().replace("gisbox-test/minimal", "gisbox-test/reproducible")
    start = text.index("\npackages = [") + 1  # [python] packages, not image.os_packages
    end = text.index("]", start)
    text = text[:start] + 'packages = ["rasterio>=1.4", "pyproj>=3.6"' + text[end:]
    spec.write_text(text.replace('files = ["app/"]', 'files = ["app/", "lib/geo/util.py"]'))
    (project / "lib/geo").mkdir(parents=True)
    (project / "lib/geo/util.py").write_text("ORIGIN = (0.0, 0.0)\n")
    first = lock_and_build(project, "--no-cache")
    kept = "gisbox-test/reproducible:first"
    engine.tag(first["tag"], kept)
    try:
        res = gisbox("build", "--json", "--no-cache", "-C", str(project), timeout=1800)
        assert res.returncode == 0, res.stderr[-3000:]
        second = json.loads(res.stdout)["tag"]
        one, two = engine.inspect(kept).layers, engine.inspect(second).layers
        assert len(one) == len(two) >= 5
        if one != two:
            said = differences(layer_entries(engine, kept), layer_entries(engine, second))
            raise AssertionError("layers differ between two clean builds:\n" + "\n".join(said[:40]))
        epoch = tomllib.loads((project / "gisbox.lock").read_text())["source_date_epoch"]
        assert newer_than(engine, second, epoch) == []  # every file dated at most as the lock
        paths = ["/app", "/app/lib", "/app/lib/geo", "/app/lib/geo/util.py"]
        res = engine.run(second, ["stat", "-c", "%u %n", *paths], options=RunOptions(user="0"))
        owners = res.stdout.splitlines()  # the app's own, as COPY --chown made them
        assert owners == ["0 /app"] + [f"10001 {p}" for p in paths[1:]], res.stderr
    finally:
        engine.command("rmi", kept, "gisbox-test/reproducible:latest", check=False)


@pytest.mark.parametrize("name", ["minimal", "service", "system"])
def test_the_session_images_rebuilt_clean_have_the_same_layers(
    engine: CliEngine, project_images: ProjectImages, name: str, tmp_path: Path
) -> None:
    """The images the other tests use (minimal, service, strategy `system` with its
    compile), built again with `--no-cache` from the same lock: every layer the same.
    The session's image keeps its tag afterwards (the rebuild is removed)."""
    built = project_images.get(name)
    project = shutil.copytree(built.project, tmp_path / name)  # its fingerprint stays
    kept = f"{built.tag}-session"
    engine.tag(built.tag, kept)
    try:
        res = gisbox("build", "--json", "--no-cache", "--no-sbom", "-C", str(project),
                     timeout=3000)  # fmt: skip
        assert res.returncode == 0, res.stderr[-3000:]
        one, two = engine.inspect(kept).layers, engine.inspect(built.tag).layers
        if one != two:
            said = differences(layer_entries(engine, kept), layer_entries(engine, built.tag))
            raise AssertionError(
                f"{name}: layers differ from the session's build:\n" + "\n".join(said[:40])
            )
    finally:
        rebuilt = engine.inspect(built.tag).id
        engine.tag(kept, built.tag)
        engine.command("rmi", kept, check=False)
        engine.remove_untagged(rebuilt)


def test_docker_26_rebuilds_the_very_same_image(service_on_next: dict[str, Any]) -> None:
    """On Docker >= 25 (BuildKit 0.13, which dates the configuration by the lock's
    SOURCE_DATE_EPOCH) a clean rebuild gives the same image id, not only the same layers:
    configuration, history, fingerprint and SBOM labels included."""
    tag = service_on_next["tag"]
    first = raw_inspect(tag)
    gisbox_on_next("build", "--json", "--no-cache", "-C", str(service_on_next["project"]))
    again = raw_inspect(tag)
    assert again["RootFS"]["Layers"] == first["RootFS"]["Layers"]
    assert again["Created"] == first["Created"]
    assert again["Id"] == first["Id"], "same layers, but the configuration differs"

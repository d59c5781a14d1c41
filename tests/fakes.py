"""A fake container engine and a fake package index: the pipeline (`resolve_lock`,
`build_image`, `push`) runs against them without Docker or a network, and they record
what the pipeline asked for."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from gisbox.engines.base import (
    NO_OPTIONS,
    BuildRequest,
    BuildResult,
    Completed,
    ContainerEngine,
    ContainerState,
    HistoryEntry,
    ImageInfo,
    RunOptions,
)
from gisbox.project.lockfile import PythonPackage, SourcePackage, Wheel
from gisbox.runtime.errors import EngineError

RunHandler = Callable[[str, Sequence[str], str | None], Completed]


def _tar(files: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def completed(stdout: str = "", stderr: str = "", returncode: int = 0) -> Completed:
    return subprocess.CompletedProcess([], returncode, stdout, stderr)


@dataclass
class FakeEngine(ContainerEngine):
    """Images are ImageInfo records; `run` answers through `on_run(image, command, user)`."""

    on_run: RunHandler = lambda image, command, user: completed()
    build_lines: list[str] = field(default_factory=lambda: ["#1 DONE"])
    build_returncode: int = 0
    images: dict[str, ImageInfo] = field(default_factory=dict)
    calls: list[tuple[str, object]] = field(default_factory=list)
    name: str = "fake"
    start_interval: bool = False  # what supports_start_interval answers
    rootfs: bytes = field(default_factory=lambda: _tar({}))
    build_layers: tuple[str, ...] = ("sha256:l1",)  # the layers each build's image has

    @property
    def description(self) -> str:
        return "fake engine"

    def supports_start_interval(self) -> bool:
        return self.start_interval

    def add_image(
        self, ref: str, *, layers: tuple[str, ...] = ("sha256:l1",), salt: str = "", **labels: str
    ) -> ImageInfo:
        digest = hashlib.sha256((ref + salt).encode()).hexdigest()
        tags = () if ref.startswith("sha256:") else (ref,)
        info = ImageInfo(id=f"sha256:{digest}", size=1000, layers=layers, labels=labels, tags=tags)
        self.images[ref] = self.images[info.id] = info
        return info

    def build(self, request: BuildRequest, on_line: Callable[[str], None]) -> BuildResult:
        self.calls.append(("build", request))
        for line in self.build_lines:
            on_line(line)
        if self.build_returncode == 0:  # each build a new image
            self.add_image(request.tag, salt=f"#build{len(self.calls)}", layers=self.build_layers)
        return BuildResult(self.build_returncode, list(self.build_lines))

    def run(
        self,
        image: str,
        command: Sequence[str] = (),
        *,
        options: RunOptions = NO_OPTIONS,
        timeout: float = 600,
    ) -> Completed:
        self.calls.append(("run", (image, tuple(command), options.user, options.platform)))
        return self.on_run(image, command, options.user)

    def exists(self, ref: str) -> bool:
        return ref in self.images

    @contextmanager
    def export_filesystem(self, ref: str) -> Iterator[IO[bytes]]:
        """An image's files: `rootfs` (a tar; empty by default)."""
        self.calls.append(("export", ref))
        if ref not in self.images:
            raise EngineError(f"no such image {ref}")
        yield io.BytesIO(self.rootfs)

    def history(self, ref: str) -> list[HistoryEntry]:
        """One step per layer, each of the image's size split evenly."""
        info = self.images[ref]
        size = info.size // max(len(info.layers), 1)
        return [
            HistoryEntry(created_by=f"RUN step {i}", size=size) for i, _ in enumerate(info.layers)
        ]

    def pull(self, ref: str, platform: str | None = None) -> str | None:
        self.calls.append(("pull", ref))
        return "no registry"

    def inspect(self, ref: str) -> ImageInfo:
        return self.images[ref]

    def tag(self, source: str, target: str) -> None:
        self.calls.append(("tag", (source, target)))
        self.images[target] = self.images[source]

    def push(self, ref: str) -> str:
        self.calls.append(("push", ref))
        return "sha256:" + hashlib.sha256(self.images[ref].id.encode()).hexdigest()

    def push_index(self, target: str, images: Sequence[str]) -> str:
        self.calls.append(("push_index", (target, tuple(images))))
        return "sha256:" + hashlib.sha256(" ".join(images).encode()).hexdigest()

    def relabel(
        self,
        image: str,
        tag: str,
        labels: Mapping[str, str],
        env: Mapping[str, str],
        platform: str | None = None,
    ) -> str:
        self.calls.append(("relabel", (image, tag, dict(labels), dict(env))))
        old = self.images[image]
        info = ImageInfo(
            id=old.id + "-relabelled", size=old.size, layers=old.layers,
            labels={**old.labels, **labels},
        )  # fmt: skip
        self.images[tag] = self.images[info.id] = info
        return info.id

    def save(self, ref: str, dest: Path) -> None:
        dest.write_text(json.dumps(ref))

    def load(self, archive: Path) -> None:
        self.calls.append(("load", archive))

    def list_images(self, label: str) -> list[ImageInfo]:
        key = label.split("=", 1)[0]
        found = {i.id: i for i in self.images.values() if key in i.labels}
        return [i for i in found.values() if "=" not in label or label == f"{key}={i.labels[key]}"]

    def remove_image(self, ref: str) -> None:
        self.calls.append(("rmi", ref))
        info = self.images.pop(ref)
        if not any(i.id == info.id for r, i in self.images.items() if r != info.id):
            self.images.pop(info.id, None)

    def remove_container(self, name: str) -> None:
        self.calls.append(("rm", name))

    def remove_untagged(self, image_id: str) -> bool:
        if image_id not in self.images:
            return False
        names = [r for r, i in self.images.items() if i.id == image_id and r != image_id]
        if names:
            return False
        del self.images[image_id]
        self.calls.append(("rmi", image_id))
        return True

    def containers(self, label: str) -> list[ContainerState]:
        self.calls.append(("containers", label))
        return []

    def logs(self, name: str, tail: int = 40) -> str:
        return ""

    def create_network(self, name: str, labels: Mapping[str, str]) -> None:
        self.calls.append(("network", name))

    def remove_network(self, name: str) -> None:
        self.calls.append(("network-rm", name))

    def called(self, verb: str) -> list[object]:
        return [args for v, args in self.calls if v == verb]


def wheel_of(name: str, version: str) -> PythonPackage:
    sha = hashlib.sha256(f"{name}-{version}".encode()).hexdigest()
    url = f"https://files.example/{name}-{version}-py3-none-any.whl"
    return PythonPackage(name=name, version=version, wheels=(Wheel(url=url, sha256=sha),))


@dataclass
class FakeIndex:
    """Resolves `name[...]` requirements to the versions in `versions`; records the calls."""

    versions: dict[str, str]
    build_requires_of: dict[str, list[str]] = field(default_factory=dict)
    compiled: list[list[str]] = field(default_factory=list)

    def compile(self, requirements: list[str]) -> list[PythonPackage]:
        from packaging.requirements import Requirement

        self.compiled.append(list(requirements))
        names = {Requirement(r).name.lower() for r in requirements}
        return [wheel_of(n, self.versions[n]) for n in sorted(names)]

    def uv_pin(self) -> PythonPackage:
        return wheel_of("uv", "0.13.9")

    def sdist(self, name: str, version: str) -> SourcePackage:
        sha = hashlib.sha256(f"sdist-{name}-{version}".encode()).hexdigest()
        url = f"https://files.example/{name}-{version}.tar.gz"
        return SourcePackage(name=name, version=version, sdist=Wheel(url=url, sha256=sha))

    def build_requires(self, src: SourcePackage) -> list[str]:
        return self.build_requires_of.get(src.name, ["setuptools>=61"])

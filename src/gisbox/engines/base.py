"""The container engine's interface: the only code that runs an engine's commands
implements it.

`ContainerEngine` has the verbs gisbox needs (build with BuildKit-style secrets and cache
mounts, run a command in an image as a user, inspect, tag, push, import a root
filesystem, relabel, save). Implementations: Docker with the buildx plugin, Docker < 23
with BuildKit built in (Debian 12's /usr/bin/docker 20.10), and Podman
(`gisbox.engines.docker`, `gisbox.engines.podman`), found by `gisbox.engines.registry`.
Tests use a fake.
"""

from __future__ import annotations

import subprocess
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from gisbox.runtime.errors import EngineError

Completed = subprocess.CompletedProcess[str]


@dataclass(frozen=True, kw_only=True)
class BuildRequest:
    context: Path
    dockerfile: Path
    tag: str
    platform: str
    secrets: tuple[tuple[str, Path], ...] = ()  # (id, file) for RUN --mount=type=secret
    no_cache: bool = False
    build_args: tuple[tuple[str, str], ...] = ()  # --build-arg NAME=VALUE
    source_date_epoch: int | None = None  # the lock's date: what the engine dates with


@dataclass(frozen=True, kw_only=True)
class Mount:
    """A host path bound into the container."""

    source: Path | str
    target: str
    read_only: bool = False


@dataclass(frozen=True, kw_only=True)
class Health:
    """A container's own health check (`--health-*`; it needs /bin/sh in the image)."""

    command: str
    interval: str = "30s"
    timeout: str = "30s"
    start_period: str = "0s"
    retries: int = 3


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How a container runs: what both engines' `run` share, as values."""

    user: str | None = None  # "uid:gid"
    platform: str | None = None  # another platform's image runs under emulation
    name: str | None = None
    hostname: str | None = None
    detach: bool = False  # started in the background and kept (no --rm)
    network: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    mounts: tuple[Mount, ...] = ()
    workdir: str | None = None
    publish: tuple[str, ...] = ()  # "127.0.0.1::8786": a container port on a host port
    read_only: bool = False  # the root filesystem
    tmpfs: tuple[str, ...] = ()  # "/tmp:rw,nosuid,size=512m"
    drop_capabilities: bool = False  # every capability
    no_new_privileges: bool = False
    memory: int | None = None  # bytes, swap included
    health: Health | None = None
    entrypoint: str | None = None


NO_OPTIONS = RunOptions()


@dataclass(frozen=True, kw_only=True)
class ImageInfo:
    """What gisbox reads of an image's configuration, the same for every engine."""

    id: str  # "sha256:…"
    size: int  # bytes, uncompressed
    layers: tuple[str, ...]  # RootFS diff ids
    labels: dict[str, str] = field(default_factory=dict)
    user: str = ""
    env: tuple[str, ...] = ()
    healthcheck: tuple[str, ...] = ()
    architecture: str = ""  # "amd64", "arm64"
    repo_digests: tuple[str, ...] = ()  # "registry/repo@sha256:…", once pushed or pulled
    tags: tuple[str, ...] = ()  # "repo:tag" names; none for a dangling image
    created: str = ""  # RFC 3339

    @classmethod
    def from_inspect(cls, data: Mapping[str, Any]) -> ImageInfo:
        """From `docker image inspect` / `podman image inspect` JSON (one image)."""
        config = data.get("Config") or {}
        image_id = str(data["Id"])
        # Docker keeps the healthcheck in Config, Podman beside it
        health = config.get("Healthcheck") or data.get("Healthcheck") or {}
        return cls(
            id=image_id if image_id.startswith("sha256:") else f"sha256:{image_id}",
            size=int(data.get("Size", 0)),
            layers=tuple((data.get("RootFS") or {}).get("Layers") or ()),
            labels=dict(config.get("Labels") or {}),
            user=str(config.get("User") or ""),
            env=tuple(config.get("Env") or ()),
            healthcheck=tuple(health.get("Test") or ()),
            architecture=str(data.get("Architecture") or ""),
            repo_digests=tuple(data.get("RepoDigests") or ()),
            tags=tuple(data.get("RepoTags") or ()),
            created=str(data.get("Created") or ""),
        )


@dataclass(frozen=True, kw_only=True)
class HistoryEntry:
    """One step of an image's history: what made it and the bytes its layer added."""

    created_by: str
    size: int


@dataclass(frozen=True, kw_only=True)
class ContainerState:
    """One container as `inspect` reports it (Docker's and Podman's keys alike)."""

    name: str
    status: str  # "running", "exited", "created", ...
    health: str | None  # "starting", "healthy", "unhealthy"; None without a HEALTHCHECK
    exit_code: int
    labels: Mapping[str, str]
    ports: Mapping[str, int]  # "8786/tcp" -> the host port it is published on

    @classmethod
    def from_inspect(cls, data: Mapping[str, Any]) -> ContainerState:
        state = data.get("State") or {}
        health = state.get("Health") or state.get("Healthcheck") or {}
        ports: dict[str, int] = {}
        for port, bindings in ((data.get("NetworkSettings") or {}).get("Ports") or {}).items():
            for b in bindings or []:
                if b.get("HostPort"):
                    ports[port] = int(b["HostPort"])
        return cls(
            name=str(data.get("Name", "")).lstrip("/"),
            status=str(state.get("Status", "unknown")),
            health=health.get("Status") or None,
            exit_code=int(state.get("ExitCode") or 0),
            labels=dict((data.get("Config") or {}).get("Labels") or {}),
            ports=ports,
        )


@dataclass(frozen=True, kw_only=True)
class EngineKind:
    """An engine module's entry in the registry (`ENGINE = EngineKind(...)`)."""

    name: str  # what --engine and GISBOX_ENGINE say
    detect: Callable[[], ContainerEngine]  # a working engine, or EngineError saying why not
    order: int  # tried in this order when none is named


@dataclass(frozen=True)
class BuildResult:
    returncode: int
    lines: list[str]


class ContainerEngine(ABC):
    """One container engine. Every method raises EngineError when the engine refuses."""

    name: str  # "docker" | "podman"

    @property
    @abstractmethod
    def description(self) -> str:
        """Which client, which version, how it builds: for reports."""

    @abstractmethod
    def build(self, request: BuildRequest, on_line: Callable[[str], None]) -> BuildResult:
        """Build and tag an image; the log, line by line."""

    @abstractmethod
    def run(
        self, image: str, command: Sequence[str] = (), *, options: RunOptions = NO_OPTIONS,
        timeout: float = 600,
    ) -> Completed:  # fmt: skip
        """Run `command` in a new container of `image` (removed afterwards unless
        `options.detach`)."""

    def run_attached(
        self, image: str, command: Sequence[str] = (), *, options: RunOptions = NO_OPTIONS
    ) -> int:
        """Like `run`, with the container's stdout and stderr going to ours as it writes
        them (progress of a long job); the exit code. This default shows them at the end."""
        res = self.run(image, command, options=options, timeout=24 * 3600)
        sys.stdout.write(res.stdout)
        sys.stdout.flush()
        sys.stderr.write(res.stderr)
        return res.returncode

    def supports_start_interval(self) -> bool:
        """Whether images built here keep `HEALTHCHECK --start-interval` and containers
        run here honour it (probes every second until healthy instead of every interval).
        Docker >= 25 (API 1.44) and Podman >= 5.1 do; Docker 20.10's parser rejects it."""
        return False

    @abstractmethod
    def exists(self, ref: str) -> bool: ...

    @abstractmethod
    def pull(self, ref: str, platform: str | None = None) -> str | None:
        """Pull `ref` (for `platform`); None when it worked, else the engine's last line
        of error."""

    @abstractmethod
    def inspect(self, ref: str) -> ImageInfo: ...

    @abstractmethod
    def tag(self, source: str, target: str) -> None: ...

    @abstractmethod
    def push(self, ref: str) -> str:
        """Push `ref`; the digest of what the registry now holds ("sha256:…")."""

    @abstractmethod
    def push_index(self, target: str, images: Sequence[str]) -> str:
        """Push one manifest list (index) `target` of the already pushed `images` (one per
        platform); its digest."""

    @abstractmethod
    def relabel(
        self,
        image: str,
        tag: str,
        labels: Mapping[str, str],
        env: Mapping[str, str],
        platform: str | None = None,
    ) -> str:
        """Tag `image` as `tag` with extra labels and environment (a configuration
        change: no new layer); the new id."""

    @abstractmethod
    def save(self, ref: str, dest: Path) -> None:
        """`docker save`-format archive of `ref` at `dest`."""

    @abstractmethod
    def load(self, archive: Path) -> None:
        """Load a `docker save`-format archive (its images keep their ids and tags)."""

    @abstractmethod
    def list_images(self, label: str) -> list[ImageInfo]:
        """Every image carrying `label` ("key" or "key=value")."""

    @abstractmethod
    def remove_image(self, ref: str) -> None:
        """Untag `ref`, and remove the image when no other tag names it."""

    @abstractmethod
    def remove_container(self, name: str) -> None: ...

    @abstractmethod
    def remove_untagged(self, image_id: str) -> bool:
        """Remove the image when no tag names it any more (the one a build or relabelling
        replaced), never one a user tagged or a container uses; whether it went."""

    def history(self, ref: str) -> list[HistoryEntry]:
        """The image's build steps, oldest first, with the bytes each added (0 for a step
        that made no layer)."""
        raise EngineError(f"{self.name} cannot list an image's history")

    def export_filesystem(self, ref: str) -> AbstractContextManager[IO[bytes]]:
        """The image's root filesystem as a tar stream (a container is created, never
        started, and removed afterwards)."""
        raise EngineError(f"{self.name} cannot export an image's filesystem")

    @abstractmethod
    def containers(self, label: str) -> list[ContainerState]:
        """Every container (running or not) carrying `label` ("key=value")."""

    @abstractmethod
    def logs(self, name: str, tail: int = 40) -> str: ...

    @abstractmethod
    def create_network(self, name: str, labels: Mapping[str, str]) -> None: ...

    @abstractmethod
    def remove_network(self, name: str) -> None:
        """Remove the network if it exists."""

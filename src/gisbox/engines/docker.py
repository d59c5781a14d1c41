"""Docker: with the buildx plugin, or Docker < 23 with BuildKit built in.

`detect_docker()` picks a client that can build with BuildKit: `docker buildx` when the
plugin exists, otherwise a client with BuildKit built in (e.g. Debian 12's
/usr/bin/docker 20.10) driven with DOCKER_BUILDKIT=1 — the first `docker` on PATH may be
a newer client without buildx, which cannot. `GISBOX_DOCKER` names a client explicitly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from gisbox.engines.base import EngineKind
from gisbox.engines.cli_engine import (
    CliEngine,
    is_loopback_registry,
    last_line,
    run_process,
    version_at_least,
)
from gisbox.runtime.errors import EngineError

INSTALL_HINT = (
    "install Debian's engine and start it: `apt-get install -y docker.io && "
    "(dockerd >/var/log/dockerd.log 2>&1 &)` (or `systemctl start docker`)"
)
KNOWN_CLIENTS = ("/usr/bin/docker", "/usr/local/bin/docker")
_DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64})")


class DockerEngine(CliEngine):
    name = "docker"
    how = ""

    server_version = ""  # the engine's, when detect_docker asked it

    @property
    def description(self) -> str:
        if self.server_version and self.server_version != self.version:
            versions = f"Docker {self.version} client, engine {self.server_version}"
            return f"{self.path} ({versions}, {self.how})"
        return f"{self.path} (Docker {self.version}, {self.how})"

    def build_options(self) -> list[str]:
        return ["--progress=plain"]

    def keeps_start_interval(self) -> bool:
        """The engine's API 1.44 (Docker 25) added the start interval. The client may be
        older (Debian 12's 20.10 drives a newer engine fine): what counts is the server."""
        res = self.command("version", "--format", "{{.Server.APIVersion}}", check=False)
        return res.returncode == 0 and version_at_least(res.stdout, (1, 44))

    def push(self, ref: str) -> str:
        res = self.command("push", ref, timeout=3600, check=False)
        if res.returncode != 0:
            raise EngineError(
                f"pushing {ref} failed: {(res.stderr or res.stdout).strip()[-600:]}",
                hint="check the registry address, `docker login`, or TLS settings",
            )
        m = _DIGEST.search(res.stdout)
        if not m:
            raise EngineError(f"pushed {ref} but Docker reported no digest: {res.stdout[-300:]}")
        return m.group(1)

    def push_index(self, target: str, images: Sequence[str]) -> str:
        """`docker manifest create` + `push` (experimental before Docker 24, so enabled
        for these two calls); --insecure only for a loopback registry."""
        insecure = ["--insecure"] if is_loopback_registry(target) else []
        env = {**self.env(), "DOCKER_CLI_EXPERIMENTAL": "enabled"}
        run_process([self.path, "manifest", "rm", target], env=env)  # a stale local list
        steps = (
            ["manifest", "create", *insecure, target, *images],
            ["manifest", "push", "--purge", *insecure, target],
        )
        res = None
        for argv in steps:
            res = run_process([self.path, *argv], env=env, timeout=600)
            if res.returncode != 0:
                raise EngineError(
                    f"`docker {' '.join(argv[:2])}` for {target} failed: "
                    f"{(res.stderr or res.stdout).strip()[-600:]}",
                    hint="check the registry address, `docker login`, or TLS settings",
                )
        assert res is not None
        m = _DIGEST.search(res.stdout) or re.search(r"(sha256:[0-9a-f]{64})", res.stdout)
        if not m:
            raise EngineError(f"pushed {target} but Docker reported no digest: {res.stdout}")
        return m.group(1)


class DockerBuildx(DockerEngine):
    """A client with the buildx plugin (`docker buildx build --load`)."""

    how = "buildx"

    def build_command(self) -> list[str]:
        return ["buildx", "build", "--load"]


class DockerBuiltinBuildKit(DockerEngine):
    """Docker < 23, whose `docker build` has BuildKit built in (DOCKER_BUILDKIT=1)."""

    how = "BuildKit built in (DOCKER_BUILDKIT=1)"

    def env(self) -> dict[str, str]:
        return {**super().env(), "DOCKER_BUILDKIT": "1"}

    def build_command(self) -> list[str]:
        return ["build"]


@dataclass(frozen=True, kw_only=True)
class Client:
    """A docker client binary and which engine class (if any) can build with it."""

    path: str
    version: str
    kind: type[DockerEngine] | None
    reason: str = ""


def client_candidates(known: Sequence[str] | None = None) -> list[str]:
    """GISBOX_DOCKER if set, else every `docker` on PATH, then the well-known paths."""
    known = KNOWN_CLIENTS if known is None else known
    forced = os.environ.get("GISBOX_DOCKER")
    if forced:
        return [forced]
    found: list[str] = []
    for d in os.environ.get("PATH", "").split(os.pathsep):
        p = os.path.join(d, "docker")
        if os.access(p, os.X_OK) and not os.path.isdir(p):
            found.append(p)
    found += [p for p in known if os.access(p, os.X_OK)]
    unique: dict[str, str] = {}
    for p in found:
        unique.setdefault(os.path.realpath(p), p)
    return list(unique.values())


def probe_client(path: str) -> Client:
    """Find out whether the client at `path` can build with BuildKit."""
    try:
        out = run_process([path, "--version"]).stdout
    except EngineError as exc:
        return Client(path=path, version="?", kind=None, reason=f"cannot run: {exc.message}")
    m = re.search(r"version (\d+)\.(\d+)[^\s,]*", out)
    version = m.group(0).split()[1] if m else "?"
    if run_process([path, "buildx", "version"]).returncode == 0:
        return Client(path=path, version=version, kind=DockerBuildx)
    if m and int(m.group(1)) < 23:
        return Client(path=path, version=version, kind=DockerBuiltinBuildKit)
    return Client(
        path=path,
        version=version,
        kind=None,
        reason="no buildx plugin, and Docker >= 23 needs it for BuildKit builds",
    )


def detect_docker(known: Sequence[str] | None = None, host: str | None = None) -> DockerEngine:
    """A client that builds with BuildKit, connected to a running Docker engine: the
    client's default one, or the one at `host` (a DOCKER_HOST value, e.g. a second engine
    at unix:///run/gisbox-next/docker.sock)."""
    candidates = client_candidates(known)
    if not candidates:
        raise EngineError("no docker client found on PATH", hint=INSTALL_HINT)
    probed = [probe_client(p) for p in candidates]
    usable = [c for c in probed if c.kind is not None]
    if not usable:
        details = "; ".join(f"{c.path} (Docker {c.version}): {c.reason}" for c in probed)
        raise EngineError(
            f"no docker client here can build with BuildKit: {details}",
            hint="install Debian's client with BuildKit built in: `apt-get install -y "
            "docker.io` (/usr/bin/docker), or the docker buildx plugin",
        )
    errors = []
    for client in usable:
        res = run_process(
            [client.path, "version", "--format", "{{.Server.Version}}"],
            env={**os.environ, **({"DOCKER_HOST": host} if host else {})},
        )
        if res.returncode == 0 and res.stdout.strip():
            assert client.kind is not None
            engine = client.kind(path=client.path, version=client.version)
            engine.server_version = res.stdout.strip()
            engine.host = host
            return engine
        errors.append(last_line(res.stderr) if res.stderr.strip() else "?")
    raise EngineError(f"no Docker engine is reachable ({errors[0]})", hint=INSTALL_HINT)


ENGINE = EngineKind(name="docker", detect=detect_docker, order=0)

"""The one place that talks to the container engine (Docker).

`Engine.detect()` picks a client that can build with BuildKit: `docker buildx`
when the plugin exists, otherwise a client with BuildKit built in (Docker
< 23, e.g. Debian 12's /usr/bin/docker 20.10) driven with DOCKER_BUILDKIT=1.
`GISBOX_DOCKER` names a client explicitly.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gisbox.runtime.errors import EngineError

INSTALL_HINT = (
    "install Debian's engine and start it: `apt-get install -y docker.io && "
    "(dockerd >/var/log/dockerd.log 2>&1 &)` (or `systemctl start docker`)"
)
KNOWN_CLIENTS = ("/usr/bin/docker", "/usr/local/bin/docker")


@dataclass(frozen=True, kw_only=True)
class Client:
    """A docker client binary and how (or whether) it can build with BuildKit."""

    path: str
    version: str
    mode: Literal["buildx", "legacy-buildkit"] | None
    reason: str = ""

    @property
    def description(self) -> str:
        how = "buildx" if self.mode == "buildx" else "BuildKit built in (DOCKER_BUILDKIT=1)"
        return f"{self.path} (Docker {self.version}, {how})"


def _run(
    argv: Sequence[str], env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def client_candidates(known: Sequence[str] = KNOWN_CLIENTS) -> list[str]:
    """GISBOX_DOCKER if set, else every `docker` on PATH, then the well-known paths."""
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
        out = _run([path, "--version"]).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Client(path=path, version="?", mode=None, reason=f"cannot run: {exc}")
    m = re.search(r"version (\d+)\.(\d+)[^\s,]*", out)
    version = m.group(0).split()[1] if m else "?"
    if _run([path, "buildx", "version"]).returncode == 0:
        return Client(path=path, version=version, mode="buildx")
    if m and int(m.group(1)) < 23:
        return Client(path=path, version=version, mode="legacy-buildkit")
    return Client(
        path=path,
        version=version,
        mode=None,
        reason="no buildx plugin, and Docker >= 23 needs it for BuildKit builds",
    )


@dataclass(kw_only=True)
class Engine:
    """A usable client connected to a running engine."""

    client: Client
    server_version: str
    log: list[str] = field(default_factory=list)

    @classmethod
    def detect(cls, known: Sequence[str] = KNOWN_CLIENTS) -> Engine:
        candidates = client_candidates(known)
        if not candidates:
            raise EngineError("no docker client found on PATH", hint=INSTALL_HINT)
        probed = [probe_client(p) for p in candidates]
        usable = [c for c in probed if c.mode is not None]
        if not usable:
            details = "; ".join(f"{c.path} (Docker {c.version}): {c.reason}" for c in probed)
            raise EngineError(
                f"no docker client here can build with BuildKit: {details}",
                hint="install Debian's client with BuildKit built in: `apt-get install -y "
                "docker.io` (/usr/bin/docker), or the docker buildx plugin",
            )
        errors = []
        for client in usable:
            res = _run([client.path, "version", "--format", "{{.Server.Version}}"])
            if res.returncode == 0 and res.stdout.strip():
                return cls(client=client, server_version=res.stdout.strip())
            errors.append(res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "?")
        raise EngineError(
            f"no Docker engine is reachable ({errors[0]})",
            hint=INSTALL_HINT,
        )

    # -- plumbing ---------------------------------------------------------
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.client.mode == "legacy-buildkit":
            env["DOCKER_BUILDKIT"] = "1"
        return env

    def run(
        self, *args: str, timeout: float = 600, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        res = _run([self.client.path, *args], env=self.env(), timeout=timeout)
        if check and res.returncode != 0:
            raise EngineError(f"`docker {' '.join(args[:3])} …` failed: {res.stderr.strip()}")
        return res

    def stream(
        self, args: Sequence[str], on_line: Callable[[str], None], stdin: bytes | None = None
    ) -> tuple[int, list[str]]:
        """Run a docker command, calling `on_line` per output line; return (rc, lines)."""
        proc = subprocess.Popen(
            [self.client.path, *args],
            env=self.env(),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        if stdin is not None and proc.stdin:
            proc.stdin.close()
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            lines.append(line)
            on_line(line)
        return proc.wait(), lines

    # -- images -----------------------------------------------------------
    def image_exists(self, ref: str) -> bool:
        return self.run("image", "inspect", ref, check=False).returncode == 0

    def try_pull(self, ref: str) -> tuple[bool, str]:
        res = self.run("pull", "--quiet", ref, check=False, timeout=300)
        return res.returncode == 0, res.stderr.strip()

    def inspect(self, ref: str) -> dict[str, Any]:
        data = json.loads(self.run("image", "inspect", ref).stdout)
        assert isinstance(data, list) and data
        result: dict[str, Any] = data[0]
        return result

    def build_argv(
        self,
        *,
        context: Path,
        dockerfile: Path,
        tag: str,
        platform: str,
        secrets: Iterable[tuple[str, Path]] = (),
        extra: Iterable[str] = (),
    ) -> list[str]:
        argv = ["buildx", "build", "--load"] if self.client.mode == "buildx" else ["build"]
        argv += ["--progress=plain", "--platform", platform, "-f", str(dockerfile), "-t", tag]
        for sid, src in secrets:
            argv += ["--secret", f"id={sid},src={src}"]
        argv += list(extra)
        argv.append(str(context))
        return argv

    def add_labels(
        self, image: str, tag: str, labels: dict[str, str], env: dict[str, str] | None = None
    ) -> str:
        """Tag `image` (a tag: BuildKit resolves no bare ids) as `tag` with extra labels.

        A config-only change: no new layer."""
        lines = (
            [f"FROM {image}"]
            + [f"LABEL {json.dumps(k)}={json.dumps(v)}" for k, v in sorted(labels.items())]
            + [f"ENV {k}={json.dumps(v)}" for k, v in sorted((env or {}).items())]
        )
        argv = ["buildx", "build", "--load"] if self.client.mode == "buildx" else ["build"]
        proc = subprocess.run(
            [self.client.path, *argv, "-q", "-t", tag, "-"],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=300,
            check=False,
        )
        if proc.returncode != 0:
            raise EngineError(f"labelling {tag} failed: {proc.stderr.strip()}")
        return str(self.inspect(tag)["Id"])

    def save(self, ref: str, dest: Path) -> None:
        self.run("save", "-o", str(dest), ref, timeout=1800)

    def container_run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return self.run("run", *args, check=False, timeout=timeout)

    def remove_container(self, name: str) -> None:
        self.run("rm", "-f", "-v", name, check=False)


def find_engine_or_none() -> Engine | None:
    """Like `Engine.detect()` but returns None instead of raising (for tests and `doctor`)."""
    try:
        return Engine.detect()
    except EngineError:
        return None

"""An engine driven through its command-line client (`docker`, `podman`): the process
plumbing and the verbs whose command lines the two clients share."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
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
from gisbox.runtime.errors import EngineError


def run_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 30,
    input: str | None = None,
) -> Completed:
    try:
        return subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            timeout=timeout,
            input=input,
            check=False,
        )
    except FileNotFoundError as exc:
        raise EngineError(f"{argv[0]}: not found ({exc})") from None
    except subprocess.TimeoutExpired:
        raise EngineError(
            f"`{' '.join(argv[:3])} …` did not finish within {timeout:.0f} s",
            hint="check that the engine is responsive (`docker info` / `podman info`)",
        ) from None


# The smallest build that tells whether a builder parses the flag (no layer, no context).
START_INTERVAL_PROBE = 'FROM scratch\nHEALTHCHECK --interval=30s --start-interval=1s CMD ["true"]\n'


def version_at_least(text: str, minimum: tuple[int, ...]) -> bool:
    """ "1.45", "5.1.2", "26.1.5+dfsg1" against (1, 44): False when `text` is no version."""
    found = re.match(r"\s*v?(\d+(?:\.\d+)*)", text)
    if found is None:
        return False
    return tuple(int(n) for n in found.group(1).split(".")) >= minimum


def last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def is_loopback_registry(ref: str) -> bool:
    """127.0.0.1:5000/x, localhost:5000/x: registries engines reach over plain HTTP."""
    host = ref.split("/", 1)[0].rsplit(":", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_flags(o: RunOptions) -> list[str]:
    """The `run` flags Docker's and Podman's clients share, for `o`."""
    flags = ["-d"] if o.detach else ["--rm"]
    pairs: list[tuple[str, object]] = [
        ("--user", o.user), ("--platform", o.platform), ("--name", o.name),
        ("--hostname", o.hostname), ("--network", o.network),
        *(("--label", f"{k}={v}") for k, v in o.labels.items()),
        *(("-e", f"{k}={v}") for k, v in o.env.items()),
        *(("-v", f"{m.source}:{m.target}" + (":ro" if m.read_only else "")) for m in o.mounts),
        ("-w", o.workdir), *(("-p", p) for p in o.publish),
    ]  # fmt: skip
    flags += [f for name, value in pairs if value is not None for f in (name, str(value))]
    flags += ["--read-only"] if o.read_only else []
    flags += [f for t in o.tmpfs for f in ("--tmpfs", t)]
    flags += ["--cap-drop", "ALL"] if o.drop_capabilities else []
    flags += ["--security-opt", "no-new-privileges"] if o.no_new_privileges else []
    if o.memory is not None:
        flags += ["--memory", str(o.memory), "--memory-swap", str(o.memory)]
    if o.health is not None:
        h = o.health
        flags += [
            "--health-cmd", h.command, "--health-interval", h.interval,
            "--health-timeout", h.timeout, "--health-start-period", h.start_period,
            "--health-retries", str(h.retries),
        ]  # fmt: skip
    return flags + (["--entrypoint", o.entrypoint] if o.entrypoint is not None else [])


class CliEngine(ContainerEngine):
    """Shared by Docker and Podman: everything but how to invoke a build and push."""

    def build_command(self) -> list[str]:
        """The client's build verb with the flags this engine always needs."""
        raise NotImplementedError

    def build_options(self) -> list[str]:
        """Flags for building the project (not for relabelling)."""
        return []

    def date_options(self, epoch: int) -> list[str]:
        """Flags that date the build by `epoch` (SOURCE_DATE_EPOCH): BuildKit >= 0.11 dates
        the image's configuration and history by the build argument; older ones ignore it.
        The Dockerfile clamps the files' dates itself, so layers agree on every engine."""
        return ["--build-arg", f"SOURCE_DATE_EPOCH={epoch}"]

    def __init__(self, *, path: str, version: str) -> None:
        self.path = path
        self.version = version
        self._start_interval: bool | None = None
        self.host: str | None = None  # another engine than the client's default

    def keeps_start_interval(self) -> bool:
        """Whether the engine stores a healthcheck's start interval in images and honours
        it when it runs them (Docker 24's BuildKit parsed the flag and dropped it)."""
        return False

    def supports_start_interval(self) -> bool:
        """Probed once: the engine keeps the start interval, and its builder parses it
        (a buildx builder may run an older BuildKit than the engine)."""
        if self._start_interval is None:
            self._start_interval = self.keeps_start_interval() and self._parses_start_interval()
        return self._start_interval

    def _parses_start_interval(self) -> bool:
        tag = f"gisbox-probe/start-interval:{os.getpid()}"
        res = run_process(
            [self.path, *self.build_command(), "-q", "-t", tag, "-"],
            env=self.env(),
            timeout=120,
            input=START_INTERVAL_PROBE,
        )
        if res.returncode == 0:
            self.command("rmi", tag, check=False)
        return res.returncode == 0

    # -- plumbing ---------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """The client's environment: ours, plus `host` (DOCKER_HOST) when one was named."""
        return {**os.environ, **({"DOCKER_HOST": self.host} if self.host else {})}

    def run_options(self) -> list[str]:
        """Flags every `run` needs on this engine."""
        return []

    def command(self, *args: str, timeout: float = 600, check: bool = True) -> Completed:
        """Run the client with `args` (for the verbs here, and for tests)."""
        res = run_process([self.path, *args], env=self.env(), timeout=timeout)
        if check and res.returncode != 0:
            raise EngineError(
                f"`{self.name} {' '.join(args[:3])} …` failed: {res.stderr.strip()[-800:]}"
            )
        return res

    def stream(
        self, args: Sequence[str], on_line: Callable[[str], None], stdin: IO[bytes] | None = None
    ) -> BuildResult:
        """Run the client, calling `on_line` per output line (stdout and stderr)."""
        proc = subprocess.Popen(
            [self.path, *args],
            env=self.env(),
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            lines.append(line)
            on_line(line)
        return BuildResult(proc.wait(), lines)

    # -- verbs --------------------------------------------------------------------------
    def build(self, request: BuildRequest, on_line: Callable[[str], None]) -> BuildResult:
        argv = [*self.build_command(), *self.build_options(), "--platform", request.platform]
        argv += ["-f", str(request.dockerfile), "-t", request.tag]
        for sid, src in request.secrets:
            argv += ["--secret", f"id={sid},src={src}"]
        if request.no_cache:
            argv.append("--no-cache")
        for name, value in request.build_args:
            argv += ["--build-arg", f"{name}={value}"]
        if request.source_date_epoch is not None:
            argv += self.date_options(request.source_date_epoch)
        argv.append(str(request.context))
        return self.stream(argv, on_line)

    def relabel(
        self,
        image: str,
        tag: str,
        labels: Mapping[str, str],
        env: Mapping[str, str],
        platform: str | None = None,
    ) -> str:
        """`FROM image` plus LABEL and ENV lines, read from stdin: no context, no layer.
        (BuildKit resolves no bare image ids: `image` is a tag.)"""
        lines = (
            [f"FROM {image}"]
            + [f"LABEL {json.dumps(k)}={json.dumps(v)}" for k, v in sorted(labels.items())]
            + [f"ENV {k}={json.dumps(v)}" for k, v in sorted(env.items())]
        )
        on = ["--platform", platform] if platform else []
        res = run_process(
            [self.path, *self.build_command(), *on, "-q", "-t", tag, "-"],
            env=self.env(),
            timeout=300,
            input="\n".join(lines) + "\n",
        )
        if res.returncode != 0:
            raise EngineError(f"labelling {tag} failed: {res.stderr.strip()}")
        return self.inspect(tag).id

    def run(
        self, image: str, command: Sequence[str] = (), *, options: RunOptions = NO_OPTIONS,
        timeout: float = 600,
    ) -> Completed:  # fmt: skip
        argv = ["run", *self.run_options(), *run_flags(options)]
        return self.command(*argv, image, *command, timeout=timeout, check=False)

    def run_attached(
        self, image: str, command: Sequence[str] = (), *, options: RunOptions = NO_OPTIONS
    ) -> int:
        argv = [self.path, "run", *self.run_options(), *run_flags(options), image, *command]
        try:  # our stdout and stderr are the client's: lines arrive as they are written
            return subprocess.run(argv, env=self.env(), stdin=subprocess.DEVNULL).returncode
        except FileNotFoundError as exc:
            raise EngineError(f"{self.path}: not found ({exc})") from None

    def exists(self, ref: str) -> bool:
        return self.command("image", "inspect", ref, check=False).returncode == 0

    def pull(self, ref: str, platform: str | None = None) -> str | None:
        on = ["--platform", platform] if platform else []
        res = self.command("pull", "--quiet", *on, ref, timeout=300, check=False)
        return None if res.returncode == 0 else last_line(res.stderr or res.stdout)

    def inspect(self, ref: str) -> ImageInfo:
        data = json.loads(self.command("image", "inspect", ref).stdout)
        if not isinstance(data, list) or not data:
            raise EngineError(f"{self.name} image inspect {ref}: unexpected output")
        return ImageInfo.from_inspect(data[0])

    def tag(self, source: str, target: str) -> None:
        self.command("tag", source, target)

    def save(self, ref: str, dest: Path) -> None:
        self.command("save", "-o", str(dest), ref, timeout=1800)

    def load(self, archive: Path) -> None:
        self.command("load", "-i", str(archive), timeout=1800)

    @contextmanager
    def export_filesystem(self, ref: str) -> Iterator[IO[bytes]]:
        created = self.command("create", ref, "/gisbox-never-started", timeout=120)
        container = created.stdout.strip().splitlines()[-1]
        proc = subprocess.Popen(
            [self.path, "export", container],
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            yield proc.stdout
            while proc.stdout.read(1 << 20):  # the tar's padding: let export finish
                pass
        except BaseException:
            proc.kill()  # the reader gave up; podman export would block on a full pipe
            raise
        finally:
            proc.stdout and proc.stdout.close()
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            code = proc.wait()
            self.remove_container(container)
        if code != 0:
            raise EngineError(f"{self.name} export of {ref} failed: {err.strip()[-800:]}")

    def history(self, ref: str) -> list[HistoryEntry]:
        # newest first from both clients: Docker prints one JSON object per line, Podman 4
        # one JSON list of them (with `size` in lower case)
        res = self.command("history", "--no-trunc", "--human=false", "--format", "{{json .}}", ref)
        steps: list[dict[str, object]] = []
        for line in res.stdout.splitlines():
            if line.strip():
                parsed = json.loads(line)
                steps += parsed if isinstance(parsed, list) else [parsed]
        return [
            HistoryEntry(
                created_by=str(s.get("CreatedBy", "")),
                size=int(str(s.get("Size", s.get("size")) or 0)),
            )
            for s in reversed(steps)
        ]

    def list_images(self, label: str) -> list[ImageInfo]:
        res = self.command("images", "--filter", f"label={label}", "--format", "{{.ID}}")
        ids = list(dict.fromkeys(i for i in res.stdout.split() if i))
        if not ids:
            return []
        found = self.command("image", "inspect", *ids, check=False)
        return [ImageInfo.from_inspect(d) for d in json.loads(found.stdout or "[]")]

    def remove_image(self, ref: str) -> None:
        self.command("rmi", ref)

    def remove_container(self, name: str) -> None:
        self.command("rm", "-f", "-v", name, check=False)

    def remove_untagged(self, image_id: str) -> bool:
        res = self.command("image", "inspect", image_id, check=False)
        if res.returncode != 0:
            return False
        (data,) = json.loads(res.stdout)
        if ImageInfo.from_inspect(data).tags:  # named: a user's tag, or the build's own
            return False
        # no -f: an image a container uses, or with child images, stays
        return self.command("rmi", image_id, check=False).returncode == 0

    def containers(self, label: str) -> list[ContainerState]:
        names = self.command("ps", "-a", "--filter", f"label={label}", "--format", "{{.Names}}")
        found = [n for n in names.stdout.split() if n]
        if not found:
            return []
        res = self.command("container", "inspect", *found, check=False)
        data = json.loads(res.stdout or "[]")  # a container may go between ps and inspect
        return sorted((ContainerState.from_inspect(d) for d in data), key=lambda c: c.name)

    def logs(self, name: str, tail: int = 40) -> str:
        res = self.command("logs", "--tail", str(tail), name, check=False)
        return (res.stdout + res.stderr).strip()

    def create_network(self, name: str, labels: Mapping[str, str]) -> None:
        flags = [f"--label={k}={v}" for k, v in labels.items()]
        self.command("network", "create", *flags, name)

    def remove_network(self, name: str) -> None:
        if self.command("network", "inspect", name, check=False).returncode == 0:
            self.command("network", "rm", name)

"""Podman (Debian 12's 4.3 and newer): daemonless, builds with buildah.

What differs from Docker, and why:
- `podman build --format docker`: the OCI image format has no HEALTHCHECK (buildah
  drops it with a warning); secrets (`--secret id=…,src=…`) and `RUN --mount=type=cache`
  work as with BuildKit; there is no `--progress`.
- `run` passes `--ulimit` at the host's hard limits: Podman asks for more open files than
  a sandbox may grant ("error setting rlimit type 7: operation not permitted"); and runc
  when installed (crun refuses hybrid cgroup layouts such as this machine's).
- `push` to a loopback registry turns TLS verification off, as Docker does for
  127.0.0.0/8; the digest comes from `--digestfile`.
- short names: Podman stores `gisbox/app:latest` as `localhost/gisbox/app:latest` and
  finds it by either name; image ids come without the `sha256:` prefix (normalised).
"""

from __future__ import annotations

import resource
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from gisbox.engines.base import ContainerEngine, EngineKind
from gisbox.engines.cli_engine import (
    CliEngine,
    is_loopback_registry,
    last_line,
    run_process,
    version_at_least,
)
from gisbox.runtime.errors import EngineError

INSTALL_HINT = "install Debian's Podman: `apt-get install -y podman runc`"
# `--ulimit` name -> (resource, the most gisbox asks for). Podman's defaults (1048576 open
# files, the host's process limit) fail in sandboxes that cannot raise them; measured
# here: nproc above ~20000 is refused even below the host's hard limit of 96364.
ULIMITS = {
    "nofile": (resource.RLIMIT_NOFILE, 1048576),
    "nproc": (resource.RLIMIT_NPROC, 4096),
}


def host_ulimits() -> list[str]:
    """`--ulimit name=n:n` at or below the host's hard limits."""
    flags = []
    for name, (which, most) in ULIMITS.items():
        _soft, hard = resource.getrlimit(which)
        n = most if hard == resource.RLIM_INFINITY else min(hard, most)
        flags += ["--ulimit", f"{name}={n}:{n}"]
    return flags


class Podman(CliEngine):
    name = "podman"

    @property
    def description(self) -> str:
        return f"{self.path} (Podman {self.version}, buildah)"

    def run_options(self) -> list[str]:
        runtime = ["--runtime", "runc"] if shutil.which("runc") else []
        return [*runtime, *host_ulimits()]

    def build_command(self) -> list[str]:
        return ["build", "--format", "docker"]

    def keeps_start_interval(self) -> bool:
        """Podman 5.1 keeps `StartInterval` in the image's healthcheck (its buildah parses
        the flag); Debian 12's 4.3 rejects it. Podman runs healthchecks from systemd timers:
        without systemd (as in this sandbox) none run, start interval or not."""
        return version_at_least(self.version, (5, 1))

    def date_options(self, epoch: int) -> list[str]:
        """buildah's --timestamp: every file of every layer, and the image, dated `epoch`."""
        return ["--timestamp", str(epoch)]

    def push(self, ref: str) -> str:
        with tempfile.TemporaryDirectory(prefix="gisbox-push-") as tmp:
            digest_file = Path(tmp) / "digest"
            argv = ["push", "--digestfile", str(digest_file)]
            if is_loopback_registry(ref):
                argv.append("--tls-verify=false")
            res = self.command(*argv, ref, timeout=3600, check=False)
            if res.returncode != 0:
                raise EngineError(
                    f"pushing {ref} failed: {(res.stderr or res.stdout).strip()[-600:]}",
                    hint="check the registry address, `podman login`, or TLS settings",
                )
            digest = digest_file.read_text().strip() if digest_file.is_file() else ""
        if not digest.startswith("sha256:"):
            raise EngineError(f"pushed {ref} but Podman reported no digest")
        return digest

    def push_index(self, target: str, images: Sequence[str]) -> str:
        tls = ["--tls-verify=false"] if is_loopback_registry(target) else []
        self.command("manifest", "rm", target, check=False)
        self.command("manifest", "create", target)
        for image in images:
            self.command("manifest", "add", *tls, target, f"docker://{image}", timeout=600)
        with tempfile.TemporaryDirectory(prefix="gisbox-push-") as tmp:
            digest_file = Path(tmp) / "digest"
            res = self.command(
                "manifest", "push", "--all", *tls, "--digestfile", str(digest_file),
                target, f"docker://{target}", timeout=3600, check=False,
            )  # fmt: skip
            if res.returncode != 0:
                raise EngineError(
                    f"pushing the manifest list {target} failed: "
                    f"{(res.stderr or res.stdout).strip()[-600:]}",
                    hint="check the registry address, `podman login`, or TLS settings",
                )
            digest = digest_file.read_text().strip() if digest_file.is_file() else ""
        if not digest.startswith("sha256:"):
            raise EngineError(f"pushed {target} but Podman reported no digest")
        return digest

    def save(self, ref: str, dest: Path) -> None:
        self.command("save", "--format", "docker-archive", "-o", str(dest), ref, timeout=1800)


def detect_podman() -> ContainerEngine:
    path = shutil.which("podman")
    if path is None:
        raise EngineError("podman is not installed", hint=INSTALL_HINT)
    res = run_process([path, "version", "--format", "{{.Client.Version}}"])
    if res.returncode != 0 or not res.stdout.strip():
        raise EngineError(
            f"podman does not work here: {last_line(res.stderr)}",
            hint="run `podman info` to see why",
        )
    return Podman(path=path, version=res.stdout.strip())


ENGINE = EngineKind(name="podman", detect=detect_podman, order=10)

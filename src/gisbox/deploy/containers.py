"""What a `gisbox cluster`'s containers are: names, commands, and the flags they run with.

Pure functions of the options and the spec, so they are tested without an engine;
`gisbox.deploy.cluster` starts, watches and removes the containers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gisbox.engines.base import Health, RunOptions
from gisbox.project.spec import Spec
from gisbox.runtime.errors import UsageError

LABEL = "gisbox.cluster"
SCHEDULER_PORT, DASHBOARD_PORT, WORKER_HTTP_PORT = 8786, 8787, 8788
MIB = 1024**2
NANNY_HEADROOM = 384 * MIB  # the container's memory above the worker's: nanny, tmpfs
RUNTIME_DIR = "/opt/gisbox"  # where images carry gisbox.runtime (see build_context)
PRELOAD = "gisbox.runtime.cluster.preload"


@dataclass(frozen=True, kw_only=True)
class ClusterOptions:
    name: str = "gisbox"
    workers: int = 2
    threads: int = 1
    memory_limit: int = 2048 * MIB  # per worker, as Dask enforces it
    data: Path = Path(".")
    user: str | None = None  # "uid:gid"; default the image's user


def parse_memory(text: str) -> int:
    """Bytes from '512m', '2g', '1.5G', '2GiB' (binary units)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt])?(?:i?b)?\s*", text.lower())
    if not m:
        raise UsageError(
            f"--memory-limit {text!r}: not a size", hint="write it like 512m, 2g or 1.5g"
        )
    scale = {"k": 1, "m": 2, "g": 3, "t": 4}.get(m.group(2) or "", 0)
    size = int(float(m.group(1)) * 1024**scale)
    if size < 256 * MIB:
        raise UsageError(
            f"--memory-limit {text}: below 256 MiB, a worker cannot even import the stack",
            hint="give each worker at least 512m",
        )
    return size


@dataclass(frozen=True)
class Names:
    cluster: str

    @property
    def network(self) -> str:
        return f"gisbox-{self.cluster}"

    @property
    def scheduler(self) -> str:
        return f"gisbox-{self.cluster}-scheduler"

    def worker(self, i: int) -> str:
        return f"gisbox-{self.cluster}-worker-{i}"

    @property
    def address(self) -> str:
        """The scheduler's address inside the cluster's network."""
        return f"tcp://{self.scheduler}:{SCHEDULER_PORT}"


def names(name: str) -> Names:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,40}", name):
        raise UsageError(
            f"--name {name!r}: not a usable cluster name",
            hint="lower-case letters, digits, '.', '_' and '-'",
        )
    return Names(name)


def user_of(spec: Spec, opts: ClusterOptions) -> str:
    return opts.user or f"{spec.runtime.uid}:{spec.runtime.uid}"


def hardening(spec: Spec, user: str) -> RunOptions:
    """How every container of the cluster runs: as `user`, read-only, no capabilities."""
    uid, _, gid = user.partition(":")
    home = f"/home/{spec.runtime.user}"
    return RunOptions(
        user=user,
        read_only=True,
        tmpfs=(
            "/tmp:rw,nosuid,nodev,size=512m,mode=1777",
            f"{home}:rw,nosuid,nodev,size=64m,uid={uid},gid={gid or uid},mode=0700",
        ),
        env={
            "HOME": home,
            "PYTHONPATH": RUNTIME_DIR,  # gisbox.runtime, for --preload and the probes
            "PROJ_USER_WRITABLE_DIRECTORY": f"{home}/.local/share/proj",
        },
        drop_capabilities=True,
        no_new_privileges=True,
    )


def health_check(port: int, shell: bool) -> Health | None:
    """The container's health check; none without a shell (distroless: no /bin/sh for a
    --health-cmd; the image's own HEALTHCHECK stays)."""
    if not shell:
        return None
    return Health(
        command=f"python -m gisbox.runtime.cluster.health {port}",
        interval="5s", timeout="5s", start_period="90s", retries=3,
    )  # fmt: skip


def scheduler_command() -> list[str]:
    return [
        "dask", "scheduler",
        "--host", "0.0.0.0",
        "--port", str(SCHEDULER_PORT),
        "--dashboard-address", f":{DASHBOARD_PORT}",
        "--preload", PRELOAD,
    ]  # fmt: skip


# Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 for its workers; setting it turns off
# glibc's dynamic mmap threshold, so every block-sized NumPy temporary is mmapped, faulted
# in and unmapped again (measured: most of a worker's CPU in the kernel, the cluster slower
# than one process). Both thresholds at 16 MiB keep such arrays on the heap and still
# return memory to the system in large pieces.
WORKER_MALLOC = (
    "{'MALLOC_TRIM_THRESHOLD_': 16777216, 'MALLOC_MMAP_THRESHOLD_': 16777216, "
    "'OMP_NUM_THREADS': 1, 'MKL_NUM_THREADS': 1, 'OPENBLAS_NUM_THREADS': 1}"
)


def worker_command(n: Names, opts: ClusterOptions, i: int) -> list[str]:
    return [
        "dask", "worker", n.address,
        "--name", f"worker-{i}",
        "--nworkers", "1",
        "--nthreads", str(opts.threads),
        "--memory-limit", str(opts.memory_limit),
        "--dashboard-address", f":{WORKER_HTTP_PORT}",
        "--local-directory", "/tmp",
        "--preload", PRELOAD,
    ]  # fmt: skip


def check_data_dir(data: Path, user: str) -> Path:
    """The data directory, absolute, writable by the containers' user."""
    data = data.resolve()
    if not data.is_dir():
        raise UsageError(f"--data {data}: no such directory")
    uid = int(user.split(":")[0])
    st = data.stat()
    writable = (st.st_uid == uid and st.st_mode & 0o200) or st.st_mode & 0o002
    if not writable:
        raise UsageError(
            f"--data {data}: the containers run as uid {uid}, which cannot write there "
            f"(owner uid {st.st_uid}, mode {st.st_mode & 0o777:o})",
            hint=f"chown {uid} {data} (or chmod o+rwx), or pass --user $(id -u):$(id -g)",
        )
    return data


def dashboard_url(port: int, bokeh: bool) -> str:
    """Dask's dashboard needs bokeh; without it the scheduler still serves its info pages."""
    return f"http://127.0.0.1:{port}/" + ("status" if bokeh else "info/main/workers.html")


def client_command(
    workload_args: tuple[str, ...], n: Names, *, progress: bool = False
) -> list[str]:
    """`gisbox run ARGS --cluster ADDRESS` for the client container; `progress` asks for
    the workload's progress lines (the container has no TTY, so it would not show them)."""
    if "--cluster" in workload_args:
        raise UsageError("gisbox cluster run adds --cluster itself; leave it out")
    asked = ["--progress"] if progress and "--progress" not in workload_args else []
    return ["gisbox", "run", *workload_args, *asked, "--cluster", n.address]

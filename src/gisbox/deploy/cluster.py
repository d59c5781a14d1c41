"""`gisbox cluster up|status|down|run`: a Dask cluster of the project's image, here.

One image for everything: the scheduler (`dask scheduler`), N workers
(`dask worker`, one process and `threads` threads each, under Dask's nanny,
which restarts a worker that outgrows `--memory-limit`) and the client that
`gisbox cluster run` starts for a workload. Every container runs as the
image's non-root user with a read-only root filesystem, tmpfs for /tmp and
HOME (PROJ's user-writable directory inside), no capabilities and no new
privileges, on its own network `gisbox-NAME`; the data directory is mounted
at /data in each, so paths are the same for the client and the workers.

Every scheduler and worker runs `gisbox check` at start
(`gisbox.runtime.cluster.preload`): a worker whose fingerprint differs from
the scheduler's does not join, and `status` names it with the sections that
differ. The state lives in the containers' labels; nothing is written on
the host. A cluster that does not come up whole is removed again.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from gisbox.deploy.containers import (
    DASHBOARD_PORT,
    LABEL,
    MIB,
    NANNY_HEADROOM,
    SCHEDULER_PORT,
    WORKER_HTTP_PORT,
    WORKER_MALLOC,
    ClusterOptions,
    Names,
    check_data_dir,
    client_command,
    dashboard_url,
    hardening,
    health_check,
    names,
    scheduler_command,
    user_of,
    worker_command,
)
from gisbox.engines.base import ContainerEngine, ContainerState, Mount, RunOptions
from gisbox.plugins.registry import runtime_named
from gisbox.project.spec import Spec
from gisbox.runtime.errors import ClusterError, UsageError

UP_TIMEOUT_S = 180


def _http_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
            return bool(resp.read().strip() == b"ok")
    except OSError:
        return False


def _members(
    engine: ContainerEngine, n: Names
) -> tuple[list[ContainerState], ContainerState | None]:
    """The cluster's containers, and its scheduler's among them."""
    found = engine.containers(f"{LABEL}={n.cluster}")
    return found, next((c for c in found if c.name == n.scheduler), None)


def _container(engine: ContainerEngine, label: str, name: str) -> ContainerState | None:
    return next((c for c in engine.containers(label) if c.name == name), None)


def _gone(engine: ContainerEngine, state: ContainerState | None, name: str) -> ClusterError:
    how = "never started" if state is None else f"{state.status} (exit {state.exit_code})"
    return ClusterError(
        f"{name} {how}; its last lines:\n{engine.logs(name)}",
        hint="`gisbox cluster up` removed what it started; fix the cause and run it again",
    )


Step = Callable[[str], None]


def up(
    engine: ContainerEngine,
    spec: Spec,
    image: str,
    opts: ClusterOptions,
    on_step: Step,
    dashboard: bool = False,
) -> dict[str, Any]:
    """Start the cluster and wait until every worker has joined; its addresses."""
    n = names(opts.name)
    label = f"{LABEL}={opts.name}"
    if engine.containers(label):
        raise UsageError(
            f"a cluster named {opts.name!r} exists already",
            hint=f"see `gisbox cluster status --name {opts.name}`, or remove it with "
            f"`gisbox cluster down --name {opts.name}`",
        )
    user = user_of(spec, opts)
    data = check_data_dir(opts.data, user)
    try:
        on_step(f"network {n.network}")
        engine.create_network(n.network, {LABEL: opts.name})
        ports = start_members(engine, spec, image, opts, data, on_step)
        on_step(f"waiting for {opts.workers} worker(s) to pass gisbox check and join")
        state = _wait_workers(engine, image, spec, user, n, label, opts.workers)
    except BaseException:
        down(engine, opts.name)
        raise
    return {
        "name": opts.name,
        "image": image,
        "scheduler": f"tcp://127.0.0.1:{ports[f'{SCHEDULER_PORT}/tcp']}",
        "scheduler_in_network": n.address,
        "dashboard": dashboard_url(ports[f"{DASHBOARD_PORT}/tcp"], dashboard),
        "network": n.network,
        "data": str(data),
        "workers": sorted(state["workers"]),
        "identity": state["identity"],
    }


def member_options(spec: Spec, image: str, opts: ClusterOptions, data: Path) -> RunOptions:
    """What every scheduler and worker container shares: the cluster's network and
    labels (its state lives in them), the data at /data, the hardening."""
    user = user_of(spec, opts)
    return replace(
        hardening(spec, user),
        detach=True,
        network=names(opts.name).network,
        labels={
            LABEL: opts.name, "gisbox.data": str(data), "gisbox.image": image,
            "gisbox.user": user,
        },
        mounts=(Mount(source=data, target="/data"),),
        workdir="/data",
    )  # fmt: skip


def start_members(
    engine: ContainerEngine, spec: Spec, image: str, opts: ClusterOptions, data: Path,
    on_step: Step,
) -> dict[str, int]:  # fmt: skip
    """Start the scheduler, wait until it answers, start the workers; its ports."""
    n = names(opts.name)
    common = member_options(spec, image, opts, data)
    shell = runtime_named(spec.image.runtime).has_shell
    on_step(f"scheduler {n.scheduler} (gisbox check runs first)")
    scheduler = replace(
        common, name=n.scheduler, hostname=n.scheduler,
        labels={**common.labels, "gisbox.role": "scheduler"},
        publish=(f"127.0.0.1::{SCHEDULER_PORT}", f"127.0.0.1::{DASHBOARD_PORT}"),
        health=health_check(DASHBOARD_PORT, shell),
    )  # fmt: skip
    _start(engine, image, scheduler_command(), scheduler)
    ports = _wait_scheduler(engine, f"{LABEL}={opts.name}", n.scheduler)
    mem = opts.memory_limit + NANNY_HEADROOM
    for i in range(1, opts.workers + 1):
        on_step(f"worker {n.worker(i)} (memory limit {opts.memory_limit // MIB} MiB)")
        worker = replace(
            common, name=n.worker(i), hostname=n.worker(i),
            labels={**common.labels, "gisbox.role": "worker"}, memory=mem,
            env={**common.env, "DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON": WORKER_MALLOC},
            health=health_check(WORKER_HTTP_PORT, shell),
        )  # fmt: skip
        _start(engine, image, worker_command(n, opts, i), worker)
    return ports


def _start(engine: ContainerEngine, image: str, command: list[str], options: RunOptions) -> None:
    res = engine.run(image, command, options=options, timeout=120)
    if res.returncode != 0:
        raise ClusterError(f"{options.name} did not start: {res.stderr.strip()[-600:]}")


def _wait_scheduler(engine: ContainerEngine, label: str, name: str) -> dict[str, int]:
    deadline = time.monotonic() + UP_TIMEOUT_S
    while time.monotonic() < deadline:
        state = _container(engine, label, name)
        if state is None or state.status not in ("running", "created"):
            raise _gone(engine, state, name)
        port = state.ports.get(f"{DASHBOARD_PORT}/tcp")
        if port and _http_ok(port):
            return dict(state.ports)
        time.sleep(1)
    raise ClusterError(
        f"{name} did not answer on /health within {UP_TIMEOUT_S} s:\n" + engine.logs(name)
    )


def query(engine: ContainerEngine, image: str, spec: Spec, user: str, n: Names) -> dict[str, Any]:
    """The scheduler's own account (gisbox_status), asked from a container on its network."""
    res = engine.run(
        image,
        ["python", "-m", "gisbox.runtime.cluster.status", n.address],
        options=replace(hardening(spec, user), network=n.network),
        timeout=60,
    )
    try:
        answer: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        raise ClusterError(f"asking {n.scheduler} failed: {res.stderr.strip()[-600:]}") from None
    return answer


def _wait_workers(
    engine: ContainerEngine, image: str, spec: Spec, user: str, n: Names, label: str, want: int
) -> dict[str, Any]:
    deadline = time.monotonic() + UP_TIMEOUT_S
    while True:
        state = query(engine, image, spec, user, n)
        if state.get("refused"):
            r = state["refused"][0]
            raise ClusterError(
                f"{r['name']} was refused: its fingerprint differs in {', '.join(r['sections'])}"
            )
        if len(state.get("workers", {})) >= want:
            return state
        for i in range(1, want + 1):
            c = _container(engine, label, n.worker(i))
            if c is None or c.status not in ("running", "created"):
                raise _gone(engine, c, n.worker(i))
        if time.monotonic() > deadline:
            raise ClusterError(
                f"{len(state.get('workers', {}))} of {want} workers joined within {UP_TIMEOUT_S} s",
                hint=f"see `{engine.name} logs` of the workers",
            )
        time.sleep(2)


def status(
    engine: ContainerEngine, spec: Spec, name: str, dashboard: bool = False
) -> dict[str, Any]:
    """Containers, the scheduler's view and whether the cluster is whole."""
    n = names(name)
    found, sched = _members(engine, n)
    if not found:
        raise UsageError(f"no cluster named {name!r}", hint="start one with `gisbox cluster up`")
    image = (sched or found[0]).labels.get("gisbox.image", spec.reference)
    user = (sched or found[0]).labels.get("gisbox.user") or user_of(spec, ClusterOptions())
    view: dict[str, Any] = {}
    if sched is not None and sched.status == "running":
        view = query(engine, image, spec, user, n)
    containers = {
        c.name: {"status": c.status, "health": c.health, "exit_code": c.exit_code,
                 "role": c.labels.get("gisbox.role", "?")}
        for c in found
    }  # fmt: skip
    joined = set(view.get("workers", {}))
    expected = {
        c.name.removeprefix(f"gisbox-{name}-")
        for c in found
        if c.labels.get("gisbox.role") == "worker"
    }
    problems = [f"{w}: refused, fingerprint differs in {', '.join(r['sections'])}"
                for r in view.get("refused", []) for w in [r["name"]]]  # fmt: skip
    problems += [f"{w}: not joined" for w in sorted(expected - joined)]
    problems += [f"{c}: {s['status']}" for c, s in containers.items() if s["status"] != "running"]
    sched_ports = sched.ports if sched else {}
    return {
        "name": name,
        "image": image,
        "data": (sched or found[0]).labels.get("gisbox.data"),
        "scheduler": f"tcp://127.0.0.1:{sched_ports[f'{SCHEDULER_PORT}/tcp']}"
        if f"{SCHEDULER_PORT}/tcp" in sched_ports
        else None,
        "scheduler_in_network": n.address,
        "dashboard": dashboard_url(sched_ports[f"{DASHBOARD_PORT}/tcp"], dashboard)
        if f"{DASHBOARD_PORT}/tcp" in sched_ports
        else None,
        "containers": containers,
        "identity": view.get("identity"),
        "workers": view.get("workers", {}),
        "refused": view.get("refused", []),
        "problems": problems,
        "whole": not problems and bool(view),
    }


def down(engine: ContainerEngine, name: str) -> list[str]:
    """Remove every container of the cluster and its network; their names."""
    n = names(name)
    removed = [c.name for c in engine.containers(f"{LABEL}={name}")]
    for c in removed:
        engine.remove_container(c)
    engine.remove_network(n.network)
    return removed


def run_client(
    engine: ContainerEngine,
    spec: Spec,
    name: str,
    workload_args: tuple[str, ...],
    *,
    progress: bool = False,
) -> int:
    """Run `gisbox run ARGS --cluster` in a client container on the cluster's network,
    its output passed through as it comes (with `progress`, the workload's progress
    lines too); the workload's exit code."""
    n = names(name)
    _found, sched = _members(engine, n)
    if sched is None or sched.status != "running":
        raise UsageError(f"no running cluster named {name!r}", hint="`gisbox cluster up` first")
    image = sched.labels.get("gisbox.image", spec.reference)
    data = sched.labels.get("gisbox.data", os.getcwd())
    user = sched.labels.get("gisbox.user") or user_of(spec, ClusterOptions())
    options = replace(
        hardening(spec, user),
        network=n.network,
        labels={LABEL: name, "gisbox.role": "client"},
        mounts=(Mount(source=data, target="/data"),),
        workdir="/data",
    )
    return engine.run_attached(
        image, client_command(workload_args, n, progress=progress), options=options
    )

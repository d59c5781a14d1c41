"""The Dask preload of `gisbox cluster`: `gisbox check` at start, one fingerprint for all.

Scheduler: runs the check, keeps its fingerprint's identity, answers
`gisbox_identity` and `gisbox_status`, and with the `FingerprintGate` plugin
pauses, then removes, any worker that registers with another identity.
Worker: runs the check (errors: refuse to start), asks the scheduler for its
identity and refuses to start when its own differs, naming the sections; it
sends its identity with its registration (`startup_information`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from typing import Any

from distributed.core import Status
from distributed.diagnostics.plugin import SchedulerPlugin

from gisbox.runtime.cluster import differing, digest, identity

log = logging.getLogger("distributed.gisbox")  # Dask configures "distributed" logging
CHECK_TIMEOUT_S = 300


class RefusedWorker(RuntimeError):
    """This process must not join (or start) the cluster."""


def run_check() -> tuple[dict[str, Any], list[str]]:
    """(fingerprint, error messages) of `gisbox check` in a fresh interpreter."""
    res = subprocess.run(
        [sys.executable, "-m", "gisbox.runtime.main", "check", "--json", "-", "--quiet"],
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT_S,
        check=False,
    )
    try:
        fp = json.loads(res.stdout)
    except json.JSONDecodeError:
        raise RefusedWorker(f"gisbox check did not run: {res.stderr.strip()[-500:]}") from None
    errors = [
        f"{f['id']}: {f['message']}" for f in fp.get("findings", []) if f["severity"] == "error"
    ]
    return fp, errors


class FingerprintGate(SchedulerPlugin):
    """A scheduler plugin: workers with another identity are paused, removed and recorded."""

    name = "gisbox-fingerprint-gate"

    def __init__(self, ident: dict[str, str], errors: list[str]) -> None:
        self.identity = ident
        self.errors = errors
        self.refused: list[dict[str, Any]] = []

    def add_worker(self, scheduler: Any, worker: str) -> None:
        ws = scheduler.workers.get(worker)
        if ws is None:
            return
        sections = differing(self.identity, (ws.extra or {}).get("gisbox_identity"))
        if self.errors:  # the scheduler's own environment failed its check: nobody joins
            sections = [
                "(the scheduler's gisbox check found errors: " + "; ".join(self.errors) + ")"
            ]
        if not sections:
            return
        ws.status = Status.paused  # no task reaches it before it is removed
        scheduler.running.discard(ws)
        self.refused.append(
            {"name": str(ws.name), "address": worker, "sections": sections, "time": time.time()}
        )
        log.warning(
            "gisbox: refusing worker %s (%s): its fingerprint differs in %s",
            ws.name,
            worker,
            ", ".join(sections),
        )

        async def remove() -> None:
            await scheduler.remove_worker(worker, stimulus_id="gisbox-fingerprint", close=True)

        scheduler.loop.add_callback(remove)


def setup_scheduler(scheduler: Any) -> None:
    # Dask only logs a preload that raises and starts the scheduler anyway, so errors are
    # not raised here: the gate refuses every worker and `status` shows them.
    fp, errors = run_check()
    if errors:
        log.error("gisbox: the scheduler's gisbox check found errors: %s", "; ".join(errors))
    ident = identity(fp)
    gate = FingerprintGate(ident, errors)
    scheduler.add_plugin(gate, name=gate.name)

    def gisbox_identity() -> dict[str, str]:
        return ident

    def gisbox_status() -> dict[str, Any]:
        workers = {
            str(ws.name): {
                "address": addr,
                "identity": digest((ws.extra or {}).get("gisbox_identity") or {}),
                "status": ws.status.name,
                "memory_limit": ws.memory_limit,
                "nthreads": ws.nthreads,
            }
            for addr, ws in scheduler.workers.items()
        }
        return {
            "identity": digest(ident),
            "check_errors": errors,
            "python": fp.get("python", {}),
            "workers": workers,
            "refused": gate.refused,
        }

    scheduler.handlers["gisbox_identity"] = gisbox_identity
    scheduler.handlers["gisbox_status"] = gisbox_status
    log.info("gisbox: scheduler fingerprint %s (%d check errors)", digest(ident), len(errors))


async def setup_worker(worker: Any) -> None:
    """Refuse to start on check errors or another identity; Dask logs a preload failure
    and still registers, so the identity goes with the registration either way and the
    scheduler's gate removes the worker, recording the sections that differ."""
    fp, errors = await asyncio.to_thread(run_check)
    ident = identity(fp)
    if errors:
        ident = {**ident, "runtime": "check-errors"}  # never equal to a healthy scheduler's
    worker.startup_information["gisbox_identity"] = lambda _w: ident
    if errors:
        raise RefusedWorker(
            "gisbox check found errors in this worker, which will not join: " + "; ".join(errors)
        )
    theirs = await worker.scheduler.gisbox_identity()
    sections = differing(theirs, ident)
    if sections:
        raise RefusedWorker(
            f"this worker's fingerprint differs from the scheduler's in {', '.join(sections)}; "
            "it will not join (start every process of a cluster from one image and one "
            "environment)"
        )
    log.info("gisbox: worker fingerprint %s matches the scheduler's", digest(ident))


async def dask_setup(server: Any) -> None:
    """Dask's preload hook, for both the scheduler and the workers."""
    kind = type(server).__name__
    if kind == "Scheduler":
        setup_scheduler(server)
    elif kind == "Worker":
        await setup_worker(server)

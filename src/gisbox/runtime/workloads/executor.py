"""Where a workload's tasks run: in this process, or on a Dask cluster.

A workload splits its work into the same tasks either way (permutation
batches with their own seeds, tile partitions, raster blocks) and calls
`executor.map(fn, items)`. `LocalExecutor` runs them in order here;
`DaskExecutor` submits them to a `distributed` scheduler and gathers the
results in submission order. Because the tasks and their seeds do not
depend on where they run, results are identical, not merely close.

Dask stays optional: it is imported only when `--cluster` is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from gisbox.runtime.where import fix, image_packages
from gisbox.runtime.workloads import WorkloadInputError
from gisbox.runtime.workloads.inputs import Progress, missing, no_progress

T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT_S = 20


class WorkloadFailed(Exception):
    """The cluster could not finish the job (exit code 1); nothing was written."""


class Executor(Protocol):
    workers: int

    def map(
        self,
        fn: Callable[..., R],
        items: Sequence[Any],
        *,
        shared: dict[str, Any] | None = None,
        progress: Progress = no_progress,
    ) -> list[R]:
        """`[fn(item, **shared) for item in items]`, in order."""
        ...

    def stream(self, fn: Callable[..., R], items: Sequence[Any], *, window: int = 0) -> Iterator[R]:
        """`fn(item)` for each item, yielded in order, at most `window` in flight."""
        ...


class LocalExecutor:
    """Every task in this process, one after another."""

    workers = 1

    def map(
        self,
        fn: Callable[..., R],
        items: Sequence[Any],
        *,
        shared: dict[str, Any] | None = None,
        progress: Progress = no_progress,
    ) -> list[R]:
        out = []
        for i, item in enumerate(items):
            out.append(fn(item, **(shared or {})))
            progress(i + 1, len(items))
        return out

    def stream(self, fn: Callable[..., R], items: Sequence[Any], *, window: int = 0) -> Iterator[R]:
        return (fn(item) for item in items)


def explain_failure(exc: BaseException, address: str) -> WorkloadFailed:
    name = type(exc).__name__
    if name == "KilledWorker":
        return WorkloadFailed(
            f"a task was lost with its worker too many times ({exc}); the workers on "
            f"{address} keep dying on it, most often because a task needs more memory than "
            "a worker's limit. fix: lower --block (or the task size), or start the cluster "
            "with a larger --memory-limit"
        )
    return WorkloadFailed(f"the cluster at {address} failed the job: {name}: {exc}")


class DaskExecutor:
    """Tasks on the workers of a `distributed` scheduler; results in submission order."""

    def __init__(self, client: Any, address: str) -> None:
        self.client = client
        self.address = address
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))

    def map(
        self,
        fn: Callable[..., R],
        items: Sequence[Any],
        *,
        shared: dict[str, Any] | None = None,
        progress: Progress = no_progress,
    ) -> list[R]:
        from distributed import as_completed

        extra = {k: self.client.scatter(v, broadcast=True) for k, v in (shared or {}).items()}
        futures = [self.client.submit(fn, item, **extra, pure=False) for item in items]
        with self.failures(futures):
            for done, _ in enumerate(as_completed(futures), start=1):
                progress(done, len(futures))
            return [f.result() for f in futures]

    def worker_peaks(self) -> dict[str, float]:
        """Each worker's peak resident memory (MB) so far, keyed by its name."""
        info = self.client.scheduler_info().get("workers", {})
        names = {addr: str(w.get("name", addr)) for addr, w in info.items()}
        peaks = self.client.run(_peak_rss_mb)
        return {names.get(a, a): round(mb, 1) for a, mb in sorted(peaks.items())}

    def stream(self, fn: Callable[..., R], items: Sequence[Any], *, window: int = 0) -> Iterator[R]:
        window = window or 2 * self.workers
        pending: list[Any] = []
        with self.failures(pending):
            for item in items:
                pending.append(self.client.submit(fn, item, pure=False))
                if len(pending) >= window:
                    yield pending.pop(0).result()
            while pending:
                yield pending.pop(0).result()

    @contextmanager
    def failures(self, futures: list[Any]) -> Iterator[None]:
        """A cluster's failure as WorkloadFailed (bad input stays itself); `futures`
        cancelled however the block ends."""
        try:
            yield
        except WorkloadInputError:
            raise
        except Exception as exc:
            raise explain_failure(exc, self.address) from exc
        finally:
            self.client.cancel(futures)


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def connect(address: str | None) -> Any:
    """A `distributed.Client` for `address` (tcp://host:port), else None (run here)."""
    if address is None:
        return None
    if missing("distributed"):
        raise WorkloadInputError(
            f"--cluster {address}: this environment has no `distributed`",
            fix(
                host="pip install 'gisbox[cluster]' (the client's Dask must match the cluster's)",
                image=image_packages("distributed"),
            ),
        )
    from distributed import Client

    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S)  # the default: as_completed needs one
    except (OSError, TimeoutError) as exc:
        raise WorkloadInputError(
            f"--cluster {address}: no Dask scheduler answers there ({exc})",
            "start one with `gisbox cluster up`, and see `gisbox cluster status` for its address",
        ) from None


def executor_for(client: Any, address: str | None) -> Executor:
    return LocalExecutor() if client is None else DaskExecutor(client, address or "")

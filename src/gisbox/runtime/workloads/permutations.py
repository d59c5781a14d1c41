"""Permutation inference for Moran's I and Gi*, as independent seeded tasks.

The permutations are cut into fixed tasks whose random streams come from
NumPy's `default_rng([seed, task])`: Moran's I in batches of `BATCH`
permutations, Gi* in chunks of `CHUNK` features (conditional randomisation:
each feature keeps its value, its neighbours are drawn from the others). The
tasks do not depend on how many workers run them, so one process and a
cluster give the same p-values, bit for bit.

The pseudo p-values follow esda's definitions (folded one-sided,
`(min(larger, P - larger) + 1) / (P + 1)`); esda computes the statistics
themselves and their analytical inference.
"""

from __future__ import annotations

from typing import Any

from gisbox.runtime.workloads.executor import Executor

BATCH = 100  # Moran's I permutations per task
CHUNK = 256  # Gi* features per task


def _folded(larger: Any, permutations: int) -> Any:
    import numpy as np

    larger = np.minimum(larger, permutations - larger)
    return (larger + 1.0) / (permutations + 1.0)


def moran_batch(task: tuple[int, int], *, z: Any, w: Any, s0: float, seed: int) -> Any:
    """Moran's I of `count` random permutations of `z` (row-standardised sparse `w`)."""
    import numpy as np

    index, count = task
    rng = np.random.default_rng([seed, index])
    n = len(z)
    zp = z[np.argsort(rng.random((count, n)), axis=1)]
    lag = np.asarray((w @ zp.T).T)
    return (n / s0) * (zp * lag).sum(axis=1) / float(z @ z)


def moran_inference(
    z: Any, w: Any, observed: float, permutations: int, seed: int, executor: Executor
) -> dict[str, float]:
    """p_sim, z_sim and the mean of the reference distribution."""
    import numpy as np

    tasks = [
        (b, min(BATCH, permutations - start))
        for b, start in enumerate(range(0, permutations, BATCH))
    ]
    shared = {
        "z": np.asarray(z, dtype=float),
        "w": w.sparse.tocsr(),
        "s0": float(w.s0),
        "seed": seed,
    }
    sims = np.concatenate(executor.map(moran_batch, tasks, shared=shared))
    larger = int((sims >= observed).sum())
    return {
        "p_sim": float(_folded(larger, permutations)),
        "z_sim": float((observed - sims.mean()) / sims.std()),
        "EI_sim": float(sims.mean()),
    }


def gistar_chunk(
    task: tuple[int, int, int],
    *,
    y: Any,
    indptr: Any,
    indices: Any,
    permutations: int,
    seed: int,
) -> Any:
    """Gi* pseudo p-values of features start..stop-1 by conditional randomisation."""
    import numpy as np

    index, start, stop = task
    rng = np.random.default_rng([seed, index])
    n = len(y)
    kmax = int(np.diff(indptr[start : stop + 1]).max(initial=0))
    kmax = min(kmax, n - 1)
    draws = np.stack([rng.choice(n - 1, kmax, replace=False) for _ in range(permutations)])
    out = np.ones(stop - start)
    for i in range(start, stop):
        nb = indices[indptr[i] : indptr[i + 1]]
        k = len(nb)
        if k == 0:  # an island: no evidence either way
            continue
        other = draws[:, :k]
        other = other + (other >= i)  # the others: every index but i
        sims = y[other].sum(axis=1)
        larger = int((sims >= y[nb].sum()).sum())
        out[i - start] = _folded(larger, permutations)
    return out


def gistar_inference(y: Any, w: Any, permutations: int, seed: int, executor: Executor) -> Any:
    """Per-feature pseudo p-values for Gi* (binary weights, the feature itself included)."""
    import numpy as np

    w.transform = "B"
    csr = w.sparse.tocsr().copy()
    csr.setdiag(0)
    csr.eliminate_zeros()
    csr.sort_indices()
    n = len(y)
    tasks = [(c, s, min(s + CHUNK, n)) for c, s in enumerate(range(0, n, CHUNK))]
    shared = {
        "y": np.asarray(y, dtype=float),
        "indptr": csr.indptr,
        "indices": csr.indices,
        "permutations": permutations,
        "seed": seed,
    }
    return np.concatenate(executor.map(gistar_chunk, tasks, shared=shared))

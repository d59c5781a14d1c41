"""In-image support for `gisbox cluster`: one fingerprint across scheduler and workers.

`preload` is loaded by `dask scheduler` and `dask worker` (`--preload
gisbox.runtime.cluster.preload`): each runs `gisbox check` at start; a worker
whose check finds errors, or whose fingerprint differs from the scheduler's,
refuses to join, and the scheduler removes any worker that joins without the
same fingerprint (a worker from another image, say) and records why.
`status` prints the cluster's state as JSON for `gisbox cluster status`;
`health` is the containers' HEALTHCHECK on Dask's own `/health` endpoints.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

# What must be equal in every process of one cluster: the stack, its libraries and data,
# the variables that steer them, the probes' numbers and the container's writable places.
IDENTITY = (
    "python",
    "bindings",
    "tools",
    "libraries",
    "data",
    "env",
    "paths",
    "probes",
    "import_errors",
    "runtime",
)


def identity(fingerprint: dict[str, Any]) -> dict[str, str]:
    """One digest per identity section of a fingerprint."""
    return {
        section: hashlib.sha256(
            json.dumps(fingerprint.get(section), sort_keys=True).encode()
        ).hexdigest()[:16]
        for section in IDENTITY
    }


def digest(ident: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]


def differing(ours: dict[str, str], theirs: Any) -> list[str]:
    """The sections where `theirs` differs from `ours` (all of them when it is missing)."""
    if not isinstance(theirs, dict):
        return ["(no gisbox fingerprint: not started from this image's preload)"]
    return [s for s in IDENTITY if ours.get(s) != theirs.get(s)]

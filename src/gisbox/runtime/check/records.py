"""Python distributions' RECORD files against what is installed.

pip uninstalls, SBOM tools and integrity checks trust RECORD (each file's path, sha256
and size). An image builder that prunes (tests, stubs) or strips shared objects must
rewrite it (gisbox does: `gisbox.builder.rewrite_records`). A row whose file is gone or
whose size differs is a RECORD that lies. Sizes, not hashes: reading every file of an
environment takes seconds (7 s for 1.2 GB here), and stripping or pruning changes sizes.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from typing import Any

from gisbox.runtime.check.findings import Findings

SHOWN = 5  # rows named in the finding


def untrue_rows(search: list[str] | None = None) -> list[str]:
    """`dist: path (why)` for every RECORD row the installed files contradict (of the
    distributions on `search`, default sys.path)."""
    untrue = []
    dists = importlib.metadata.distributions(path=search or sys.path)
    for dist in dists:
        for f in dist.files or []:
            if f.hash is None or f.size is None:  # RECORD itself, bytecode: no promise
                continue
            try:
                size = os.stat(f.locate()).st_size
            except OSError:
                untrue.append(f"{dist.name}: {f} is gone")
                continue
            if size != f.size:
                untrue.append(f"{dist.name}: {f} is {size} bytes, RECORD says {f.size}")
    return untrue


def run_records(findings: Findings) -> dict[str, Any]:
    untrue = untrue_rows()
    if untrue:
        findings.warning(
            "python.record",
            f"{len(untrue)} RECORD row(s) do not match the installed files: "
            + "; ".join(untrue[:SHOWN]),
            "reinstall those distributions; an image builder that prunes or strips files "
            "must rewrite RECORD (gisbox does)",
        )
    return {}

"""Python distributions' RECORD files against what is installed.

pip uninstalls, SBOM tools and integrity checks trust RECORD (each file's path, sha256
and size). An image builder that prunes (tests, stubs) or strips shared objects must
rewrite it (gisbox does: `gisbox.builder.rewrite_records`). A row whose file is gone or
whose size differs is a RECORD that lies. Sizes, not hashes: reading every file of an
environment takes seconds (7 s for 1.2 GB here), and stripping or pruning changes sizes.
"""

from __future__ import annotations

import csv
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
    for dist in importlib.metadata.distributions(path=search or sys.path):
        # RECORD itself, not `dist.files`: importlib_metadata (the backport, which many
        # environments hold and which then answers for the standard library's too) leaves
        # out rows whose file is gone, the very rows this looks for
        for row in csv.reader((dist.read_text("RECORD") or "").splitlines()):
            if len(row) != 3 or not row[1] or not row[2].isdigit():
                continue  # RECORD itself, bytecode: no promise
            name, want = row[0], int(row[2])
            try:
                size = os.stat(str(dist.locate_file(name))).st_size
            except OSError:
                untrue.append(f"{dist.name}: {name} is gone")
                continue
            if size != want:
                untrue.append(f"{dist.name}: {name} is {size} bytes, RECORD says {want}")
    return list(dict.fromkeys(untrue))  # one distribution may be found by two finders


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

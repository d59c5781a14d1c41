"""Reproducible spatial workloads and evaluation metrics.

Runs in images and on hosts with nothing but the standard library and the
geospatial stack (like `gisbox.runtime`): Moran's I and Getis-Ord Gi*
(`autocorr`), windowed raster processing to a COG (`chunked`), tile
extraction for deep learning (`tiles`), metrics (`metrics`), the small
deterministic versions that `gisbox check --workloads` fingerprints
(`selftest`), and the `gisbox run` command line (`cli`).
"""

from __future__ import annotations


class WorkloadInputError(ValueError):
    """Bad input to a workload: names the file or option and says how to fix it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  fix: {self.hint}"

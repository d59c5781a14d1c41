"""Reproducible spatial workloads and evaluation metrics.

Runs in images and on hosts with nothing but the standard library and the
geospatial stack (like `gisbox.runtime`): Moran's I and Getis-Ord Gi*
(`autocorr`, with `permutations`), windowed raster processing to a COG
(`chunked`), tile extraction for deep learning (`tiles`), per-feature
attributes in one CRS (`features`), metrics (`metrics`), where tasks run
(`executor`: this process or a Dask cluster), the small
deterministic versions that `gisbox check --workloads` fingerprints
(`selftest`), and the `gisbox run` command line (`cli`).
"""

from __future__ import annotations

from gisbox.runtime.errors import UsageError


class WorkloadInputError(UsageError):
    """Bad input to a workload (exit code 2): names the file or option and the fix."""

"""What must hold inside the `analysis` image, checked as its user."""

import importlib
import subprocess

for module in ("scipy", "sklearn", "libpysal", "esda", "dask.array", "dask.dataframe", "pyarrow"):
    try:
        importlib.import_module(module)
    except Exception as exc:  # any failure to import is the finding
        raise AssertionError(f"import {module}: {exc}") from exc
for workload in ("moran", "gistar", "chunked", "tiles"):
    res = subprocess.run(["gisbox", "run", workload, "--help"], capture_output=True, text=True)
    assert res.returncode == 0, f"gisbox run {workload} --help"

print("ok")

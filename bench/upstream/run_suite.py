"""Inside an image (standard library only, run as root in a throwaway container): put one
package's upstream tests from its sdist where they run against the installed package, then
run pytest (from /pt) with a JUnit report in /out.

    python run_suite.py PACKAGE SDIST_DIR OUT_XML

Tests inside the package (`shapely/tests`, `geopandas/io/tests`, ...) are copied into the
installed package and run with `--pyargs`; a top-level `tests`/`test` directory
(rasterio, pyproj) is copied on its own, so that `import PACKAGE` finds the installed,
compiled one and never the sdist's sources.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    package, sdist, out = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin, f"{package} is not installed"
    installed = Path(spec.origin).parent
    source = next(
        (d for d in (sdist / package, sdist / "src" / package) if d.is_dir()), sdist / package
    )  # the flat layout, or src/ (shapely 2.2)
    inside = sorted(p for p in source.rglob("tests") if p.is_dir()) if source.is_dir() else []
    if inside:
        for tests in inside:
            dest = installed / tests.relative_to(source)
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(tests, dest)
        args, cwd = ["--pyargs", package], "/tmp"
    else:
        top = next(sdist / d for d in ("tests", "test") if (sdist / d).is_dir())
        work = Path("/tmp/work") / package
        shutil.copytree(top, work / top.name)
        args, cwd = [top.name], str(work)
    env = {**os.environ, "PYTHONPATH": "/pt", "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
           "--continue-on-collection-errors",
           "--junitxml", out, *args]  # fmt: skip
    return subprocess.run(cmd, cwd=cwd, env=env).returncode


if __name__ == "__main__":
    raise SystemExit(main())

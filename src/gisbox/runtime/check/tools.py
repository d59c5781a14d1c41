"""The GDAL and PROJ command-line tools on PATH, and the library version each runs.

`gdalinfo` (Debian's gdal-bin) and `proj` (proj-bin) load the OS's libraries. When
the bindings carry other versions, a script that shells out to `gdalwarp` and a
function that calls rasterio give different answers: the check reports the tools beside
the bindings so `libs.version-skew` names them too.
"""

from __future__ import annotations

import re
import shutil
import subprocess

# tool -> (library, argv, pattern on its output)
TOOLS = {
    "gdalinfo": ("gdal", ("--version",), re.compile(r"GDAL (\d+\.\d+\.\d+)")),
    # `proj` alone prints its usage, headed "Rel. 9.6.0, March 15th, 2025" (projinfo has no
    # --version)
    "proj": ("proj", (), re.compile(r"Rel\. (\d+\.\d+\.\d+)")),
}


def tool_versions(timeout: float = 10.0) -> dict[str, dict[str, str | None]]:
    """{tool: {"version": v, lib: v}} for each tool found on PATH that answers."""
    out: dict[str, dict[str, str | None]] = {}
    for tool, (lib, args, pattern) in TOOLS.items():
        path = shutil.which(tool)
        if path is None:
            continue
        try:
            proc = subprocess.run(
                [path, *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired):
            out[tool] = {"version": None, lib: None}
            continue
        m = pattern.search(proc.stdout + proc.stderr)
        version = m.group(1) if m else None
        out[tool] = {"version": version, lib: version}
    return out

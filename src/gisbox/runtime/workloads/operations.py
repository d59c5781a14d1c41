"""The chunked workload's operations, registered by name: what each reads and computes.

Adding one is one `Operation` in `OPERATIONS`: its default bands (how many it takes),
whether it reads a window around each pixel (`--size`), and its kernel over float64
blocks (NaN at nodata) carrying `halo` extra pixels per side.

- `ndvi`: (NIR - red) / (NIR + red) from two bands (`bands=(red, nir)`);
- `focal-mean`: mean of the valid pixels in a size x size window of one band.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gisbox.runtime.workloads import WorkloadInputError


def ndvi(red: Any, nir: Any) -> Any:
    import numpy as np

    total = nir + red
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (nir - red) / total
    out[total == 0] = np.nan
    return out


FOCAL_ROWS = 64  # output rows summed at a time: the running sums stay in a core's L2


def focal_mean(padded: Any, halo: int) -> Any:
    """Mean of valid (non-NaN) neighbours; `padded` carries `halo` extra pixels per side.

    Each output pixel is the sum of its window's values (0.0 for NaN) added in one
    fixed order, over the count of its valid pixels: the same bits for a pixel in
    any block. The sums run over strips of `FOCAL_ROWS` rows so that they stay in
    cache; two processes on two cores then no longer wait on one memory bus.
    """
    import numpy as np

    h, w = padded.shape[0] - 2 * halo, padded.shape[1] - 2 * halo
    valid = ~np.isnan(padded)
    values = np.where(valid, padded, 0.0)
    counts = valid.astype("float64")
    out = np.empty((h, w))
    total, count = np.empty((FOCAL_ROWS, w)), np.empty((FOCAL_ROWS, w))
    for row in range(0, h, FOCAL_ROWS):
        n = min(FOCAL_ROWS, h - row)
        t, c = total[:n], count[:n]
        t.fill(0.0)
        c.fill(0.0)
        for dy in range(2 * halo + 1):  # fixed order: the same sum for a pixel in any block
            for dx in range(2 * halo + 1):
                t += values[row + dy : row + dy + n, dx : dx + w]
                c += counts[row + dy : row + dy + n, dx : dx + w]
        strip = out[row : row + n]
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(t, c, out=strip)
        strip[c == 0] = np.nan
    return out


@dataclass(frozen=True, kw_only=True)
class Operation:
    name: str
    default_bands: tuple[int, ...]  # 1-based; their number is how many bands it takes
    windowed: bool  # reads size // 2 pixels around each one (`--size`)
    kernel: Callable[[list[Any], int], Any]  # (blocks, halo) -> float result


OPERATIONS = {
    op.name: op
    for op in (
        Operation(
            name="ndvi", default_bands=(1, 2), windowed=False,
            kernel=lambda blocks, _halo: ndvi(blocks[0], blocks[1]),
        ),
        Operation(
            name="focal-mean", default_bands=(1,), windowed=True,
            kernel=lambda blocks, halo: focal_mean(blocks[0], halo),
        ),
    )
}  # fmt: skip


def operation(name: str) -> Operation:
    try:
        return OPERATIONS[name]
    except KeyError:
        raise WorkloadInputError(
            f"unknown operation {name!r}", f"choose one of {', '.join(OPERATIONS)}"
        ) from None

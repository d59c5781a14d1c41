"""The JSON fast path of /v1/transform: orjson in, NumPy through, orjson out.

Most clients send JSON. Through pydantic's `list[list[float]]` and the standard library's
encoder, a 10 000-point batch spends ~25x the transformation's time in JSON. Here the
body is parsed by orjson (C), the points go into one float64 array with a single
`np.fromiter` over the parsed lists (no per-point NumPy or list objects of our own), and
the answer is written by orjson straight from the array (OPT_SERIALIZE_NUMPY: no Python
float per coordinate). Without orjson installed (it is in the `service` profile), the
standard library does the same work, slower.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np

from gisbox.runtime.service.transform import BadRequest

try:
    import orjson
except ImportError:  # pragma: no cover - the service profile installs it
    orjson = None  # type: ignore[assignment]

FAST = orjson is not None


def loads(body: bytes) -> Any:
    """The request body as Python objects; ValueError when it is not JSON."""
    if orjson is not None:
        return orjson.loads(body)
    return json.loads(body)


def dumps(obj: dict[str, Any]) -> bytes:
    """`obj` (NumPy arrays allowed) as JSON bytes."""
    if orjson is not None:
        return bytes(orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY))
    plain = {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in obj.items()}
    return json.dumps(plain, separators=(",", ":")).encode()


def coordinates_array(points: Any) -> Any:
    """[[x, y], ...] or [[x, y, z], ...] as an (n, 2|3) float64 array, checked: a list of
    lists of one width, 2 or 3, of numbers (booleans and strings refused)."""
    if not isinstance(points, list) or not points:
        raise BadRequest("coordinates must be a non-empty list of [x, y] or [x, y, z]")
    if set(map(type, points)) != {list}:
        raise BadRequest("every coordinate must be a list [x, y] or [x, y, z]")
    widths = set(map(len, points))
    if len(widths) != 1 or not widths <= {2, 3}:
        raise BadRequest("every coordinate must be [x, y] or [x, y, z], all of one kind")
    (width,) = widths
    flat = itertools.chain.from_iterable(points)
    kinds = set(map(type, itertools.chain.from_iterable(points)))
    if not kinds <= {int, float}:
        raise BadRequest("coordinates must be numbers")
    return np.fromiter(flat, dtype="float64", count=width * len(points)).reshape(-1, width)

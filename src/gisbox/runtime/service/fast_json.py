"""The JSON fast path of /v1/transform: simdjson (or orjson) in, NumPy through, orjson out.

Most clients send JSON. Through pydantic's `list[list[float]]` and the standard library's
encoder, a 10 000-point batch spends ~25x the transformation's time in JSON. Here:
- `parse_batch`: a plain batch (`{"source_crs", "target_crs", "coordinates": [[x, y], …]}`)
  is parsed by simdjson straight into one float64 array, with no Python object per point
  (`Array.as_buffer` flattens the nested arrays); its shape is proved from the body's
  bracket and comma positions with NumPy. Anything else (a GeoJSON body, PROJJSON CRSs,
  malformed points) returns None and takes the thorough path, which says what is wrong.
- the thorough path: orjson (C) parses, the points go into one array by a single
  `np.fromiter` over the parsed lists, checked point by point.
- the answer is written by orjson straight from the array (OPT_SERIALIZE_NUMPY).
Without simdjson or orjson (both in the `service` profile) the standard library does the
same work, slower.
"""

from __future__ import annotations

import itertools
import json
import threading
from typing import Any

import numpy as np

from gisbox.runtime.service.transform import BadRequest

try:
    import orjson
except ImportError:  # pragma: no cover - the service profile installs it
    orjson = None  # type: ignore[assignment]

try:
    import simdjson
except ImportError:  # pragma: no cover - the service profile installs it
    simdjson = None  # type: ignore[assignment]

FAST = orjson is not None
OPEN, CLOSE, COMMA = ord("["), ord("]"), ord(",")
_local = threading.local()  # a simdjson parser per thread: one document at a time each


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


def parse_batch(body: bytes) -> tuple[dict[str, Any], Any] | None:
    """A plain batch as (its other fields, an (n, 2|3) float64 array), or None when the
    body is anything else (the thorough path then answers, with its own errors)."""
    if simdjson is None:
        return None
    doc = points = None
    try:
        doc = _parse(body)
        if not isinstance(doc, simdjson.Object) or "coordinates" not in doc:
            return None
        fields = {key: doc[key] for key in doc if key != "coordinates"}
        if any(not _plain(key) or not _plain(value) for key, value in fields.items()):
            return None  # PROJJSON, a GeoJSON body: brackets outside the points
        points = doc["coordinates"]
        if not isinstance(points, simdjson.Array) or len(points) == 0:
            return None
        count = len(points)
        flat = np.array(np.frombuffer(points.as_buffer(of_type="d"), dtype="float64"))
    except (ValueError, TypeError, RuntimeError):
        return None  # not JSON, a string or boolean among the numbers, a nested object
    finally:
        del doc, points  # the parser refuses a new document while proxies are alive
    width = _width(body, count, len(flat))
    if width is None:
        return None
    return fields, flat.reshape(count, width)


def _parse(body: bytes) -> Any:
    """The document, by this thread's parser (a new one if an earlier document's proxies
    are still alive: simdjson parsers hold one document at a time)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = simdjson.Parser()
    try:
        return parser.parse(body)
    except RuntimeError:
        parser = _local.parser = simdjson.Parser()
        return parser.parse(body)


def _plain(value: Any) -> bool:
    """A field whose JSON text holds no bracket: a number, or a string without one."""
    if isinstance(value, str):
        return "[" not in value and "]" not in value
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _width(body: bytes, count: int, numbers: int) -> int | None:
    """2 or 3 when the body's only brackets are `[[…],[…],…]` with `count` flat arrays of
    that many numbers each; None otherwise. (Every bracket is the points': `_plain`
    checked the other fields, and simdjson that no string hides among the points.)"""
    text = np.frombuffer(body, dtype=np.uint8)
    opens, closes = np.flatnonzero(text == OPEN), np.flatnonzero(text == CLOSE)
    if len(opens) != count + 1 or len(closes) != count + 1:
        return None
    # sorted positions: the first `[` and the last `]` are the outer pair; the inner ones
    # must alternate, open before close, each closed before the next opens
    inner_open, inner_close = opens[1:], closes[:-1]
    if not (np.all(inner_open < inner_close) and np.all(inner_close[:-1] < inner_open[1:])):
        return None  # nested arrays, or a bare number beside the arrays
    commas = np.cumsum(text == COMMA)
    widths = commas[inner_close] - commas[inner_open] + 1
    width = int(widths[0])
    if width not in (2, 3) or numbers != width * count or np.any(widths != width):
        return None
    return width

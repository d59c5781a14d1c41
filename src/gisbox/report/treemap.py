"""A squarified treemap (Bruls, Huizing and van Wijk, 2000): rectangles whose areas are
proportional to sizes and whose sides stay close to square, laid out in Python so the
report's SVG needs no script and no network."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Rect:
    x: float
    y: float
    w: float
    h: float


def worst(row: list[float], side: float) -> float:
    """The worst aspect ratio of `row` (areas) laid along a side of length `side`; empty
    areas have no shape and do not count."""
    total = sum(row)
    if total <= 0 or side <= 0:
        return float("inf")
    return max(
        (
            max(side * side * a / (total * total), total * total / (side * side * a))
            for a in row
            if a > 0
        ),
        default=1.0,
    )


def squarify(sizes: list[float], box: Rect) -> list[Rect]:
    """One rectangle per size, in the same order, filling `box` (sizes largest first give
    the best layout). Zero sizes get empty rectangles."""
    total = sum(sizes)
    if total <= 0:
        return [Rect(x=box.x, y=box.y, w=0, h=0) for _ in sizes]
    scale = box.w * box.h / total
    areas = [s * scale for s in sizes]
    out: list[Rect] = []
    x, y, w, h = box.x, box.y, box.w, box.h
    i = 0
    while i < len(areas):
        side = min(w, h)
        row = [areas[i]]
        i += 1
        while i < len(areas) and worst([*row, areas[i]], side) <= worst(row, side):
            row.append(areas[i])
            i += 1
        thick = sum(row) / side if side > 0 else 0
        offset = 0.0
        for a in row:
            length = a / thick if thick > 0 else 0
            if w >= h:  # a column along the left edge
                out.append(Rect(x=x, y=y + offset, w=thick, h=length))
            else:  # a row along the top edge
                out.append(Rect(x=x + offset, y=y, w=length, h=thick))
            offset += length
        if w >= h:
            x, w = x + thick, w - thick
        else:
            y, h = y + thick, h - thick
    return out

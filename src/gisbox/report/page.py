"""The report's page: what is known about one image (its sizes by component, layers,
fingerprint, SBOM, drift against another fingerprint) put into one self-contained HTML
file, the treemap as inline SVG (no script, no network, no external file)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from gisbox import __version__
from gisbox.image.diff import Difference
from gisbox.report.sizes import Component, by_group
from gisbox.report.treemap import Rect, squarify

WIDTH, HEIGHT, HEADER = 1100.0, 620.0, 18.0
COLOURS = {  # one hue per group, the same in every report
    "vendored libraries": "#d95f02",
    "distributions": "#1b9e77",
    "bytecode": "#66a61e",
    "PROJ/GDAL data": "#e6ab02",
    "compiled stack (/opt/gdal)": "#e7298a",
    "Python": "#7570b3",
    "gisbox and the app": "#a6761d",
    "base and OS packages": "#666666",
}


@dataclass(frozen=True, kw_only=True)
class Layer:
    created_by: str
    size: int


@dataclass(frozen=True, kw_only=True)
class ReportData:
    reference: str
    image_id: str
    created: str
    architecture: str
    size: int  # the engine's figure for the image
    layer_count: int  # filesystem layers (the history also lists steps that made none)
    layers: Sequence[Layer]
    components: Sequence[Component]
    fingerprint: Mapping[str, Any]
    sbom: Mapping[str, Any] | None  # CycloneDX JSON, None when not made
    against: str  # the other fingerprint's name, "" without one
    drift: Sequence[Difference]


@dataclass(frozen=True, kw_only=True)
class Tile:
    group: str
    name: str
    size: int
    rect: Rect
    colour: str


def tiles(parts: Sequence[Component]) -> tuple[list[Tile], list[tuple[str, int, Rect]]]:
    """Each component's rectangle, inside its group's (which keeps a strip for its name)."""
    groups = by_group(list(parts))
    boxes = squarify([float(size) for _, size, _ in groups], Rect(x=0, y=0, w=WIDTH, h=HEIGHT))
    out: list[Tile] = []
    for (group, _, members), box in zip(groups, boxes, strict=True):
        head = HEADER if box.h > 3 * HEADER and box.w > 80 else 0.0
        inner = Rect(x=box.x + 1, y=box.y + head, w=max(box.w - 2, 0), h=max(box.h - head - 1, 0))
        rects = squarify([float(c.size) for c in members], inner)
        colour = COLOURS.get(group, "#999999")
        out += [
            Tile(group=group, name=c.name, size=c.size, rect=r, colour=colour)
            for c, r in zip(members, rects, strict=True)
        ]
    return out, [(g, size, box) for (g, size, _), box in zip(groups, boxes, strict=True)]


def sbom_summary(doc: Mapping[str, Any] | None) -> dict[str, Any]:
    """Counts by kind, what a scanner can match (CPE, purl), and the vendored libraries."""
    if not doc:
        return {}
    comps = list(doc.get("components") or [])
    purls = [str(c.get("purl", "")) for c in comps]
    vendored = [c for c in comps if str(c.get("purl", "")).startswith("pkg:generic/")]
    return {
        "components": len(comps),
        "os_packages": sum(p.startswith("pkg:deb/") for p in purls),
        "distributions": sum(p.startswith("pkg:pypi/") for p in purls),
        "vendored": len(vendored),
        "with_cpe": sum(bool(c.get("cpe")) for c in comps),
        "with_purl": sum(bool(p) for p in purls),
        "libraries": sorted(library_row(c) for c in vendored),
    }


def library_row(c: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(name, version, CPE, the file it is in) of a vendored library's component."""
    where = str(c.get("bom-ref", "")).removeprefix("file:")
    return str(c.get("name", "")), str(c.get("version", "")), str(c.get("cpe", "")), where


def mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


def render(data: ReportData) -> str:
    env = Environment(
        loader=PackageLoader("gisbox.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["mb"] = mb
    boxes, groups = tiles(data.components)
    fp = data.fingerprint
    findings = sorted(
        fp.get("findings") or [],
        key=lambda f: ({"error": 0, "warning": 1}.get(str(f.get("severity")), 2), str(f.get("id"))),
    )
    return env.get_template("report.html.j2").render(
        d=data,
        tiles=boxes,
        groups=groups,
        colours=COLOURS,
        width=WIDTH,
        height=HEIGHT,
        total=sum(c.size for c in data.components),
        findings=findings,
        summary=fp.get("summary") or {},
        bindings=fp.get("bindings") or {},
        libraries=fp.get("libraries") or {},
        stack=fp.get("stack") or {},
        sbom=sbom_summary(data.sbom),
        version=__version__,
        escape=html.escape,
    )

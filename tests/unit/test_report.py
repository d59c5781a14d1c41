"""The report's parts without an engine: the treemap's geometry, where files are counted,
and the page (self-contained, escaped, every section there)."""

from __future__ import annotations

import itertools
import re

from hypothesis import given
from hypothesis import strategies as st

from gisbox.image.diff import Difference
from gisbox.report.page import Layer, ReportData, render, tiles
from gisbox.report.sizes import SizeTally, components
from gisbox.report.treemap import Rect, squarify
from gisbox.sbom.libraries import Library
from gisbox.sbom.scan import Distribution, Inventory, SharedObject

BOX = Rect(x=0, y=0, w=600, h=400)
SITE = "opt/venv/lib/python3.11/site-packages"


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40))
def test_treemap_areas_are_proportional_inside_the_box_and_never_overlap(sizes: list[int]) -> None:
    sizes = sorted(sizes, reverse=True)
    rects = squarify([float(s) for s in sizes], BOX)
    assert len(rects) == len(sizes)
    total = sum(sizes)
    for size, r in zip(sizes, rects, strict=True):
        assert r.x >= -1e-6 and r.y >= -1e-6 and r.x + r.w <= 600 + 1e-6 and r.y + r.h <= 400 + 1e-6
        if total:
            assert abs(r.w * r.h - 240_000 * size / total) <= 1e-6 * 240_000 + 1e-6
    for a, b in itertools.combinations(rects, 2):
        overlap_w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
        overlap_h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
        assert overlap_w <= 1e-6 or overlap_h <= 1e-6


def test_treemap_rectangles_stay_close_to_square() -> None:
    """The paper's example: areas 6 6 4 3 2 2 1 in a 6 x 4 box, worst aspect ratio < 3."""
    rects = squarify([6, 6, 4, 3, 2, 2, 1], Rect(x=0, y=0, w=6, h=4))
    assert max(max(r.w / r.h, r.h / r.w) for r in rects) < 3


def inventory() -> Inventory:
    gdal = Library(name="gdal", version="3.10.3", cpe="cpe:2.3:a:osgeo:gdal:3.10.3", evidence="")
    return Inventory(
        distributions=[
            Distribution(
                name="rasterio", version="1.4.4", path=f"{SITE}/rasterio-1.4.4.dist-info",
                tags=(), files=frozenset({f"{SITE}/rasterio/_io.so", f"{SITE}/rasterio/env.py"}),
            )
        ],
        shared_objects=[
            SharedObject(path=f"{SITE}/rasterio.libs/libgdal-1.so.36", sha256="", size=0,
                         soname=None, libraries=(gdal,))
        ],
    )  # fmt: skip


def tally() -> SizeTally:
    t = SizeTally()
    files = {
        f"{SITE}/rasterio.libs/libgdal-1.so.36": 50, f"{SITE}/rasterio/_io.so": 20,
        f"{SITE}/rasterio/env.py": 5, f"{SITE}/rasterio/__pycache__/env.cpython-311.pyc": 4,
        f"{SITE}/rasterio/proj_data/proj.db": 9, "usr/bin/python3.11": 7,
        "usr/lib/python311.zip": 3, "usr/lib/x86_64-linux-gnu/libssl.so.3": 6,
        "opt/gisbox/gisbox/runtime/main.py": 1, "app/main.py": 2, "opt/gdal/lib/libgdal.so": 30,
    }  # fmt: skip
    for path, size in files.items():
        t.observe(path, size, None)
    t.observe(f"{SITE}/pyogrio/proj_data/proj.db", 0, f"{SITE}/rasterio/proj_data/proj.db")
    return t


def test_every_byte_is_counted_once_in_the_component_it_belongs_to() -> None:
    parts = {(c.group, c.name): c.size for c in components(tally(), inventory(), "/app")}
    assert parts == {
        ("vendored libraries", "rasterio.libs: gdal 3.10.3"): 50,
        ("compiled stack (/opt/gdal)", "lib"): 30,
        ("distributions", "rasterio"): 25,
        ("PROJ/GDAL data", "rasterio"): 9,
        ("Python", "interpreter and stdlib"): 7,
        ("base and OS packages", "usr/lib/x86_64-linux-gnu"): 6,
        ("bytecode", "rasterio"): 4,
        ("Python", "stdlib archive"): 3,
        ("gisbox and the app", "the app"): 2,
        ("gisbox and the app", "gisbox"): 1,
    }
    assert sum(parts.values()) == tally().total  # the hard link added nothing


def data(**overrides: object) -> ReportData:
    fields: dict[str, object] = dict(
        reference="gisbox/app:latest", image_id="sha256:" + "a" * 64, created="2026-12-04",
        architecture="amd64", size=137, layer_count=2,
        layers=[Layer(created_by="COPY /rootfs/ /", size=100), Layer(created_by="ENV A=1", size=0)],
        components=components(tally(), inventory(), "/app"),
        fingerprint={"summary": {"error": 1, "warning": 0}, "findings": [
            {"id": "data.proj-db-missing", "severity": "error",
             "message": "<script>alert(1)</script>", "hint": "set PROJ_DATA"}],
            "bindings": {"rasterio": {"version": "1.4.4", "gdal": "3.10.3"}},
            "libraries": {"gdal": ["3.10.3", "3.12.4"]}},
        sbom={"components": [{"name": "gdal", "version": "3.10.3", "cpe": "cpe:2.3:a:osgeo:gdal",
                              "purl": "pkg:generic/gdal@3.10.3", "bom-ref": "file:x/libgdal.so"},
                             {"name": "rasterio", "purl": "pkg:pypi/rasterio@1.4.4"}]},
        against="", drift=[],
    )  # fmt: skip
    fields.update(overrides)
    return ReportData(**fields)  # type: ignore[arg-type]


def test_the_page_is_self_contained_escaped_and_has_every_section() -> None:
    page = render(data())
    assert not re.search(r"<script|<link|<img|src=|href=|url\(|@import", page)  # nothing to fetch
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for section in ("bytes", "layers", "findings", "stack", "sbom"):
        assert f'id="{section}"' in page
    assert "(2 copies)" in page and "no layer" in page
    assert "2 components: 0 OS packages, 1 Python distributions, 1 libraries" in page
    assert 'id="drift"' not in page
    boxes, groups = tiles(data().components)
    assert page.count('class="tile"') == len(boxes) == 10 and len(groups) == 8


def test_drift_against_another_fingerprint_is_listed() -> None:
    diff = Difference("library", "libraries.gdal", "libraries.gdal: 3.10.3 -> 3.12.4", True)
    page = render(data(against="prod.json", drift=[diff]))
    assert 'id="drift"' in page and "Against prod.json" in page
    assert "libraries.gdal: 3.10.3 -&gt; 3.12.4" in page

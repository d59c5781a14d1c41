"""Where an image's bytes go: every regular file of its exported filesystem, counted once
(a hard link adds nothing, as in the image), put in one component of a two-level tree.

Groups, and what is inside each:
- "vendored libraries": the shared objects a wheel carries in `<dist>.libs/`, named by the
  upstream library the SBOM scan identified (`rasterio.libs: gdal 3.10.3`);
- "distributions": the rest of each Python distribution (sources, extension modules), by
  the distribution whose RECORD lists the file;
- "bytecode": `.pyc` files, by top-level package;
- "PROJ/GDAL data": `proj.db`, grids and GDAL's data files, by where they are;
- "compiled stack": `/opt/gdal` (strategy "source");
- "Python": the interpreter, its standard library (zipped or not) and `lib-dynload`;
- "gisbox and the app": `/opt/gisbox`, and the app's workdir;
- "base and OS packages": everything else, by directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from gisbox.sbom.scan import Inventory

DATA = re.compile(r"/(proj_data|gdal_data|share/proj|share/gdal)/|/proj\.db$")
PYTHON = re.compile(
    r"^usr/(lib/python3(\.\d+)?/|lib/python3\d+\.zip$|bin/python3|lib/[^/]+/libpython3)"
)
SITE = re.compile(r"(^|/)(site|dist)-packages/")


@dataclass(frozen=True, kw_only=True)
class Component:
    group: str
    name: str
    size: int


@dataclass
class SizeTally:
    """Regular files by path and size, as an export tar's members arrive (`observe`)."""

    files: dict[str, int] = field(default_factory=dict)

    def observe(self, path: str, size: int, link: str | None) -> None:
        if link is None:
            self.files[path] = size

    @property
    def total(self) -> int:
        return sum(self.files.values())


def component_of(path: str, inventory: Inventory, vendored: dict[str, str], app: str) -> Component:
    """The group and component `path` (no leading /) belongs to; size filled in later."""
    if path in vendored:
        return Component(group="vendored libraries", name=vendored[path], size=0)
    if path.startswith("opt/gdal/"):
        part = path.split("/")[2] if path.count("/") > 2 else "files"
        return Component(group="compiled stack (/opt/gdal)", name=part, size=0)
    if DATA.search(path):
        where = SITE.split(path)[-1].split("/", 1)[0] if SITE.search(path) else path.split("/")[1]
        return Component(group="PROJ/GDAL data", name=where, size=0)
    if SITE.search(path):
        rel = SITE.split(path)[-1]
        if path.endswith(".pyc"):
            return Component(group="bytecode", name=rel.split("/", 1)[0], size=0)
        owner = inventory.owner(path)
        name = owner.name if owner else rel.split("/", 1)[0]
        return Component(group="distributions", name=name, size=0)
    if PYTHON.search(path):
        kind = "stdlib archive" if path.endswith(".zip") else "interpreter and stdlib"
        return Component(
            group="Python", name="lib-dynload" if "lib-dynload" in path else kind, size=0
        )
    if path.startswith("opt/gisbox/") or path.startswith("usr/local/bin/gisbox"):
        return Component(group="gisbox and the app", name="gisbox", size=0)
    if app and path.startswith(app + "/"):
        return Component(group="gisbox and the app", name="the app", size=0)
    parts = PurePosixPath(path).parts
    return Component(
        group="base and OS packages",
        name="/".join(parts[:3]) if len(parts) > 3 else "/".join(parts[:-1]) or parts[0],
        size=0,
    )


def components(tally: SizeTally, inventory: Inventory, app: str = "") -> list[Component]:
    """Every component with its bytes, largest first; `app` is the app's workdir."""
    vendored = {
        so.path: f"{PurePosixPath(so.path).parent.name}: "
        + (
            f"{so.libraries[0].name} {so.libraries[0].version or ''}".strip()
            if so.libraries
            else PurePosixPath(so.path).name
        )
        for so in inventory.shared_objects
    }
    sizes: dict[tuple[str, str], int] = {}
    for path, size in tally.files.items():
        c = component_of(path, inventory, vendored, app.strip("/"))
        sizes[(c.group, c.name)] = sizes.get((c.group, c.name), 0) + size
    out = [Component(group=g, name=n, size=s) for (g, n), s in sizes.items() if s > 0]
    return sorted(out, key=lambda c: (-c.size, c.group, c.name))


def by_group(parts: list[Component]) -> list[tuple[str, int, list[Component]]]:
    """(group, its bytes, its components largest first), largest group first."""
    groups: dict[str, list[Component]] = {}
    for c in parts:
        groups.setdefault(c.group, []).append(c)
    return sorted(
        ((g, sum(c.size for c in cs), cs) for g, cs in groups.items()), key=lambda t: (-t[1], t[0])
    )

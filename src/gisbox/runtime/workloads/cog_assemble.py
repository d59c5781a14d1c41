"""A Cloud Optimized GeoTIFF assembled from tiles that are already compressed.

The chunked workload's tasks compress their own tiles (GDAL, in parallel on a
cluster's workers); this module only places those bytes, without decoding them,
in the layout GDAL's COG driver writes (the one its `validate_cloud_optimized_
geotiff` checks and GDAL reports as `LAYOUT=COG`):

- the TIFF header, then GDAL's "ghost" area declaring that layout;
- every IFD: the full resolution first (its tags, GeoTIFF keys included, taken
  from a template GDAL wrote for the same grid), then the overviews from the
  largest (the same tags without the GeoTIFF ones, NewSubfileType 1);
- the tiles: the smallest overview's first, the full resolution's last, each
  level in row-major order, each tile with a 4-byte leader (its size) and a
  trailer (its last 4 bytes repeated).

Classic TIFF while every offset fits in 32 bits, BigTIFF beyond. Standard library
only: it runs in the image.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# TIFF field types and their sizes in bytes
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8}
SHORT, LONG, LONG8 = 3, 4, 16
NEW_SUBFILE_TYPE, WIDTH, HEIGHT, TILE_WIDTH, TILE_HEIGHT = 254, 256, 257, 322, 323
TILE_OFFSETS, TILE_BYTE_COUNTS = 324, 325
CLASSIC_LIMIT = 1 << 32  # a classic TIFF's offsets are 32-bit
GEO_TAGS = frozenset({33550, 33922, 34264, 34735, 34736, 34737})  # on the full resolution only

# GDAL's own ghost area (gtiffdataset_write.cpp), byte for byte: readers that know it
# (GDAL) trust the layout it declares; the trailing space is GDAL's too.
GHOST_BODY = (
    b"LAYOUT=IFDS_BEFORE_DATA\n"
    b"BLOCK_ORDER=ROW_MAJOR\n"
    b"BLOCK_LEADER=SIZE_AS_UINT4\n"
    b"BLOCK_TRAILER=LAST_4_BYTES_REPEATED\n"
    b"KNOWN_INCOMPATIBLE_EDITION=NO\n "
)
GHOST = b"GDAL_STRUCTURAL_METADATA_SIZE=%06d bytes\n" % len(GHOST_BODY) + GHOST_BODY


class TiffError(ValueError):
    """A file that is not the tiled little-endian TIFF this module reads."""


@dataclass(frozen=True)
class Entry:
    tag: int
    type: int
    count: int
    data: bytes  # the values, little-endian

    def ints(self) -> tuple[int, ...]:
        fmt = {SHORT: "H", LONG: "I", LONG8: "Q"}.get(self.type)
        if fmt is None:
            raise TiffError(f"tag {self.tag}: type {self.type} is not an integer type")
        return struct.unpack(f"<{self.count}{fmt}", self.data)


@dataclass(frozen=True)
class Ifd:
    """One image file directory: its entries by tag."""

    entries: dict[int, Entry]

    def value(self, tag: int) -> int:
        return self.entries[tag].ints()[0]

    @property
    def size(self) -> tuple[int, int]:
        return self.value(WIDTH), self.value(HEIGHT)

    def tiles(self) -> list[tuple[int, int]]:
        """(offset, byte count) of each tile, row-major."""
        if TILE_OFFSETS not in self.entries:
            raise TiffError("not a tiled TIFF (no TileOffsets)")
        offsets = self.entries[TILE_OFFSETS].ints()
        counts = self.entries[TILE_BYTE_COUNTS].ints()
        return list(zip(offsets, counts, strict=True))


def read_ifd(path: Path) -> Ifd:
    """The first IFD of a little-endian TIFF or BigTIFF."""
    with path.open("rb") as f:
        head = f.read(16)
        if head[:2] != b"II" or len(head) < 8:
            raise TiffError(f"{path}: not a little-endian TIFF")
        version = struct.unpack_from("<H", head, 2)[0]
        big = version == 43
        if version not in (42, 43):
            raise TiffError(f"{path}: TIFF version {version}")
        at = struct.unpack_from("<Q", head, 8)[0] if big else struct.unpack_from("<I", head, 4)[0]
        f.seek(at)
        (n,) = struct.unpack("<Q" if big else "<H", f.read(8 if big else 2))
        size, inline = (20, 8) if big else (12, 4)
        raw = f.read(n * size)
        entries: dict[int, Entry] = {}
        for i in range(n):
            if big:
                tag, typ, count = struct.unpack_from("<HHQ", raw, i * size)
            else:
                tag, typ, count = struct.unpack_from("<HHI", raw, i * size)
            width = TYPE_SIZES.get(typ)
            if width is None:
                raise TiffError(f"{path}: tag {tag} has unknown type {typ}")
            value = raw[i * size + size - inline : (i + 1) * size]
            nbytes = width * count
            if nbytes > inline:
                (where,) = struct.unpack("<Q" if big else "<I", value)
                here = f.tell()
                f.seek(where)
                data = f.read(nbytes)
                f.seek(here)
            else:
                data = value[:nbytes]
            entries[tag] = Entry(tag, typ, count, data)
    return Ifd(entries)


@dataclass(frozen=True)
class TileRef:
    """A compressed tile's bytes in another file."""

    path: Path
    offset: int
    size: int


@dataclass(frozen=True)
class Level:
    """One resolution: its size in pixels and its tiles, row-major."""

    width: int
    height: int
    tiles: tuple[TileRef, ...]


def _ints(tag: int, values: Iterable[int], big: bool) -> Entry:
    values = tuple(values)
    typ = LONG8 if big else LONG
    return Entry(
        tag, typ, len(values), struct.pack(f"<{len(values)}{'Q' if big else 'I'}", *values)
    )


def _dimension(tag: int, value: int) -> Entry:
    if value < 1 << 16:
        return Entry(tag, SHORT, 1, struct.pack("<H", value))
    return Entry(tag, LONG, 1, struct.pack("<I", value))


def _ifd_bytes(entries: list[Entry], at: int, next_ifd: int, big: bool) -> bytes:
    """The IFD at offset `at`, its values too long to be inline right after it."""
    size, inline = (20, 8) if big else (12, 4)
    head = struct.pack("<Q", len(entries)) if big else struct.pack("<H", len(entries))
    table_end = at + len(head) + size * len(entries) + (8 if big else 4)
    table, extra = bytearray(head), bytearray()
    for e in sorted(entries, key=lambda e: e.tag):
        table += (
            struct.pack("<HHQ", e.tag, e.type, e.count)
            if big
            else struct.pack("<HHI", e.tag, e.type, e.count)
        )
        if len(e.data) <= inline:
            table += e.data.ljust(inline, b"\0")
        else:
            extra += b"\0" * (len(extra) % 2)  # values start on a word boundary
            where = table_end + len(extra)
            table += struct.pack("<Q", where) if big else struct.pack("<I", where)
            extra += e.data
    table += struct.pack("<Q", next_ifd) if big else struct.pack("<I", next_ifd)
    return bytes(table + extra + b"\0" * (len(extra) % 2))


def _directories(template: Ifd, levels: list[Level]) -> list[list[Entry]]:
    base = {t: e for t, e in template.entries.items() if t not in (TILE_OFFSETS, TILE_BYTE_COUNTS)}
    dirs = []
    for i, level in enumerate(levels):
        entries = dict(base)
        if i:
            entries = {t: e for t, e in entries.items() if t not in GEO_TAGS}
            entries[NEW_SUBFILE_TYPE] = Entry(NEW_SUBFILE_TYPE, LONG, 1, struct.pack("<I", 1))
        entries[WIDTH] = _dimension(WIDTH, level.width)
        entries[HEIGHT] = _dimension(HEIGHT, level.height)
        dirs.append(list(entries.values()))
    return dirs


def _layout(template: Ifd, levels: list[Level], big: bool) -> tuple[bytes, int]:
    """The header, ghost area and IFDs; the file's size."""
    header_size = 16 if big else 8
    first = header_size + len(GHOST)
    first += first % 2
    dirs = _directories(template, levels)
    # the IFDs' sizes do not depend on the offsets they hold: lay them out with zeros
    sizes = []
    for entries, level in zip(dirs, levels, strict=True):
        n = len(level.tiles)
        trial = [*entries, _ints(TILE_OFFSETS, [0] * n, big), _ints(TILE_BYTE_COUNTS, [0] * n, big)]
        sizes.append(len(_ifd_bytes(trial, 0, 0, big)))
    starts = [first + sum(sizes[:i]) for i in range(len(sizes))]
    at = first + sum(sizes)
    offsets: list[list[int]] = [[] for _ in levels]
    for i in reversed(range(len(levels))):  # the smallest overview's tiles first
        for tile in levels[i].tiles:
            offsets[i].append(at + 4)  # after the leader
            at += 4 + tile.size + 4
    blob = bytearray(
        b"II" + struct.pack("<HHHQ", 43, 8, 0, first)
        if big
        else b"II" + struct.pack("<HI", 42, first)
    )
    blob += GHOST + b"\0" * (first - header_size - len(GHOST))
    for i, (entries, level) in enumerate(zip(dirs, levels, strict=True)):
        full = [
            *entries,
            _ints(TILE_OFFSETS, offsets[i], big),
            _ints(TILE_BYTE_COUNTS, [t.size for t in level.tiles], big),
        ]
        following = starts[i + 1] if i + 1 < len(levels) else 0
        blob += _ifd_bytes(full, starts[i], following, big)
    return bytes(blob), at


def write_cog(
    out: BinaryIO, template: Ifd, levels: list[Level], bigtiff: bool | None = None
) -> int:
    """Write the COG of `levels` (full resolution first) to `out`; its size in bytes.

    `template`: the first IFD of a GeoTIFF GDAL wrote for the full resolution's grid
    with the tiles' compression (its tags, GeoTIFF keys included, are the COG's).
    `bigtiff`: None for BigTIFF only when a classic TIFF's 32-bit offsets cannot
    address the file.
    """
    if not levels or (levels[0].width, levels[0].height) != template.size:
        raise TiffError(f"the template's size {template.size} is not the full resolution's")
    tw, th = template.value(TILE_WIDTH), template.value(TILE_HEIGHT)
    for level in levels:
        expected = -(-level.width // tw) * -(-level.height // th)
        if len(level.tiles) != expected:
            raise TiffError(
                f"a {level.width} x {level.height} level has {len(level.tiles)} tiles, "
                f"not {expected}"
            )
    head, end = _layout(template, levels, bool(bigtiff))
    if bigtiff is None and end >= CLASSIC_LIMIT:  # 32-bit offsets cannot reach the end
        head, end = _layout(template, levels, True)
    out.write(head)
    files: dict[Path, BinaryIO] = {}
    try:
        for level in reversed(levels):
            for tile in level.tiles:
                src = files.get(tile.path)
                if src is None:
                    src = files[tile.path] = tile.path.open("rb")
                src.seek(tile.offset)
                data = src.read(tile.size)
                if len(data) != tile.size or tile.size < 4:
                    raise TiffError(f"{tile.path}: a tile at {tile.offset} is cut short")
                out.write(struct.pack("<I", tile.size))
                out.write(data)
                out.write(data[-4:])
    finally:
        for f in files.values():
            f.close()
    return end

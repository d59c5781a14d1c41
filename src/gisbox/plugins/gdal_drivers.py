"""The GDAL drivers a source-built stack can have: what turns each on in GDAL's CMake
build, and the Debian development packages it links (whose runtime libraries the image
then pins).

`[stack] gdal_drivers` names drivers by GDAL's short names (`gdalinfo --formats`,
`ogrinfo --formats`). `CORE` is the default set: what the profiles and the workloads use,
GDAL's network file systems (/vsicurl, /vsis3, /vsigs, /vsiaz: curl) included. The rest
are opt-ins. Several GDAL drivers come from one CMake switch (GeoJSON, GeoJSONSeq,
ESRIJSON and TopoJSON are `OGR_ENABLE_DRIVER_GEOJSON`); GTiff (with COG), MEM and VRT
are always built.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Driver:
    name: str  # GDAL's short name
    switch: str | None  # the CMake option that builds it; None: always built
    dev_packages: tuple[str, ...] = ()  # Debian's, for the builder
    uses: tuple[str, ...] = ()  # GDAL_USE_<X>=ON it needs


def _d(name: str, switch: str | None, *dev: str, uses: tuple[str, ...] = ()) -> Driver:
    return Driver(name=name, switch=switch, dev_packages=dev, uses=uses)


DRIVERS: dict[str, Driver] = {
    d.name: d
    for d in (
        # raster
        _d("GTiff", None, "libtiff-dev", "libgeotiff-dev", "libzstd-dev", "libdeflate-dev",
           "liblzma-dev", uses=("TIFF", "GEOTIFF", "ZSTD", "DEFLATE", "LIBLZMA")),
        _d("COG", None),
        _d("MEM", None),
        _d("VRT", None),
        _d("HFA", "GDAL_ENABLE_DRIVER_HFA"),
        _d("PNG", "GDAL_ENABLE_DRIVER_PNG", "libpng-dev", uses=("PNG",)),
        _d("JPEG", "GDAL_ENABLE_DRIVER_JPEG", "libjpeg-dev", uses=("JPEG",)),
        _d("WEBP", "GDAL_ENABLE_DRIVER_WEBP", "libwebp-dev", uses=("WEBP",)),
        _d("MBTiles", "GDAL_ENABLE_DRIVER_MBTILES", "libsqlite3-dev", uses=("SQLITE3",)),
        _d("netCDF", "GDAL_ENABLE_DRIVER_NETCDF", "libnetcdf-dev", uses=("NETCDF",)),
        _d("HDF5", "GDAL_ENABLE_DRIVER_HDF5", "libhdf5-dev", uses=("HDF5",)),
        _d("Zarr", "GDAL_ENABLE_DRIVER_ZARR", "libblosc-dev", uses=("BLOSC",)),
        _d("JP2OpenJPEG", "GDAL_ENABLE_DRIVER_JP2OPENJPEG", "libopenjp2-7-dev",
           uses=("OPENJPEG",)),
        _d("PDF", "GDAL_ENABLE_DRIVER_PDF", "libpoppler-private-dev", uses=("POPPLER",)),
        # vector
        _d("ESRI Shapefile", "OGR_ENABLE_DRIVER_SHAPE"),
        _d("GeoJSON", "OGR_ENABLE_DRIVER_GEOJSON"),
        _d("GeoJSONSeq", "OGR_ENABLE_DRIVER_GEOJSON"),
        _d("ESRIJSON", "OGR_ENABLE_DRIVER_GEOJSON"),
        _d("TopoJSON", "OGR_ENABLE_DRIVER_GEOJSON"),
        _d("FlatGeobuf", "OGR_ENABLE_DRIVER_FLATGEOBUF"),
        _d("CSV", "OGR_ENABLE_DRIVER_CSV"),
        _d("SQLite", "OGR_ENABLE_DRIVER_SQLITE", "libsqlite3-dev", uses=("SQLITE3",)),
        _d("GPKG", "OGR_ENABLE_DRIVER_GPKG", "libsqlite3-dev", uses=("SQLITE3",)),
        _d("OpenFileGDB", "OGR_ENABLE_DRIVER_OPENFILEGDB"),
        _d("OGR_VRT", "OGR_ENABLE_DRIVER_VRT", "libexpat1-dev", uses=("EXPAT",)),
        _d("MVT", "OGR_ENABLE_DRIVER_MVT", "libsqlite3-dev", uses=("SQLITE3",)),
        _d("DXF", "OGR_ENABLE_DRIVER_DXF"),
        _d("PostgreSQL", "OGR_ENABLE_DRIVER_PG", "libpq-dev", uses=("POSTGRESQL",)),
    )
}  # fmt: skip
CORE = (
    "GTiff", "COG", "MEM", "VRT", "HFA", "PNG", "JPEG", "WEBP", "MBTiles",
    "ESRI Shapefile", "GeoJSON", "GeoJSONSeq", "ESRIJSON", "TopoJSON", "FlatGeobuf", "CSV",
    "SQLite", "GPKG", "OpenFileGDB", "OGR_VRT", "MVT", "DXF",
)  # fmt: skip
# What every source-built GDAL links besides its drivers' libraries: PROJ and GEOS
# (Debian's), curl for the network file systems (GnuTLS's, the one Debian's PROJ links:
# one libcurl in the process), expat and zlib.
BASE_DEV_PACKAGES = (
    "libproj-dev", "libgeos-dev", "libcurl4-gnutls-dev", "libexpat1-dev", "zlib1g-dev",
)  # fmt: skip
BASE_USES = ("CURL", "EXPAT", "GEOS", "ICONV", "ZLIB")  # ICONV: glibc's, for encodings


def unknown(names: tuple[str, ...]) -> list[str]:
    return [n for n in names if n not in DRIVERS]


def cmake_options(names: tuple[str, ...]) -> list[str]:
    """GDAL's CMake options for exactly these drivers (optional drivers off otherwise)."""
    chosen = [DRIVERS[n] for n in names]
    switches = sorted({d.switch for d in chosen if d.switch})
    uses = sorted({*BASE_USES, *(u for d in chosen for u in d.uses)})
    return [
        "-DGDAL_BUILD_OPTIONAL_DRIVERS=OFF",
        "-DOGR_BUILD_OPTIONAL_DRIVERS=OFF",
        *(f"-D{s}=ON" for s in switches),
        *(f"-DGDAL_USE_{u}=ON" for u in uses),
    ]


def dev_packages(names: tuple[str, ...]) -> list[str]:
    """Debian's development packages the builder installs for these drivers."""
    found = [*BASE_DEV_PACKAGES, *(p for n in names for p in DRIVERS[n].dev_packages)]
    return sorted(set(found))

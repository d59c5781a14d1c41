"""The variation points of an image, each a registry of one module per plug-in: strategies
(where GDAL/PROJ/GEOS come from), base families (what kind of base), runtimes (what the
final stage is). `api` says what a plug-in provides; `registry` finds them."""

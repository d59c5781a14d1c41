"""gisbox's in-image part: runs with only the standard library and the stack.

Everything under `gisbox.runtime` is copied into every image (to /opt/gisbox)
and must never import click, pydantic, rich or anything else outside the
standard library; the geospatial packages are imported lazily and defensively.
"""

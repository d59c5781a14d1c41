"""gisbox: reproducible, verified container images for Python geospatial stacks.

This top-level module stays import-free on purpose: the in-image runtime
(`gisbox.runtime`) is copied into images that have only the standard library
and the geospatial stack, and it imports this package.
"""

__version__ = "0.1.0"

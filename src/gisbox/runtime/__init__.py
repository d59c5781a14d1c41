"""gisbox's in-image part: what runs wherever the stack runs, with only the standard
library and the stack.

This tree is copied into every image as one directory (`/opt/gisbox/gisbox/runtime`,
beside gisbox's `__init__.py`) and runs on hosts too:

- `main`: the in-image `gisbox` command, one option parser per verb;
- `check/`: the verification suite (`gisbox check`, `gisbox healthcheck`);
- `workloads/`: `gisbox run` and the metrics;
- `service/`: `gisbox serve` (needs FastAPI and uvicorn in the image);
- `payloads`: the fingerprint, finding and health payloads as TypedDicts, produced here
  and read by name on the host;
- `errors`, `atomic`, `stdlib_zip`: shared by the host, the image and the builder.

Nothing here may import click, pydantic, jinja2, rich or anything else outside the
standard library and the stack (tests/unit/test_in_image_boundary.py); the geospatial
packages are imported lazily and defensively.
"""

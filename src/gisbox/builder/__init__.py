"""Scripts the Dockerfile's builder stage runs: standard library only, each a standalone
`python3 SCRIPT.py` (gisbox is not importable there yet). `gisbox dockerfile` copies them
into `.gisbox/`; they never enter the runtime image. (`gisbox.runtime.stdlib_zip` is the
builder's too, but the image also runs it: apt's hook, and `gisbox check`.)
"""

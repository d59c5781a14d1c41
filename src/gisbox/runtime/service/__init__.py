"""`gisbox serve`: the spatial HTTP API that runs inside service images (FastAPI + uvicorn).

Unlike `gisbox.runtime`, this needs FastAPI and uvicorn in the image's environment (the
`service` profile adds them). It is copied into every image with the runtime and imported
only by `gisbox serve`.
"""

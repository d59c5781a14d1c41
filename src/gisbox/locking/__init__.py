"""Step 2 of the pipeline, lock: resolve a spec for the image's platforms. The base image
(`bases`, made by `debootstrap` when missing), its package index (`apt_probe`), the Python
index (`pyindex`, uv), and `resolve`, which puts them together into a `Lock`."""

"""What must hold inside the `service` image, checked as its user."""

import base64
import hashlib
import importlib
import importlib.metadata
import os
import shutil
import subprocess
import sys

assert os.path.isfile("/usr/bin/tini"), "tini is PID 1's program"
assert os.environ.get("GISBOX_PORT") == "8080", "GISBOX_PORT=8080"
assert shutil.which("pip") is None and shutil.which("uv") is None, "no installers"
res = subprocess.run(["gisbox", "serve", "--help"], capture_output=True, text=True)
assert res.returncode == 0 and "GISBOX_WORKERS" in res.stdout, "gisbox serve --help"

sys.path.insert(0, "/opt/gisbox")  # where the in-image gisbox lives
app = importlib.import_module("gisbox.runtime.service.app")
config = importlib.import_module("gisbox.runtime.service.config")
routes = {getattr(r, "path", "") for r in app.create_app(config.Settings.from_env()).routes}
for path in ("/healthz", "/readyz", "/v1/transform", "/v1/transform/array", "/v1/predict"):
    assert path in routes, f"the API has {path}"


# RECORD tells the truth after gisbox pruned and stripped (tests, stubs gone; .so rehashed)
untrue = []
for dist in importlib.metadata.distributions():
    for f in dist.files or []:
        path = str(f.locate())
        if not os.path.isfile(path):
            untrue.append(f"{dist.name}: {f} is gone")
        elif f.hash is not None:
            with open(path, "rb") as fh:
                raw = hashlib.sha256(fh.read()).digest()
            if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != f.hash.value:
                untrue.append(f"{dist.name}: {f} has another sha256")
assert not untrue, f"{len(untrue)} RECORD rows do not match the image: {untrue[:5]}"

print("ok")

"""What must hold inside the `service` image, checked as its user."""

import importlib
import os
import shutil
import subprocess
import sys

import verify_common

assert os.path.isfile("/usr/bin/tini"), "tini is PID 1's program"
assert os.environ.get("GISBOX_PORT") == "8080", "GISBOX_PORT=8080"
assert shutil.which("pip") is None and shutil.which("uv") is None, "no installers"
res = subprocess.run(["gisbox", "serve", "--help"], capture_output=True, text=True)
assert res.returncode == 0 and "GISBOX_WORKERS" in res.stdout, "gisbox serve --help"

sys.path.insert(0, "/opt/gisbox")  # where the in-image gisbox lives
app = importlib.import_module("gisbox.runtime.service.app")
config = importlib.import_module("gisbox.runtime.service.config")
# the paths the API documents (routers are included: app.routes holds them as groups)
routes = set(app.create_app(config.Settings.from_env()).openapi()["paths"])
for path in ("/healthz", "/readyz", "/v1/transform", "/v1/transform/array", "/v1/predict"):
    assert path in routes, f"the API has {path}"


verify_common.gisbox_check()  # no error; RECORD tells the truth

print("ok")

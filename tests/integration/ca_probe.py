"""Run inside an image (mounted at /tmp/ca_probe.py) against the test's HTTPS server:
which libraries complete a TLS connection, as an application would call them (the
bindings imported first). Prints {"urllib": bool, "requests": bool, "gdal": bool}."""

import json
import sys
import urllib.request

import rasterio  # imported first, as applications do: it sets GDAL's and PROJ's CA variables

base = sys.argv[1]  # https://127.0.0.1:PORT
result = {}
try:
    with urllib.request.urlopen(f"{base}/hello.txt", timeout=10) as resp:
        result["urllib"] = resp.read() == b"hello"
except OSError:
    result["urllib"] = False
try:
    import requests

    result["requests"] = requests.get(f"{base}/hello.txt", timeout=10).text == "hello"
except requests.exceptions.SSLError:
    result["requests"] = False
try:
    with rasterio.Env(GDAL_HTTP_MAX_RETRY="0"), rasterio.open(f"/vsicurl/{base}/tiny.tif") as src:
        result["gdal"] = int(src.read(1)[0, 0]) == 7
except rasterio.errors.RasterioIOError:
    result["gdal"] = False
print(json.dumps(result))

"""A private CA given at run time is trusted by every library in the image, through one
variable: an HTTPS server on 127.0.0.1 whose certificate a throwaway CA signed, and the
images of both runtimes (minimal: slim; distroless) reading from it with urllib,
requests and GDAL (rasterio's /vsicurl/, rasterio imported first as applications do)."""

from __future__ import annotations

import http.server
import io
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from gisbox.engines.base import Mount, RunOptions
from tests.image_fixtures import Built, ProjectImages

PROBE = Path(__file__).with_name("ca_probe.py")
ALL = {"urllib": True, "requests": True, "gdal": True}
NONE = dict.fromkeys(ALL, False)


def throwaway_ca(root: Path) -> tuple[Path, Path, Path]:
    """(the CA's certificate, the server's certificate, its key) for 127.0.0.1."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=root, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=gisbox test CA", "-keyout", "ca.key", "-out", "ca.pem")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    (root / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.cnf",
            "-out", "server.pem")  # fmt: skip
    return root / "ca.pem", root / "server.pem", root / "server.key"


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with single byte ranges (what GDAL's /vsicurl/ asks for)."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        spec = self.headers.get("Range", "")
        path = Path(self.translate_path(self.path))
        if not spec.startswith("bytes=") or not path.is_file():
            return super().send_head()
        data = path.read_bytes()
        first, _, last = spec[6:].partition("-")
        start, end = int(first), min(int(last or len(data) - 1), len(data) - 1)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        return io.BytesIO(data[start : end + 1])


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(https://127.0.0.1:PORT, the CA's certificate)."""
    root = tmp_path_factory.mktemp("ca")
    ca, cert, key = throwaway_ca(root)
    site = root / "site"
    site.mkdir()
    (site / "hello.txt").write_text("hello")
    with rasterio.open(site / "tiny.tif", "w", driver="GTiff", width=4, height=4, count=1,
                       dtype="uint8", crs="EPSG:32633",
                       transform=from_origin(500000, 0, 10, 10)) as dst:  # fmt: skip
        dst.write(np.full((1, 4, 4), 7, dtype="uint8"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def handler(*args: object) -> RangeHandler:
        return RangeHandler(*args, directory=str(site))  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca
    finally:
        server.shutdown()


def probe(built: Built, base: str, ca: Path, **env: str) -> dict[str, bool]:
    res = built.engine.run(
        built.tag,
        ["python", "/tmp/ca_probe.py", base],
        options=RunOptions(
            network="host",
            env=env,
            mounts=(
                Mount(source=PROBE, target="/tmp/ca_probe.py", read_only=True),
                Mount(source=ca, target="/tmp/corp-ca.pem", read_only=True),
            ),
        ),
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    result: dict[str, bool] = json.loads(res.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("name", ["minimal", "distroless"])
def test_one_variable_makes_every_library_trust_a_private_ca(
    name: str, project_images: ProjectImages, https_server: tuple[str, Path]
) -> None:
    built = project_images.get(name)
    base, ca = https_server
    corp = "/tmp/corp-ca.pem"
    assert probe(built, base, ca) == NONE  # the image's own bundle: refused by all
    assert probe(built, base, ca, SSL_CERT_FILE=corp) == ALL
    assert probe(built, base, ca, CURL_CA_BUNDLE=corp) == ALL
    assert probe(built, base, ca, SSL_CERT_FILE=corp, CURL_CA_BUNDLE=corp) == ALL
    # a variable a user sets for one library is kept: GDAL's own to the image's bundle
    certifi = next(e.split("=", 1)[1] for e in built.engine.inspect(built.tag).env
                   if e.startswith("GISBOX_DEFAULT_CA="))  # fmt: skip
    kept = probe(built, base, ca, SSL_CERT_FILE=corp, GDAL_CURL_CA_BUNDLE=certifi)
    assert kept == {"urllib": True, "requests": True, "gdal": False}

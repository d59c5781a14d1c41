"""Benchmark: the upstream test suites of pyproj, shapely, geopandas, rasterio and pyogrio
in two images (e.g. `wheels` and `source`), compared test by test.

    .venv/bin/python bench/bench_upstream_suites.py IMAGE_A IMAGE_B [--only pyproj,shapely]

For each package: its version in each image, the sdist of that version from PyPI (its
sha256 checked against PyPI's), its tests run inside each image by
`bench/upstream/run_suite.py` (as root in a throwaway container; pytest and hypothesis for
the image's Python mounted at /pt), and the outcomes compared: every test whose outcome
differs is listed (passed, failed, error, skipped). Versions that differ between the
images are said first, since their suites differ too. Needs Docker and network access
(PyPI through the host's CA bundle; some upstream tests read from the network themselves,
in both images alike).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tarfile
import tempfile
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from gisbox.engines.docker import detect_docker
from gisbox.locking.pyindex import fetch_sdist, uv_bin

PACKAGES = ("pyproj", "shapely", "geopandas", "rasterio", "pyogrio")
RUNNER = Path(__file__).parent / "upstream" / "run_suite.py"
VERSIONS = (
    "import importlib.metadata as m, json, sys; "
    "print(json.dumps({n: m.version(n) for n in sys.argv[1:]} | "
    "{'python': '%d.%d' % sys.version_info[:2]}))"
)


def image_versions(image: str) -> dict[str, str]:
    out = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "/opt/venv/bin/python", image,
         "-c", VERSIONS, *PACKAGES],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    versions: dict[str, str] = json.loads(out)
    return versions


def sdist(name: str, version: str, dest: Path) -> Path:
    """The sdist of name==version from the index (gisbox's own lookup, sha256 checked),
    unpacked; its top directory."""
    found = fetch_sdist(name, version)
    data = urllib.request.urlopen(found.sdist.url, timeout=300).read()
    assert hashlib.sha256(data).hexdigest() == found.sdist.sha256, found.sdist.url
    archive = dest / found.sdist.url.rsplit("/", 1)[-1]
    dest.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(data)
    with tarfile.open(archive) as tar:
        tar.extractall(dest / "src", filter="data")
    (top,) = (dest / "src").iterdir()
    return top


def pytest_for(python: str, dest: Path) -> Path:
    """pytest and what the suites import besides the package (hypothesis; boto3 for
    rasterio's conftest) for the image's Python, pure wheels, in a directory of their own."""
    subprocess.run(
        [uv_bin(), "pip", "install", "-q", "--target", str(dest), "--python-version", python,
         "--only-binary", ":all:", "pytest", "hypothesis", "boto3"],
        check=True,
    )  # fmt: skip
    return dest


def run_suite(image: str, package: str, src: Path, pt: Path, out: Path) -> Path:
    """The suite's JUnit report (its output's end is printed when pytest made none)."""
    xml = out / f"{package}.xml"
    done = subprocess.run(
        ["docker", "run", "--rm", "--user", "0:0", "--entrypoint", "/opt/venv/bin/python",
         "-v", f"{RUNNER}:/in/run_suite.py:ro", "-v", f"{src}:/src:ro", "-v", f"{pt}:/pt:ro",
         "-v", f"{out}:/out", image, "/in/run_suite.py", package, "/src", f"/out/{xml.name}"],
        capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if not xml.is_file() or 'errors="1"' in xml.read_text()[:400]:
        print(f"{package} in {image}: {(done.stdout + done.stderr)[-1500:]}")
    return xml


def outcomes(xml: Path) -> dict[str, str]:
    """Test id -> passed, failed, error or skipped (a missing report: the run crashed)."""
    if not xml.is_file():
        return {}
    result = {}
    for case in ET.parse(xml).iter("testcase"):
        kinds = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
        outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}.get(
            kinds[0] if kinds else "", "passed"
        )
        result[f"{case.get('classname')}::{case.get('name')}"] = outcome
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs=2, metavar="IMAGE")
    parser.add_argument("--only", default=",".join(PACKAGES))
    args = parser.parse_args()
    detect_docker()  # a usable engine, or its error
    a, b = args.images
    va, vb = image_versions(a), image_versions(b)
    with tempfile.TemporaryDirectory(prefix="gisbox-bench-suites-") as tmp:
        root = Path(tmp)
        pts = {v: pytest_for(v, root / f"pt-{v}") for v in {va["python"], vb["python"]}}
        for package in args.only.split(","):
            results = []
            for image, versions in ((a, va), (b, vb)):
                work = root / f"{package}-{versions[package]}"
                kept = work / "src"
                src = (
                    next(kept.iterdir())
                    if kept.is_dir()
                    else sdist(package, versions[package], work)
                )
                out = root / "out" / image.replace("/", "_").replace(":", "_")
                out.mkdir(parents=True, exist_ok=True)
                out.chmod(0o777)
                results.append(
                    outcomes(run_suite(image, package, src, pts[versions["python"]], out))
                )
            report(package, (a, va[package], results[0]), (b, vb[package], results[1]))


def counts(results: dict[str, str]) -> str:
    tally = sorted(Counter(results.values()).items())
    return ", ".join(f"{n} {k}" for k, n in tally) or "no report"


def report(package: str, *sides: tuple[str, str, dict[str, str]]) -> None:
    (a, va, ra), (b, vb, rb) = sides
    count = lambda r: ", ".join(f"{n} {k}" for k, n in sorted(Counter(r.values()).items()))  # noqa: E731
    print(
        f"\n{package}: {a} {va}: {count(ra) or 'no report'}; {b} {vb}: {count(rb) or 'no report'}"
    )
    if va != vb:
        print(f"  the versions differ ({va} / {vb}): their suites are not the same tests")
    differing = sorted(t for t in ra.keys() | rb.keys() if ra.get(t) != rb.get(t))
    for test in differing:
        print(f"  {test}: {ra.get(test, 'absent')} / {rb.get(test, 'absent')}")
    if not differing and ra:
        print("  the same outcome for every test")


if __name__ == "__main__":
    main()

"""The report of a real image, rendered by a real browser (Debian's chromium, headless):
`gisbox build` writes it, `gisbox report IMAGE --against FP` makes one for any image, the
page logs nothing to the console, and a screenshot shows the treemap in its colours."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning

from gisbox.report.page import COLOURS
from tests.image_fixtures import IN_CI, Built, gisbox

pytestmark = pytest.mark.docker


def chromium(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chromium")
    if exe is None:
        if IN_CI:
            pytest.fail("CI=true but chromium is missing (scripts/setup-host.sh installs it)")
        pytest.skip("chromium is not installed")
    return subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120, cwd=page.parent,
    )  # fmt: skip


def console(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def test_a_page_with_errors_is_caught(tmp_path: Path) -> None:
    """The harness itself: a page that logs an error and throws is seen doing so."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>console.error('boom'); missing();</script></body></html>")
    assert len(console(chromium(bad, "--dump-dom"))) == 2


def test_the_build_writes_a_report_that_renders_with_its_treemap(
    minimal_image: Built, tmp_path: Path
) -> None:
    page = Path(minimal_image.report["report"])
    assert page == minimal_image.project / ".gisbox" / "report.html" and page.is_file()
    dom = chromium(page, "--dump-dom")
    assert dom.returncode == 0 and not console(dom), console(dom) or dom.stderr[-2000:]
    assert minimal_image.tag in dom.stdout and 'id="treemap"' in dom.stdout
    shot = tmp_path / "report.png"
    done = chromium(page, "--window-size=1200,900", f"--screenshot={shot}")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(shot) as png:
            rgb = png.read()[:3].astype(int)
    # the wheels' vendored libraries are the largest group of a `minimal` image: their
    # colour covers a large part of the screenshot, and every group's colour shows
    for group in ("vendored libraries", "distributions", "Python"):
        colour = [int(COLOURS[group][i : i + 2], 16) for i in (1, 3, 5)]
        share = np.all(np.abs(rgb - np.array(colour)[:, None, None]) <= 2, axis=0).mean()
        assert share > (0.10 if group == "vendored libraries" else 0.002), (group, share)


def test_report_of_any_image_against_another_fingerprint(
    distroless_image: Built, minimal_image: Built, tmp_path: Path
) -> None:
    out = tmp_path / "distroless.html"
    other = minimal_image.project / ".gisbox" / "fingerprint.json"
    res = gisbox("report", distroless_image.tag, "-o", str(out), "--against", str(other))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"wrote {out}"
    text = out.read_text()
    assert 'id="drift"' in text and f"Against {other}" in text
    # the slim and distroless images of one lock: same versions, other files and layers
    assert "bindings.rasterio" not in text
    layers = re.findall(r'<td class="n">(\d+)</td>', text)
    assert len(layers) >= distroless_image.report["layers"]
    sizes = re.findall(r"([\d,.]+) MB</td><td class=\"n\">[\d.]+ %", text)
    assert sizes, "no group sizes"
    dom = chromium(out, "--dump-dom")
    assert dom.returncode == 0 and not console(dom)


def test_report_refuses_a_missing_image_and_a_bad_fingerprint(tmp_path: Path) -> None:
    res = gisbox("report", "gisbox-test/no-such-image:1", "-o", str(tmp_path / "r.html"))
    assert res.returncode == 2 and "no such image" in res.stderr
    bad = tmp_path / "fp.json"
    bad.write_text(json.dumps({"hello": 1}))
    res = gisbox("report", "x", "--against", str(bad), "-o", str(tmp_path / "r.html"))
    assert res.returncode == 2 and "not a gisbox fingerprint" in res.stderr
    assert not (tmp_path / "r.html").exists()

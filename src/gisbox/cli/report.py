"""`gisbox report [IMAGE]`: the picture of an image, one self-contained HTML file. A thin
command over `gisbox.report.collect`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click

from gisbox.cli.options import engine_option, image_argument, out_option, project_option


@click.command()
@project_option
@engine_option
@image_argument
@out_option(
    "Write the page here (default: .gisbox/report.html for the project's image, "
    "report.html for a named one)."
)
@click.option(
    "--against",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A second fingerprint (`gisbox check --json FILE` elsewhere): the page says what "
    "drifted from it.",
)
def report(
    project: Path, engine: str | None, image: str | None, out: Path | None, against: Path | None
) -> None:
    """One HTML page about IMAGE (default: the project's built image): its bytes by
    component as a treemap, each layer's size, the check's findings, the stack, the SBOM's
    summary, and drift against another fingerprint. No script, no network: open it
    anywhere, attach it to a review."""
    from gisbox.engines.registry import select_engine
    from gisbox.image.diff import load_fingerprint
    from gisbox.image.state import require_built, require_image
    from gisbox.image.verify import FINGERPRINT_LABEL
    from gisbox.project.project import Project
    from gisbox.report.collect import check_in_image, report_data, scan_files, write_report

    if against is not None:
        load_fingerprint(against)  # a bad file is refused before any work
    chosen = select_engine(engine)
    fingerprint, app = None, ""
    if image is None:
        loaded = Project.load(project)
        image = loaded.spec.reference
        info = require_built(chosen, image, "run `gisbox build` first, or name an image")
        kept = loaded.paths.support / "fingerprint.json"
        if kept.is_file():  # the build's fingerprint, if it is this image's
            digest = "sha256:" + hashlib.sha256(kept.read_bytes()).hexdigest()
            if info.labels.get(FINGERPRINT_LABEL) == digest:
                fingerprint = json.loads(kept.read_text())
        app = loaded.spec.app.workdir
        out = out or loaded.paths.support / "report.html"
    else:
        require_image(chosen, image)
        out = out or Path("report.html")
    if fingerprint is None:
        click.echo(f"gisbox report: running `gisbox check` in {image} ...", err=True)
        fingerprint = check_in_image(chosen, image)
    click.echo(f"gisbox report: reading {image}'s files ...", err=True)
    scanned = scan_files(chosen, image, image)
    data = report_data(
        chosen, image, name=image, scanned=scanned, fingerprint=fingerprint,
        against=against, app=app,
    )  # fmt: skip
    click.echo(f"wrote {write_report(out, data)}")

"""`gisbox sbom [IMAGE]`: a thin command over `gisbox.sbom`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gisbox.cli import cli, engine_option, project_option


@cli.command()
@project_option
@engine_option
@click.argument("image", required=False)
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the SBOM here (default: standard output).",
)
def sbom(project: Path, engine: str | None, image: str | None, out: Path | None) -> None:
    """A CycloneDX 1.6 SBOM of IMAGE (default: the project's built image): OS packages,
    Python distributions, and the C libraries vendored inside the wheels."""
    from gisbox.engines import select_engine
    from gisbox.lockfile import Lock
    from gisbox.project import Project
    from gisbox.render import LOCK_LABEL
    from gisbox.runtime.atomic import write_text_atomic
    from gisbox.runtime.errors import UsageError
    from gisbox.sbom import generate, vendored_summary

    chosen = select_engine(engine)
    lock: Lock | None = None
    if image is None:
        loaded = Project.load(project)
        image = loaded.spec.reference
        if not chosen.exists(image):
            raise UsageError(
                f"{image} (the image of {loaded.paths.spec}) is not built",
                hint="run `gisbox build` first, or name an image: gisbox sbom IMAGE",
            )
        if chosen.inspect(image).labels.get(LOCK_LABEL) == loaded.lock_digest:
            lock = loaded.lock  # its sha256s are the image's; another build's are not
    elif not chosen.exists(image):
        raise UsageError(f"{image}: no such image in {chosen.name}", hint=f"{chosen.name} images")
    click.echo(f"gisbox sbom: scanning {image} ...", err=True)
    text = generate(chosen, image, lock)
    libs = vendored_summary(text)
    versioned = sum(1 for lib in libs if lib["version"])
    click.echo(
        f"gisbox sbom: {len(libs)} vendored libraries ({versioned} with a version), "
        f"{'hashes from ' + str(project / 'gisbox.lock') if lock else 'no lock: inferred'}",
        err=True,
    )
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        write_text_atomic(out, text + "\n")
        click.echo(f"gisbox sbom: wrote {out}", err=True)

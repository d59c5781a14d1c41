"""`gisbox sbom [IMAGE]` and `gisbox audit [IMAGE]`: the supply chain. Thin commands over
`gisbox.sbom.cyclonedx` and `gisbox.sbom.audit`."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from gisbox.cli.options import engine_option, image_argument, out_option, project_option
from gisbox.runtime.errors import VulnerabilitiesFound


def _sbom_of(project: Path, engine: str | None, image: str | None) -> str:
    """The SBOM of IMAGE, else of the project's image with its lock's hashes."""
    from gisbox.engines.registry import select_engine
    from gisbox.image.state import built_from_lock, require_built, require_image
    from gisbox.project.lockfile import Lock
    from gisbox.project.project import Project
    from gisbox.sbom.cyclonedx import generate, vendored_summary

    chosen = select_engine(engine)
    lock: Lock | None = None
    if image is None:
        loaded = Project.load(project)
        image = loaded.spec.reference
        hint = "run `gisbox build` first, or name an image: gisbox sbom IMAGE"
        if built_from_lock(require_built(chosen, image, hint), loaded):
            lock = loaded.lock  # its sha256s are the image's; another build's are not
    else:
        require_image(chosen, image)
    click.echo(f"gisbox sbom: scanning {image} ...", err=True)
    text = generate(chosen, image, lock)
    libs = vendored_summary(text)
    versioned = sum(1 for lib in libs if lib["version"])
    click.echo(
        f"gisbox sbom: {len(libs)} vendored libraries ({versioned} with a version), "
        f"{'hashes from ' + str(project / 'gisbox.lock') if lock else 'no lock: inferred'}",
        err=True,
    )
    return text


@click.command()
@project_option
@engine_option
@image_argument
@out_option("Write the SBOM here (default: standard output).")
def sbom(project: Path, engine: str | None, image: str | None, out: Path | None) -> None:
    """A CycloneDX 1.6 SBOM of IMAGE (default: the project's built image): OS packages,
    Python distributions, and the C libraries vendored inside the wheels."""
    from gisbox.runtime.atomic import write_text_atomic

    text = _sbom_of(project, engine, image)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        write_text_atomic(out, text + "\n")
        click.echo(f"gisbox sbom: wrote {out}", err=True)


@click.command()
@project_option
@engine_option
@click.argument("image", required=False)
@click.option(
    "--sbom",
    "sbom_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Audit this SBOM (from `gisbox sbom -o`) instead of scanning an image.",
)
@click.option("--scanner", type=click.Choice(["grype", "trivy"]), help="Default: the first found.")
@click.option(
    "--fail-on",
    type=click.Choice(["negligible", "low", "medium", "high", "critical", "none"]),
    default="high",
    show_default=True,
    help="Exit 9 when a finding is at least this severe.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def audit(
    project: Path,
    engine: str | None,
    image: str | None,
    sbom_file: Path | None,
    scanner: str | None,
    fail_on: str,
    as_json: bool,
) -> None:
    """Known vulnerabilities of IMAGE's components, the vendored libraries included, from
    grype or trivy; exit 8 when no scanner or database can say, 9 on findings."""
    from gisbox.sbom import audit as audit_

    name, path = audit_.find_scanner(scanner)  # before any work: no scanner, no audit
    text = sbom_file.read_text() if sbom_file else _sbom_of(project, engine, image)
    findings = audit_.scan(text, name, path)
    if as_json:
        click.echo(json.dumps([asdict(f) for f in findings], indent=2))
    else:
        for line in audit_.report(findings):
            click.echo(line)
        click.echo(f"{len(findings)} finding(s) from {name}", err=True)
    failing = audit_.at_or_above(findings, fail_on)
    if failing:
        raise VulnerabilitiesFound(
            f"{len(failing)} finding(s) at or above {fail_on}",
            hint="update the components named above (bounds in gisbox.toml, then `gisbox "
            "lock` and `gisbox build`), or pass --fail-on with a higher severity",
        )

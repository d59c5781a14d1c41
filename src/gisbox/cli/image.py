"""`gisbox build | push`: the project's image built and verified, then pushed. Thin
commands over `gisbox.image`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gisbox.cli.options import (
    engine_option,
    json_option,
    no_make_base_option,
    project_option,
    workloads_option,
)
from gisbox.plugins.names import runtime_names


@click.command()
@project_option
@engine_option
@click.option(
    "--ca-cert",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CA bundle for HTTPS inside the build (default: the host's).",
)
@click.option(
    "--netrc",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="netrc with private-index credentials (a build secret).",
)
@click.option("--no-cache", is_flag=True, help="Build without the engine's layer cache.")
@click.option(
    "--runtime",
    type=click.Choice(runtime_names()),
    default=None,
    help="Build this runtime from the same lock, tagged <tag>-<runtime> (e.g. the slim "
    "twin of a distroless image, to debug with a shell).",
)
@workloads_option
@click.option(
    "--no-sbom",
    is_flag=True,
    help="Skip the SBOM (about 10 s less): no .gisbox/sbom.cdx.json and no io.gisbox.sbom-digest "
    "label. For development builds; `gisbox sbom` writes one later.",
)
@no_make_base_option
@click.option(
    "--stack-from",
    metavar="REGISTRY/REPO",
    envvar="GISBOX_STACK_FROM",
    help='Strategy "source": pull a missing stack image from here (where `gisbox stack '
    "push` put it) before compiling it [env: GISBOX_STACK_FROM].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def build(
    project: Path,
    engine: str | None,
    ca_cert: Path | None,
    netrc: Path | None,
    no_cache: bool,
    runtime: str | None,
    workloads: bool,
    no_sbom: bool,
    no_make_base: bool,
    stack_from: str | None,
    as_json: bool,
) -> None:
    """Render, build, verify inside the image, report."""
    from gisbox.cli.output import print_builds, progress
    from gisbox.engines.registry import select_engine
    from gisbox.image.build import build_all
    from gisbox.image.options import BuildOptions
    from gisbox.project.project import Project

    loaded = Project.load(project)  # before the engine: a stale lock is exit 3, not 4
    if runtime is not None:
        loaded = loaded.with_runtime(runtime)
    chosen = select_engine(engine)
    options = BuildOptions(
        ca_cert=ca_cert, netrc=netrc, no_cache=no_cache, workloads=workloads,
        sbom=not no_sbom, make_base=not no_make_base, stack_from=stack_from,
    )  # fmt: skip
    with progress(not as_json) as shown:
        reports = build_all(loaded, chosen, options, shown)
    print_builds(reports, as_json)


@click.command()
@project_option
@engine_option
@click.option(
    "--to",
    "target",
    required=True,
    metavar="REGISTRY/REPO[:TAG]",
    help="Where to push (the spec's tag when none is given).",
)
@json_option
def push(project: Path, engine: str | None, target: str, as_json: bool) -> None:
    """Tag the built image for a registry and push it; print its digest."""
    from gisbox.engines.registry import select_engine
    from gisbox.image.push import push as push_image
    from gisbox.project.project import Project

    loaded = Project.load(project)
    pushed = push_image(loaded, select_engine(engine), target)
    if as_json:
        fields = ("reference", "digest", "by_digest", "image_id")
        click.echo(json.dumps({f: getattr(pushed, f) for f in fields}))
    else:
        click.echo(f"pushed {pushed.reference}\n  {pushed.by_digest}\n  image {pushed.image_id}")

"""The `gisbox` command line: one thin click command per verb over the library.

Errors are handled once, in `GisboxGroup`: a `GisboxError` prints `error: …` and its
`fix:` hint and exits with its class's code. `check`, `healthcheck` and `run` hand their
arguments to the in-image verbs (`gisbox.runtime.main`): one parser each, the same on a
host as in an image.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from gisbox import __version__
from gisbox.runtime.errors import GisboxError


class GisboxGroup(click.Group):
    """Catches every GisboxError of every command, once."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GisboxError as exc:
            click.echo(f"error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"  fix: {exc.hint}", err=True)
            ctx.exit(exc.exit_code)


project_option = click.option(
    "--project",
    "-C",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The project directory (holds gisbox.toml).",
)
engine_option = click.option(
    "--engine",
    type=click.Choice(["docker", "podman"]),
    default=None,
    help="Container engine (default: $GISBOX_ENGINE, else a running Docker, else Podman).",
)
workloads_option = click.option(
    "--workloads",
    is_flag=True,
    help="Also run small deterministic spatial workloads; their numbers join the fingerprint.",
)


@click.group(cls=GisboxGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gisbox")
def cli() -> None:
    """Build small, verified production images of Python geospatial stacks."""


@cli.command()
@click.option(
    "--profile", default="minimal", show_default=True, help="Ready profile to start from."
)
@click.option("--force", is_flag=True, help="Overwrite an existing gisbox.toml.")
@project_option
def init(profile: str, force: bool, project: Path) -> None:
    """Write a commented gisbox.toml for a profile."""
    from gisbox.profiles import init_project

    path = init_project(project, profile, force=force)
    click.echo(f"wrote {path}; next: `gisbox lock`")


@cli.command()
@project_option
@engine_option
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
def lock(project: Path, engine: str | None, quiet: bool) -> None:
    """Resolve gisbox.lock: exact versions and sha256 hashes for the image's platform."""
    from gisbox.engines import select_engine
    from gisbox.lockfile import keep_epoch, write_lock
    from gisbox.locking import resolve_lock
    from gisbox.project import Paths
    from gisbox.report import console, progress
    from gisbox.spec import load_spec

    paths = Paths(project)
    spec = load_spec(paths.spec)
    chosen = select_engine(engine)
    with progress(not quiet) as (on_step, _):
        result = resolve_lock(spec, chosen, on_step)
    result = keep_epoch(result, paths.lock)
    write_lock(result, paths.lock)
    console.print(
        f"wrote {paths.lock}: {len(result.packages)} Python packages, "
        f"{len(result.os_packages)} OS packages, Python {result.target.python_full}, "
        f"{result.target.python_platform}"
    )


@cli.command()
@project_option
@click.option(
    "--start-interval",
    is_flag=True,
    help="HEALTHCHECK --start-interval=1s: healthy a second after ready, on engines that "
    "keep it (Docker >= 25, Podman >= 5.1; Docker 20.10 refuses the Dockerfile). "
    "`gisbox build` decides by probing its engine.",
)
def dockerfile(project: Path, start_interval: bool) -> None:
    """Write the Dockerfile, .dockerignore and .gisbox/ support files from spec and lock."""
    from gisbox.build_context import write_context
    from gisbox.project import Project
    from gisbox.render import render

    loaded = Project.load(project)
    path = write_context(loaded.paths, render(loaded, start_interval=start_interval))
    click.echo(f"wrote {path} and {loaded.paths.dockerignore}")


@cli.command()
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
    type=click.Choice(["slim", "distroless"]),
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
    as_json: bool,
) -> None:
    """Render, build, verify inside the image, report."""
    from gisbox.build import build_all
    from gisbox.engines import select_engine
    from gisbox.project import Project
    from gisbox.report import print_builds, progress

    loaded = Project.load(project)  # before the engine: a stale lock is exit 3, not 4
    if runtime is not None:
        loaded = loaded.with_runtime(runtime)
    chosen = select_engine(engine)
    with progress(not as_json) as (on_step, on_line):
        reports = build_all(
            loaded,
            chosen,
            ca_cert=ca_cert,
            netrc=netrc,
            no_cache=no_cache,
            workloads=workloads,
            sbom=not no_sbom,
            on_line=on_line,
            on_step=on_step,
        )
    print_builds(reports, as_json)


@cli.command()
@project_option
@engine_option
@click.option(
    "--to",
    "target",
    required=True,
    metavar="REGISTRY/REPO[:TAG]",
    help="Where to push (the spec's tag when none is given).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def push(project: Path, engine: str | None, target: str, as_json: bool) -> None:
    """Tag the built image for a registry and push it; print its digest."""
    from gisbox.engines import select_engine
    from gisbox.project import Project
    from gisbox.push import push as push_image

    loaded = Project.load(project)
    pushed = push_image(loaded, select_engine(engine), target)
    if as_json:
        fields = ("reference", "digest", "by_digest", "image_id")
        click.echo(json.dumps({f: getattr(pushed, f) for f in fields}))
    else:
        click.echo(f"pushed {pushed.reference}\n  {pushed.by_digest}\n  image {pushed.image_id}")


@cli.command()
@project_option
@engine_option
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the manifests (one YAML file per kind).",
)
@click.option(
    "--image",
    default=None,
    metavar="REPO@sha256:…",
    help="The image by digest (default: the built image's digest from `gisbox push`).",
)
@click.option("--replicas", default=2, show_default=True, help="Service replicas.")
@click.option("--workers", default=2, show_default=True, help="Dask workers.")
@click.option(
    "--run",
    "run_args",
    default=None,
    metavar="'WORKLOAD ARGS'",
    help="The Job's `gisbox run` arguments, e.g. 'moran /data/parcels.gpkg --column price' "
    "(default: the Job runs `gisbox check --workloads`).",
)
def k8s(
    project: Path,
    engine: str | None,
    out: Path,
    image: str | None,
    replicas: int,
    workers: int,
    run_args: str | None,
) -> None:
    """Kubernetes manifests for the image: a Deployment (service) or a DaskCluster + Job."""
    from gisbox.k8s import KUBERNETES_VERSION, manifests, write_manifests
    from gisbox.project import Project

    loaded = Project.load(project)
    spec = loaded.spec
    if image is None:
        from gisbox.engines import select_engine
        from gisbox.runtime.errors import UsageError

        chosen = select_engine(engine)
        digests = (
            chosen.inspect(spec.reference).repo_digests if chosen.exists(spec.reference) else ()
        )
        if not digests:
            raise UsageError(
                f"{spec.reference} has no registry digest: manifests reference images by digest",
                hint="run `gisbox push --to REGISTRY/REPO` first, or pass --image REPO@sha256:…",
            )
        image = digests[0]
    locked = frozenset(loaded.lock.versions())
    import shlex

    job = ("run", *shlex.split(run_args)) if run_args else ("check", "--workloads")
    docs = manifests(spec, image, locked=locked, replicas=replicas, workers=workers, job=job)
    paths = write_manifests(out, docs)
    for path in paths:
        click.echo(f"wrote {path}")
    click.echo(f"for Kubernetes {KUBERNETES_VERSION}; image {image}")


@cli.command()
@project_option
@engine_option
@click.option("--mirror", default=None, help="Debian mirror (default: deb.debian.org).")
@click.option("--tag", default=None, help="Tag to create (default: the spec's image.base).")
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    type=click.Choice(["linux/amd64", "linux/arm64"]),  # gisbox.spec.PLATFORMS
    help="Platform to make it for (repeatable; default: the spec's platforms). Another "
    "architecture than the host's runs under qemu-user-static and is named <tag>-<arch>.",
)
def base(
    project: Path,
    engine: str | None,
    mirror: str | None,
    tag: str | None,
    platforms: tuple[str, ...],
) -> None:
    """Make the Debian base image from a Debian mirror with debootstrap."""
    from gisbox.debootstrap_base import DEFAULT_MIRROR, make_base, suite_for
    from gisbox.engines import select_engine
    from gisbox.platforms import platform_base
    from gisbox.project import Paths
    from gisbox.report import console, human_size, progress
    from gisbox.spec import Spec, load_spec

    paths = Paths(project)
    spec = load_spec(paths.spec) if paths.spec.exists() else Spec()
    reference = tag or spec.image.base
    suite_for(reference)  # a usage error for bases debootstrap cannot make, before any work
    chosen = select_engine(engine)
    for platform in platforms or spec.image.targets:
        local = platform_base(reference, platform)
        with progress(True) as (on_step, on_line):
            on_step(
                f"debootstrap {local} ({platform}) from {mirror or DEFAULT_MIRROR} into "
                f"{chosen.name}"
            )
            image_id = make_base(
                chosen, reference, mirror=mirror or DEFAULT_MIRROR, platform=platform,
                on_line=on_line,
            )  # fmt: skip
        size = chosen.inspect(local).size
        console.print(f"created {local} for {platform} ({image_id[:19]}, {human_size(size)})")


def _passthrough(verb: str, help_text: str) -> None:
    """A host command that hands its arguments to the in-image verb."""

    @cli.command(
        name=verb,
        help=help_text,
        context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
        add_help_option=False,
    )
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args: tuple[str, ...]) -> None:
        from gisbox.runtime.main import run_verb

        sys.exit(run_verb(verb, list(args)))


_passthrough("check", "Run the verification suite here; write the fingerprint (`check -h`).")
_passthrough("run", "Run a spatial workload: moran, gistar, chunked, tiles (`run -h`).")
_passthrough("healthcheck", "Fast check here: imports, PROJ/GDAL data, a golden transformation.")
_passthrough("eval", "Compare predictions with truth: pixel IoU, object F1, drift (`eval -h`).")


@cli.command()
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Any difference counts, paths and in-tolerance too.")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
def diff(a: Path, b: Path, strict: bool, as_json: bool) -> None:
    """Compare two fingerprints (from `gisbox check --json`); exit 1 on drift."""
    from dataclasses import asdict

    from gisbox.diff import compare, has_drift, load_fingerprint

    diffs = compare(load_fingerprint(a), load_fingerprint(b))
    drift = has_drift(diffs, strict)
    if as_json:
        click.echo(
            json.dumps({"drift": drift, "differences": [asdict(d) for d in diffs]}, indent=2)
        )
    else:
        click.echo(f"A: {a}\nB: {b}")
        for d in diffs:
            mark = "DRIFT" if d.drift or strict else "info "
            click.echo(f"  {mark} [{d.kind}] {d.message}")
        n = sum(d.drift or strict for d in diffs)
        click.echo(
            f"{n} drifting difference(s), {len(diffs) - n} informational"
            if diffs
            else "no differences"
        )
    sys.exit(1 if drift else 0)


def main() -> None:
    cli()


# the command groups in their own modules register themselves on `cli`
from gisbox import cli_cluster, cli_sbom  # noqa: E402,F401

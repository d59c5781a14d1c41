"""`gisbox init | lock | dockerfile | base`: the project's spec, its lock, its rendering,
and the base image it starts from. Thin commands over `gisbox.project`, `gisbox.locking`
and `gisbox.render`."""

from __future__ import annotations

from pathlib import Path

import click

from gisbox.cli.options import (
    engine_option,
    no_make_base_option,
    platform_choice,
    project_option,
)


@click.command()
@click.option(
    "--profile", default="minimal", show_default=True, help="Ready profile to start from."
)
@click.option("--force", is_flag=True, help="Overwrite an existing gisbox.toml.")
@project_option
def init(profile: str, force: bool, project: Path) -> None:
    """Write a commented gisbox.toml for a profile."""
    from gisbox.project.profiles import init_project

    path = init_project(project, profile, force=force)
    click.echo(f"wrote {path}; next: `gisbox lock`")


@click.command()
@project_option
@engine_option
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@no_make_base_option
def lock(project: Path, engine: str | None, quiet: bool, no_make_base: bool) -> None:
    """Resolve gisbox.lock: exact versions and sha256 hashes for the image's platform."""
    from gisbox.cli.output import console, progress
    from gisbox.engines.registry import select_engine
    from gisbox.locking.resolve import resolve_lock
    from gisbox.project.lockfile import keep_epoch, write_lock
    from gisbox.project.project import Paths
    from gisbox.project.spec import load_spec

    paths = Paths(project)
    spec = load_spec(paths.spec)
    chosen = select_engine(engine)
    with progress(not quiet) as shown:
        result = resolve_lock(spec, chosen, shown.on_step, make_base=not no_make_base)
    result = keep_epoch(result, paths.lock)
    write_lock(result, paths.lock)
    console.print(
        f"wrote {paths.lock}: {len(result.packages)} Python packages, "
        f"{len(result.os_packages)} OS packages, Python {result.target.python_full}, "
        f"{result.target.python_platform}"
    )


@click.command()
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
    from gisbox.project.project import Project
    from gisbox.render.build_context import write_context
    from gisbox.render.dockerfile import render

    loaded = Project.load(project)
    path = write_context(loaded.paths, render(loaded, start_interval=start_interval))
    click.echo(f"wrote {path} and {loaded.paths.dockerignore}")


@click.command()
@project_option
@engine_option
@click.option("--mirror", default=None, help="Debian mirror (default: deb.debian.org).")
@click.option("--tag", default=None, help="Tag to create (default: the spec's image.base).")
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    type=platform_choice,
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
    from gisbox.cli.output import console, human_size, progress
    from gisbox.engines.registry import select_engine
    from gisbox.locking.debootstrap import DEFAULT_MIRROR, make_base, suite_for
    from gisbox.project.platforms import platform_base
    from gisbox.project.project import Paths
    from gisbox.project.spec import Spec, load_spec

    paths = Paths(project)
    spec = load_spec(paths.spec) if paths.spec.exists() else Spec()
    reference = tag or spec.image.base
    suite_for(reference)  # a usage error for bases debootstrap cannot make, before any work
    chosen = select_engine(engine)
    for platform in platforms or spec.image.targets:
        local = platform_base(reference, platform)
        with progress(True) as shown:
            shown.on_step(
                f"debootstrap {local} ({platform}) from {mirror or DEFAULT_MIRROR} into "
                f"{chosen.name}"
            )
            image_id = make_base(
                chosen, reference, mirror=mirror or DEFAULT_MIRROR, platform=platform,
                on_line=shown.on_line,
            )  # fmt: skip
        size = chosen.inspect(local).size
        console.print(f"created {local} for {platform} ({image_id[:19]}, {human_size(size)})")

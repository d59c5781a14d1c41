"""`gisbox stack ls | rm | push`: the stack images of compiled libraries (strategy
"source") the engine holds. Thin commands over `gisbox.image.stack`; `gisbox build`
makes the one a project needs when it is missing."""

from __future__ import annotations

import json

import click

from gisbox.cli.options import engine_option, json_option


@click.group()
def stack() -> None:
    """Stack images: GDAL compiled once (strategy "source"), reused by every project."""


@stack.command("ls")
@engine_option
@json_option
def list_command(engine: str | None, as_json: bool) -> None:
    """List the stack images, newest first."""
    from rich.console import Console
    from rich.table import Table

    from gisbox.engines.registry import select_engine
    from gisbox.image.stack import list_stacks

    stacks = list_stacks(select_engine(engine))
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in stacks], indent=2, sort_keys=True))
        return
    if not stacks:
        click.echo('no stack images (`gisbox build` of a strategy = "source" project makes one)')
        return
    table = Table("tag", "arch", "size", "GDAL", "drivers", "base", "created")
    for s in stacks:
        drivers = s.labels.get("drivers", "")
        table.add_row(
            s.tag, s.architecture, f"{s.size / 1e6:.0f} MB", s.labels.get("gdal", ""),
            f"{len(drivers.split(','))} declared" if drivers else "", s.labels.get("base", ""),
            s.created[:19],
        )  # fmt: skip
    Console().print(table)


@stack.command("rm")
@engine_option
@click.argument("names", nargs=-1, metavar="NAME...")
@click.option("--all", "remove_all", is_flag=True, help="Remove every stack image.")
def remove_command(engine: str | None, names: tuple[str, ...], remove_all: bool) -> None:
    """Remove stack images, named by tag or 8+ hex digits of the key. The next
    `gisbox build` that needs one compiles it again."""
    from gisbox.engines.registry import select_engine
    from gisbox.image.stack import find_stack, list_stacks, remove_stack
    from gisbox.runtime.errors import UsageError

    if bool(names) == remove_all:
        raise UsageError(
            "name the stack images to remove, or pass --all (not both)",
            hint="`gisbox stack ls` lists them",
        )
    chosen = select_engine(engine)
    found = list_stacks(chosen) if remove_all else [find_stack(chosen, n) for n in names]
    for s in found:
        remove_stack(chosen, s)
        click.echo(f"removed {s.tag}")


@stack.command("push")
@engine_option
@click.argument("name", metavar="NAME")
@click.option("--to", "target", required=True, metavar="REGISTRY/REPO[:TAG]",
              help="Where to push (the stack's own tag when none is given).")  # fmt: skip
def push_command(engine: str | None, name: str, target: str) -> None:
    """Push a stack image to a registry; print its digest reference."""
    from gisbox.engines.registry import select_engine
    from gisbox.image.stack import find_stack, push_stack

    chosen = select_engine(engine)
    click.echo(push_stack(chosen, find_stack(chosen, name), target))

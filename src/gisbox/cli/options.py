"""What every command shares: the group that turns a `GisboxError` into its message, its
`fix:` hint and its exit code, and the options several commands take (their choices come
from the registries: engines, platforms)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from gisbox.engines.registry import engine_names
from gisbox.project.platforms import platform_names
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
    type=click.Choice(engine_names()),
    default=None,
    help="Container engine (default: $GISBOX_ENGINE, else a running Docker, else Podman).",
)
platform_choice = click.Choice(platform_names())
workloads_option = click.option(
    "--workloads",
    is_flag=True,
    help="Also run small deterministic spatial workloads; their numbers join the fingerprint.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
no_make_base_option = click.option(
    "--no-make-base",
    is_flag=True,
    help="Refuse when the base is missing (it is otherwise pulled, copied from the other "
    "engine, or made from a Debian mirror like `gisbox base`).",
)


FC = TypeVar("FC", bound=Callable[..., Any])


def out_option(help_text: str) -> Callable[[FC], FC]:
    """`-o/--out FILE`: where a command writes what it makes."""
    return click.option(
        "-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help=help_text
    )


# the image a command looks at; without it, the project's own
image_argument = click.argument("image", required=False)

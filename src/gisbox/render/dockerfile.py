"""Render the Dockerfile and .dockerignore of a project from its spec and lock:
`render(project)` renders `Dockerfile.j2` with the project's `RenderContext`
(gisbox.render.context), the runtime plug-in's templates included.
"""

from __future__ import annotations

from dataclasses import dataclass

from gisbox.plugins.api import StackRecipe
from gisbox.project.project import Project
from gisbox.render.context import BUILDER_SCRIPTS, context_for, stack_recipe
from gisbox.render.templating import render_template


@dataclass(frozen=True, kw_only=True)
class IgnoreContext:
    """What dockerignore.j2 uses."""

    builder_helpers: tuple[str, ...]
    app_sources: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Rendered:
    dockerfile: str
    dockerignore: str
    requirements: str
    plugin_files: dict[str, str]  # written under .gisbox/build/
    source_date_epoch: int  # the lock's: the files gisbox writes carry it too
    base_arg: bool = False  # the Dockerfile takes its base as the GISBOX_BASE build argument
    stack: StackRecipe | None = None  # the stack image it copies from: .gisbox/stack/


def render(project: Project, *, start_interval: bool = False) -> Rendered:
    """The build context's files. `start_interval` only for an engine that keeps it
    (`ContainerEngine.supports_start_interval`): Docker < 25 refuses the Dockerfile."""
    ctx, plugin_files = context_for(project, start_interval=start_interval)
    ignore = IgnoreContext(
        builder_helpers=BUILDER_SCRIPTS,
        app_sources=tuple(f.rstrip("/") for f in project.spec.app.files),
    )
    return Rendered(
        dockerfile=render_template("Dockerfile.j2", ctx),
        dockerignore=render_template("dockerignore.j2", ignore),
        requirements=project.lock.requirements_txt(),
        plugin_files=plugin_files,
        source_date_epoch=ctx.source_date_epoch,
        base_arg=ctx.base_arg is not None,
        stack=stack_recipe(project),
    )

"""Stack images: compiled libraries (strategy "source": GDAL) built once and reused.

A stack image is tagged `gisbox/stack:<name>-<key>` and labelled with its full key
(`io.gisbox.stack.key`): the digest of its Dockerfile (the tarball's sha256, the compile
options, the pinned OS packages), its context files, the base's layers and the platform
(`gisbox.plugins.api.StackRecipe`). `gisbox build` uses the one its recipe names, and
builds it first when the engine does not hold it (`ensure_stack`); `gisbox stack ls | rm
| push` manage them. A project's `--no-cache` does not recompile it: the same key means
the same inputs; `gisbox stack rm` then `gisbox build` does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from gisbox.engines.base import BuildRequest, ContainerEngine, ImageInfo
from gisbox.image.push import target_reference
from gisbox.locking.bases import ensure_base
from gisbox.plugins.api import STACK_LABEL, STACK_REPOSITORY, CrossRecipe, StackRecipe
from gisbox.progress import Progress
from gisbox.project.lockfile import LOCK_FILE
from gisbox.project.project import Project
from gisbox.render.build_context import STACK_DIR
from gisbox.runtime.errors import BuildError, UsageError

KEY_LABEL = f"{STACK_LABEL}.key"


@dataclass(frozen=True, kw_only=True)
class UsedStack:
    """The stack image one build copied from."""

    tag: str
    key: str
    built_seconds: float | None  # None: it was there already, or pulled
    pulled_from: str = ""  # the registry reference it was pulled from (--stack-from)

    def as_dict(self) -> dict[str, object]:
        return {
            "tag": self.tag, "key": self.key, "built_seconds": self.built_seconds,
            "pulled_from": self.pulled_from,
        }  # fmt: skip


def ensure_stack(
    project: Project,
    engine: ContainerEngine,
    recipe: StackRecipe,
    *,
    platform: str,
    local_base: str,
    progress: Progress,
    stack_from: str | None = None,
    make_base: bool = True,
) -> UsedStack:
    """The stack image of `recipe` for `platform`: the engine's, else pulled from
    `stack_from` (REGISTRY/REPO, where `gisbox stack push` put it), else built now from
    the context `render_context` wrote under .gisbox/stack/ (its log: .gisbox/stack.log)."""
    target = next(t for t in project.lock.targets if t.platform == platform)
    key = recipe.key(target.base_layers, platform)
    tag = recipe.tag(target.base_layers, platform)
    if engine.exists(tag) and engine.inspect(tag).labels.get(KEY_LABEL, key) == key:
        progress.on_step(f"using the stack image {tag} ({platform}): nothing to compile")
        return UsedStack(tag=tag, key=key, built_seconds=None)
    if stack_from:
        pulled = pull_stack(engine, stack_from, tag, key, platform, progress)
        if pulled:
            return UsedStack(tag=tag, key=key, built_seconds=None, pulled_from=pulled)
    progress.on_step(
        f"compiling the stack image {tag} ({platform}) with {engine.description}: "
        f"GDAL {recipe.labels.get(f'{STACK_LABEL}.gdal', recipe.name)} and the declared "
        "drivers, once for every project on this recipe (about 12 minutes on 2 cores)"
    )
    context = project.paths.support / STACK_DIR
    build_args: tuple[tuple[str, str], ...] = (
        ("GISBOX_BASE", local_base), ("GISBOX_STACK_KEY", key),
    )  # fmt: skip
    cross = recipe.cross.get(platform)
    if cross is not None:
        build_base = cross_base(project, engine, cross, progress, make=make_base)
        build_args += (("GISBOX_BUILD_BASE", build_base),)
    request = BuildRequest(
        context=context,
        dockerfile=context / recipe.dockerfile_name(platform),
        tag=tag,
        platform=platform,
        build_args=build_args,
        source_date_epoch=project.lock.source_date_epoch,
    )
    started = time.monotonic()
    result = engine.build(request, progress.on_line)
    log = project.paths.support / "stack.log"
    log.write_text("\n".join(result.lines) + "\n")
    if result.returncode != 0:
        tail = "\n".join(result.lines[-15:])
        raise BuildError(
            f"{engine.name} build of the stack image {tag} failed:\n{tail}",
            hint=f"full log: {log}; the stack's Dockerfile: {context / 'Dockerfile'}",
        )
    return UsedStack(tag=tag, key=key, built_seconds=round(time.monotonic() - started, 1))


def cross_base(
    project: Project, engine: ContainerEngine, cross: CrossRecipe, progress: Progress,
    *, make: bool = True,
) -> str:  # fmt: skip
    """The local base a cross-compiling stage starts from (the build platform's), present
    (or made, unless not `make`: --no-make-base) and the one the lock pins."""
    local = ensure_base(
        engine, project.spec.image.base, cross.build_platform, make=make, progress=progress
    )
    layers = engine.inspect(local).layers
    if layers != cross.build_layers:
        raise BuildError(
            f"the base {local} ({cross.build_platform}) that cross-compiles the stack is not "
            f"the one {LOCK_FILE} pins (its layers differ)",
            hint=f"run `gisbox lock` to lock this base, or load the one the lock was made "
            f"with into {engine.name}",
        )
    return local


def pull_stack(
    engine: ContainerEngine, stack_from: str, tag: str, key: str, platform: str,
    progress: Progress,
) -> str:  # fmt: skip
    """Pull `tag`'s image from the repository `stack_from` and tag it `tag`; the
    reference pulled, or "" when the registry has none with this key (then it is built)."""
    if ":" in stack_from.rsplit("/", 1)[-1]:
        raise UsageError(
            f"--stack-from {stack_from!r} names a tag: stack images are found by their key",
            hint="give the repository only, e.g. --stack-from registry.example.com/gisbox/stack",
        )
    remote = target_reference(stack_from, tag.split(":", 1)[1])
    progress.on_step(f"pulling the stack image {remote} ({platform})")
    error = engine.pull(remote, platform)
    if error is None and engine.inspect(remote).labels.get(KEY_LABEL) == key:
        engine.tag(remote, tag)
        return remote
    progress.on_step(f"{remote}: {error or 'another key'}; compiling it here instead")
    return ""


@dataclass(frozen=True, kw_only=True)
class StackImage:
    """A stack image the engine holds, as `gisbox stack ls` shows it."""

    tag: str
    key: str
    image_id: str
    size: int
    architecture: str
    created: str
    labels: dict[str, str]

    @classmethod
    def from_info(cls, info: ImageInfo) -> StackImage:
        tags = [t for t in info.tags if t.split(":", 1)[0].endswith(STACK_REPOSITORY)]
        return cls(
            tag=tags[0] if tags else (info.tags[0] if info.tags else info.id),
            key=info.labels.get(KEY_LABEL, ""),
            image_id=info.id,
            size=info.size,
            architecture=info.architecture,
            created=info.created,
            labels={
                k.removeprefix(f"{STACK_LABEL}."): v
                for k, v in info.labels.items()
                if k.startswith(f"{STACK_LABEL}.") and k != KEY_LABEL
            },
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "tag": self.tag, "key": self.key, "image_id": self.image_id, "size": self.size,
            "architecture": self.architecture, "created": self.created, "labels": self.labels,
        }  # fmt: skip


def list_stacks(engine: ContainerEngine) -> list[StackImage]:
    """Every stack image the engine holds, newest first."""
    found = [StackImage.from_info(i) for i in engine.list_images(KEY_LABEL)]
    return sorted(found, key=lambda s: (s.created, s.tag), reverse=True)


def find_stack(engine: ContainerEngine, name: str) -> StackImage:
    """The stack image named by its tag, its tag's part after the colon, or a prefix of
    its key (at least 8 hex digits); a usage error when none or several match."""
    stacks = list_stacks(engine)
    matches = [
        s for s in stacks
        if name in (s.tag, s.tag.split(":", 1)[-1])
        or (len(name) >= 8 and s.key.startswith(name))
    ]  # fmt: skip
    if len(matches) != 1:
        said = "no stack image" if not matches else f"{len(matches)} stack images"
        known = ", ".join(s.tag for s in stacks) or "none"
        raise UsageError(
            f"{said} in {engine.name} matches {name!r} (there are: {known})",
            hint="name one by its tag or 8+ hex digits of its key (`gisbox stack ls`)",
        )
    return matches[0]


def remove_stack(engine: ContainerEngine, stack: StackImage) -> None:
    """Untag and remove a stack image (its layers stay while another image uses them)."""
    engine.remove_image(stack.tag)


def push_stack(engine: ContainerEngine, stack: StackImage, to: str) -> str:
    """Push a stack image as REGISTRY/REPO:<its tag's name-key>; its digest reference."""
    destination = target_reference(to, stack.tag.split(":", 1)[-1])
    engine.tag(stack.tag, destination)
    digest = engine.push(destination)
    return f"{destination.rsplit(':', 1)[0]}@{digest}"

"""What the Dockerfile is rendered from: one frozen, typed `RenderContext` gathered from a
project, the strategy's, base family's and runtime's contributions included. Nothing here
branches on a plug-in: they speak through `Contribution`s (gisbox.plugins.api).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from gisbox import __version__
from gisbox.plugins.api import Contribution, Fragments, StackRecipe
from gisbox.project.platforms import PLATFORMS
from gisbox.project.project import Project
from gisbox.project.spec import Spec

# Parts of the Python standard library no production service imports (CPython's own test
# suite's extension modules included; shell globs, relative to the stdlib directory).
STDLIB_EXCLUDES = (
    "test",
    "lib2to3",
    "pydoc_data",
    "turtledemo",
    "idlelib",
    "ensurepip",
    "lib-dynload/_test*",
    "lib-dynload/_ctypes_test*",
    "lib-dynload/_xxtestfuzz*",
    "lib-dynload/xxlimited*",
)
# Extension modules that packages' own builds tag as tests-only (NumPy's meson.build:
# `install_tag: 'tests'`), like the tests directories removed beside them. Shell globs in
# site-packages.
TEST_ONLY_MODULES = ("numpy/_core/_simd.*.so", "numpy/_core/_*_tests.*.so")
# stdlib-only scripts the builder runs from .gisbox/ (stdlib_zip.py also the runtime stage)
BUILDER_SCRIPTS = (
    "bootstrap_uv.py",
    "strip_safely.py",
    "link_duplicates.py",
    "rewrite_records.py",
    "reproducible.py",
    "stdlib_zip.py",
)
SERVE_COMMAND = ("/usr/local/bin/gisbox", "serve")
LOCK_LABEL = "io.gisbox.lock-digest"  # the sha256 of the gisbox.lock it was built from


@dataclass(frozen=True, kw_only=True)
class RenderContext:
    """Everything Dockerfile.j2 and the runtime's templates it includes use
    (tests/unit/test_templates.py keeps them in step)."""

    gisbox_version: str
    lock_digest: str
    base: str  # what FROM names: the base, or "${GISBOX_BASE}" for several platforms
    base_arg: str | None  # several platforms, or not amd64: the GISBOX_BASE build argument
    python: str  # "3.11"
    runtime_pins: tuple[str, ...]  # name=version, the python and runtime stages
    builder_pins: tuple[str, ...]  # the builder stage's own
    # several platforms: each Debian architecture's pins beyond the common ones above
    runtime_arch_pins: tuple[tuple[str, tuple[str, ...]], ...]
    builder_arch_pins: tuple[tuple[str, tuple[str, ...]], ...]
    uv_url: str
    uv_sha256: str
    uv_more: tuple[tuple[str, str], ...]  # other platforms' uv wheels: (url, sha256)
    index_args: tuple[str, ...]
    strip: bool
    bytecode: str  # "imported" | "all" | "none"
    stdlib: str  # "zip" | "files"
    builder_helpers: tuple[str, ...]
    test_modules: tuple[str, ...]
    python_excludes: tuple[str, ...]
    ca_bundle: str | None  # certifi's bundle in the environment, when locked
    uid: int
    user: str
    env: tuple[tuple[str, str], ...]
    workdir: str
    app_files: tuple[tuple[str, str], ...]  # (source in the context, destination)
    app_commands: tuple[str, ...]  # shell commands that copy the app from the app stage
    labels: tuple[tuple[str, str], ...]
    command: str  # JSON exec form
    service_port: int | None  # `gisbox serve` behind tini, readiness HEALTHCHECK
    health_start_interval: bool  # HEALTHCHECK --start-interval=1s (the engine keeps it)
    runtime: str  # image.runtime: the plug-in whose templates make the final stage
    rootfs_pins: tuple[str, ...]  # name=version, what the distroless root is unpacked from
    rootfs_arch_pins: tuple[tuple[str, tuple[str, ...]], ...]
    source_date_epoch: int  # the lock's: no file of the image is dated later
    fragments: Fragments = field(default_factory=Fragments)


def labels(project: Project) -> dict[str, str]:
    """OCI labels plus gisbox's own; the user's labels win on conflicts."""
    spec, lock = project.spec, project.lock
    base = {
        "org.opencontainers.image.title": spec.image.name,
        "org.opencontainers.image.version": spec.image.tag,
        "org.opencontainers.image.description": "Python geospatial stack built by gisbox",
        "org.opencontainers.image.base.name": spec.image.base,
        "io.gisbox.version": __version__,
        "io.gisbox.strategy": spec.image.strategy,
        LOCK_LABEL: project.lock_digest,
        "io.gisbox.input-digest": lock.input_digest,
        "io.gisbox.python": lock.target.python_full,
    }
    return {**base, **spec.runtime.labels}


def app_commands(spec: Spec) -> tuple[str, ...]:
    """Copy each app entry from the app stage (bound at /mnt) as `COPY --chown` would:
    the directories between the workdir and an entry are made first, owned by the app's
    user, and the entry keeps its dates (the app stage's, the lock's)."""
    workdir = PurePosixPath(spec.app.workdir)
    owner = f"{spec.runtime.uid}:{spec.runtime.uid}"
    parents: set[PurePosixPath] = set()
    commands = []
    for src, dest in app_files(spec):
        parent = PurePosixPath(dest.rstrip("/")).parent
        while parent != workdir and workdir in parent.parents:
            parents.add(parent)
            parent = parent.parent
        commands += [f"cp -a /mnt/gisbox-app/{src} {dest}", f"chown -R {owner} {dest}"]
    if parents:
        made = " ".join(str(p) for p in sorted(parents))
        commands.insert(0, f"install -d -o {spec.runtime.uid} -g {spec.runtime.uid} {made}")
    return tuple(commands)


def app_files(spec: Spec) -> tuple[tuple[str, str], ...]:
    """(source in the context, destination in the image) for each app entry."""
    out = []
    for f in spec.app.files:
        slash = "/" if f.endswith("/") else ""
        src = PurePosixPath(f)
        out.append((str(src) + slash, str(PurePosixPath(spec.app.workdir) / src) + slash))
    return tuple(out)


def command(spec: Spec) -> str:
    """The image's CMD, exec form: the app's, or `gisbox serve` for a service without one."""
    if spec.service.enabled and spec.app.command == ("python",):
        return json.dumps(list(SERVE_COMMAND))
    return json.dumps(list(spec.app.command))


def certifi_bundle(project: Project) -> str | None:
    """certifi's bundle, when locked: GDAL's curl and Python's ssl find no CA in a slim base."""
    if "certifi" not in project.lock.versions():
        return None
    return f"/opt/venv/lib/python{project.lock.target.python}/site-packages/certifi/cacert.pem"


ArchPins = tuple[tuple[str, tuple[str, ...]], ...]


def split_pins(
    pins_for: Callable[[str | None], list[str]], arches: list[str]
) -> tuple[tuple[str, ...], ArchPins]:
    """(pins every architecture installs, [(arch, its other pins)]): one list for one
    platform, as before; with several, what differs is installed per architecture."""
    if len(arches) == 1:
        return tuple(pins_for(None)), ()
    per = {arch: pins_for(arch) for arch in arches}
    common = tuple(p for p in per[arches[0]] if all(p in per[a] for a in arches))
    extra = tuple(
        (arch, tuple(p for p in per[arch] if p not in common))
        for arch in arches
        if any(p not in common for p in per[arch])
    )
    return common, extra


def pins(project: Project) -> dict[str, Any]:
    """The OS packages of each stage, split by architecture, and the uv wheels."""
    lock = project.lock
    arches = [PLATFORMS[t.platform].arch for t in lock.targets]
    runtime_pins, runtime_arch = split_pins(lambda a: lock.os_pins("runtime", a), arches)
    builder_pins, builder_arch = split_pins(lambda a: lock.os_pins("builder", a), arches)
    rootfs_pins, rootfs_arch = split_pins(lock.rootfs_pins, arches)
    wheel, *more_uv = lock.uv.wheels
    by_arg = len(arches) > 1 or arches != ["amd64"]
    base = project.spec.image.base
    return {
        "base": "${GISBOX_BASE}" if by_arg else base,
        "base_arg": base if by_arg else None,
        "runtime_pins": runtime_pins,
        "builder_pins": builder_pins,
        "runtime_arch_pins": runtime_arch,
        "builder_arch_pins": builder_arch,
        "rootfs_pins": rootfs_pins,
        "rootfs_arch_pins": rootfs_arch,
        "uv_url": wheel.url,
        "uv_sha256": wheel.sha256,
        "uv_more": tuple((w.url, w.sha256) for w in more_uv),
    }


def contributions(project: Project) -> tuple[Fragments, dict[str, str]]:
    """The plug-ins' Dockerfile fragments (the strategy's header and env lines first, then
    the family's stages) and the files they add to the build context."""
    spec, lock = project.spec, project.lock
    parts: list[Contribution] = [
        project.strategy.contribute(lock, spec),
        project.family.contribute(lock, spec, project.strategy),
        project.runtime.contribute(lock, spec),
    ]
    fragments = parts[0].fragments
    for part in parts[1:]:
        fragments = fragments.merged(part.fragments)
    files: dict[str, str] = {}
    for part in reversed(parts):
        files.update(part.context_files)
    return fragments, files


def stack_recipe(project: Project) -> StackRecipe | None:
    """The stack image the project's build copies from (strategy "source"), if any."""
    return project.strategy.contribute(project.lock, project.spec).stack


def context_for(
    project: Project, *, start_interval: bool = False
) -> tuple[RenderContext, dict[str, str]]:
    """The Dockerfile's context, and the files plug-ins add to the build context.
    `start_interval`: the engine that builds keeps `HEALTHCHECK --start-interval`."""
    spec, lock = project.spec, project.lock
    python = lock.target.python
    fragments, files = contributions(project)
    ctx = RenderContext(
        **pins(project),
        gisbox_version=__version__,
        lock_digest=project.lock_digest,
        python=python,
        index_args=spec.index_args(),
        strip=spec.image.strip,
        bytecode=spec.image.bytecode,
        stdlib=spec.image.stdlib,
        builder_helpers=BUILDER_SCRIPTS,
        test_modules=TEST_ONLY_MODULES,
        python_excludes=tuple(f"/usr/lib/python{python}/{d}" for d in STDLIB_EXCLUDES),
        ca_bundle=certifi_bundle(project),
        uid=spec.runtime.uid,
        user=spec.runtime.user,
        env=tuple(sorted(spec.runtime.env.items())),
        workdir=spec.app.workdir,
        app_files=app_files(spec),
        app_commands=app_commands(spec),
        labels=tuple(sorted(labels(project).items())),
        command=command(spec),
        service_port=spec.service.port if spec.service.enabled else None,
        health_start_interval=start_interval,
        runtime=spec.image.runtime,
        source_date_epoch=lock.source_date_epoch,
        fragments=fragments,
    )
    return ctx, files

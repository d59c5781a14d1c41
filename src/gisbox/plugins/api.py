"""What the plug-ins are, and what they contribute.

- A *strategy* (`gisbox.plugins.strategies.<name>`) decides where GDAL/PROJ/GEOS come
  from: the wheels' own copies, or the OS's libraries with the bindings compiled
  against them.
- A *base family* (`gisbox.plugins.families.<name>`) knows a kind of base image: how to
  see its packages, where its GIS libraries are, how to make it.
- A *runtime* (`gisbox.plugins.runtimes.<name>`) is what the final stage is: the base
  with its shell and apt ("slim"), or only the unpacked files of the pinned packages
  ("distroless").

Each is one module exposing one object that satisfies a Protocol below; the pipeline
never branches on their names:

- lock time: the `ProbeStep`s they add to the probe of the base's package index (which
  OS packages each stage gets), and the constraints a strategy adds to resolution;
- render time: the `Contribution` each makes to the Dockerfile (text for named slots,
  a runtime's templates) and to the build context.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gisbox.locking.pyindex import PythonIndex
    from gisbox.project.lockfile import (
        Lock,
        OsPackage,
        PythonPackage,
        SourcePackage,
        UpstreamSource,
    )
    from gisbox.project.platforms import Platform
    from gisbox.project.spec import Spec


@dataclass(frozen=True, kw_only=True)
class ProbeStep:
    """Shell run in a throwaway container of the base while locking, and the OS packages
    it adds to each stage. Words may use the probe's shell variables: `$want` is the
    Python version ("3.11"); `closure PKG...` prints `name=version` of an install.
    The shell may print `lib NAME VERSION` (the OS's GDAL/PROJ/GEOS), `keys PIN` (a
    package of the key-fetching stage) and `stack PIN` (a package of the stack image)
    lines, and set `keys` to those pins."""

    shell: str = ""
    runtime: tuple[str, ...] = ()
    builder: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class BaseFacts:
    """What the probe found in the base."""

    os: str  # e.g. "debian 12"
    glibc: str  # e.g. "2.36"
    python: str  # e.g. "3.11"
    python_full: str  # e.g. "3.11.2"
    packages: tuple[OsPackage, ...]
    libs: dict[str, str]  # gdal/proj/geos -> upstream version (strategies that use them)
    rootfs: tuple[str, ...] = ()  # runtime = "distroless": the closure from an empty system
    stack: tuple[str, ...] = ()  # `stack PIN` lines: what a stack image installs
    base_packages: tuple[str, ...] = ()  # `base PIN` lines: the base's own packages
    # runtime = "distroless": packages beyond gisbox's own closure -> their install scripts
    scripts: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Fragments:
    """Dockerfile text for the template's slots (whole lines, no trailing newline; a
    leading empty line is a blank line). `apt_sources` are shell commands run before
    `apt-get update` wherever the pinned OS packages are installed."""

    header: str = ""  # comment lines under the generated-by lines
    stages: str = ""  # stages before the `python` stage
    python_setup: str = ""  # before the install RUN of the python (and runtime) stage
    apt_sources: tuple[str, ...] = ()
    python_env: str = ""  # after that RUN
    builder_inputs: str = ""  # after `COPY .gisbox/requirements.txt` in the builder
    builder_steps: str = ""  # after the locked wheels are installed in the builder
    runtime_dirs: tuple[str, ...] = ()  # directories under /opt the runtime copies from the builder
    runtime_env: tuple[
        tuple[str, str], ...
    ] = ()  # the final image's environment (before the spec's)

    def merged(self, other: Fragments) -> Fragments:
        """Slot by slot, this one's text first."""

        def join(mine: str, theirs: str) -> str:
            return "\n".join(t for t in (mine, theirs) if t)

        return Fragments(
            header=join(self.header, other.header),
            stages=join(self.stages, other.stages),
            python_setup=join(self.python_setup, other.python_setup),
            apt_sources=self.apt_sources + other.apt_sources,
            python_env=join(self.python_env, other.python_env),
            builder_inputs=join(self.builder_inputs, other.builder_inputs),
            builder_steps=join(self.builder_steps, other.builder_steps),
            runtime_dirs=self.runtime_dirs + other.runtime_dirs,
            runtime_env=self.runtime_env + other.runtime_env,
        )


STACK_REPOSITORY = "gisbox/stack"  # where stack images are tagged
STACK_LABEL = "io.gisbox.stack"  # the labels of stack images: <this>.key, <this>.gdal, ...


@dataclass(frozen=True, kw_only=True)
class CrossRecipe:
    """A platform's stack image compiled on another platform (`build_platform`, the
    locking machine's): `dockerfile` starts its compiling stage `FROM --platform=<it>
    ${GISBOX_BUILD_BASE}` and ends `FROM ${GISBOX_BASE}` with what was compiled."""

    build_platform: str
    build_layers: tuple[str, ...]  # the build platform's base, as the lock pins it
    dockerfile: str


@dataclass(frozen=True, kw_only=True)
class StackRecipe:
    """An image of compiled libraries that a project's build copies from (strategy
    "source": GDAL), built once and reused by every project with the same recipe.

    `dockerfile` starts `FROM ${GISBOX_BASE}`; `files` (name -> text) are its build
    context; `cross` holds the platforms compiled on another (platform -> its recipe).
    The image's key is the digest of everything that decides its bytes: the Dockerfile
    (the tarball's sha256, the compile options and the pinned OS packages are in its
    text), the files, the base's layers (and the build platform's), and the platform."""

    name: str  # what the stack is, for its tag: e.g. "gdal-3.13.3"
    dockerfile: str
    files: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # what `gisbox stack ls` shows
    cross: dict[str, CrossRecipe] = field(default_factory=dict)

    def dockerfile_name(self, platform: str) -> str:
        """The file under .gisbox/stack/ that builds `platform`'s image."""
        return (
            f"Dockerfile.{platform.rsplit('/', 1)[-1]}" if platform in self.cross else "Dockerfile"
        )

    def key(self, base_layers: Sequence[str], platform: str) -> str:
        cross = self.cross.get(platform)
        text, more = (cross.dockerfile, cross.build_layers) if cross else (self.dockerfile, ())
        digest = hashlib.sha256()
        parts = [text, *(f"{n}\0{t}" for n, t in sorted(self.files.items()))]
        for part in (*parts, *base_layers, *more, platform):
            digest.update(part.encode() + b"\0\0")
        return digest.hexdigest()

    def tag(self, base_layers: Sequence[str], platform: str) -> str:
        """gisbox/stack:<name>-<the key's first 16 hex digits>."""
        return f"{STACK_REPOSITORY}:{self.name}-{self.key(base_layers, platform)[:16]}"


@dataclass(frozen=True, kw_only=True)
class Contribution:
    """A plug-in's part of the rendering: Dockerfile fragments, files it adds to the
    build context under `.gisbox/build/` (name -> text), and the stack image its build
    copies from, if any (made by `gisbox build` when missing)."""

    fragments: Fragments = field(default_factory=Fragments)
    context_files: dict[str, str] = field(default_factory=dict)
    stack: StackRecipe | None = None


@dataclass(frozen=True, kw_only=True)
class Plan:
    """A strategy's requirements for the resolver, and the OS libraries it builds on."""

    requirements: tuple[str, ...]
    os_libraries: dict[str, str] = field(default_factory=dict)
    want_gdal_bindings: bool = False  # `gdal` (osgeo) was asked for
    caps: dict[str, str] = field(default_factory=dict)  # requirement added -> why
    upstream: tuple[UpstreamSource, ...] = ()  # releases compiled from source (GDAL)


class Family(Protocol):
    """A kind of base image."""

    name: str
    priority: int  # families are matched highest first; the fallback has the lowest

    def matches(self, base: str) -> bool: ...

    def prepare(self, strategy: Strategy) -> Sequence[ProbeStep]:
        """Steps that make the build's package sources visible to the probe (e.g. a PPA
        and its signing key), run before anything else."""
        ...

    def gis_libraries(self) -> ProbeStep:
        """Where the OS's GDAL, PROJ and GEOS are (for strategies that use them): prints
        their `lib` lines and adds their runtime and development packages."""
        ...

    def contribute(self, lock: Lock, spec: Spec, strategy: Strategy) -> Contribution: ...

    def debootstrap_suite(self, base: str) -> str | None:
        """The suite `gisbox base` makes this base from, or None when it cannot."""
        ...

    def cross_toolchain(self, target: Platform) -> tuple[str, ...]:
        """The packages (of this family's archive, for the machine's own architecture)
        that compile C and C++ for `target`; empty when this family cannot cross-compile
        (its archive does not serve `target`'s packages next to the machine's)."""
        ...


class Strategy(Protocol):
    """Where the geospatial libraries under the bindings come from."""

    name: str
    uses_os_gis_libraries: bool

    def probe_steps(self, family: Family, spec: Spec) -> Sequence[ProbeStep]: ...

    def plan(self, spec: Spec, facts: BaseFacts) -> Plan:
        """The spec's requirements to resolve, with the bounds this strategy adds."""
        ...

    def complete(
        self,
        plan: Plan,
        packages: list[PythonPackage],
        index: PythonIndex,
        progress: Callable[[str], None],
    ) -> tuple[list[PythonPackage], list[SourcePackage]]:
        """After resolution: (wheels to install, sources to compile in the builder)."""
        ...

    def cross_probe(self, family: Family, spec: Spec, target: Platform) -> str | None:
        """Shell for the lock's probe of the machine's own base that prints `cross PIN`
        for each package a stack image for `target` is cross-compiled with (`closure`
        in scope, `target`'s architecture added to dpkg); None when this strategy
        compiles nothing outside the target's own builder."""
        ...

    def contribute(self, lock: Lock, spec: Spec) -> Contribution: ...


class Runtime(Protocol):
    """What the image's final stage is."""

    name: str
    has_shell: bool  # /bin/sh is there: a container's --health-cmd can run in it

    @property
    def templates(self) -> Mapping[str, str]:
        """Jinja source Dockerfile.j2 includes (`ctx` and its macros in scope): "stage"
        (the runtime stage and any stage it copies from) and "install" (the environment,
        gisbox and the app into it)."""
        ...

    def probe_steps(self) -> Sequence[ProbeStep]:
        """What the lock must learn of the base for this runtime."""
        ...

    def accept(self, facts: BaseFacts, spec: Spec) -> None:
        """Refuse, at lock time, what this runtime cannot run (LockError)."""
        ...

    def check_lock(self, lock: Lock, lock_path: Path, locked_as: str) -> None:
        """Refuse to build this runtime from a lock made for `locked_as` when that lock
        lacks what it needs (`gisbox build --runtime`)."""
        ...

    def contribute(self, lock: Lock, spec: Spec) -> Contribution: ...

"""The `gisbox.toml` spec: parsed and validated into frozen, typed models.

Every validation error names the file, the dotted key and what to do, and
raises `SpecError` (exit code 2). Only the `lock_inputs()` part of a spec
affects resolution; its digest is what makes a lock stale.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gisbox.plugins import gdal_drivers
from gisbox.plugins.names import runtime_names, strategy_names
from gisbox.project.platforms import DEFAULT_PLATFORM, PLATFORMS
from gisbox.runtime.errors import SpecError

SPEC_FILE = "gisbox.toml"
LOCK_FORMAT = 2  # 2: source_date_epoch and target.base_layers
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IMAGE_NAME = re.compile(r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[A-Za-z0-9_.-]+)?$")
_PY_VERSION = re.compile(r"^3\.\d+$")
_DEB_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")  # Debian policy 5.6.1


def _list_to_tuple(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


# TOML arrays arrive as lists; the frozen models hold tuples (strict mode accepts no list).
StrTuple = Annotated[tuple[str, ...], BeforeValidator(_list_to_tuple)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ImageSpec(_Frozen):
    """What the image is built from and how."""

    name: str = "gisbox/app"
    tag: str = "latest"
    base: str = "debian:bookworm-slim"
    python: str = "base"
    strategy: str = "wheels"  # a module of gisbox.plugins.strategies
    platform: str = DEFAULT_PLATFORM
    # several platforms: one lock with wheels for each, one image per platform, pushed as
    # one manifest list; the first is the primary (tagged without a suffix)
    platforms: StrTuple = ()
    os_packages: StrTuple = ()  # extra OS packages for the runtime, e.g. gdal-bin, proj-bin
    strip: bool = True
    bytecode: Literal["imported", "all", "none"] = "imported"
    stdlib: Literal["zip", "files"] = "zip"  # the stdlib's sources in python3XY.zip, or as is
    # "slim": the base image with the pinned Python runtime (a shell, apt, dpkg);
    # "distroless": only the files of the pinned runtime packages, unpacked (no shell)
    runtime: str = "slim"  # a module of gisbox.plugins.runtimes

    @field_validator("name", "base")
    @classmethod
    def _image_ref(cls, v: str) -> str:
        if not _IMAGE_NAME.match(v):
            raise ValueError(f"{v!r} is not a valid image reference (e.g. 'debian:bookworm-slim')")
        return v

    @field_validator("strategy")
    @classmethod
    def _strategy(cls, v: str) -> str:
        if v not in strategy_names():
            raise ValueError(f"{v!r} is not a strategy; use one of {list(strategy_names())}")
        return v

    @field_validator("runtime")
    @classmethod
    def _runtime(cls, v: str) -> str:
        if v not in runtime_names():
            raise ValueError(f"{v!r} is not a runtime; use one of {list(runtime_names())}")
        return v

    @field_validator("os_packages")
    @classmethod
    def _debian_names(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for name in v:
            if not _DEB_NAME.match(name):
                raise ValueError(f"{name!r} is not a Debian package name (e.g. 'gdal-bin')")
        return v

    @field_validator("python")
    @classmethod
    def _python(cls, v: str) -> str:
        if v != "base" and not _PY_VERSION.match(v):
            raise ValueError(f'{v!r} must be "base" (the base image\'s Python) or like "3.11"')
        return v

    @field_validator("platform")
    @classmethod
    def _platform(cls, v: str) -> str:
        if v not in PLATFORMS:
            raise ValueError(f"{v!r} is not supported; use one of {sorted(PLATFORMS)}")
        return v

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for platform in v:
            if platform not in PLATFORMS:
                raise ValueError(f"{platform!r} is not supported; use some of {sorted(PLATFORMS)}")
        if len(set(v)) != len(v):
            raise ValueError(f"{list(v)} names a platform twice")
        return v

    @model_validator(mode="after")
    def _platform_among_platforms(self) -> ImageSpec:
        explicit = "platform" in self.model_fields_set
        if self.platforms and explicit and self.platform not in self.platforms:
            raise ValueError(
                f"platform {self.platform!r} is not one of platforms {list(self.platforms)}"
                "; set one of the two"
            )
        return self

    @property
    def targets(self) -> tuple[str, ...]:
        """The platforms to lock and build: `platforms`, else the single `platform`."""
        return self.platforms or (self.platform,)


class PythonSpec(_Frozen):
    """The Python packages, as PEP 508 requirements, and where they come from."""

    packages: StrTuple = ()
    index_url: str | None = None
    extra_index_urls: StrTuple = ()

    @field_validator("packages")
    @classmethod
    def _pep508(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for req in v:
            try:
                Requirement(req)
            except InvalidRequirement as exc:
                raise ValueError(f"{req!r} is not a PEP 508 requirement: {exc}") from None
        return v


class AppSpec(_Frozen):
    """The application files copied into the image and how it starts."""

    files: StrTuple = ()
    workdir: str = "/app"
    command: StrTuple = ("python",)

    @field_validator("files")
    @classmethod
    def _relative(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for f in v:
            p = PurePosixPath(f)
            if p.is_absolute() or ".." in p.parts:
                raise ValueError(f"{f!r} must be a path inside the project directory")
        return v

    @field_validator("workdir")
    @classmethod
    def _absolute(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError(f"{v!r} must be an absolute path in the image")
        return v

    @field_validator("command")
    @classmethod
    def _nonempty(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("must name at least the program to run")
        return v


class RuntimeSpec(_Frozen):
    """The non-root user, environment and labels of the running image."""

    user: str = "gis"
    uid: int = Field(default=10001, ge=1000, le=2**31 - 1)
    env: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("user")
    @classmethod
    def _user(cls, v: str) -> str:
        if v == "root" or not re.match(r"^[a-z_][a-z0-9_-]{0,31}$", v):
            raise ValueError(f"{v!r} must be a non-root POSIX user name")
        return v

    @field_validator("env")
    @classmethod
    def _env(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if not _ENV_NAME.match(key):
                raise ValueError(f"{key!r} is not a valid environment variable name")
        return v


class StackSpec(_Frozen):
    """strategy = "source": the GDAL compiled into the image (PROJ and GEOS are the base's)."""

    gdal_drivers: StrTuple = gdal_drivers.CORE  # GDAL's short names
    # the suites of Debian's source archive GDAL's newest release is looked up in
    suites: StrTuple = ("trixie", "forky", "sid")
    tools: bool = False  # GDAL's programs (gdal, gdalinfo, …) and Debian's proj-bin in PATH
    # a platform other than the locking machine's: GDAL cross-compiled on the machine's
    # platform with Debian's cross compilers and multiarch -dev packages (false: compiled
    # in an emulated container of the platform, many times slower)
    cross: bool = True

    @field_validator("gdal_drivers")
    @classmethod
    def _drivers(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = gdal_drivers.unknown(v)
        if unknown:
            raise ValueError(
                f"unknown GDAL driver(s) {unknown}; known: {sorted(gdal_drivers.DRIVERS)}"
            )
        if len(set(v)) != len(v):
            raise ValueError(f"{list(v)} names a driver twice")
        return v

    @field_validator("suites")
    @classmethod
    def _suites(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v or any(not _DEB_NAME.match(s) for s in v):
            raise ValueError(f'{list(v)}: Debian suite names, e.g. ["trixie", "sid"]')
        return v


class ServiceSpec(_Frozen):
    """`gisbox serve` as the image's command, behind tini, with a readiness HEALTHCHECK."""

    enabled: bool = False
    port: int = Field(default=8080, ge=1, le=65535)


class Spec(_Frozen):
    """A whole gisbox.toml."""

    image: ImageSpec = Field(default_factory=ImageSpec)
    python: PythonSpec = Field(default_factory=PythonSpec)
    app: AppSpec = Field(default_factory=AppSpec)
    runtime: RuntimeSpec = Field(default_factory=RuntimeSpec)
    service: ServiceSpec = Field(default_factory=ServiceSpec)
    stack: StackSpec = Field(default_factory=StackSpec)

    @model_validator(mode="after")
    def _stack_for_source(self) -> Spec:
        if "stack" in self.model_fields_set and self.image.strategy != "source":
            raise ValueError(
                f'[stack] applies to strategy = "source" only (image.strategy is '
                f'"{self.image.strategy}"); remove [stack] or set strategy = "source"'
            )
        return self

    @property
    def reference(self) -> str:
        return f"{self.image.name}:{self.image.tag}"

    def lock_inputs(self) -> dict[str, Any]:
        """The inputs that determine the lock; anything else may change freely."""
        return {
            "format": LOCK_FORMAT,
            "base": self.image.base,
            "python": self.image.python,
            "strategy": self.image.strategy,
            "platform": self.image.platform,
            "os_packages": sorted(self.os_packages()),
            "packages": sorted(self.python.packages),
            "index_url": self.python.index_url,
            "extra_index_urls": list(self.python.extra_index_urls),
            # only when set, so locks of specs without them keep their digest
            **({"runtime": self.image.runtime} if self.image.runtime != "slim" else {}),
            **({"platforms": list(self.image.targets)} if self.image.platforms else {}),
            **({"stack": self.stack_inputs()} if self.image.strategy == "source" else {}),
        }

    def stack_inputs(self) -> dict[str, Any]:
        """What of [stack] the lock depends on (the drivers' libraries, where GDAL is
        looked up); `tools` reaches it through `os_packages` (proj-bin)."""
        return {
            "gdal_drivers": sorted(self.stack.gdal_drivers),
            "suites": list(self.stack.suites),
            **({} if self.stack.cross else {"cross": False}),  # only when set: digests kept
        }

    def os_packages(self) -> tuple[str, ...]:
        """The runtime's extra OS packages: the spec's, plus tini for a service, plus
        Debian's PROJ programs (projinfo, cs2cs: the PROJ the bindings use) with strategy
        "source" and `[stack] tools`."""
        extra = ["tini"] if self.service.enabled else []
        if self.image.strategy == "source" and self.stack.tools:
            extra.append("proj-bin")
        return (*self.image.os_packages, *(e for e in extra if e not in self.image.os_packages))

    def index_args(self) -> tuple[str, ...]:
        """uv's options for the spec's package indexes."""
        args: list[str] = []
        if self.python.index_url:
            args += ["--index-url", self.python.index_url]
        for url in self.python.extra_index_urls:
            args += ["--extra-index-url", url]
        return tuple(args)

    def input_digest(self) -> str:
        blob = json.dumps(self.lock_inputs(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(blob.encode()).hexdigest()


def _format_loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


def parse_spec(data: dict[str, Any], source: str) -> Spec:
    """Validate already-parsed TOML data; `source` names the file in errors."""
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = _format_loc(err["loc"])
            if err["type"] == "extra_forbidden":
                lines.append(
                    f"{source}: unknown key '{key}' (check its spelling; every key: docs/spec.md)"
                )
            else:
                msg = err["msg"].removeprefix("Value error, ")
                lines.append(f"{source}: key '{key}': {msg}" if key else f"{source}: {msg}")
        raise SpecError(
            "\n".join(lines), hint=f"edit {source}; `gisbox init` writes a commented example"
        ) from None


def load_spec(path: Path) -> Spec:
    """Read and validate a gisbox.toml; checks that the app files exist."""
    if not path.is_file():
        raise SpecError(f"{path}: no such file", hint="run `gisbox init --profile minimal`")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(
            f"{path}: not valid TOML: {exc}", hint=f"fix the syntax of {path}"
        ) from None
    spec = parse_spec(data, str(path))
    root = path.parent
    for i, name in enumerate(spec.app.files):
        if not (root / name).exists():
            raise SpecError(
                f"{path}: key 'app.files.{i}': {name!r} does not exist in {root}",
                hint="create it or remove it from app.files",
            )
    return spec

"""A gisbox project loaded once: its paths, its spec, its fresh lock and the lock's digest,
and the strategy and base family the spec names. `dockerfile`, `build` and `push` share it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from gisbox.plugins.api import Family, Runtime, Strategy
from gisbox.plugins.registry import family_for, runtime_named, strategy_named
from gisbox.project.lockfile import LOCK_FILE, Lock, check_fresh, file_digest, read_lock
from gisbox.project.platforms import platform_tag
from gisbox.project.spec import SPEC_FILE, Spec, load_spec

SUPPORT_DIR = ".gisbox"  # rendered support files, the build log, the fingerprint


@dataclass(frozen=True)
class Paths:
    """Where a project keeps what gisbox reads and writes."""

    root: Path

    @property
    def spec(self) -> Path:
        return self.root / SPEC_FILE

    @property
    def lock(self) -> Path:
        return self.root / LOCK_FILE

    @property
    def dockerfile(self) -> Path:
        return self.root / "Dockerfile"

    @property
    def dockerignore(self) -> Path:
        return self.root / ".dockerignore"

    @property
    def support(self) -> Path:
        return self.root / SUPPORT_DIR

    @property
    def build_log(self) -> Path:
        return self.support / "build.log"

    @property
    def fingerprint(self) -> Path:
        return self.support / "fingerprint.json"

    @property
    def sbom(self) -> Path:
        return self.support / "sbom.cdx.json"


@dataclass(frozen=True, kw_only=True)
class Project:
    paths: Paths
    spec: Spec
    lock: Lock
    lock_digest: str  # sha256 of gisbox.lock's bytes, as the image's label carries it

    @classmethod
    def load(cls, root: Path) -> Project:
        """Spec and lock; a lock resolved from other spec inputs is refused (exit 3)."""
        paths = Paths(root)
        spec = load_spec(paths.spec)
        lock = read_lock(paths.lock)
        check_fresh(spec, lock, paths.lock)
        return cls(paths=paths, spec=spec, lock=lock, lock_digest=file_digest(paths.lock))

    def with_runtime(self, runtime: str) -> Project:
        """The same spec and lock built as another runtime, tagged `<tag>-<runtime>`: the
        slim twin of a distroless image, with a shell to debug in (a distroless lock holds
        every package the slim runtime pins)."""
        if runtime == self.spec.image.runtime:
            return self
        runtime_named(runtime).check_lock(self.lock, self.paths.lock, self.spec.image.runtime)
        image = self.spec.image.model_copy(
            update={"runtime": runtime, "tag": f"{self.spec.image.tag}-{runtime}"}
        )
        return replace(self, spec=self.spec.model_copy(update={"image": image}))

    def reference_for(self, platform: str) -> str:
        """The local tag of `platform`'s image: the spec's for the lock's first platform,
        `<tag>-<arch>` for the others."""
        if platform == self.lock.target.platform:
            return self.spec.reference
        return platform_tag(self.spec.reference, platform)

    @property
    def strategy(self) -> Strategy:
        return strategy_named(self.spec.image.strategy)

    @property
    def runtime(self) -> Runtime:
        return runtime_named(self.spec.image.runtime)

    @property
    def family(self) -> Family:
        return family_for(self.spec.image.base)

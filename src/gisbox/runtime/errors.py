"""Exceptions that carry their own exit code and a user-facing fix hint: gisbox's one
exit-code table.

One class per exit code, the cibuildwheel way: the host CLI catches `GisboxError` once
(`gisbox.cli.options.GisboxGroup`), prints the message and the hint, and exits with
`exit_code`. Standard library only: the in-image commands raise them too.

| code | class | meaning |
|---|---|---|
| 0 | | success |
| 1 | GisboxError | a failure the user can act on (`gisbox diff`: drift) |
| 2 | UsageError, SpecError | a bad argument or input file |
| 3 | LockError | the lock is missing, stale, or cannot be resolved |
| 4 | EngineError | no usable container engine, or it refused (an image not built) |
| 5 | BuildError | the image build failed |
| 6 | VerifyError | built, but failed verification inside |
| 7 | ClusterError | a cluster did not come up, or is not whole |
| 8 | AuditUnavailable | no scanner, or no vulnerability database |
| 9 | VulnerabilitiesFound | findings at or above `--fail-on` |
"""

from __future__ import annotations


class GisboxError(Exception):
    """Base class: a failure the user can act on."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  fix: {self.hint}"


class UsageError(GisboxError):
    """A bad argument or input file: an option's value, a fingerprint, an evaluation layer."""

    exit_code = 2


class SpecError(UsageError):
    """gisbox.toml is invalid (a usage error: same exit code)."""


class LockError(GisboxError):
    """The lock is missing, stale, or cannot be resolved."""

    exit_code = 3


class EngineError(GisboxError):
    """No usable container engine, or the engine refused an operation."""

    exit_code = 4


class BuildError(GisboxError):
    """The image build failed."""

    exit_code = 5


class VerifyError(GisboxError):
    """The image was built but failed verification inside it."""

    exit_code = 6


class ClusterError(GisboxError):
    """A cluster did not come up, or is not whole (a worker refused, exited or missing)."""

    exit_code = 7


class AuditUnavailable(GisboxError):
    """No scanner, or a scanner that could not scan (no vulnerability database)."""

    exit_code = 8


class VulnerabilitiesFound(GisboxError):
    """The scanner found vulnerabilities at or above the --fail-on severity."""

    exit_code = 9


def exit_codes() -> dict[int, str]:
    """code -> class name, from the classes themselves (the table above, checked)."""
    found: dict[int, str] = {}
    todo: list[type[GisboxError]] = [GisboxError]
    while todo:
        cls = todo.pop(0)
        found.setdefault(cls.exit_code, cls.__name__)
        todo += cls.__subclasses__()
    return dict(sorted(found.items()))

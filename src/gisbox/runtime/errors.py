"""Exceptions that carry their own exit code and a user-facing fix hint.

One class per exit code, the cibuildwheel way: the host CLI catches `GisboxError` once
(`gisbox.cli.GisboxGroup`), prints the message and the hint, and exits with `exit_code`.
Standard library only: the in-image commands raise them too.
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

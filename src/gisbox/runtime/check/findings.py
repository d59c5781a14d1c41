"""Findings: what the check says, each with a stable id, a severity and a fix hint."""

from __future__ import annotations

from dataclasses import asdict, dataclass

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str
    message: str
    hint: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class Findings:
    """An ordered collection; duplicates (same id and message) are kept once."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Finding] = {}

    def add(self, id: str, severity: str, message: str, hint: str = "") -> None:
        assert severity in SEVERITIES, severity
        self._items.setdefault((id, message), Finding(id, severity, message, hint))

    def error(self, id: str, message: str, hint: str = "") -> None:
        self.add(id, "error", message, hint)

    def warning(self, id: str, message: str, hint: str = "") -> None:
        self.add(id, "warning", message, hint)

    def info(self, id: str, message: str, hint: str = "") -> None:
        self.add(id, "info", message, hint)

    def sorted(self) -> list[Finding]:
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return sorted(self._items.values(), key=lambda f: (order[f.severity], f.id, f.message))

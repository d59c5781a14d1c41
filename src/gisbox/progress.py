"""What a long step reports to: the step it is on, and each line of output it sees.

The library never prints; the CLI passes a `Progress` that shows a spinner
(`gisbox.cli.output.progress`), tests and benchmarks pass `SILENT` or their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _ignore(_text: str) -> None:
    return None


@dataclass(frozen=True, kw_only=True)
class Progress:
    on_step: Callable[[str], None] = _ignore  # a new step begins ("building …")
    on_line: Callable[[str], None] = _ignore  # a line of a tool's output (the build log)


SILENT = Progress()

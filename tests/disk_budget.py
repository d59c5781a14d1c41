"""The test run's disk budget (hooks that tests/conftest.py takes in).

BuildKit keeps every step of every build it ran: over a CI run that was 15 GB of build
cache on the host's engine and 5 GB on the second engine (measured), besides the images
the tests share. CI machines share a disk whose free space varies, and a run that filled
it failed a hundred unrelated tests at once. So:

- after each test file that used an engine, and after each tests/projects image is built,
  every Docker engine the run used prunes its build cache down to KEEP (least recently
  used first: the package-index cache mount every build uses stays; images are never
  touched). GISBOX_TEST_BUILD_CACHE overrides KEEP (`0` empties the cache each time).
  A test that needs a build's cache builds the project clean first: a build that finds
  its steps by key does not bring back the files of the steps it skipped;
- the header says how much disk is free, and the summary the least free disk seen and
  after which test file, so a run that fills the disk says so.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gisbox.engines.cli_engine import CliEngine
from gisbox.engines.docker import DockerEngine

KEEP = os.environ.get("GISBOX_TEST_BUILD_CACHE", "3GB")
WATCHED = ("/var/lib/docker", "/var/lib/containers", tempfile.gettempdir())


def free_bytes() -> int:
    """The least free space among the file systems the run writes to."""
    return min(shutil.disk_usage(p).free for p in WATCHED if Path(p).exists())


ENGINE_FIXTURES = frozenset({"engine", "next_engine"})  # every build goes through one


@dataclass
class Budget:
    engines: list[CliEngine] = field(default_factory=list)
    lowest: tuple[int, str] = (1 << 62, "the start")
    built: bool = False  # a test of the current file used an engine

    def track(self, engine: CliEngine) -> CliEngine:
        """Prune this engine's build cache from now on (Docker's BuildKit only)."""
        if isinstance(engine, DockerEngine) and engine not in self.engines:
            self.engines.append(engine)
        return engine

    def bound(self) -> None:
        """Every tracked engine's build cache down to KEEP."""
        for engine in self.engines:  # a failure raises EngineError with the client's words
            engine.command("builder", "prune", "-f", "--keep-storage", KEEP)

    def note(self, where: str) -> None:
        free = free_bytes()
        if free < self.lowest[0]:
            self.lowest = (free, where)


BUDGET = Budget()


def gib(n: int) -> str:
    return f"{n / (1 << 30):.1f} GiB"


def pytest_report_header() -> str:
    BUDGET.note("the start")
    return f"disk: {gib(free_bytes())} free; build caches pruned to {KEEP} between test files"


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """At the end of each test file (a tests/projects folder counts as one) whose tests
    used an engine."""
    BUDGET.built |= bool(ENGINE_FIXTURES & set(getattr(item, "fixturenames", ())))
    if nextitem is None or nextitem.path != item.path:
        if BUDGET.built:
            BUDGET.bound()
            BUDGET.built = False
        BUDGET.note(str(item.path.relative_to(item.config.rootpath)))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not BUDGET.engines:  # nothing was built
        return
    free, where = BUDGET.lowest
    terminalreporter.write_line(
        f"disk: least free {gib(free)} (after {where}); now {gib(free_bytes())} free"
    )

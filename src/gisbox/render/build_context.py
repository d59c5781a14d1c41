"""Write a rendering into the project: the Dockerfile, .dockerignore and `.gisbox/`.

`.gisbox/` holds everything the Dockerfile copies besides the app: the locked
requirements, the builder's scripts, files plug-ins add (`build/`), and `runtime/`: the
in-image part of gisbox (`gisbox.runtime`, one directory) and the `gisbox` launcher.
Every file is written atomically; the runtime tree is staged and renamed into place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from gisbox.plugins.api import StackRecipe
from gisbox.project.project import Paths
from gisbox.render.context import BUILDER_SCRIPTS
from gisbox.render.dockerfile import Rendered
from gisbox.runtime.atomic import write_text_atomic

PLUGIN_DIR = "build"  # .gisbox/build/: the strategy's and family's files
STACK_DIR = "stack"  # .gisbox/stack/: the stack image's Dockerfile and context
REPRODUCIBLE_DIR = "reproducible"  # .gisbox/reproducible/: bound at /mnt in the RUNs
LAUNCHER = """#!/opt/venv/bin/python
# gisbox's in-image command (standard library + the stack only).
import sys

sys.path.insert(0, "/opt/gisbox")
from gisbox.runtime.main import main

if __name__ == "__main__":  # spawned worker processes (gisbox serve) re-import this file
    sys.exit(main())
"""


def _copy_tree(src: Traversable, dest: Path) -> None:
    """Python sources and JSON data (the demo model's weights) of a package tree."""
    dest.mkdir()
    for entry in src.iterdir():
        if entry.is_dir() and entry.name != "__pycache__":
            _copy_tree(entry, dest / entry.name)
        elif entry.name.endswith((".py", ".json")):
            (dest / entry.name).write_text(entry.read_text(encoding="utf-8"))


def write_runtime(dest: Path) -> None:
    """gisbox's in-image part and its launcher, as the image gets them, into `dest`."""
    root = resources.files("gisbox")
    pkg = dest / "gisbox"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(root.joinpath("__init__.py").read_text(encoding="utf-8"))
    _copy_tree(root.joinpath("runtime"), pkg / "runtime")
    (dest / "bin").mkdir()
    launcher = dest / "bin" / "gisbox"
    launcher.write_text(LAUNCHER)
    launcher.chmod(0o755)


def builder_script(name: str) -> str:
    """A script the builder runs: gisbox.builder's, or the runtime's stdlib_zip."""
    where = "runtime" if name == "stdlib_zip.py" else "builder"
    return resources.files("gisbox").joinpath(where, name).read_text(encoding="utf-8")


def write_context(paths: Paths, rendered: Rendered) -> Path:
    """Write Dockerfile, .dockerignore and `.gisbox/` support files; return the Dockerfile."""
    support = paths.support
    support.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=support, prefix=".runtime-") as tmp:
        staged = Path(tmp) / "runtime"
        write_runtime(staged)
        final = support / "runtime"
        if final.exists():
            shutil.rmtree(final)
        staged.rename(final)
    for name in BUILDER_SCRIPTS:
        write_text_atomic(support / name, builder_script(name))
    reproducible = support / REPRODUCIBLE_DIR
    write_text_atomic(reproducible / "reproducible.py", builder_script("reproducible.py"))
    write_text_atomic(support / "requirements.txt", rendered.requirements)
    plugin_dir = support / PLUGIN_DIR
    if plugin_dir.exists():
        shutil.rmtree(plugin_dir)
    for name, text in rendered.plugin_files.items():
        write_text_atomic(plugin_dir / name, text)
    write_stack_context(support / STACK_DIR, rendered.stack)
    write_text_atomic(paths.dockerignore, rendered.dockerignore)
    write_text_atomic(paths.dockerfile, rendered.dockerfile)
    date_tree(support, rendered.source_date_epoch)
    return paths.dockerfile


def write_stack_context(directory: Path, stack: StackRecipe | None) -> None:
    """The stack image's Dockerfile and build context (`gisbox build` builds it from
    there when it is missing; so can `docker build` by hand), or none."""
    if directory.exists():
        shutil.rmtree(directory)
    if stack is None:
        return
    for name, text in stack.files.items():
        write_text_atomic(directory / name, text)
    write_text_atomic(directory / "Dockerfile", stack.dockerfile)
    for platform, cross in stack.cross.items():
        write_text_atomic(directory / stack.dockerfile_name(platform), cross.dockerfile)


def date_tree(root: Path, epoch: int) -> None:
    """Give everything under `root` the lock's date: COPY keeps a file's mtime, so files
    gisbox writes at every rendering would otherwise make every build's layers differ."""
    for path in [root, *root.rglob("*")]:
        os.utime(path, (epoch, epoch), follow_symlinks=False)

"""The zipped standard library: what goes into the archive, that Python imports from it
(bytecode where compiled), the runtime-stage swap, and the way back after an apt update."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gisbox.runtime.stdlib_zip import Layout, install, pack, restore, shadowed

MODULE = "def answer():\n    return 42\n\n\ndef fail():\n    raise ValueError('from the archive')\n"


def fake_stdlib(root: Path) -> Path:
    """A tiny stdlib: a package, two modules, an extension dir, a symlink, bytecode markers."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("from pkg.core import value\n")
    (root / "pkg" / "core.py").write_text("value = 'core'\n")
    (root / "used.py").write_text(MODULE)
    (root / "unused.py").write_text(MODULE)
    (root / "lib-dynload").mkdir()
    (root / "lib-dynload" / "ext.py").write_text("x = 1\n")
    # CPython's build configuration: only the builder has it (python3.11-dev)
    (root / "config-3.11-x86_64-linux-gnu").mkdir()
    (root / "config-3.11-x86_64-linux-gnu" / "python-config.py").write_text("x = 2\n")
    (root / "alias.py").symlink_to("used.py")  # like Debian's _sysconfigdata__linux_* alias
    (root / "encodings").mkdir()
    (root / "encodings" / "cp437.py").write_text("NAME = 'cp437'\n")  # never imported here
    etc = root.parent.parent / "etc"
    etc.mkdir()
    (etc / "sitecustomize.py").write_text("SITE = 1\n")
    (root / "sitecustomize.py").symlink_to(etc / "sitecustomize.py")  # stays on disk
    # what the build-time check imported has __pycache__ entries
    for marker in ("__pycache__/used.cpython-311.pyc", "pkg/__pycache__/__init__.cpython-311.pyc"):
        (root / marker).parent.mkdir(exist_ok=True)
        (root / marker).write_bytes(b"")
    tag = sys.implementation.cache_tag
    for marker in root.rglob("*.cpython-311.pyc"):
        marker.rename(marker.with_name(marker.name.replace("cpython-311", tag)))
    return root


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    root = fake_stdlib(tmp_path / "lib" / "python3.11")
    return Layout(
        root=str(root),
        archive=str(tmp_path / "lib" / "python311.zip"),
        apt_hook=str(tmp_path / "hook"),
    )


def names(archive: str) -> set[str]:
    with zipfile.ZipFile(archive) as zf:
        return set(zf.namelist())


@pytest.mark.parametrize(
    ("mode", "compiled"),
    # cp437: imported at run time by reading the archive itself, never at build time
    [
        ("imported", {"used.pyc", "pkg/__init__.pyc", "encodings/cp437.pyc"}),
        ("all", None),
        ("none", set()),
    ],
)
def test_archive_holds_every_source_and_the_chosen_bytecode(
    layout: Layout, tmp_path: Path, mode: str, compiled: set[str] | None
) -> None:
    out = str(tmp_path / "out.zip")
    files, n = pack(layout, out, mode)
    # the alias is archived under its own name; lib-dynload and the link out of the stdlib not
    sources = {"pkg/__init__.py", "pkg/core.py", "used.py", "unused.py", "alias.py",
               "encodings/cp437.py"}  # fmt: skip
    expected = {s[:-3] + ".pyc" for s in sources} if compiled is None else compiled
    assert names(out) == sources | expected
    assert (files, n) == (6, len(expected))
    again = str(tmp_path / "again.zip")
    pack(layout, again, mode)
    assert Path(out).read_bytes() == Path(again).read_bytes()  # reproducible


def test_python_imports_from_the_archive_using_its_bytecode(layout: Layout) -> None:
    pack(layout, layout.archive, "imported")
    script = (
        f"import sys, traceback; sys.path.insert(0, {layout.archive!r})\n"
        "import used, unused, pkg\n"
        "print(used.__file__.endswith('used.pyc'), unused.__file__.endswith('unused.py'))\n"
        "print(used.answer(), pkg.value)\n"
        "try:\n    used.fail()\nexcept ValueError:\n    print(traceback.format_exc())\n"
    )
    res = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[:2] == ["True True", "42 core"]
    # tracebacks through the traceback module still show the archived source line
    assert f'File "{layout.archive}/used.py", line 6, in fail' in res.stdout
    assert "raise ValueError('from the archive')" in res.stdout


def test_install_swaps_the_sources_for_the_archive(layout: Layout, tmp_path: Path) -> None:
    built = str(tmp_path / "built.zip")
    pack(layout, built, "imported")
    assert install(layout, built, "/opt/gisbox/stdlib_zip.py") == 6  # sources removed
    root = Path(layout.root)
    left = sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())
    tag = sys.implementation.cache_tag
    # the extension and build-configuration dirs and the link out of the stdlib stay; that
    # link's module is compiled (sitecustomize is imported at every start)
    assert left == [
        f"__pycache__/sitecustomize.{tag}.pyc",
        "config-3.11-x86_64-linux-gnu/python-config.py",
        "lib-dynload/ext.py",
        "sitecustomize.py",
    ]
    assert Path(layout.archive).read_bytes() == Path(built).read_bytes()
    hook = Path(layout.apt_hook).read_text()
    assert "DPkg::Post-Invoke" in hook and "/opt/gisbox/stdlib_zip.py restore" in hook


def test_install_refuses_a_python_that_differs_from_the_builders(
    layout: Layout, tmp_path: Path
) -> None:
    built = str(tmp_path / "built.zip")
    pack(layout, built, "none")
    (Path(layout.root) / "pkg" / "core.py").write_text("value = 'patched'\n")
    with pytest.raises(SystemExit, match=r"differs from the builder's \(pkg/core\.py\)"):
        install(layout, built, "/x.py")
    assert (Path(layout.root) / "used.py").exists() and not os.path.exists(layout.archive)


def test_restore_after_a_package_update_rewrote_sources(layout: Layout, tmp_path: Path) -> None:
    built = str(tmp_path / "built.zip")
    pack(layout, built, "imported")
    install(layout, built, "/x.py")
    assert restore(layout) is False and shadowed(layout) == []  # nothing rewritten
    assert os.path.exists(layout.archive)
    # an apt upgrade of one package writes its (newer) files back
    (Path(layout.root) / "pkg" / "core.py").write_text("value = 'updated'\n")
    assert shadowed(layout) == ["pkg/core.py"]  # what `gisbox check` reports until restored
    assert restore(layout) is True
    root = Path(layout.root)
    assert (
        root / "pkg" / "core.py"
    ).read_text() == "value = 'updated'\n"  # dpkg's, not the archive's
    assert (root / "used.py").read_text() == MODULE  # the rest comes back from the archive
    assert not (root / "used.pyc").exists()
    assert not os.path.exists(layout.archive) and not os.path.exists(layout.apt_hook)

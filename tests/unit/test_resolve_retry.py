"""A resolution that fails on a stale view of the index is tried once more with uv's
`--refresh` (seen in CI: a second platform's resolution to the versions the first had just
found said "there is no version of idna==3.21", a release of the day before); uv's
UV_EXCLUDE_NEWER holds the stack's resolution at a date, never gisbox's own uv pin."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gisbox.locking import pyindex
from gisbox.runtime.errors import LockError

PYLOCK = """lock-version = "1.0"
created-by = "uv"
[[packages]]
name = "idna"
version = "3.21"
wheels = [{ url = "https://files.example/idna-3.21-py3-none-any.whl", hashes = { sha256 = "ab" } }]
"""


def fake_uv(tmp_path: Path, *, fresh_answers: bool) -> Path:
    """A `uv` that fails from its cache, and answers (or fails again) with --refresh;
    it appends each call's arguments to calls.log."""
    (tmp_path / "pylock.toml").write_text(PYLOCK)
    script = tmp_path / "uv"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "[$UV_EXCLUDE_NEWER] $@" >> {tmp_path}/calls.log\n'
        'out=""; prev=""\n'
        'for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done\n'
        + (
            f'case " $* " in *" --refresh "*) cp {tmp_path}/pylock.toml "$out"; exit 0;; esac\n'
            if fresh_answers
            else ""
        )
        + "echo '  cause: Because there is no version of idna==3.21' >&2\nexit 1\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "calls.log").read_text().splitlines()


def test_a_stale_index_view_is_refreshed_once_and_resolves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pyindex, "uv_bin", lambda: str(fake_uv(tmp_path, fresh_answers=True)))
    found = pyindex.compile_requirements(
        ["idna==3.21"], python_version="3.11.2", uv_platform="aarch64-manylinux_2_36"
    )
    assert [(p.name, p.version) for p in found] == [("idna", "3.21")]
    made = calls(tmp_path)
    assert len(made) == 2 and "--refresh" not in made[0] and made[1].endswith("--refresh")


def test_a_real_failure_is_reported_after_the_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pyindex, "uv_bin", lambda: str(fake_uv(tmp_path, fresh_answers=False)))
    with pytest.raises(LockError) as err:
        pyindex.compile_requirements(
            ["idna==3.21"], python_version="3.11.2", uv_platform="aarch64-manylinux_2_36"
        )
    assert "aarch64-manylinux_2_36" in err.value.message
    assert "no version of idna==3.21" in err.value.message
    assert len(calls(tmp_path)) == 2


@pytest.mark.parametrize("as_of_now, seen", [(False, "[2026-12-01T00:00:00Z]"), (True, "[]")])
def test_the_index_date_holds_the_stack_not_gisbox_own_uv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_of_now: bool, seen: str
) -> None:
    monkeypatch.setattr(pyindex, "uv_bin", lambda: str(fake_uv(tmp_path, fresh_answers=True)))
    monkeypatch.setenv("UV_EXCLUDE_NEWER", "2026-12-01T00:00:00Z")
    pyindex.compile_requirements(
        ["uv==0.13.9"], python_version="3.11.2", uv_platform="x86_64-manylinux_2_36",
        as_of_now=as_of_now,
    )  # fmt: skip
    assert all(call.startswith(seen + " ") for call in calls(tmp_path))

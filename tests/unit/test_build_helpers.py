"""Build-failure explanations, CA bundle discovery and the safe stripper."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from gisbox.builder.strip_safely import loads_cleanly
from gisbox.image.build import explain_failure
from gisbox.image.cacert import find_ca_bundle
from gisbox.runtime.errors import UsageError


def test_hash_mismatch_is_explained() -> None:
    log = [
        "#14 1.2 error: Failed to prepare distributions",
        "#14 1.2   Caused by: Failed to fetch wheel: affine==3.0.1",
        "#14 1.2   Caused by: Hash mismatch for `affine==3.0.1`",
        "#14 ERROR: executor failed running [/bin/sh -c uv pip install]",
    ]
    msg = explain_failure(log)
    assert "hash mismatch for affine==3.0.1" in msg
    assert "gisbox.lock" in msg and "gisbox lock" in msg


def test_superseded_os_package_is_explained() -> None:
    log = ["#5 E: Version '3.11.2-6+deb12u1' for 'python3.11' was not found", "#5 ERROR: x"]
    assert "re-pin" in explain_failure(log)


def test_other_failures_show_the_failing_step() -> None:
    log = [f"#7 line {i}" for i in range(30)] + ["#7 ERROR: boom", "after"]
    msg = explain_failure(log)
    assert msg.endswith("#7 ERROR: boom") and "#7 line 29" in msg and "#7 line 5" not in msg


def test_ca_bundle_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit, env = tmp_path / "explicit.pem", tmp_path / "env.pem"
    explicit.write_text("x")
    env.write_text("y")
    monkeypatch.setenv("SSL_CERT_FILE", str(env))
    assert find_ca_bundle(explicit) == (explicit, "--ca-cert")
    assert find_ca_bundle(None) == (env, "$SSL_CERT_FILE")
    with pytest.raises(UsageError, match="no such file"):
        find_ca_bundle(tmp_path / "missing.pem")


def test_loads_cleanly_accepts_a_real_library() -> None:
    lib = next(Path("/usr/lib/x86_64-linux-gnu").glob("libz.so.*"), None) or Path(
        shutil.which("ls") or "/bin/ls"
    )
    assert loads_cleanly(str(lib))


def test_loads_cleanly_rejects_a_misaligned_segment(tmp_path: Path) -> None:
    src = Path(shutil.which("ls") or "/bin/ls").read_bytes()
    data = bytearray(src)
    phoff = struct.unpack_from("<Q", data, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        off = phoff + i * phentsize
        if struct.unpack_from("<I", data, off)[0] == 1:  # PT_LOAD
            p_offset = struct.unpack_from("<Q", data, off + 8)[0]
            struct.pack_into("<Q", data, off + 8, p_offset + 8)  # break congruence
            break
    bad = tmp_path / "bad.so"
    bad.write_bytes(bytes(data))
    assert not loads_cleanly(str(bad))
    (tmp_path / "text").write_text("not elf")
    assert not loads_cleanly(str(tmp_path / "text"))

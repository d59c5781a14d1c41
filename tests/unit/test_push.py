"""`gisbox push` argument handling (the real push is an integration test)."""

from __future__ import annotations

import pytest

from gisbox.image.push import Pushed, target_reference
from gisbox.runtime.errors import UsageError


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("127.0.0.1:5000/gisbox/minimal", "127.0.0.1:5000/gisbox/minimal:latest"),
        ("127.0.0.1:5000/gisbox/minimal:1.0", "127.0.0.1:5000/gisbox/minimal:1.0"),
        ("ghcr.io/org/app", "ghcr.io/org/app:latest"),
    ],
)
def test_target_reference(target: str, expected: str) -> None:
    assert target_reference(target, "latest") == expected


@pytest.mark.parametrize("target", ["minimal", "UPPER/case", "host:5000"])
def test_bad_target_is_a_usage_error(target: str) -> None:
    with pytest.raises(UsageError, match="REGISTRY/REPOSITORY"):
        target_reference(target, "latest")


def test_by_digest_drops_the_tag_but_keeps_the_registry_port() -> None:
    p = Pushed("127.0.0.1:5000/gisbox/minimal:1.0", "sha256:" + "a" * 64, "sha256:x")
    assert p.by_digest == "127.0.0.1:5000/gisbox/minimal@sha256:" + "a" * 64

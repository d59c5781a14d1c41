"""The platform tag the lock resolves for: the base's glibc, within what uv knows."""

from __future__ import annotations

from gisbox.locking.pyindex import python_platform, uv_manylinux_tags

KNOWN = frozenset({"x86_64-manylinux_2_36", "x86_64-manylinux_2_40", "aarch64-manylinux_2_40"})


def test_bookworm_glibc_is_used_as_is() -> None:
    assert python_platform("linux/amd64", "2.36", KNOWN) == "x86_64-manylinux_2_36"


def test_a_glibc_newer_than_uv_knows_takes_the_newest_known_tag() -> None:
    # Debian 13 has glibc 2.41; uv 0.13 knows tags up to 2_40
    assert python_platform("linux/amd64", "2.41", KNOWN) == "x86_64-manylinux_2_40"
    assert python_platform("linux/arm64", "2.41", KNOWN) == "aarch64-manylinux_2_40"


def test_the_installed_uv_knows_bookworm_and_a_tag_for_trixie() -> None:
    tags = uv_manylinux_tags()
    assert "x86_64-manylinux_2_36" in tags and "aarch64-manylinux_2_36" in tags
    assert python_platform("linux/amd64", "2.41") in tags

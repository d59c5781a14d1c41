"""The fingerprint says what built the stack (strategy "source" sets GISBOX_STACK), and
`gisbox diff` calls a different stack drift."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from gisbox.image.diff import compare
from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.suite import built_stack
from gisbox.runtime.payloads import Fingerprint

STACK = {"strategy": "source", "gdal": {"version": "3.13.3", "sha256": "ab" * 32}}


def test_the_stack_the_image_declares(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GISBOX_STACK", json.dumps(STACK))
    assert built_stack(Findings()) == STACK
    monkeypatch.delenv("GISBOX_STACK")
    assert built_stack(Findings()) == {}


def test_an_unreadable_stack_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GISBOX_STACK", "source, gdal 3.13")
    findings = Findings()
    assert built_stack(findings) == {}
    assert [f.id for f in findings.sorted()] == ["stack.unreadable"]


def test_another_gdal_build_is_drift() -> None:
    def fp(stack: dict[str, Any]) -> Fingerprint:
        return cast(Fingerprint, {"format": 1, "probes": {}, "stack": stack})

    other = {"strategy": "source", "gdal": {"version": "3.13.3", "sha256": "cd" * 32}}
    diffs = compare(fp(STACK), fp(other))
    assert [(d.key, d.drift) for d in diffs] == [("stack.gdal.sha256", True)]

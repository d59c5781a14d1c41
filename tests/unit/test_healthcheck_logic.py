"""The in-image healthcheck's decisions, on this (stack-less) environment."""

from __future__ import annotations

import pytest

from gisbox.runtime import healthcheck
from gisbox.runtime.stack import one_line


def test_golden_value_within_a_millimetre_passes() -> None:
    x, y = healthcheck.GOLDEN_XY
    healthcheck._near((x + 0.0009, y - 0.0009), "test")


def test_a_drift_of_a_centimetre_fails_with_numbers() -> None:
    x, y = healthcheck.GOLDEN_XY
    with pytest.raises(healthcheck.Unhealthy, match=r"test: EPSG:4326->EPSG:3857.*1669792"):
        healthcheck._near((x + 0.01, y), "test")


def test_missing_gdal_data_is_unhealthy(tmp_path: object) -> None:
    with pytest.raises(healthcheck.Unhealthy, match="GDAL data directory not found"):
        healthcheck._gdal_data_ok("/nonexistent", "rasterio")


def test_numpy_style_messages_become_one_line() -> None:
    exc = ImportError("\n\nIMPORTANT: PLEASE READ\n...\nOriginal error was: libfoo.so: bad ELF\n")
    assert one_line(exc) == "ImportError: Original error was: libfoo.so: bad ELF"


def test_environment_without_a_proj_binding_is_unhealthy(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(healthcheck, "import_all", lambda: ({}, {}))
    assert healthcheck.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("unhealthy: no PROJ binding") and err.count("\n") == 1


def test_import_failure_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        healthcheck, "import_all", lambda: ({}, {"rasterio": "ImportError: libgdal.so"})
    )
    assert healthcheck.main([]) == 1
    assert capsys.readouterr().err == "unhealthy: import rasterio failed: ImportError: libgdal.so\n"

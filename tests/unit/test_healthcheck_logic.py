"""The in-image healthcheck's decisions, on this (stack-less) environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from gisbox.runtime.check import healthcheck
from gisbox.runtime.check.stack import one_line

GOLDEN = healthcheck.GOLDEN.expected


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
    assert healthcheck.main(["--json"]) == 1
    out = capsys.readouterr()
    assert out.err == "unhealthy: import rasterio failed: ImportError: libgdal.so\n"
    assert '"healthy": false' in out.out


def test_proj_data_pointing_nowhere_is_unhealthy_before_any_import(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PROJ_DATA", str(tmp_path / "missing"))
    monkeypatch.setattr(healthcheck, "import_all", lambda: ({"pyproj": object()}, {}))
    monkeypatch.setattr(healthcheck.bindings_data, "probe", lambda *a: {})
    monkeypatch.setattr(healthcheck.transforms, "ADAPTERS", {"pyproj": lambda src, dst, pt: GOLDEN})
    assert healthcheck.main([]) == 1
    assert "data.env-missing-dir: PROJ_DATA=" in capsys.readouterr().err


def test_a_centimetre_off_is_unhealthy(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROJ_DATA", raising=False)
    monkeypatch.setattr(healthcheck, "import_all", lambda: ({"pyproj": object()}, {}))
    monkeypatch.setattr(healthcheck.bindings_data, "probe", lambda *a: {})
    monkeypatch.setattr(
        healthcheck.transforms,
        "ADAPTERS",
        {"pyproj": lambda src, dst, pt: (GOLDEN[0] + 0.01, GOLDEN[1])},
    )
    assert healthcheck.main([]) == 1
    assert "transform.golden: pyproj" in capsys.readouterr().err


def test_within_a_millimetre_is_healthy(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("PROJ_DATA", "PROJ_LIB", "GDAL_DATA"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(healthcheck, "import_all", lambda: ({"pyproj": object()}, {}))
    monkeypatch.setattr(healthcheck.bindings_data, "probe", lambda *a: {})
    monkeypatch.setattr(
        healthcheck.transforms,
        "ADAPTERS",
        {"pyproj": lambda src, dst, pt: (GOLDEN[0] + 0.0009, GOLDEN[1])},
    )
    monkeypatch.setattr(healthcheck, "carried_versions", lambda m: {})
    assert healthcheck.main([]) == 0
    assert capsys.readouterr().out == "healthy\n"


@pytest.mark.parametrize(
    "argv", [[], ["--json"], ["--url", "http://127.0.0.1:8080/readyz"], ["--json", "--url", "u"]]
)
def test_the_fast_path_reads_arguments_as_the_parser_does(argv: list[str]) -> None:
    """HEALTHCHECK's argument lists skip argparse; they must mean what the parser says."""
    args = healthcheck.parser().parse_args(argv)
    fast = healthcheck.fast_options(argv)
    assert fast is None or fast == (args.json, args.url)
    assert fast is not None or argv == ["--json", "--url", "u"]

"""Spec validation: every error names the file and the key, and exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gisbox.cli import cli
from gisbox.project.spec import Spec, load_spec
from gisbox.runtime.errors import SpecError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gisbox.toml"
    path.write_text(text)
    return path


def run_lock(project: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["lock", "-C", str(project)])
    return result.exit_code, result.output


def test_defaults_are_a_valid_spec(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, ""))
    assert spec.image.base == "debian:bookworm-slim"
    assert spec.image.strategy == "wheels"
    assert spec.runtime.uid >= 1000


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[image]\nbsae = "debian:bookworm-slim"\n')
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    assert str(path) in exc.value.message
    assert "unknown key 'image.bsae'" in exc.value.message


def test_bad_version_specifier_names_the_package(tmp_path: Path) -> None:
    path = write(tmp_path, '[python]\npackages = ["rasterio>=>1.4"]\n')
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    assert "python.packages" in exc.value.message
    assert "rasterio>=>1.4" in exc.value.message


def test_wrong_type_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[runtime]\nuid = "10001"\n')
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    assert "key 'runtime.uid'" in exc.value.message


def test_root_user_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"runtime\.user"):
        load_spec(write(tmp_path, '[runtime]\nuser = "root"\n'))


def test_missing_app_file_names_file_key_and_path(tmp_path: Path) -> None:
    path = write(tmp_path, '[app]\nfiles = ["app/", "model.bin"]\n')
    (tmp_path / "app").mkdir()
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    assert "key 'app.files.1'" in exc.value.message
    assert "'model.bin' does not exist" in exc.value.message


def test_app_files_must_stay_inside_the_project(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="inside the project"):
        load_spec(write(tmp_path, '[app]\nfiles = ["../secrets"]\n'))


def test_invalid_toml_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(write(tmp_path, "[image\n"))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[image]\nstrategy = "conda"\n', "image.strategy"),
        ('[image]\npython = "3"\n', "image.python"),
        ('[image]\nplatform = "windows/amd64"\n', "image.platform"),
        ('[runtime]\nenv = { "1BAD" = "x" }\n', "runtime.env"),
        ('[app]\nworkdir = "app"\n', "app.workdir"),
    ],
)
def test_cli_exit_code_2_with_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    code, output = run_lock(tmp_path)
    assert code == 2
    assert str(path) in output and key in output


def test_missing_spec_file_exits_2_and_says_how_to_start(tmp_path: Path) -> None:
    code, output = run_lock(tmp_path)
    assert code == 2
    assert "gisbox.toml: no such file" in output
    assert "gisbox init" in output


def test_input_digest_ignores_app_and_runtime_but_not_packages() -> None:
    base = Spec()
    changed_app = Spec.model_validate({"app": {"command": ["python", "-m", "x"]}})
    changed_pkgs = Spec.model_validate({"python": {"packages": ["shapely"]}})
    assert base.input_digest() == changed_app.input_digest()
    assert base.input_digest() != changed_pkgs.input_digest()

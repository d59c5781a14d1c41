"""A fix hint fits where it is printed: on a host, what to pip install; inside an image,
what to add to gisbox.toml. The host-side errors of `gisbox run`, `eval`, `cluster`,
`sbom` and `k8s` go through the real command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import gisbox.engines.registry as engines
from gisbox.cli import cli
from gisbox.runtime import where
from gisbox.runtime.workloads import WorkloadInputError, evaluate, executor, features, inputs
from tests.fakes import FakeEngine

MINIMAL = Path(__file__).parents[1] / "projects" / "minimal"


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Modules to report as not installed (wherever `missing` was imported)."""
    absent: set[str] = set()
    real = inputs.missing

    def missing(*modules: str) -> list[str]:
        return [m for m in modules if m in absent] + real(*(m for m in modules if m not in absent))

    for module in (inputs, executor, features, evaluate):
        monkeypatch.setattr(module, "missing", missing)
    return absent


def run_cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.output


def test_the_copy_in_an_image_knows_it_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not where.in_image()  # this checkout is a host's
    assert where.fix(host="pip", image="gisbox.toml") == "pip"
    monkeypatch.setattr(where, "__file__", "/opt/gisbox/gisbox/runtime/where.py")
    assert where.in_image() and where.fix(host="pip", image="gisbox.toml") == "gisbox.toml"


def test_run_on_a_host_without_the_workload_s_libraries_says_pip(
    without: set[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without.add("esda")
    code, out = run_cli("run", "moran", str(tmp_path / "in.gpkg"), "--column", "v")
    assert code != 0 and "needs esda" in out
    assert "pip install 'gisbox[workloads]'" in out and "gisbox.toml" not in out
    monkeypatch.setattr(where, "in_image", lambda: True)
    code, out = run_cli("run", "moran", str(tmp_path / "in.gpkg"), "--column", "v")
    assert "add esda to [python] packages in gisbox.toml" in out and "pip" not in out


def test_cluster_on_a_host_without_distributed_says_the_cluster_extra(
    without: set[str], tmp_path: Path
) -> None:
    without.add("distributed")
    with pytest.raises(WorkloadInputError) as exc:
        executor.connect("tcp://127.0.0.1:8786")
    assert exc.value.hint and "pip install 'gisbox[cluster]'" in exc.value.hint
    assert "[python] packages" not in exc.value.hint


def test_eval_on_a_host_without_rasterio_says_the_workloads_extra(
    without: set[str], tmp_path: Path
) -> None:
    without.add("rasterio")
    pred, truth = tmp_path / "pred.tif", tmp_path / "truth.tif"
    pred.write_bytes(b""), truth.write_bytes(b"")
    code, out = run_cli("eval", str(pred), str(truth))
    assert code != 0 and "needs rasterio" in out
    assert "pip install 'gisbox[workloads]'" in out and "gisbox.toml" not in out


def test_host_commands_about_the_project_s_image_name_gisbox_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "minimal"
    shutil.copytree(MINIMAL, project, ignore=shutil.ignore_patterns("expected"))
    monkeypatch.setattr(engines, "select_engine", lambda name=None: FakeEngine())
    # the image's packages: gisbox.toml, then lock and build (not pip: the host is fine)
    by_digest = "registry.example/app@sha256:" + "a" * 64
    for args in (["cluster", "up"], ["k8s", "--out", str(tmp_path / "k8s"), "--image", by_digest]):
        code, out = run_cli(*args, "-C", str(project))
        assert code == 2 and "no `distributed`" in out, out
        assert "gisbox lock" in out and "gisbox build" in out and "pip" not in out
    code, out = run_cli("sbom", "-C", str(project))
    assert code == 4 and "not built" in out and "gisbox build" in out and "pip" not in out

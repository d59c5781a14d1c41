"""`gisbox cluster`: options, container flags and refusals, without an engine.

The containers themselves are started for real in tests/integration/test_cluster.py.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import gisbox.engines.registry as engines
from gisbox.cli import cli
from gisbox.deploy.cluster import status
from gisbox.deploy.containers import (
    MIB,
    ClusterOptions,
    check_data_dir,
    client_command,
    hardening,
    names,
    parse_memory,
    worker_command,
)
from gisbox.engines.cli_engine import run_flags
from gisbox.project.spec import load_spec
from gisbox.runtime.cluster import differing, identity
from gisbox.runtime.errors import UsageError
from tests.fakes import FakeEngine


@pytest.mark.parametrize(
    ("text", "size"),
    [("512m", 512 * MIB), ("2g", 2048 * MIB), ("1.5G", 1536 * MIB), ("2GiB", 2048 * MIB)],
)
def test_memory_limits_read_like_docker_sizes(text: str, size: int) -> None:
    assert parse_memory(text) == size


def test_a_bad_or_tiny_memory_limit_is_refused_with_the_fix() -> None:
    with pytest.raises(UsageError, match="not a size") as exc:
        parse_memory("lots")
    assert exc.value.hint and "512m" in exc.value.hint
    with pytest.raises(UsageError, match="below 256 MiB"):
        parse_memory("100m")


def test_names_and_commands(project: Path) -> None:
    n = names("lab")
    assert (n.network, n.scheduler, n.worker(2)) == (
        "gisbox-lab",
        "gisbox-lab-scheduler",
        "gisbox-lab-worker-2",
    )
    assert n.address == "tcp://gisbox-lab-scheduler:8786"
    with pytest.raises(UsageError, match="not a usable cluster name"):
        names("My Cluster")
    cmd = worker_command(
        n, ClusterOptions(name="lab", memory_limit=parse_memory("1g"), threads=2), 3
    )
    assert cmd[:3] == ["dask", "worker", n.address]
    assert cmd[cmd.index("--memory-limit") + 1] == str(1024**3)
    assert cmd[cmd.index("--nthreads") + 1] == "2"
    assert cmd[cmd.index("--preload") + 1] == "gisbox.runtime.cluster.preload"
    assert client_command(("moran", "/data/x.gpkg"), n)[-2:] == ["--cluster", n.address]
    with pytest.raises(UsageError, match="adds --cluster itself"):
        client_command(("moran", "--cluster", "tcp://elsewhere:8786"), n)
    # the client container has no TTY: on a terminal, gisbox asks for progress (once)
    assert "--progress" not in client_command(("moran", "/data/x.gpkg"), n)
    asked = client_command(("chunked", "focal-mean", "in.tif"), n, progress=True)
    assert asked.count("--progress") == 1
    again = client_command(("chunked", "--progress", "in.tif"), n, progress=True)
    assert again.count("--progress") == 1


def test_every_container_is_hardened(project: Path) -> None:
    spec = load_spec(project / "gisbox.toml")
    flags = run_flags(hardening(spec, "10001:10001"))
    pairs = set(itertools.pairwise(flags))
    assert "--read-only" in flags
    assert ("--cap-drop", "ALL") in pairs and ("--security-opt", "no-new-privileges") in pairs
    assert ("--user", "10001:10001") in pairs
    tmpfs = [b for a, b in pairs if a == "--tmpfs"]
    assert {t.split(":")[0] for t in tmpfs} == {"/tmp", "/home/gis"}
    assert any("uid=10001" in t for t in tmpfs if t.startswith("/home/gis"))
    env = {b for a, b in pairs if a == "-e"}
    assert "PROJ_USER_WRITABLE_DIRECTORY=/home/gis/.local/share/proj" in env
    assert "PYTHONPATH=/opt/gisbox" in env


def test_the_data_directory_must_be_writable_by_the_containers(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o755)
    os.chmod(private, 0o755)
    with pytest.raises(UsageError, match="uid 10001, which cannot write there") as exc:
        check_data_dir(private, "10001:10001")
    assert exc.value.hint and "chown 10001" in exc.value.hint and "--user" in exc.value.hint
    os.chmod(private, 0o777)
    assert check_data_dir(private, "10001:10001") == private.resolve()
    with pytest.raises(UsageError, match="no such directory"):
        check_data_dir(tmp_path / "absent", "10001:10001")


def test_fingerprint_identity_names_the_sections_that_differ() -> None:
    fp = {"python": {"version": "3.11.2"}, "env": {}, "bindings": {"pyproj": {"proj": "9.5.1"}}}
    drifted = {**fp, "env": {"GDAL_DATA": "/elsewhere"}}
    assert differing(identity(fp), identity(fp)) == []
    assert differing(identity(fp), identity(drifted)) == ["env"]
    assert "no gisbox fingerprint" in differing(identity(fp), None)[0]


def test_status_of_no_cluster_and_up_without_an_image(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeEngine()
    with pytest.raises(UsageError, match="no cluster named 'nope'"):
        status(fake, load_spec(project / "gisbox.toml"), "nope")
    monkeypatch.setattr(engines, "select_engine", lambda name=None: fake)
    res = CliRunner().invoke(cli, ["cluster", "up", "-C", str(project)])
    assert res.exit_code == 2
    assert "lock has no `distributed`" in res.output  # the minimal profile: no Dask
    assert fake.called("network") == []  # nothing was started


def test_the_gate_pauses_and_removes_a_worker_with_another_fingerprint() -> None:
    from types import SimpleNamespace

    from distributed.core import Status

    from gisbox.runtime.cluster.preload import FingerprintGate

    ours = identity({"env": {}})
    callbacks: list[object] = []

    class WorkerState(SimpleNamespace):
        __hash__ = object.__hash__

    def scheduler_with(extra: dict[str, object]) -> SimpleNamespace:
        ws = WorkerState(extra=extra, status=Status.running, name="w1")
        return SimpleNamespace(
            workers={"tcp://w1:1": ws},
            running={ws},
            loop=SimpleNamespace(add_callback=callbacks.append),
        )

    gate = FingerprintGate(ours, [])
    same = scheduler_with({"gisbox_identity": ours})
    gate.add_worker(same, "tcp://w1:1")
    assert gate.refused == [] and callbacks == []
    other = scheduler_with({"gisbox_identity": identity({"env": {"GDAL_DATA": "/x"}})})
    gate.add_worker(other, "tcp://w1:1")
    ws = other.workers["tcp://w1:1"]
    assert ws.status == Status.paused and ws not in other.running and len(callbacks) == 1
    assert gate.refused[0]["sections"] == ["env"]
    broken = FingerprintGate(ours, ["data.proj-db-missing: no proj.db"])
    broken.add_worker(scheduler_with({"gisbox_identity": ours}), "tcp://w1:1")
    assert "scheduler's gisbox check found errors" in broken.refused[0]["sections"][0]

"""Engine selection and the command lines each engine runs, with fake clients on PATH
(no real engine needed; the integration tests drive real Docker and Podman)."""

from __future__ import annotations

import select
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gisbox.cli import cli
from gisbox.engines.base import BuildRequest, ImageInfo, RunOptions
from gisbox.engines.cli_engine import is_loopback_registry
from gisbox.engines.docker import DockerBuildx, DockerBuiltinBuildKit, detect_docker
from gisbox.engines.podman import Podman, detect_podman
from gisbox.engines.registry import select_engine
from gisbox.runtime.errors import EngineError, UsageError

INSPECT = '[{"Id": "abc123", "Size": 42, "RootFS": {"Layers": ["sha256:l1"]}, "Config": {}}]'


def fake_client(
    directory: Path,
    name: str,
    *,
    version: str = "28.2.2",
    buildx: bool = False,
    up: bool = True,
    server: str = "20.10.24",
) -> Path:
    """A client script that logs its argv to DIR/argv.log and answers like the real one."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    server = f"echo {server}; exit 0" if up else 'echo "Cannot connect to the daemon" >&2; exit 1'
    path.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {shlex.quote(str(directory / "argv.log"))}\n'
        f'if [ "$1" = --version ]; then echo "{name.title()} version {version}, build x"; '
        "exit 0; fi\n"
        f'if [ "$1" = buildx ]; then {"exit 0" if buildx else "echo no buildx >&2; exit 1"}; fi\n'
        f'if [ "$1" = version ]; then {server}; fi\n'
        f"if [ \"$1\" = image ]; then echo '{INSPECT}'; exit 0; fi\n"
        'if [ "$1" = push ]; then echo "latest: digest: sha256:'
        + "d"
        * 64
        + ' size: 1"; for a; do case "$a" in --digestfile) f=1;; *) [ -n "$f" ] && '
        "echo sha256:" + "e" * 64 + ' > "$a" && f=;; esac; done; exit 0; fi\n'
        "exit 0\n"
    )
    path.chmod(0o755)
    return path


def argv_log(client: Path) -> list[str]:
    return (client.parent / "argv.log").read_text().splitlines()


@pytest.fixture(autouse=True)
def isolated_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("GISBOX_DOCKER", "GISBOX_ENGINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr("gisbox.engines.docker.KNOWN_CLIENTS", ())


def on_path(monkeypatch: pytest.MonkeyPatch, *clients: Path) -> None:
    monkeypatch.setenv("PATH", ":".join(str(c.parent) for c in clients))


def test_prefers_buildx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docker = fake_client(tmp_path / "a", "docker", buildx=True)
    on_path(monkeypatch, docker)
    engine = detect_docker(known=())
    assert isinstance(engine, DockerBuildx)
    request = BuildRequest(context=Path("ctx"), dockerfile=Path("D"), tag="t", platform="p")
    engine.build(request, lambda _l: None)
    assert argv_log(docker)[-1].startswith("buildx build --load --progress=plain --platform p")


def test_description_names_a_newer_engine_behind_an_old_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = fake_client(tmp_path / "old", "docker", version="20.10.24+dfsg1", server="26.1.5+dfsg1")
    on_path(monkeypatch, old)
    engine = detect_docker(known=())
    assert "Docker 20.10.24+dfsg1 client, engine 26.1.5+dfsg1" in engine.description


def test_skips_new_client_without_buildx_for_old_builtin_buildkit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = fake_client(tmp_path / "new", "docker")
    old = fake_client(tmp_path / "old", "docker", version="20.10.24+dfsg1")
    on_path(monkeypatch, new, old)
    engine = detect_docker(known=())
    assert isinstance(engine, DockerBuiltinBuildKit)
    assert engine.path == str(old)
    assert engine.env()["DOCKER_BUILDKIT"] == "1"
    assert "20.10.24" in engine.description and "BuildKit built in" in engine.description


def test_no_client_that_can_build_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path(monkeypatch, fake_client(tmp_path / "new", "docker"))
    with pytest.raises(EngineError) as exc:
        detect_docker(known=())
    assert "no buildx plugin" in exc.value.message
    assert exc.value.hint and "docker.io" in exc.value.hint


def test_no_docker_engine_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path(monkeypatch, fake_client(tmp_path / "old", "docker", version="20.10.24", up=False))
    with pytest.raises(EngineError) as exc:
        detect_docker(known=())
    assert "no Docker engine is reachable (Cannot connect to the daemon)" in exc.value.message
    assert exc.value.hint and "dockerd" in exc.value.hint


def test_auto_detection_prefers_a_running_docker_then_podman(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = fake_client(tmp_path / "d", "docker", version="20.10.24", up=False)
    podman = fake_client(tmp_path / "p", "podman", version="4.3.1")
    on_path(monkeypatch, down, podman)
    assert isinstance(select_engine(), Podman)
    up = fake_client(tmp_path / "u", "docker", version="20.10.24")
    on_path(monkeypatch, up, podman)
    assert isinstance(select_engine(), DockerBuiltinBuildKit)
    monkeypatch.setenv("GISBOX_ENGINE", "podman")
    assert isinstance(select_engine(), Podman)
    assert isinstance(select_engine("docker"), DockerBuiltinBuildKit)  # --engine wins


def test_unknown_engine_name_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GISBOX_ENGINE", "containerd")
    with pytest.raises(UsageError, match="GISBOX_ENGINE 'containerd'"):
        select_engine()


def test_nothing_usable_names_both_engines() -> None:
    with pytest.raises(EngineError) as exc:
        select_engine()
    assert "docker" in exc.value.message and "podman is not installed" in exc.value.message
    assert exc.value.hint and "docker.io" in exc.value.hint and "podman" in exc.value.hint


def test_podman_builds_in_docker_format_and_runs_within_the_host_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    podman = fake_client(tmp_path / "p", "podman", version="4.3.1")
    on_path(monkeypatch, podman)
    engine = detect_podman()
    secret = tmp_path / "ca.pem"
    request = BuildRequest(
        context=tmp_path, dockerfile=tmp_path / "Dockerfile", tag="gisbox/x:1",
        platform="linux/amd64", secrets=(("gisbox_ca", secret),), no_cache=True,
    )  # fmt: skip
    assert engine.build(request, lambda _l: None).returncode == 0
    build = argv_log(podman)[-1].split()
    assert build[:3] == ["build", "--format", "docker"]  # OCI would drop HEALTHCHECK
    assert f"id=gisbox_ca,src={secret}" in build and "--no-cache" in build
    assert "--progress=plain" not in build
    engine.run("img", ["true"], options=RunOptions(user="10001:10001"))
    run = argv_log(podman)[-1]
    assert run.startswith("run ") and "--rm" in run and "--user 10001:10001" in run
    assert "--ulimit nofile=" in run and "--ulimit nproc=" in run
    assert run.endswith("img true")


def test_podman_push_to_a_loopback_registry_skips_tls_and_reads_the_digest_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    podman = fake_client(tmp_path / "p", "podman", version="4.3.1")
    on_path(monkeypatch, podman)
    assert detect_podman().push("127.0.0.1:5000/g/m:1") == "sha256:" + "e" * 64
    assert "--tls-verify=false" in argv_log(podman)[-1]
    detect_podman().push("registry.example.com/g/m:1")
    assert "--tls-verify=false" not in argv_log(podman)[-1]


def test_docker_push_reads_the_digest_from_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path(monkeypatch, fake_client(tmp_path / "a", "docker", buildx=True))
    assert detect_docker(known=()).push("127.0.0.1:5000/g/m:1") == "sha256:" + "d" * 64


def test_image_info_is_the_same_for_both_engines() -> None:
    """As inspected here: Podman's ids lack the prefix, its healthcheck is not in Config."""
    test = ["CMD", "/usr/local/bin/gisbox", "healthcheck"]
    podman = ImageInfo.from_inspect(
        {"Id": "abc", "Size": 5, "RootFS": {"Layers": ["l"]}, "Healthcheck": {"Test": test}}
    )
    docker = ImageInfo.from_inspect(
        {"Id": "sha256:abc", "Size": 5, "RootFS": {"Layers": ["l"]},
         "Config": {"Healthcheck": {"Test": test}}}
    )  # fmt: skip
    assert podman == docker and podman.id == "sha256:abc" and podman.layers == ("l",)
    assert podman.healthcheck == tuple(test)


@pytest.mark.parametrize(
    ("ref", "loopback"),
    [("127.0.0.1:5000/a/b", True), ("localhost:5000/a", True), ("ghcr.io/a/b", False)],
)
def test_loopback_registries(ref: str, loopback: bool) -> None:
    assert is_loopback_registry(ref) == loopback


def test_build_without_engine_exits_4_and_writes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GISBOX_DOCKER", "/nonexistent/docker")
    before = sorted(p.name for p in project.iterdir())
    result = CliRunner().invoke(cli, ["build", "-C", str(project)])
    assert result.exit_code == 4, result.output
    assert result.output.startswith("error: no usable container engine")
    assert sorted(p.name for p in project.iterdir()) == before


def test_run_attached_passes_the_container_s_output_through_as_it_comes(tmp_path: Path) -> None:
    """`gisbox cluster run`'s client: its lines reach the user while the job still runs
    (a client that waits for a file we create only after reading its first line)."""
    go = tmp_path / "go"
    client = tmp_path / "docker"
    client.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > {shlex.quote(str(tmp_path / "argv"))}\n'
        'echo "regions: 1/2" >&2; echo first\n'
        f"i=0; while [ $i -lt 200 ] && [ ! -e {shlex.quote(str(go))} ]; do\n"
        "  /bin/sleep 0.05; i=$((i + 1)); done\n"
        'echo "regions: 2/2" >&2; echo done; exit 3\n'
    )
    client.chmod(0o755)
    code = (
        "import sys; from gisbox.engines.docker import DockerBuiltinBuildKit as E; "
        "from gisbox.engines.base import RunOptions; "
        f"sys.exit(E(path={str(client)!r}, version='20.10.24')"
        ".run_attached('img', ['gisbox', 'run', 'x'], options=RunOptions(network='n')))"
    )
    job = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert job.stdout is not None
    ready, _, _ = select.select([job.stdout], [], [], 8)
    assert ready and job.stdout.readline() == "first\n", "nothing arrived while it ran"
    assert job.poll() is None, "the client was still waiting"
    go.touch()
    out, err = job.communicate(timeout=20)
    assert (job.returncode, out, err) == (3, "done\n", "regions: 1/2\nregions: 2/2\n")
    assert (tmp_path / "argv").read_text().split() == [
        "run", "--rm", "--network", "n", "img", "gisbox", "run", "x"
    ]  # fmt: skip


@pytest.mark.parametrize(
    "output",
    [  # Docker: one object per line; Podman 4: one list, `size` in lower case
        '{"CreatedBy": "ENV A=1", "Size": "0"}\n{"CreatedBy": "COPY /rootfs/ /", "Size": "100"}\n',
        '[{"CreatedBy": "ENV A=1", "size": 0}, {"CreatedBy": "COPY /rootfs/ /", "size": 100}]\n',
    ],
)
def test_history_is_read_from_either_client(tmp_path: Path, output: str) -> None:
    from gisbox.engines.base import HistoryEntry
    from gisbox.engines.podman import Podman

    client = tmp_path / "client"
    (tmp_path / "out.txt").write_text(output)
    client.write_text(f"#!/bin/sh\n/bin/cat {tmp_path / 'out.txt'}\n")
    client.chmod(0o755)
    engine = Podman(path=str(client), version="4.3.1")  # the parsing is CliEngine's
    assert engine.history("img") == [
        HistoryEntry(created_by="COPY /rootfs/ /", size=100),
        HistoryEntry(created_by="ENV A=1", size=0),
    ]

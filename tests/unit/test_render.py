"""The rendered Dockerfile and .dockerignore: what production needs, lint-clean."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from gisbox.cli import cli
from gisbox.lock import read_lock


@pytest.fixture
def rendered(project: Path) -> Path:
    result = CliRunner().invoke(cli, ["dockerfile", "-C", str(project)])
    assert result.exit_code == 0, result.output
    return project


def dockerfile(project: Path) -> str:
    return (project / "Dockerfile").read_text()


def test_multi_stage_and_no_syntax_line(rendered: Path) -> None:
    text = dockerfile(rendered)
    stages = re.findall(r"^FROM (\S+) AS (\S+)$", text, flags=re.M)
    assert [s[1] for s in stages] == ["python", "builder", "runtime"]
    assert stages[0][0] == "debian:bookworm-slim"
    assert "# syntax" not in text


def test_runtime_stage_gets_only_environment_and_app(rendered: Path) -> None:
    runtime = dockerfile(rendered).split("AS runtime", 1)[1]
    lock = read_lock(rendered / "gisbox.lock")
    # stdlib = "zip": the runtime installs the Python runtime's pins itself, not the builder's
    installed = re.findall(r"^ {7}(\S+=\S+) \\$", runtime, flags=re.M)
    assert installed == lock.os_pins("runtime") and installed
    assert not set(lock.os_pins("builder")) & set(installed)
    assert not re.search(r"\b(uv|pip)\b", runtime)
    copies = re.findall(r"^COPY .*$", runtime, flags=re.M)
    assert "COPY --from=builder /opt/venv /opt/venv" in copies
    assert any(c.startswith("COPY --chown=10001:10001 app/ /app/app/") for c in copies)


def test_non_root_without_recursive_chown(rendered: Path) -> None:
    text = dockerfile(rendered)
    assert "chown -R" not in text and "chown --recursive" not in text
    assert re.search(r"^USER 10001:10001$", text, flags=re.M)


def test_healthcheck_exec_form(rendered: Path) -> None:
    assert 'CMD ["/usr/local/bin/gisbox", "healthcheck"]' in dockerfile(rendered)
    launcher = rendered / ".gisbox/runtime/bin/gisbox"
    assert launcher.stat().st_mode & 0o111
    assert (rendered / ".gisbox/runtime/gisbox/runtime/check/healthcheck.py").is_file()


def test_locale_and_no_gis_data_overrides(rendered: Path) -> None:
    text = dockerfile(rendered)
    assert "LANG=C.UTF-8" in text and "LC_ALL=C.UTF-8" in text
    # wheels carry their own PROJ/GDAL data; pointing them elsewhere breaks them
    assert "PROJ_DATA" not in text.split("AS runtime")[1].replace("sets no PROJ_DATA", "")
    assert "GDAL_DATA=" not in text


def test_labels_carry_oci_and_lock_digest(rendered: Path) -> None:
    text = dockerfile(rendered)
    assert '"org.opencontainers.image.title"="gisbox/proj"' in text
    digest = re.search(r'"io.gisbox.lock-digest"="(sha256:[0-9a-f]{64})"', text)
    assert digest is not None
    import hashlib

    assert (
        digest.group(1)
        == "sha256:" + hashlib.sha256((rendered / "gisbox.lock").read_bytes()).hexdigest()
    )


def test_secrets_and_caches(rendered: Path) -> None:
    text = dockerfile(rendered)
    assert "--mount=type=secret,id=gisbox_ca" in text
    assert "--mount=type=secret,id=gisbox_netrc,target=/root/.netrc" in text
    assert "--mount=type=cache,id=gisbox-uv,target=/root/.cache/uv" in text
    assert "--mount=type=cache,id=gisbox-apt-cache,target=/var/cache/apt" in text
    assert "--require-hashes" in text and "--only-binary :all:" in text


def test_every_os_package_pinned(rendered: Path) -> None:
    text = dockerfile(rendered)
    lock = read_lock(rendered / "gisbox.lock")
    for pin in lock.os_pins("runtime") + lock.os_pins("builder"):
        assert pin in text
    assert lock.uv_wheel().sha256 in text


def test_requirements_have_hashes(rendered: Path) -> None:
    req = (rendered / ".gisbox/requirements.txt").read_text().splitlines()
    assert req and all(re.match(r"^\S+==\S+( --hash=sha256:[0-9a-f]{64})+$", ln) for ln in req)


def test_dockerignore_is_an_allowlist(rendered: Path) -> None:
    lines = (rendered / ".dockerignore").read_text().splitlines()
    assert "*" in lines
    assert "!app" in lines and "!.gisbox/requirements.txt" in lines
    assert "!gisbox.lock" not in lines  # nothing else enters the context


def test_user_env_and_labels_are_quoted(project: Path) -> None:
    spec = project / "gisbox.toml"
    spec.write_text(
        spec.read_text()
        .replace('# env = { MY_SETTING = "1" }', 'env = { GREETING = "hello world" }')
        .replace(
            '# labels = { "org.opencontainers.image.source" = "https://example.com/repo" }',
            'labels = { "org.opencontainers.image.source" = "https://example.com/r" }',
        )
    )
    assert CliRunner().invoke(cli, ["dockerfile", "-C", str(project)]).exit_code == 0
    text = dockerfile(project)
    assert 'GREETING="hello world"' in text
    assert '"org.opencontainers.image.source"="https://example.com/r"' in text


def test_hadolint_clean(rendered: Path, hadolint: str) -> None:
    res = subprocess.run([hadolint, str(rendered / "Dockerfile")], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.strip() == ""


@pytest.mark.parametrize("stdlib", ["zip", "files"])
@pytest.mark.parametrize("mode", ["imported", "all", "none"])
def test_bytecode_and_stdlib_modes(project: Path, mode: str, stdlib: str, hadolint: str) -> None:
    """bytecode -- imported: stdlib bytecode only for what the build-time check imported; all:
    for the whole stdlib; none: none. stdlib -- zip: the runtime stage reinstalls the pinned
    Python and swaps its sources for the builder's archive in that same RUN; files: the
    runtime derives from the python stage and gets the imported modules' bytecode copied."""
    spec = project / "gisbox.toml"
    text = spec.read_text().replace('bytecode = "imported"', f'bytecode = "{mode}"')
    spec.write_text(text.replace('stdlib = "zip"', f'stdlib = "{stdlib}"'))
    assert CliRunner().invoke(cli, ["dockerfile", "-C", str(project)]).exit_code == 0
    text = dockerfile(project)
    python_stage, runtime = (
        text.split("AS python", 1)[1].split("AS builder")[0],
        text.split("AS runtime")[1],
    )
    removes = "find /usr/lib/python3.11 -name __pycache__ -prune -exec rm -rf {} +" in python_stage
    assert removes == (mode != "all")
    copies_bytecode = "COPY --from=builder /opt/stdlib-bytecode/ /" in runtime
    assert copies_bytecode == (stdlib == "files" and mode == "imported")
    packs = f"stdlib_zip.py pack /opt/stdlib/stdlib.zip {mode}" in text
    swaps = "--mount=type=bind,from=builder,source=/opt/stdlib" in runtime and (
        "stdlib_zip.py install /tmp/gisbox-stdlib/stdlib.zip" in runtime
    )
    assert packs == swaps == (stdlib == "zip")
    assert (
        re.search(r"^FROM debian:bookworm-slim AS runtime$", text, flags=re.M) or stdlib == "files"
    )
    assert ("FROM python AS runtime" in text) == (stdlib == "files")
    assert ("compileall -q -j 0" in text) == (mode == "all")
    assert ("PYTHONDONTWRITEBYTECODE=1 PYTHONPATH" in text) == (mode == "none")
    res = subprocess.run([hadolint, str(project / "Dockerfile")], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout

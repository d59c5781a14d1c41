"""The documentation site builds strictly (broken links and anchors fail), documents every
command and endpoint from the code, and the README stays a front door whose links work."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from gisbox.cli import cli
from gisbox.runtime.main import VERBS
from gisbox.runtime.service.app import create_app
from gisbox.runtime.service.config import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, env={"NO_MKDOCS_2_WARNING": "1", "PATH": ""},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def commands(group: click.Group, prefix: str = "gisbox") -> list[str]:
    names = []
    for name, command in group.commands.items():
        names.append(f"{prefix}-{name}")
        if isinstance(command, click.Group):
            names += commands(command, f"{prefix}-{name}")
    return names


def test_the_cli_reference_has_every_command_and_subcommand(site: Path) -> None:
    page = (site / "cli" / "index.html").read_text()
    ids = set(re.findall(r'<h[2-5] id="([^"]+)"', page))
    missing = [name for name in commands(cli) if name not in ids]
    assert not missing, missing
    for verb in VERBS:  # the in-image verbs' own options, from their parsers
        assert f"usage: gisbox {verb}" in page, verb
    assert "--permutations" in page and "--accuracy" in page


def test_the_service_page_has_every_endpoint_and_setting_from_the_code(site: Path) -> None:
    page = (site / "service" / "index.html").read_text()
    for path in create_app(Settings()).openapi()["paths"]:
        assert f"<code>{path}</code>" in page, path
    for name in Settings.model_fields:
        assert f"GISBOX_{name.upper()}" in page or name == "url_prefixes", name
    assert "GISBOX_ALLOWED_URL_PREFIXES" in page


def test_every_page_is_in_the_navigation(site: Path) -> None:
    pages = {p.stem for p in (ROOT / "docs").glob("*.md")} - {"index"}
    home = (site / "index.html").read_text()
    for page in pages:
        assert f'href="{page}/"' in home, f"docs/{page}.md is not in mkdocs.yml's nav"


def test_the_readme_is_a_front_door_whose_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target
    assert "```sh\nmkdir hello-gis" in readme  # the quick start the integration test runs

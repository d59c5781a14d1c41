"""Ready profiles (spec fragments shipped in the package) and `gisbox init`."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from gisbox.project.spec import SPEC_FILE, parse_spec
from gisbox.runtime.atomic import write_text_atomic
from gisbox.runtime.errors import UsageError


def available() -> list[str]:
    """Names of the profiles shipped with gisbox."""
    files = resources.files(__package__).iterdir()
    return sorted(f.name.removesuffix(".toml") for f in files if f.name.endswith(".toml"))


def _fragment(name: str) -> dict[str, object]:
    if name not in available():
        raise UsageError(
            f"unknown profile {name!r}", hint=f"choose one of: {', '.join(available())}"
        )
    text = resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def packages(name: str) -> list[str]:
    """The profile's requirements, including those of the profile it extends."""
    frag = _fragment(name)
    base = packages(str(frag["extends"])) if "extends" in frag else []
    own = frag.get("packages", [])
    assert isinstance(own, list)
    return base + [str(p) for p in own]


def is_service(name: str) -> bool:
    frag = _fragment(name)
    return bool(frag.get("service")) or ("extends" in frag and is_service(str(frag["extends"])))


def description(name: str) -> str:
    return str(_fragment(name).get("description", name))


def render_spec(profile: str, name: str) -> str:
    """The commented gisbox.toml text for a profile."""
    env = Environment(
        loader=PackageLoader("gisbox.render", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    text = env.get_template("gisbox.toml.j2").render(
        profile=profile,
        description=description(profile),
        packages=packages(profile),
        name=name,
        service=is_service(profile),
    )
    parse_spec(tomllib.loads(text), f"<profile {profile}>")  # the template must stay valid
    return text


def init_project(directory: Path, profile: str, force: bool = False) -> Path:
    """Write gisbox.toml for `profile` into `directory`; refuse to overwrite unless forced."""
    target = directory / SPEC_FILE
    if target.exists() and not force:
        raise UsageError(f"{target} already exists", hint="use --force to overwrite it")
    name = "gisbox/" + (directory.resolve().name.lower() or "app")
    safe = "".join(c if c.isalnum() or c in "._-/" else "-" for c in name).strip("-.")
    write_text_atomic(target, render_spec(profile, safe))
    return target

"""MkDocs hook: pages whose reference parts come from the code, so they cannot drift.

`<!-- gisbox:openapi -->` becomes the service's endpoints and request schemas, read from
the OpenAPI document the application itself serves; `<!-- gisbox:service-settings -->`
the `GISBOX_*` variables `gisbox serve` reads, from the settings model's fields;
`<!-- gisbox:runtime-verbs -->` the options of the verbs that run inside images too (check,
healthcheck, run, eval, serve: the host's click commands pass their arguments to these
argparse parsers, so their `--help` is the reference); `<!-- gisbox:readme -->` the
README (the site's home page is the repository's front door, links made site-relative).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MARKERS = (
    "<!-- gisbox:openapi -->",
    "<!-- gisbox:service-settings -->",
    "<!-- gisbox:runtime-verbs -->",
    "<!-- gisbox:readme -->",
)


def on_page_markdown(markdown: str, *, config: Any, **_: Any) -> str:
    if not any(marker in markdown for marker in MARKERS):
        return markdown
    if MARKERS[3] in markdown:
        markdown = markdown.replace(MARKERS[3], readme_markdown(config["config_file_path"]))
    from gisbox.runtime.service.app import create_app
    from gisbox.runtime.service.config import Settings

    if MARKERS[0] in markdown:
        markdown = markdown.replace(MARKERS[0], openapi_markdown(create_app(Settings()).openapi()))
    if MARKERS[1] in markdown:
        markdown = markdown.replace(MARKERS[1], settings_markdown(Settings))
    if MARKERS[2] in markdown:
        markdown = markdown.replace(MARKERS[2], verbs_markdown())
    return markdown


def readme_markdown(config_file: str) -> str:
    """The README without its title, its `docs/` links relative to the site."""
    readme = Path(config_file).parent / "README.md"
    body = readme.read_text().split("\n", 1)[1]
    return body.replace("](docs/", "](")


def verbs_markdown() -> str:
    """Each in-image verb's `--help`, and each sub-verb's (`gisbox run moran --help`)."""
    import argparse
    import importlib
    import os

    from gisbox.runtime.main import VERBS

    os.environ["COLUMNS"] = "88"  # argparse wraps to the terminal: the same page anywhere
    sections = []
    for verb, (module, text) in VERBS.items():
        parser = importlib.import_module(module).parser()
        parser.prog = f"gisbox {verb}"
        sections += [f"### `gisbox {verb}`", "", f"{text[0].upper()}{text[1:]}.", ""]
        sections += ["```text", parser.format_help().rstrip(), "```", ""]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    sections += [f"#### `gisbox {verb} {name}`", ""]
                    sections += ["```text", sub.format_help().rstrip(), "```", ""]
    return "\n".join(sections)


def cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def openapi_markdown(doc: dict[str, Any]) -> str:
    lines = [
        f"{doc['info']['title']} {doc['info']['version']}, OpenAPI {doc['openapi']}"
        " (served at `/openapi.json`, browsable at `/docs`).",
        "",
        "| method | path | what | input | answers |",
        "|---|---|---|---|---|",
    ]
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            lines.append(
                f"| `{method.upper()}` | `{path}` | {cell(op.get('description') or op['summary'])}"
                f" | {cell(inputs(op))} | {', '.join(sorted(op['responses']))} |"
            )
    schemas = doc.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        if name in ("HTTPValidationError", "ValidationError"):
            continue
        lines += ["", f"### `{name}`", "", "| field | type | required | default |"]
        lines.append("|---|---|---|---|")
        required = set(schema.get("required", ()))
        for field, prop in schema.get("properties", {}).items():
            default = f"`{prop['default']}`" if "default" in prop else ""
            lines.append(
                f"| `{field}` | {cell(type_name(prop))} | {'yes' if field in required else ''}"
                f" | {cell(default)} |"
            )
    return "\n".join(lines)


def inputs(op: dict[str, Any]) -> str:
    parts = [f"`{p['name']}` ({p['in']})" for p in op.get("parameters", ())]
    for media, body in op.get("requestBody", {}).get("content", {}).items():
        ref = body.get("schema", {}).get("$ref", "")
        parts.append(f"{media} `{ref.rsplit('/', 1)[-1]}`" if ref else media)
    return ", ".join(parts) or "—"


def type_name(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " or ".join(type_name(p) for p in prop["anyOf"])
    if "enum" in prop:
        return " or ".join(f"`{v}`" for v in prop["enum"])
    kind = str(prop.get("type", "any"))
    if kind == "array" and "items" in prop:
        return f"array of {type_name(prop['items'])}"
    return kind


def settings_markdown(settings: Any) -> str:
    lines = ["| variable | default | what |", "|---|---|---|"]
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        variable = alias if isinstance(alias, str) else f"GISBOX_{name.upper()}"
        default = field.default
        shown = ":".join(default) if isinstance(default, tuple) else str(default)
        lines.append(f"| `{variable}` | `{shown}` | {cell(field.description or '')} |")
    return "\n".join(lines)

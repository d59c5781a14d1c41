"""`gisbox check | healthcheck | run | eval | diff`: what runs in any environment.

`check`, `healthcheck`, `run` and `eval` hand their arguments to the in-image verbs
(`gisbox.runtime.main`): one parser each, the same on a host as in an image. `diff`
compares two fingerprints (`gisbox.image.diff`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


def passthrough(verb: str, help_text: str) -> click.Command:
    """A host command that hands its arguments to the in-image verb."""

    @click.command(
        name=verb,
        help=help_text,
        context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
        add_help_option=False,
    )
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args: tuple[str, ...]) -> None:
        from gisbox.runtime.main import run_verb

        sys.exit(run_verb(verb, list(args)))

    return command


check = passthrough("check", "Run the verification suite here; write the fingerprint (`check -h`).")
run = passthrough("run", "Run a spatial workload: moran, gistar, chunked, tiles (`run -h`).")
healthcheck = passthrough(
    "healthcheck", "Fast check here: imports, PROJ/GDAL data, a golden transformation."
)
evaluate = passthrough(
    "eval", "Compare predictions with truth: pixel IoU, object F1, drift (`eval -h`)."
)


@click.command()
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Any difference counts, paths and in-tolerance too.")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
def diff(a: Path, b: Path, strict: bool, as_json: bool) -> None:
    """Compare two fingerprints (from `gisbox check --json`); exit 1 on drift."""
    from dataclasses import asdict

    from gisbox.image.diff import compare, has_drift, load_fingerprint

    diffs = compare(load_fingerprint(a), load_fingerprint(b))
    drift = has_drift(diffs, strict)
    if as_json:
        click.echo(
            json.dumps({"drift": drift, "differences": [asdict(d) for d in diffs]}, indent=2)
        )
    else:
        click.echo(f"A: {a}\nB: {b}")
        for d in diffs:
            mark = "DRIFT" if d.drift or strict else "info "
            click.echo(f"  {mark} [{d.kind}] {d.message}")
        n = sum(d.drift or strict for d in diffs)
        click.echo(
            f"{n} drifting difference(s), {len(diffs) - n} informational"
            if diffs
            else "no differences"
        )
    sys.exit(1 if drift else 0)

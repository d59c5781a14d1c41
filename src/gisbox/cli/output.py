"""What the commands print: progress on stderr (rich), build reports as tables or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.table import Table

from gisbox.image.built import BuildReport
from gisbox.progress import SILENT, Progress

console = Console(stderr=True, log_path=False)


def human_size(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


@contextmanager
def progress(enabled: bool) -> Iterator[Progress]:
    """A spinner naming the step and the latest output line (nothing when not enabled)."""
    if not enabled:
        yield SILENT
        return
    state = {"step": "starting"}
    with console.status("starting") as status:

        def on_step(step: str) -> None:
            state["step"] = step
            console.log(step)
            status.update(step)

        def on_line(line: str) -> None:
            status.update(f"{state['step']}\n[dim]{line[:150]}[/dim]")

        yield Progress(on_step=on_step, on_line=on_line)


def build_table(report: BuildReport) -> Table:
    table = Table(title=f"gisbox build: {report.tag}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("image id", report.image_id)
    if report.platform:
        table.add_row("platform", report.platform)
    table.add_row("size (uncompressed)", human_size(report.size_bytes))
    table.add_row("layers", str(report.layers))
    table.add_row("build time", f"{report.build_seconds:.1f} s")
    if report.stack:
        built = report.stack.get("built_seconds")
        how = "reused" if built is None else f"compiled now, {built} s"
        table.add_row("stack image", f"{report.stack['tag']} ({how})")
    table.add_row("engine", report.engine)
    table.add_row("CA bundle", report.ca_bundle)
    table.add_row("lock digest", report.lock_digest)
    table.add_row("healthcheck", "passed" if report.healthy else "FAILED")
    table.add_row(
        "health probes",
        "every 1 s until healthy, then every 30 s"
        if report.health_start_interval
        else "every 30 s (this engine keeps no --start-interval: Docker < 25, Podman < 5.1)",
    )
    if report.findings:
        f = report.findings
        table.add_row("gisbox check", f"{f.get('error', 0)} errors, {f.get('warning', 0)} warnings")
        table.add_row("fingerprint", f"{report.fingerprint} ({report.fingerprint_digest[:19]}…)")
        if report.report:
            table.add_row("report", report.report)
    for name, info in sorted(report.bindings.items()):
        libs = ", ".join(
            f"{k.upper()} {v}" for k, v in info.items() if k != "version" and "_" not in k and v
        )
        table.add_row(f"  {name} {info.get('version', '')}", libs)
    for warning in report.warnings:
        table.add_row("[yellow]warning[/yellow]", warning)
    return table


def print_build(report: BuildReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_dict(), indent=2, sort_keys=True))
    else:
        Console().print(build_table(report))


def print_builds(reports: list[BuildReport], as_json: bool) -> None:
    """One report as before; several platforms' as `{"tag": first, "platforms": [...]}`."""
    if len(reports) == 1:
        print_build(reports[0], as_json)
    elif as_json:
        data = {"tag": reports[0].tag, "platforms": [r.as_dict() for r in reports]}
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        for report in reports:
            Console().print(build_table(report))

"""Benchmark: `wheels` and `source` side by side, the `minimal` profile, distroless,
Debian 13, measured in one run.

    .venv/bin/python bench/bench_strategies.py [--cold-stack]

For each strategy: uncompressed size, gzip of `docker save`, the build (the lock is made
first and not timed; BuildKit's cache is pruned first), what one process loads (libgdal,
libproj, libgeos_c copies, from the check), the whole `gisbox build` after an app change,
and where the bytes go by component (the report's groups). For `source` also: the stack
image (compiled in this run, or reused: then its recorded compile time; `--cold-stack`
removes it first, about 15 minutes on 2 cores) and a second project on the same stack
(another app: no GDAL compile). `--profiles service,analysis` also builds those profiles
on `source` with `gisbox check --workloads`. Needs Docker and `debian:trixie-slim`
(`gisbox base --tag debian:trixie-slim`).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from bench_minimal import gzip_size, lock, make_project, timed_build

from gisbox.engines.cli_engine import CliEngine
from gisbox.engines.docker import detect_docker
from gisbox.image.build import BuildReport, build_image
from gisbox.image.options import BuildOptions
from gisbox.image.stack import list_stacks, remove_stack
from gisbox.project.project import Project
from gisbox.report.collect import scan_files
from gisbox.report.sizes import by_group, components

TARGET_SOURCE_MB, TARGET_SOURCE_GZIP_MB, TARGET_SECOND_S = 250.0, 85.0, 60.0


def project(root: Path, strategy: str, name: str, profile: str = "minimal") -> Path:
    """A profile (`minimal`), distroless, Debian 13, strategy `wheels` or `source`."""
    make_project(root, "wheels", profile)
    spec = root / "gisbox.toml"
    text = spec.read_text().replace("debian:bookworm-slim", "debian:trixie-slim")
    text = re.sub(r'^name = "[^"]*"', f'name = "gisbox-bench/{name}"', text, flags=re.M)
    text = text.replace('stdlib = "zip"', 'stdlib = "zip"\nruntime = "distroless"', 1)
    text = text.replace('strategy = "wheels"', f'strategy = "{strategy}"')
    spec.write_text(text)
    return root


def measure(engine: CliEngine, root: Path, strategy: str, name: str) -> dict[str, object]:
    proj = project(root, strategy, name)
    loaded = lock(proj, engine)
    engine.command("builder", "prune", "-af", timeout=600)
    started = time.monotonic()
    report = build_image(Project.load(proj), engine)
    cold = time.monotonic() - started
    (proj / "app" / "main.py").write_text("print('bench, changed')\n")
    app_change, _ = timed_build(proj, engine)
    ref = loaded.spec.reference
    scanned = scan_files(engine, ref, ref)
    groups = by_group(components(scanned.tally, scanned.inventory, "/app"))
    return {
        "name": f"{strategy} distroless trixie", "reference": ref, "report": report,
        "mb": report.size_bytes / 1e6, "gzip_mb": gzip_size(engine, ref) / 1e6, "cold_s": cold,
        "app_change_s": app_change, "groups": groups, "libraries": loaded_libraries(report),
    }  # fmt: skip


def loaded_libraries(report: BuildReport) -> str:
    """libgdal/libproj/libgeos_c versions mapped in one process (the check's `libraries`)."""
    import json

    fp = json.loads(Path(report.fingerprint).read_text())
    libs = fp.get("libraries", {})
    return ", ".join(f"{n} {'+'.join(libs[n])}" for n in ("gdal", "proj", "geos_c") if n in libs)


def second_project(engine: CliEngine, root: Path) -> tuple[float, BuildReport]:
    """Another project (other app, same lock inputs) on the stack the first one made."""
    proj = project(root, "source", "source-second")
    (proj / "app" / "main.py").write_text("print('a second project')\n")
    lock(proj, engine)
    started = time.monotonic()
    report = build_image(Project.load(proj), engine)
    return time.monotonic() - started, report


def other_profile(engine: CliEngine, root: Path, profile: str) -> str:
    """`profile` on `source` (distroless, Debian 13), built with `--workloads`: size, build
    time and the check's summary (the workloads included where the profile has them)."""
    proj = project(root, "source", f"source-{profile}", profile)
    lock(proj, engine)
    started = time.monotonic()
    report = build_image(Project.load(proj), engine, BuildOptions(workloads=True))
    seconds = time.monotonic() - started
    summary = ", ".join(f"{n} {k}" for k, n in report.findings.items())
    return (f"{profile} on source: {report.size_bytes / 1e6:.1f} MB, built in {seconds:.0f} s, "
            f"check: {summary}; {loaded_libraries(report)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-stack", action="store_true", help="compile GDAL in this run")
    parser.add_argument(
        "--profiles", default="", help="also build these profiles on source, e.g. service,analysis"
    )
    args = parser.parse_args()
    engine = detect_docker()
    if args.cold_stack:
        for stack in list_stacks(engine):
            remove_stack(engine, stack)
    rows = []
    with tempfile.TemporaryDirectory(prefix="gisbox-bench-st-") as tmp:
        for strategy in ("wheels", "source"):
            rows.append(measure(engine, Path(tmp) / strategy, strategy, f"{strategy}-dl-trixie"))
        second_s, second = second_project(engine, Path(tmp) / "second")
        others = [
            other_profile(engine, Path(tmp) / name, name)
            for name in args.profiles.split(",")
            if name
        ]
    print(f"{'image':28} {'MB':>7} {'gzip MB':>8} {'cold s':>7} {'app change s':>13}  loads")
    for r in rows:
        print(f"{r['name']:28} {r['mb']:7.1f} {r['gzip_mb']:8.1f} {r['cold_s']:7.0f} "
              f"{r['app_change_s']:13.2f}  {r['libraries']}")  # fmt: skip
    source = rows[1]
    stack = source["report"].stack  # type: ignore[attr-defined]
    compiled = stack.get("built_seconds")
    how = f"compiled in this run, {compiled:.0f} s" if compiled else "reused (compiled before)"
    print(f"\nsource: stack image {stack.get('tag')}: {how}")
    mb, gz = float(source["mb"]), float(source["gzip_mb"])  # type: ignore[arg-type]
    ok = mb <= TARGET_SOURCE_MB and gz <= TARGET_SOURCE_GZIP_MB
    print(f"source: target <= {TARGET_SOURCE_MB:g} MB, <= {TARGET_SOURCE_GZIP_MB:g} MB gzip: "
          f"{'met' if ok else 'MISSED'}")  # fmt: skip
    again = "COMPILED AGAIN" if second.stack.get("built_seconds") else "reused"
    met = "met" if second_s <= TARGET_SECOND_S else "MISSED"
    print(f"source: a second project on the same stack, cold: {second_s:.0f} s "
          f"(target <= {TARGET_SECOND_S:g} s: {met}; stack {again})")  # fmt: skip
    for line in others:
        print(line)
    for r in rows:
        print(f"\n{r['name']}: where the bytes go (files, hard links once)")
        for group, size, parts in r["groups"]:  # type: ignore[attr-defined]
            top = ", ".join(f"{c.name} {c.size / 1e6:.1f}" for c in parts[:3])
            print(f"  {size / 1e6:7.1f} MB  {group} ({top})")


if __name__ == "__main__":
    main()

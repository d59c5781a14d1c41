"""Benchmark: `wheels` and `source` side by side, the `minimal` profile, distroless,
Debian 13, measured in one run.

    .venv/bin/python bench/bench_strategies.py [--cold-stack]

For each strategy: uncompressed size, gzip of `docker save`, the build (the lock is made
first and not timed; BuildKit's cache is pruned first), what one process loads (libgdal,
libproj, libgeos_c copies, from the check), the whole `gisbox build` after an app change,
and where the bytes go by component (the report's groups). For `source` also: the stack
image (compiled in this run, or reused: then its recorded compile time; `--cold-stack`
removes it first, about 15 minutes on 2 cores) and a second project on the same stack
(another app: no GDAL compile). Needs Docker and `debian:trixie-slim`
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
from gisbox.image.stack import list_stacks, remove_stack
from gisbox.project.project import Project
from gisbox.report.collect import scan_image
from gisbox.report.sizes import by_group, components

TARGET_SOURCE_MB, TARGET_SOURCE_GZIP_MB, TARGET_SECOND_S = 250.0, 85.0, 60.0


def project(root: Path, strategy: str, name: str) -> Path:
    """`minimal`, distroless, Debian 13, strategy `wheels` or `source` (core drivers)."""
    make_project(root, "wheels")
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
    scanned = scan_image(engine, ref, ref)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-stack", action="store_true", help="compile GDAL in this run")
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
    for r in rows:
        print(f"\n{r['name']}: where the bytes go (files, hard links once)")
        for group, size, parts in r["groups"]:  # type: ignore[attr-defined]
            top = ", ".join(f"{c.name} {c.size / 1e6:.1f}" for c in parts[:3])
            print(f"  {size / 1e6:7.1f} MB  {group} ({top})")


if __name__ == "__main__":
    main()

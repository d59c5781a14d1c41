"""Benchmark: strategy `source` for linux/arm64 on this amd64 machine, GDAL cross-compiled.

    .venv/bin/python bench/bench_cross.py [--sample-target alg] [--no-sample]

The `minimal` profile, distroless, Debian 13, `platform = "linux/arm64"` (the lock is
made first and not timed; it records the cross-compiling stage). Cold (the arm64 stack
image removed, BuildKit's cache pruned): the stack image's compile (GDAL cross-compiled
on amd64 with Debian's cross compilers and arm64's -dev packages), the project's build
(the bindings compiled from their sdists in the emulated arm64 builder, the check run in
the arm64 image under qemu), the image's size and gzip, what one process loads.

Emulation, for comparison (a whole GDAL compile under qemu takes hours here): one GDAL
target (`--sample-target`, CMake's name) compiled both ways, cross and in an emulated
arm64 container configured the same way; the ratio projects the emulated whole.
Needs Docker, qemu-user-static and the bases `debian:trixie-slim` and
`debian:trixie-slim-arm64` (`gisbox base --tag debian:trixie-slim --platform linux/arm64`).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from bench_minimal import gzip_size, lock, make_project
from bench_strategies import loaded_libraries

from gisbox.engines.cli_engine import CliEngine
from gisbox.engines.docker import detect_docker
from gisbox.image.build import build_image
from gisbox.image.stack import list_stacks, remove_stack
from gisbox.project.project import Project
from gisbox.render.context import stack_recipe

COMPILE = 'cmake --build /tmp/gdal-build -j"$(nproc)"'
SAMPLE_RUN = re.compile(r"    && " + re.escape(COMPILE) + r" \\\n(?:    && .*\n)+", re.M)


def arm64_project(root: Path) -> Path:
    make_project(root, "source")
    spec = root / "gisbox.toml"
    text = spec.read_text().replace("debian:bookworm-slim", "debian:trixie-slim")
    text = re.sub(r'^name = "[^"]*"', 'name = "gisbox-bench/source-arm64"', text, flags=re.M)
    text = text.replace('stdlib = "zip"', 'stdlib = "zip"\nruntime = "distroless"', 1)
    text = text.replace('platform = "linux/amd64"', 'platform = "linux/arm64"')
    text = text.replace('strategy = "wheels"', 'strategy = "source"')
    spec.write_text(text)
    return root


def cold_build(engine: CliEngine, proj: Path, warm: bool) -> dict[str, object]:
    loaded = lock(proj, engine)
    recipe = stack_recipe(loaded)
    assert recipe is not None and "linux/arm64" in recipe.cross, "the lock did not cross-compile"
    target = loaded.lock.target
    tag = recipe.tag(target.base_layers, target.platform)
    for stack in list_stacks(engine) if not warm else ():
        if stack.tag == tag:
            remove_stack(engine, stack)
    if not warm:
        engine.command("builder", "prune", "-af", timeout=600)
    started = time.monotonic()
    report = build_image(Project.load(proj), engine)
    total = time.monotonic() - started
    stack_s = float(str(report.stack.get("built_seconds") or 0.0))
    ref = report.tag
    return {
        "total_s": total, "stack_s": stack_s, "project_s": total - stack_s,
        "mb": report.size_bytes / 1e6, "gzip_mb": gzip_size(engine, ref) / 1e6,
        "loads": loaded_libraries(report), "findings": report.findings, "reference": ref,
        "stack_tag": tag, "cross": recipe.cross["linux/arm64"].dockerfile,
        "native": recipe.dockerfile,
    }  # fmt: skip


def sample_dockerfile(text: str, target: str) -> str:
    """The stack recipe up to the configured build tree, then only `target`, timed."""
    timed = (
        f"    && start=$(date +%s) && {COMPILE} --target {target} \\\n"
        '    && echo "gisbox-sample: $(( $(date +%s) - start )) s"\n'
    )
    sample, n = SAMPLE_RUN.subn(lambda _m: timed, text)
    assert n == 1, "the recipe's compile step was not found"
    return sample.split("\nFROM ${GISBOX_BASE}\nCOPY --from=cross", 1)[0] + "\n"


def sample_seconds(engine: CliEngine, context: Path, dockerfile: str, base_args: list[str]) -> int:
    (context / "Dockerfile.sample").write_text(dockerfile)
    args = ["build", "--progress=plain", "--no-cache", "--platform", "linux/arm64",
            "-f", str(context / "Dockerfile.sample"), *base_args, str(context)]  # fmt: skip
    out = engine.command(*args, timeout=6 * 3600)
    found = re.findall(r"gisbox-sample: (\d+) s", out.stdout + out.stderr)
    assert found, (out.stdout + out.stderr)[-2000:]
    return int(found[-1])


def emulation_sample(engine: CliEngine, proj: Path, row: dict[str, object], target: str) -> str:
    context = proj / ".gisbox" / "stack"
    cross_s = sample_seconds(
        engine, context, sample_dockerfile(str(row["cross"]), target),
        ["--build-arg", "GISBOX_BASE=debian:trixie-slim-arm64",
         "--build-arg", "GISBOX_BUILD_BASE=debian:trixie-slim"],
    )  # fmt: skip
    emulated_s = sample_seconds(
        engine,
        context,
        sample_dockerfile(str(row["native"]), target),
        ["--build-arg", "GISBOX_BASE=debian:trixie-slim-arm64"],
    )
    ratio = emulated_s / max(cross_s, 1)
    projected = float(row["stack_s"]) * ratio  # type: ignore[arg-type]
    return (
        f"GDAL target {target!r}: cross {cross_s} s, emulated {emulated_s} s ({ratio:.1f}x); "
        f"the whole stack emulated would take about {projected / 60:.0f} min"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample-target", default="alg", help="GDAL's CMake target to time")
    parser.add_argument("--no-sample", action="store_true", help="skip the emulated sample")
    parser.add_argument(
        "--warm", action="store_true", help="keep the stack image and BuildKit's cache"
    )
    args = parser.parse_args()
    engine = detect_docker()
    with tempfile.TemporaryDirectory(prefix="gisbox-bench-cross-") as tmp:
        proj = arm64_project(Path(tmp) / "arm64")
        print(f"project: {proj}", flush=True)
        row = cold_build(engine, proj, args.warm)
        print(f"source, linux/arm64 on amd64 (distroless, Debian 13): {row['reference']}")
        print(f"  stack image {row['stack_tag']}: GDAL cross-compiled in {row['stack_s']:.0f} s")
        print(f"  the project (bindings compiled under emulation, verified under qemu): "
              f"{row['project_s']:.0f} s; cold total {row['total_s']:.0f} s")  # fmt: skip
        print(f"  image {row['mb']:.1f} MB, gzip {row['gzip_mb']:.1f} MB; loads {row['loads']}")
        print(f"  check findings: {row['findings']}")
        if not args.no_sample:
            print("  " + emulation_sample(engine, proj, row, args.sample_target))


if __name__ == "__main__":
    main()

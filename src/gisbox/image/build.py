"""`gisbox build`: render, build, verify inside, measure.

Lifecycle, one function per step: the project (spec + fresh lock) -> the base, the one
the lock pins (`prepare_base`) -> render the context, dated like the lock
(`render_context`) -> the stack image of compiled libraries, when the strategy has one,
used or made (`gisbox.image.stack.ensure_stack`) -> build with the engine, the CA bundle
and credentials as build secrets only (`run_build`) -> `gisbox healthcheck` in the new
image as its non-root user, its SBOM (`gisbox.sbom.cyclonedx`), `gisbox check` there,
labelling the image with the fingerprint's and the SBOM's digests (`verify_image`) -> one
`BuildReport`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from gisbox.engines.base import BuildRequest, ContainerEngine, ImageInfo
from gisbox.image import verify
from gisbox.image.built import BuildReport
from gisbox.image.cacert import find_ca_bundle
from gisbox.image.options import DEFAULTS, BuildOptions
from gisbox.image.stack import UsedStack, ensure_stack
from gisbox.locking.bases import ensure_base, package_differences
from gisbox.plugins.gdal_stack import STACK_ARG
from gisbox.progress import SILENT, Progress
from gisbox.project.lockfile import LOCK_FILE
from gisbox.project.platforms import PLATFORMS
from gisbox.project.project import Project
from gisbox.render.build_context import write_context
from gisbox.render.dockerfile import Rendered, render
from gisbox.report.collect import Scanned, report_data, write_report
from gisbox.report.sizes import SizeTally
from gisbox.runtime.atomic import write_text_atomic
from gisbox.runtime.errors import BuildError, LockError
from gisbox.sbom import scan_cache
from gisbox.sbom.cyclonedx import SBOM_LABEL, document, scan_image

_HASH_MISMATCH = re.compile(r"[Hh]ash mismatch for `?([^`\s]+)`?")


def explain_failure(lines: list[str]) -> str:
    """The most useful sentence to say about a failed build log."""
    text = "\n".join(lines)
    m = _HASH_MISMATCH.search(text)
    if m:
        return (
            f"hash mismatch for {m.group(1)}: the wheel the index served does not match "
            f"the sha256 recorded in {LOCK_FILE}. If you edited the lock or the index "
            "changed, run `gisbox lock`; otherwise treat it as tampering."
        )
    if "Unable to locate package" in text or ("Version '" in text and "was not found" in text):
        return (
            "an OS package pinned in the lock is no longer offered by the base's mirror "
            "(superseded by an update); run `gisbox lock` to re-pin"
        )
    failed = next((i for i, ln in enumerate(lines) if "ERROR" in ln), len(lines) - 1)
    context = lines[max(0, failed - 10) : failed + 1]
    return "\n".join(ln if len(ln) <= 300 else ln[:300] + " …" for ln in context)


def build_secrets(
    ca_cert: Path | None, netrc: Path | None
) -> tuple[tuple[tuple[str, Path], ...], str]:
    """(build secrets, what the report says about the CA bundle)."""
    bundle, origin = find_ca_bundle(ca_cert)
    secrets: list[tuple[str, Path]] = []
    if bundle is not None:
        secrets.append(("gisbox_ca", bundle))
    if netrc is not None:
        secrets.append(("gisbox_netrc", netrc))
    said = f"{bundle} ({origin}, build secret)" if bundle is not None else origin
    return tuple(secrets), said


def check_base_pin(engine: ContainerEngine, local: str, project: Project, platform: str) -> None:
    """Refuse a base whose root filesystem is not the one the lock was resolved against:
    the lock pins the base by its layers' digests (`gisbox base` remakes the same ones
    from the same package set; a registry tag that moved does not)."""
    target = next(t for t in project.lock.targets if t.platform == platform)
    found = engine.inspect(local).layers
    if found != target.base_layers:
        differs = package_differences(engine, local, platform, target.base_packages)
        raise LockError(
            f"the base {local} ({platform}) is not the one {LOCK_FILE} pins: its layers are "
            f"{', '.join(found) or 'none'}, the lock's {', '.join(target.base_layers) or 'none'}"
            + (f"; its packages differ: {differs}" if differs else ""),
            hint="run `gisbox lock` to pin the base you have (its packages may have changed), "
            "or restore the pinned base",
        )


def build_all(
    project: Project,
    engine: ContainerEngine,
    options: BuildOptions = DEFAULTS,
    progress: Progress = SILENT,
) -> list[BuildReport]:
    """Build and verify the image of every platform the lock holds, the first first."""
    return [
        build_image(project, engine, options, platform=target.platform, progress=progress)
        for target in project.lock.targets
    ]


def build_image(
    project: Project,
    engine: ContainerEngine,
    options: BuildOptions = DEFAULTS,
    *,
    platform: str | None = None,
    progress: Progress = SILENT,
) -> BuildReport:
    """Build and verify one platform's image (the lock's first platform by default):
    tagged as the spec says, or `<tag>-<arch>` for the other platforms."""
    platform = platform or project.lock.target.platform
    reference = project.reference_for(platform)
    secrets, ca_said = build_secrets(options.ca_cert, options.netrc)
    local_base = prepare_base(project, engine, platform, options.make_base, progress)
    start_interval = engine.supports_start_interval()
    rendered, dockerfile = render_context(project, start_interval, progress)
    build_args, stack = build_arguments(
        project, engine, rendered, platform, local_base, progress, options
    )
    request = BuildRequest(
        context=project.paths.root,
        dockerfile=dockerfile,
        tag=reference,
        platform=platform,
        secrets=secrets,
        no_cache=options.no_cache,
        build_args=build_args,
        source_date_epoch=project.lock.source_date_epoch,
    )
    built, seconds = run_build(engine, request, project, progress)
    checked = verify_image(project, engine, built, platform, options, progress)
    fp = checked.verified.fingerprint
    summary = fp["summary"]
    return BuildReport(
        tag=reference,
        platform=platform,
        image_id=checked.verified.image_id,
        size_bytes=built.size,
        layers=len(built.layers),
        build_seconds=seconds,
        engine=engine.description,
        ca_bundle=ca_said,
        healthy=True,
        health_start_interval=start_interval,
        stack=stack.as_dict() if stack else {},
        bindings=fp["bindings"],
        lock_digest=project.lock_digest,
        fingerprint=str(checked.verified.path),
        fingerprint_digest=checked.verified.digest,
        sbom=checked.sbom,
        sbom_digest=checked.sbom_digest,
        report=checked.report,
        findings={k: summary[k] for k in ("error", "warning", "info")},
        warnings=[
            f"{f['id']}: {f['message']}" for f in fp["findings"] if f["severity"] == "warning"
        ],
    )


def prepare_base(
    project: Project, engine: ContainerEngine, platform: str, make: bool, progress: Progress
) -> str:
    """The local base for `platform`, present (or made) and the one the lock pins."""
    progress.on_step(f"checking the base image {project.spec.image.base} for {platform}")
    local_base = ensure_base(
        engine, project.spec.image.base, platform, make=make, progress=progress
    )
    check_base_pin(engine, local_base, project, platform)
    return local_base


def build_arguments(
    project: Project,
    engine: ContainerEngine,
    rendered: Rendered,
    platform: str,
    local_base: str,
    progress: Progress,
    options: BuildOptions = DEFAULTS,
) -> tuple[tuple[tuple[str, str], ...], UsedStack | None]:
    """The build arguments: the platform's base, and the stack image of compiled
    libraries when the strategy has one, used or made first."""
    args: tuple[tuple[str, str], ...] = (("GISBOX_BASE", local_base),) if rendered.base_arg else ()
    if rendered.stack is None:
        return args, None
    stack = ensure_stack(
        project, engine, rendered.stack, platform=platform, local_base=local_base,
        progress=progress, stack_from=options.stack_from, make_base=options.make_base,
    )  # fmt: skip
    return (*args, (STACK_ARG, stack.tag)), stack


def render_context(
    project: Project, start_interval: bool, progress: Progress
) -> tuple[Rendered, Path]:
    """Render and write the build context; (the rendering, the Dockerfile's path)."""
    progress.on_step(
        "rendering Dockerfile and .dockerignore"
        + (
            " (HEALTHCHECK every 1 s until healthy: the engine keeps --start-interval)"
            if start_interval
            else ""
        )
    )
    rendered = render(project, start_interval=start_interval)
    return rendered, write_context(project.paths, rendered)


@dataclass(frozen=True, kw_only=True)
class Built:
    """The image as the engine built it, and the one its tag named before."""

    info: ImageInfo
    replaced: str | None

    @property
    def size(self) -> int:
        return self.info.size

    @property
    def layers(self) -> tuple[str, ...]:
        return self.info.layers


def run_build(
    engine: ContainerEngine, request: BuildRequest, project: Project, progress: Progress
) -> tuple[Built, float]:
    """Build the image, its log kept beside the project; (the image, seconds taken)."""
    reference = request.tag
    replaced = engine.inspect(reference).id if engine.exists(reference) else None
    progress.on_step(f"building {reference} ({request.platform}) with {engine.description}")
    started = time.monotonic()
    result = engine.build(request, progress.on_line)
    seconds = round(time.monotonic() - started, 1)
    log = project.paths.build_log
    log.write_text("\n".join(result.lines) + "\n")
    if result.returncode != 0:
        raise BuildError(
            f"{engine.name} build failed: {explain_failure(result.lines)}",
            hint=f"full log: {log}",
        )
    return Built(info=engine.inspect(reference), replaced=replaced), seconds


@dataclass(frozen=True, kw_only=True)
class Checked:
    verified: verify.Verified
    sbom: str  # the SBOM's path, "" without one
    sbom_digest: str
    report: str  # the report's path, "" without one


def verify_image(
    project: Project,
    engine: ContainerEngine,
    built: Built,
    platform: str,
    options: BuildOptions,
    progress: Progress,
) -> Checked:
    """Healthcheck, SBOM and the full check in the image; relabelled with their digests,
    and what the build replaced removed when nothing else names it."""
    reference = project.reference_for(platform)
    uid = project.spec.runtime.uid
    image_id = built.info.id
    suffix = "" if platform == project.lock.target.platform else f"-{PLATFORMS[platform].arch}"
    workloads = " --workloads" if options.workloads else ""
    progress.on_step(
        f"running `gisbox healthcheck` and `gisbox check{workloads}` inside the image as its "
        "non-root user (side by side)"
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        health = pool.submit(verify.healthcheck, engine, image_id, uid, reference, platform)
        check = pool.submit(
            verify.run_check, engine, image_id, uid=uid, workloads=options.workloads,
            platform=platform,
        )  # fmt: skip
        sbom_path, sbom_digest, scanned = "", "", None
        if options.sbom:
            progress.on_step(
                "writing the SBOM (CycloneDX 1.6: OS packages, distributions, vendored libraries)"
            )
            dest = project.paths.support / f"sbom{suffix}.cdx.json"
            sbom_path, sbom_digest, scanned = write_sbom(engine, image_id, reference, project, dest)
        health.result()  # unhealthy: its VerifyError, before anything is labelled
        checked = check.result()
    progress.on_step("keeping the fingerprint; labelling the image with its digests")
    verified = verify.keep_fingerprint(
        engine,
        checked,
        reference=reference,
        dest=project.paths.support / f"fingerprint{suffix}.json",
        platform=platform,
        labels={SBOM_LABEL: sbom_digest} if options.sbom else {},
    )
    # no litter: the unlabelled build and the image the tag named before, once untagged
    for old in dict.fromkeys((image_id, built.replaced)):
        if old is not None and old != verified.image_id:
            engine.remove_untagged(old)
    report = ""
    if scanned is not None:  # the SBOM's pass over the files gave the sizes too
        progress.on_step("writing the report (bytes by component, layers, findings, SBOM)")
        data = report_data(
            engine, verified.image_id, name=reference, scanned=scanned,
            fingerprint=verified.fingerprint, app=project.spec.app.workdir,
        )  # fmt: skip
        report = str(write_report(project.paths.support / f"report{suffix}.html", data))
    return Checked(verified=verified, sbom=sbom_path, sbom_digest=sbom_digest, report=report)


def write_sbom(
    engine: ContainerEngine, image: str, reference: str, project: Project, dest: Path
) -> tuple[str, str, Scanned]:
    """The image's SBOM, with the lock's hashes, beside the fingerprint; (path, digest,
    what the scan saw: the report's sizes come from the same pass). The layers below the
    app's are scanned once: an app change reuses what they hold (`sbom.scan_cache`)."""
    info = engine.inspect(image)
    support = project.paths.support
    app = app_layer_files(project, info)
    key = scan_cache.layers_key(info.layers[:-1]) if app is not None else ""
    kept = scan_cache.load(support, key) if app is not None else None
    if app is not None and kept is not None:
        inventory, files = kept
        tally = SizeTally(files={**files, **app})
    else:
        tally = SizeTally()
        inventory = scan_image(engine, image, tally.observe)
        if app is not None:  # kept without the app's files: those are read from the project
            below = {p: n for p, n in tally.files.items() if p not in app}
            scan_cache.store(support, key, inventory, below)
    text = document(inventory, info, project.lock, reference) + "\n"
    write_text_atomic(dest, text)
    scanned = Scanned(tally=tally, inventory=inventory, sbom=json.loads(text))
    return str(dest), "sha256:" + hashlib.sha256(text.encode()).hexdigest(), scanned


def app_layer_files(project: Project, info: ImageInfo) -> dict[str, int] | None:
    """The app's files when the image's last layer holds them and nothing else (the
    rendered Dockerfile's last filesystem step copies the app), else None."""
    spec = project.spec
    if not spec.app.files or len(info.layers) < 2:
        return None
    text = project.paths.dockerfile.read_text().replace("\\\n", " ")  # one line per step
    steps = [line for line in text.splitlines() if line.startswith(("RUN ", "COPY ", "ADD "))]
    if not steps or "gisbox-app" not in steps[-1]:
        return None
    return scan_cache.app_files(project.paths.root, tuple(spec.app.files), spec.app.workdir)

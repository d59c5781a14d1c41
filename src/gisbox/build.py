"""`gisbox build`: render, build, verify inside, measure.

Lifecycle: the project (spec + fresh lock) -> ensure the base, the one the lock pins ->
render the context (dated like the lock, for reproducible layers) ->
build with the engine (the CA bundle and credentials as build secrets only) -> run
`gisbox healthcheck` in the new image as its non-root user -> write its SBOM (`gisbox.sbom`)
-> run `gisbox check` there, labelling the image with the fingerprint's and the SBOM's
digests -> a `BuildReport` with size, layers, versions and findings.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gisbox import verify
from gisbox.build_context import write_context
from gisbox.cacert import find_ca_bundle
from gisbox.debootstrap_base import ensure_base
from gisbox.engines import BuildRequest, ContainerEngine
from gisbox.lockfile import LOCK_FILE
from gisbox.platforms import ARCH
from gisbox.project import Project
from gisbox.render import render
from gisbox.runtime.atomic import write_text_atomic
from gisbox.runtime.errors import BuildError, LockError
from gisbox.runtime.payloads import Bindings
from gisbox.sbom import SBOM_LABEL, generate

_HASH_MISMATCH = re.compile(r"[Hh]ash mismatch for `?([^`\s]+)`?")


@dataclass(kw_only=True)
class BuildReport:
    tag: str
    platform: str = ""
    image_id: str = ""
    size_bytes: int = 0
    layers: int = 0
    build_seconds: float = 0.0
    engine: str = ""
    ca_bundle: str = ""
    healthy: bool = False
    health_start_interval: bool = False  # HEALTHCHECK probes every 1 s until healthy
    bindings: Bindings = field(default_factory=dict)
    lock_digest: str = ""
    fingerprint: str = ""
    fingerprint_digest: str = ""
    sbom: str = ""
    sbom_digest: str = ""
    findings: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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
        raise LockError(
            f"the base {local} ({platform}) is not the one {LOCK_FILE} pins: its layers are "
            f"{', '.join(found) or 'none'}, the lock's {', '.join(target.base_layers) or 'none'}",
            hint="run `gisbox lock` to pin the base you have (its packages may have changed), "
            "or restore the pinned base",
        )


def build_all(
    project: Project,
    engine: ContainerEngine,
    *,
    ca_cert: Path | None = None,
    netrc: Path | None = None,
    no_cache: bool = False,
    workloads: bool = False,
    sbom: bool = True,
    on_line: Callable[[str], None] = lambda _l: None,
    on_step: Callable[[str], None] = lambda _s: None,
) -> list[BuildReport]:
    """Build and verify the image of every platform the lock holds, the first first."""
    return [
        build_image(
            project,
            engine,
            platform=target.platform,
            ca_cert=ca_cert,
            netrc=netrc,
            no_cache=no_cache,
            workloads=workloads,
            sbom=sbom,
            on_line=on_line,
            on_step=on_step,
        )
        for target in project.lock.targets
    ]


def build_image(
    project: Project,
    engine: ContainerEngine,
    *,
    platform: str | None = None,
    ca_cert: Path | None = None,
    netrc: Path | None = None,
    no_cache: bool = False,
    workloads: bool = False,
    sbom: bool = True,
    on_line: Callable[[str], None] = lambda _l: None,
    on_step: Callable[[str], None] = lambda _s: None,
) -> BuildReport:
    """Build and verify one platform's image (the lock's first platform by default):
    tagged as the spec says, or `<tag>-<arch>` for the other platforms."""
    spec, paths = project.spec, project.paths
    first = project.lock.target.platform
    platform = platform or first
    reference = project.reference_for(platform)
    secrets, ca_said = build_secrets(ca_cert, netrc)
    on_step(f"checking the base image {spec.image.base} for {platform}")
    local_base = ensure_base(engine, spec.image.base, platform)
    check_base_pin(engine, local_base, project, platform)
    start_interval = engine.supports_start_interval()
    on_step(
        "rendering Dockerfile and .dockerignore"
        + (
            " (HEALTHCHECK every 1 s until healthy: the engine keeps --start-interval)"
            if start_interval
            else ""
        )
    )
    rendered = render(project, start_interval=start_interval)
    dockerfile = write_context(paths, rendered)
    report = BuildReport(
        tag=reference,
        platform=platform,
        engine=engine.description,
        lock_digest=project.lock_digest,
        ca_bundle=ca_said,
        health_start_interval=start_interval,
    )
    request = BuildRequest(
        context=paths.root,
        dockerfile=dockerfile,
        tag=reference,
        platform=platform,
        secrets=secrets,
        no_cache=no_cache,
        build_args=(("GISBOX_BASE", local_base),) if rendered.base_arg else (),
        source_date_epoch=project.lock.source_date_epoch,
    )
    replaced = engine.inspect(reference).id if engine.exists(reference) else None
    on_step(f"building {reference} ({platform}) with {engine.description}")
    started = time.monotonic()
    result = engine.build(request, on_line)
    report.build_seconds = round(time.monotonic() - started, 1)
    paths.build_log.write_text("\n".join(result.lines) + "\n")
    if result.returncode != 0:
        raise BuildError(
            f"{engine.name} build failed: {explain_failure(result.lines)}",
            hint=f"full log: {paths.build_log}",
        )
    info = engine.inspect(reference)
    report.image_id, report.size_bytes, report.layers = info.id, info.size, len(info.layers)

    uid = spec.runtime.uid
    on_step("running `gisbox healthcheck` inside the image as its non-root user")
    health = verify.healthcheck(engine, report.image_id, uid, reference, platform)
    report.healthy = True
    report.bindings = health.get("bindings", {})
    on_step(
        "running `gisbox check"
        + (" --workloads" if workloads else "")
        + "` inside the image; keeping its fingerprint"
    )
    dest = paths.fingerprint
    sbom_dest = paths.sbom
    if platform != first:
        dest = dest.with_name(f"{dest.stem}-{ARCH[platform]}{dest.suffix}")
        sbom_dest = sbom_dest.with_name(f"sbom-{ARCH[platform]}.cdx.json")
    if sbom:
        on_step("writing the SBOM (CycloneDX 1.6: OS packages, distributions, vendored libraries)")
        report.sbom, report.sbom_digest = write_sbom(
            engine, report.image_id, reference, project, sbom_dest
        )
    verified = verify.fingerprint(
        engine,
        report.image_id,
        uid=uid,
        reference=reference,
        dest=dest,
        workloads=workloads,
        platform=platform,
        labels={SBOM_LABEL: report.sbom_digest} if sbom else {},
    )
    fp = verified.fingerprint
    report.image_id = verified.image_id
    # no litter: the unlabelled build and the image the tag named before, once untagged
    for old in dict.fromkeys((info.id, replaced)):
        if old is not None and old != report.image_id:
            engine.remove_untagged(old)
    report.fingerprint, report.fingerprint_digest = str(verified.path), verified.digest
    summary = fp["summary"]
    report.findings = {
        "error": summary["error"],
        "warning": summary["warning"],
        "info": summary["info"],
    }
    report.bindings = fp["bindings"]
    report.warnings = [
        f"{f['id']}: {f['message']}" for f in fp["findings"] if f["severity"] == "warning"
    ]
    return report


def write_sbom(
    engine: ContainerEngine, image: str, reference: str, project: Project, dest: Path
) -> tuple[str, str]:
    """The image's SBOM, with the lock's hashes, beside the fingerprint; (path, digest)."""
    text = generate(engine, image, project.lock, name=reference) + "\n"
    write_text_atomic(dest, text)
    return str(dest), "sha256:" + hashlib.sha256(text.encode()).hexdigest()

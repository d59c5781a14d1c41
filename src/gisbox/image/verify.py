"""Verification of a built image, from the host: the in-image `gisbox healthcheck` and
`gisbox check`, run in the image as its non-root user; the fingerprint is kept beside the
project and its digest labelled on the image.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from gisbox.engines.base import Completed, ContainerEngine, RunOptions
from gisbox.runtime.atomic import write_text_atomic
from gisbox.runtime.errors import VerifyError
from gisbox.runtime.payloads import Fingerprint, HealthReport

FINGERPRINT_LABEL = "io.gisbox.fingerprint-digest"
IN_IMAGE_GISBOX = "/usr/local/bin/gisbox"


@dataclass(frozen=True, kw_only=True)
class Verified:
    """The fingerprint as written, its digest, and the relabelled image's id."""

    fingerprint: Fingerprint
    path: Path
    digest: str
    image_id: str


def in_image(
    engine: ContainerEngine, image: str, uid: int, *args: str, platform: str | None = None
) -> Completed:
    """Run the in-image `gisbox` as the image's non-root user (another platform's image
    under emulation: slower, hence the longer timeout)."""
    options = RunOptions(user=f"{uid}:{uid}", platform=platform)
    return engine.run(image, [IN_IMAGE_GISBOX, *args], options=options, timeout=1200)


def healthcheck(
    engine: ContainerEngine, image: str, uid: int, reference: str, platform: str | None = None
) -> HealthReport:
    """`gisbox healthcheck --json` in the image; VerifyError with its reason when unhealthy."""
    res = in_image(engine, image, uid, "healthcheck", "--json", platform=platform)
    try:
        payload = cast(HealthReport, json.loads(res.stdout.strip().splitlines()[-1]))
    except (json.JSONDecodeError, IndexError):
        payload = HealthReport(healthy=False, reason="no output")
    if res.returncode != 0 or not payload.get("healthy"):
        reason = res.stderr.strip() or payload.get("reason", "no output")
        raise VerifyError(
            f"{reference} was built but is unhealthy: {reason}",
            hint=f"run `{engine.name} run --rm {reference} gisbox healthcheck` to reproduce",
        )
    return payload


def fingerprint(
    engine: ContainerEngine,
    image: str,
    *,
    uid: int,
    reference: str,
    dest: Path,
    workloads: bool = False,
    platform: str | None = None,
    labels: dict[str, str] | None = None,
) -> Verified:
    """Run the full suite in the image, write the fingerprint to `dest`, label its digest.

    The fingerprint is kept and labelled even when it holds errors (it says what is
    wrong); the VerifyError that follows names them. `labels` are added in the same
    relabelling (the SBOM's digest)."""
    out = run_check(engine, image, uid=uid, workloads=workloads, platform=platform)
    return keep_fingerprint(
        engine, out, reference=reference, dest=dest, platform=platform, labels=labels
    )


def run_check(
    engine: ContainerEngine, image: str, *, uid: int, workloads: bool, platform: str | None
) -> Completed:
    """`gisbox check --json -` in the image as its user (what `keep_fingerprint` keeps)."""
    extra = ["--workloads"] if workloads else []
    return in_image(engine, image, uid, "check", *extra, "--json", "-", platform=platform)


def keep_fingerprint(
    engine: ContainerEngine,
    res: Completed,
    *,
    reference: str,
    dest: Path,
    platform: str | None = None,
    labels: dict[str, str] | None = None,
) -> Verified:
    """The check's output written to `dest`, its digest (and `labels`) on the image."""
    try:
        fp = cast(Fingerprint, json.loads(res.stdout))
    except json.JSONDecodeError:
        raise VerifyError(
            f"`gisbox check` in {reference} produced no fingerprint: {res.stderr[-800:]}",
            hint=f"run `{engine.name} run --rm {reference} gisbox check` to see why",
        ) from None
    write_text_atomic(dest, res.stdout)
    digest = "sha256:" + hashlib.sha256(res.stdout.encode()).hexdigest()
    image_id = engine.relabel(
        reference,
        reference,
        {FINGERPRINT_LABEL: digest, **(labels or {})},
        {"GISBOX_FINGERPRINT_DIGEST": digest},  # for `gisbox serve`'s /v1/info
        platform=platform,
    )
    errors = [f for f in fp["findings"] if f["severity"] == "error"]
    if errors:
        listed = "\n".join(f"  {f['id']}: {f['message']}" for f in errors)
        raise VerifyError(
            f"`gisbox check` found {len(errors)} error(s) in {reference}:\n{listed}",
            hint=f"full fingerprint: {dest}",
        )
    return Verified(fingerprint=fp, path=dest, digest=digest, image_id=image_id)

"""`gisbox build`: render, build with BuildKit, tag, verify inside, measure.

Lifecycle: load spec -> refuse a stale lock -> ensure the base -> render the
context -> build -> run `gisbox healthcheck --json` in the new image as its
non-root user -> collect size, layers and versions into a `BuildReport`.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gisbox.base import ensure_base
from gisbox.cacert import find_ca_bundle
from gisbox.engine import Engine
from gisbox.lock import LOCK_FILE, check_fresh, read_lock
from gisbox.render import SUPPORT_DIR, lock_digest, render, write_context
from gisbox.runtime.atomic import write_text_atomic
from gisbox.runtime.errors import BuildError, VerifyError
from gisbox.spec import SPEC_FILE, Spec, load_spec

FINGERPRINT_FILE = "fingerprint.json"
FINGERPRINT_LABEL = "io.gisbox.fingerprint-digest"
_HASH_MISMATCH = re.compile(r"[Hh]ash mismatch for `?([^`\s]+)`?")


@dataclass(kw_only=True)
class BuildReport:
    tag: str
    image_id: str = ""
    size_bytes: int = 0
    layers: int = 0
    build_seconds: float = 0.0
    engine: str = ""
    ca_bundle: str = ""
    healthy: bool = False
    health_reason: str = ""
    bindings: dict[str, Any] = field(default_factory=dict)
    lock_digest: str = ""
    fingerprint: str = ""
    fingerprint_digest: str = ""
    findings: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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


def build_image(
    project: Path,
    engine: Engine,
    *,
    ca_cert: Path | None = None,
    netrc: Path | None = None,
    no_cache: bool = False,
    workloads: bool = False,
    on_line: Callable[[str], None] = lambda _l: None,
    on_step: Callable[[str], None] = lambda _s: None,
) -> BuildReport:
    spec: Spec = load_spec(project / SPEC_FILE)
    lock = read_lock(project / LOCK_FILE)
    check_fresh(spec, lock, project / LOCK_FILE)
    on_step(f"checking the base image {spec.image.base}")
    ensure_base(engine, spec.image.base)
    digest = lock_digest(project)
    on_step("rendering Dockerfile and .dockerignore")
    dockerfile = write_context(project, render(spec, lock, digest))
    report = BuildReport(tag=spec.reference, engine=engine.client.description, lock_digest=digest)

    bundle, origin = find_ca_bundle(ca_cert)
    secrets: list[tuple[str, Path]] = []
    if bundle is not None:
        secrets.append(("gisbox_ca", bundle))
        report.ca_bundle = f"{bundle} ({origin}, BuildKit secret)"
    else:
        report.ca_bundle = origin
    if netrc is not None:
        secrets.append(("gisbox_netrc", netrc))
    argv = engine.build_argv(
        context=project,
        dockerfile=dockerfile,
        tag=spec.reference,
        platform=spec.image.platform,
        secrets=secrets,
        extra=["--no-cache"] if no_cache else [],
    )
    on_step(f"building {spec.reference} with {engine.client.description}")
    started = time.monotonic()
    rc, lines = engine.stream(argv, on_line)
    report.build_seconds = round(time.monotonic() - started, 1)
    log = project / SUPPORT_DIR / "build.log"
    log.write_text("\n".join(lines) + "\n")
    if rc != 0:
        raise BuildError(f"docker build failed: {explain_failure(lines)}", hint=f"full log: {log}")
    info = engine.inspect(spec.reference)
    report.image_id = str(info["Id"])
    report.size_bytes = int(info["Size"])
    report.layers = len(info["RootFS"]["Layers"])

    on_step("running `gisbox healthcheck` inside the image as its non-root user")
    verify(engine, spec, report)
    on_step(
        "running `gisbox check"
        + (" --workloads" if workloads else "")
        + "` inside the image; keeping its fingerprint"
    )
    fingerprint(engine, spec, report, project / SUPPORT_DIR / FINGERPRINT_FILE, workloads)
    return report


def _gisbox_in_image(
    engine: Engine, spec: Spec, image: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run the in-image `gisbox` as the image's non-root user."""
    user = f"{spec.runtime.uid}:{spec.runtime.uid}"
    return engine.container_run(
        "--rm", "--user", user, image, "/usr/local/bin/gisbox", *args, timeout=300
    )


def fingerprint(
    engine: Engine, spec: Spec, report: BuildReport, dest: Path, workloads: bool = False
) -> None:
    """Run the full suite in the image, write the fingerprint beside it, label its digest."""
    extra = ["--workloads"] if workloads else []
    res = _gisbox_in_image(engine, spec, report.image_id, "check", *extra, "--json", "-")
    try:
        fp = json.loads(res.stdout)
    except json.JSONDecodeError:
        raise VerifyError(
            f"`gisbox check` in {spec.reference} produced no fingerprint: {res.stderr[-800:]}"
        ) from None
    write_text_atomic(dest, res.stdout)
    digest = "sha256:" + hashlib.sha256(res.stdout.encode()).hexdigest()
    report.fingerprint = str(dest)
    report.fingerprint_digest = digest
    report.findings = {s: int(n) for s, n in fp["summary"].items()}
    report.bindings = fp["bindings"]
    report.warnings = [
        f"{f['id']}: {f['message']}" for f in fp["findings"] if f["severity"] == "warning"
    ]
    report.image_id = engine.add_labels(
        spec.reference,
        spec.reference,
        {FINGERPRINT_LABEL: digest},
        env={"GISBOX_FINGERPRINT_DIGEST": digest},  # for `gisbox serve`'s /v1/info
    )
    errors = [f for f in fp["findings"] if f["severity"] == "error"]
    if errors:
        listed = "\n".join(f"  {f['id']}: {f['message']}" for f in errors)
        raise VerifyError(
            f"`gisbox check` found {len(errors)} error(s) in {spec.reference}:\n{listed}",
            hint=f"full fingerprint: {dest}",
        )


def verify(engine: Engine, spec: Spec, report: BuildReport) -> None:
    res = _gisbox_in_image(engine, spec, report.image_id, "healthcheck", "--json")
    try:
        payload = json.loads(res.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        payload = {}
    report.healthy = res.returncode == 0 and bool(payload.get("healthy"))
    report.bindings = payload.get("bindings", {})
    if not report.healthy:
        report.health_reason = res.stderr.strip() or payload.get("reason", "no output")
        raise VerifyError(
            f"{spec.reference} was built but is unhealthy: {report.health_reason}",
            hint="run `docker run --rm IMAGE gisbox healthcheck` to reproduce",
        )

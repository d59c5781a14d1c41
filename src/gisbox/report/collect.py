"""Everything the report shows about one image, gathered from the engine and what the
build kept: its configuration and history, its files by component (from the SBOM scan's
pass over the exported filesystem, or one of its own), the fingerprint (`.gisbox/`'s, or
`gisbox check` run in the image) and drift against another fingerprint."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gisbox.engines.base import ContainerEngine
from gisbox.image.diff import compare, load_fingerprint
from gisbox.report.page import Layer, ReportData, render
from gisbox.report.sizes import SizeTally, components
from gisbox.runtime.atomic import write_text_atomic
from gisbox.runtime.errors import VerifyError
from gisbox.sbom.scan import Inventory


@dataclass(frozen=True, kw_only=True)
class Scanned:
    """One pass over the image's files: their sizes and the SBOM's inventory."""

    tally: SizeTally
    inventory: Inventory
    sbom: Mapping[str, Any] | None


def scan_files(engine: ContainerEngine, ref: str, name: str) -> Scanned:
    """Export the image once: the SBOM (without a lock's hashes) and the sizes."""
    from gisbox.sbom.cyclonedx import document, scan_image

    tally = SizeTally()
    inventory = scan_image(engine, ref, tally.observe)
    text = document(inventory, engine.inspect(ref), None, name)
    return Scanned(tally=tally, inventory=inventory, sbom=json.loads(text))


def check_in_image(engine: ContainerEngine, ref: str) -> Mapping[str, Any]:
    """`gisbox check --json -` in the image, as the image's own user."""
    res = engine.run(ref, ["/usr/local/bin/gisbox", "check", "--json", "-"], timeout=600)
    try:
        data: Mapping[str, Any] = json.loads(res.stdout)
    except json.JSONDecodeError:
        raise VerifyError(
            f"`gisbox check` in {ref} gave no fingerprint: {res.stderr.strip()[-400:]}",
            hint="is it an image gisbox built? `gisbox report` needs its in-image check",
        ) from None
    return data


def report_data(
    engine: ContainerEngine,
    ref: str,
    *,
    name: str,
    scanned: Scanned,
    fingerprint: Mapping[str, Any],
    against: Path | None = None,
    app: str = "",
) -> ReportData:
    info = engine.inspect(ref)
    drift = []
    if against is not None:
        other = load_fingerprint(against)
        drift = compare(other, fingerprint)  # type: ignore[arg-type]
    return ReportData(
        reference=name,
        image_id=info.id,
        created=info.created,
        architecture=info.architecture,
        size=info.size,
        layer_count=len(info.layers),
        layers=[Layer(created_by=h.created_by, size=h.size) for h in engine.history(ref)],
        components=components(scanned.tally, scanned.inventory, app),
        fingerprint=fingerprint,
        sbom=scanned.sbom,
        against=str(against) if against else "",
        drift=drift,
    )


def write_report(dest: Path, data: ReportData) -> Path:
    write_text_atomic(dest, render(data))
    return dest

"""What `gisbox build` reports about one image: made once, when the image is verified."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from gisbox.runtime.payloads import Bindings


@dataclass(frozen=True, kw_only=True)
class BuildReport:
    tag: str
    platform: str
    image_id: str
    size_bytes: int
    layers: int
    build_seconds: float
    engine: str
    ca_bundle: str
    healthy: bool
    health_start_interval: bool  # HEALTHCHECK probes every 1 s until healthy
    # the stack image the build copied from (tag, key, built_seconds: None when reused)
    stack: dict[str, object] = field(default_factory=dict)
    bindings: Bindings = field(default_factory=dict)
    lock_digest: str
    fingerprint: str
    fingerprint_digest: str
    sbom: str = ""
    sbom_digest: str = ""
    report: str = ""  # .gisbox/report.html, "" without an SBOM (its scan feeds the report)
    findings: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

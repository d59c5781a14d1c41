"""`gisbox sbom`: a CycloneDX 1.6 SBOM of an image that sees inside the wheels.

The image's filesystem is exported once and scanned (`sbom_scan`); the lock, when
the image was built from one, adds what only it knows: the sha256 of each .deb and
of each wheel as downloaded, and the base image by id. Components:
- every OS package (`pkg:deb/debian/NAME@VERSION?arch=…&distro=debian-N`);
- every Python distribution (`pkg:pypi/NAME@VERSION`);
- every shared library vendored in a wheel, with its upstream name and version, its
  sha256 as it is in the image, a CPE for scanners and a `pkg:generic` purl, depended
  on by the distribution that carries it; libraries linked statically into one of
  those (OpenSSL inside a libcurl) as components of their own, depended on by it;
- the image's Python, and the base image.
Properties `gisbox:evidence` say where a fact came from (`lock`, or `inferred` from
the image's files), so an image gisbox did not build still gets an honest SBOM.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name, parse_wheel_filename

from gisbox.engines.base import ContainerEngine, ImageInfo
from gisbox.project.lockfile import Lock
from gisbox.sbom.scan import Inventory, Observer, SharedObject

SCHEMA = "1.6"
SBOM_LABEL = "io.gisbox.sbom-digest"  # the sha256 of the SBOM `gisbox build` wrote
NS = uuid.UUID("6f1d1a4e-3b0c-4c55-9a1e-0b5e2f7d9c11")  # serial numbers derived from the image


@dataclass(frozen=True, kw_only=True)
class Subject:
    """The image an SBOM describes."""

    reference: str
    content_id: str  # sha256 of the image's layer diff ids: unchanged by relabelling
    created: str  # the image's Created time (RFC 3339): the SBOM's timestamp
    distro: str  # "debian-12"


def _sha(value: str | None) -> list[Any]:
    from cyclonedx.model import HashAlgorithm, HashType

    return [HashType(alg=HashAlgorithm.SHA_256, content=value)] if value else []


def _props(**values: str) -> list[Any]:
    from cyclonedx.model import Property

    return [Property(name=f"gisbox:{k.replace('_', '-')}", value=v) for k, v in values.items()]


def build(inv: Inventory, subject: Subject, lock: Lock | None) -> Any:
    """The cyclonedx `Bom`."""
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType

    root = Component(
        name=subject.reference,
        version=subject.content_id,
        type=ComponentType.CONTAINER,
        bom_ref=f"image:{subject.content_id}",
    )
    bom = Bom(
        serial_number=uuid.uuid5(NS, subject.content_id),
        metadata=BomMetaData(
            component=root,
            timestamp=_timestamp(subject.created),
            properties=_props(generator="gisbox sbom"),
        ),
    )
    carried = _distribution_components(inv, lock)
    for comp in [*_os_components(inv, subject, lock), *carried.values()]:
        bom.components.add(comp)
    _add_vendored(bom, inv, carried)
    for comp in (_python_component(inv), _base_component(lock), *_upstream_components(lock)):
        if comp is not None:
            bom.components.add(comp)
    bom.register_dependency(root, list(bom.components))
    return bom


def _os_components(inv: Inventory, subject: Subject, lock: Lock | None) -> list[Any]:
    from cyclonedx.model.component import Component
    from packageurl import PackageURL

    debs = {(p.name, p.version, p.arch): p.sha256 for p in (lock.os_packages if lock else ())}
    out = []
    for pkg in sorted(inv.os_packages, key=lambda p: (p.name, p.arch)):
        digest = debs.get((pkg.name, pkg.version, pkg.arch))
        qualifiers = {"arch": pkg.arch, "distro": subject.distro} if pkg.arch else {}
        out.append(
            Component(
                name=pkg.name,
                version=pkg.version,
                purl=PackageURL("deb", "debian", pkg.name, pkg.version, qualifiers),
                bom_ref=f"deb:{pkg.name}:{pkg.arch}",
                hashes=_sha(digest),
                properties=_props(evidence="lock" if digest else "inferred", source=pkg.source),
            )
        )
    return out


def _distribution_components(inv: Inventory, lock: Lock | None) -> dict[str, Any]:
    """Each Python distribution's component, by its .dist-info path."""
    from cyclonedx.model.component import Component
    from packageurl import PackageURL

    wheels = _wheels(lock)
    carried: dict[str, Any] = {}
    for dist in inv.distributions:
        wheel = _wheel_for(wheels, dist.name, dist.version, dist.tags)
        carried[dist.path] = Component(
            name=dist.name,
            version=dist.version,
            purl=PackageURL("pypi", None, str(canonicalize_name(dist.name)), dist.version),
            bom_ref=f"pypi:{canonicalize_name(dist.name)}@{dist.version}",
            hashes=_sha(wheel[1] if wheel else None),
            properties=_props(
                evidence="lock" if wheel else "inferred",
                path=dist.path,
                **({"file": wheel[0]} if wheel else {}),
            ),
        )
    return carried


def _add_vendored(bom: Any, inv: Inventory, carried: dict[str, Any]) -> None:
    """The libraries vendored in wheels, each depended on by the distribution carrying it
    (and libraries linked into one by it)."""
    for so in inv.shared_objects:
        libs = _library_components(so)
        for comp in libs:
            bom.components.add(comp)
        owner = inv.owner(so.path)
        parent = carried.get(owner.path) if owner else None
        if parent is not None:
            bom.register_dependency(parent, [libs[0]])
        if len(libs) > 1:
            bom.register_dependency(libs[0], libs[1:])


def _python_component(inv: Inventory) -> Any:
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    python = _python(inv)
    if not python:
        return None
    return Component(
        name="python",
        version=python,
        type=ComponentType.APPLICATION,
        cpe=f"cpe:2.3:a:python:python:{python}:*:*:*:*:*:*:*",
        purl=PackageURL("generic", None, "python", python),
        bom_ref=f"python:{python}",
        properties=_props(evidence="inferred"),
    )


# Debian source package -> CPE vendor:product of what it builds (strategy "source")
UPSTREAM_CPE = {"gdal": "osgeo:gdal"}


def _upstream_components(lock: Lock | None) -> list[Any]:
    """Libraries compiled in the builder from upstream releases (strategy "source": GDAL):
    in no package database, known from the lock (the tarball's sha256, where Debian's
    archive serves it, Debian's source package)."""
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    out = []
    for src in lock.upstream_sources if lock else ():
        vendor_product = UPSTREAM_CPE.get(src.package, f"{src.package}:{src.package}")
        out.append(
            Component(
                name=src.package,
                version=src.upstream,
                type=ComponentType.LIBRARY,
                cpe=f"cpe:2.3:a:{vendor_product}:{src.upstream}:*:*:*:*:*:*:*",
                purl=PackageURL("deb", "debian", src.package, src.version, {"arch": "source"}),
                bom_ref=f"upstream:{src.package}@{src.upstream}",
                hashes=_sha(src.sha256),
                properties=_props(
                    evidence="lock",
                    built_from=src.url,
                    debian_suite=src.suite,
                    role="compiled-from-source",
                ),
            )
        )
    return out


def _base_component(lock: Lock | None) -> Any:
    from cyclonedx.model.component import Component, ComponentType

    if lock is None:
        return None
    return Component(
        name=lock.target.base,
        version=lock.target.base_id,
        type=ComponentType.CONTAINER,
        bom_ref=f"base:{lock.target.base_id}",
        hashes=_sha(lock.target.base_id.removeprefix("sha256:")),
        properties=_props(evidence="lock", role="base-image"),
    )


def _library_components(so: SharedObject) -> list[Any]:
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component
    from packageurl import PackageURL

    out = []
    for i, lib in enumerate(so.libraries):
        quals = {"file_name": so.path.rsplit("/", 1)[-1]}
        props = [
            Property(name="gisbox:evidence", value="inferred"),
            Property(name="gisbox:path", value=so.path),
            Property(name="gisbox:version-evidence", value=lib.evidence),
        ]
        if so.soname and i == 0:
            props.append(Property(name="gisbox:soname", value=so.soname))
        if lib.embedded:
            props.append(Property(name="gisbox:linked-into", value=so.path))
        out.append(
            Component(
                name=lib.name,
                version=lib.version,
                purl=PackageURL("generic", None, lib.name, lib.version, quals),
                cpe=lib.cpe,
                bom_ref=f"file:{so.path}" + (f"#{lib.name}" if i else ""),
                hashes=[HashType(alg=HashAlgorithm.SHA_256, content=so.sha256)] if i == 0 else [],
                properties=props,
            )
        )
    return out


def _wheels(lock: Lock | None) -> dict[tuple[str, str], list[tuple[str, str]]]:
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for src in lock.sources if lock else ():  # strategy "system": built from the sdist
        name = src.sdist.url.rsplit("/", 1)[-1]
        out.setdefault((str(canonicalize_name(src.name)), src.version), []).append(
            (name, src.sdist.sha256)
        )
    for pkg in lock.packages if lock else ():
        for w in pkg.wheels:
            name = w.url.rsplit("/", 1)[-1]
            out.setdefault((str(canonicalize_name(pkg.name)), pkg.version), []).append(
                (name, w.sha256)
            )
    return out


def _wheel_for(
    wheels: dict[tuple[str, str], list[tuple[str, str]]],
    name: str,
    version: str,
    tags: tuple[str, ...],
) -> tuple[str, str] | None:
    """The locked file that was installed: the wheel whose tags WHEEL names, or the sdist
    gisbox compiled."""
    for filename, digest in wheels.get((str(canonicalize_name(name)), version), []):
        if not filename.endswith(".whl"):
            return filename, digest  # an sdist, compiled in the builder
        try:
            wheel_tags = {str(t) for t in parse_wheel_filename(filename)[3]}
        except ValueError:
            continue
        if not tags or wheel_tags & set(tags):
            return filename, digest
    return None


def _python(inv: Inventory) -> str | None:
    for pkg in inv.os_packages:
        if re.fullmatch(r"(lib)?python3\.\d+-minimal", pkg.name):
            return pkg.version.split("-")[0].split("+")[0]
    return None


def _timestamp(created: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(created[:19]).replace(tzinfo=dt.UTC)
    except ValueError:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_json(bom: Any) -> str:
    """CycloneDX 1.6 JSON, validated against the schema (ValueError if it is not valid)."""
    from cyclonedx.output.json import JsonV1Dot6
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = JsonV1Dot6(bom).output_as_string(indent=2)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise ValueError(f"the SBOM does not validate against CycloneDX {SCHEMA}: {error}")
    return text


def vendored_summary(text: str) -> list[dict[str, Any]]:
    """The vendored libraries of an SBOM: name, version, path (for reports and docs)."""
    doc = json.loads(text)
    out = []
    for comp in doc.get("components", []):
        props = {p["name"]: p["value"] for p in comp.get("properties", [])}
        if comp["bom-ref"].startswith("file:"):
            out.append(
                {
                    "name": comp["name"],
                    "version": comp.get("version"),
                    "path": props.get("gisbox:path"),
                    "embedded": "gisbox:linked-into" in props,
                }
            )
    return out


def generate(engine: ContainerEngine, ref: str, lock: Lock | None, name: str | None = None) -> str:
    """The SBOM of image `ref` (JSON), scanned from its exported filesystem; `name`: the
    reference it is known by (default `ref`)."""
    return document(scan_image(engine, ref), engine.inspect(ref), lock, name or ref)


def scan_image(engine: ContainerEngine, ref: str, observe: Observer | None = None) -> Inventory:
    """What the image's exported filesystem holds, read in one pass."""
    from gisbox.sbom.scan import scan, tar_entries

    with engine.export_filesystem(ref) as stream:
        return scan(tar_entries(stream, observe))


def document(inv: Inventory, info: ImageInfo, lock: Lock | None, name: str) -> str:
    """The SBOM (JSON) of the image `info` describes, whose files gave `inv`."""
    subject = Subject(
        reference=name,
        content_id=content_id(info.layers),
        created=info.created,
        distro=inv.distro or "unknown",
    )
    return to_json(build(inv, subject, lock))


def content_id(layers: tuple[str, ...]) -> str:
    """The image's content, by its layers (labels and the config's other fields aside)."""
    return "sha256:" + hashlib.sha256("\n".join(layers).encode()).hexdigest()

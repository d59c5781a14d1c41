"""Render the Dockerfile, .dockerignore and build-context support files.

Everything written here derives from the spec and the lock alone; the
support files go to `.gisbox/` in the project (the only other part of the
build context besides the app files).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from jinja2 import Environment, PackageLoader, StrictUndefined

from gisbox import __version__
from gisbox.bases import UBUNTUGIS_KEYRING, family_for, fetch_key_commands
from gisbox.lock import LOCK_FILE, Lock, requirements_for
from gisbox.runtime.atomic import write_text_atomic
from gisbox.spec import Spec

SUPPORT_DIR = ".gisbox"
# Parts of the Python standard library no production service imports (CPython's own test
# suite's extension modules included; shell globs, relative to the stdlib directory).
STDLIB_EXCLUDES = (
    "test",
    "lib2to3",
    "pydoc_data",
    "turtledemo",
    "idlelib",
    "ensurepip",
    "lib-dynload/_test*",
    "lib-dynload/_ctypes_test*",
    "lib-dynload/_xxtestfuzz*",
    "lib-dynload/xxlimited*",
)
# Extension modules that packages' own builds tag as tests-only (NumPy's meson.build:
# `install_tag: 'tests'`), like the tests directories removed beside them. Shell globs in
# site-packages.
TEST_ONLY_MODULES = ("numpy/_core/_simd.*.so", "numpy/_core/_*_tests.*.so")
# stdlib-only scripts run in the builder (stdlib_zip.py also in the runtime stage)
BUILDER_HELPERS = ("bootstrap_uv.py", "strip_safely.py", "link_duplicates.py", "stdlib_zip.py")
LAUNCHER = """#!/opt/venv/bin/python
# gisbox's in-image command (standard library + the stack only).
import sys

sys.path.insert(0, "/opt/gisbox")
from gisbox.runtime.main import main

if __name__ == "__main__":  # spawned worker processes (gisbox serve) re-import this file
    sys.exit(main())
"""


@dataclass(frozen=True, kw_only=True)
class Rendered:
    dockerfile: str
    dockerignore: str
    requirements: str
    # strategy "system": {name: (its build requirements, its sdist line)}
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)


def lock_digest(project: Path) -> str:
    return "sha256:" + hashlib.sha256((project / LOCK_FILE).read_bytes()).hexdigest()


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("gisbox", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["q"] = lambda v: json.dumps(str(v))
    return env


def labels(spec: Spec, lock: Lock, digest: str) -> dict[str, str]:
    """OCI labels plus gisbox's own; the user's labels win on conflicts."""
    base = {
        "org.opencontainers.image.title": spec.image.name,
        "org.opencontainers.image.version": spec.image.tag,
        "org.opencontainers.image.description": "Python geospatial stack built by gisbox",
        "org.opencontainers.image.base.name": spec.image.base,
        "io.gisbox.version": __version__,
        "io.gisbox.strategy": spec.image.strategy,
        "io.gisbox.lock-digest": digest,
        "io.gisbox.input-digest": lock.input_digest,
        "io.gisbox.python": lock.target.python_full,
    }
    return {**base, **spec.runtime.labels}


def app_files(spec: Spec) -> list[tuple[str, str]]:
    """(source in the context, destination in the image) for each app entry."""
    out = []
    for f in spec.app.files:
        src = PurePosixPath(f)
        dest = PurePosixPath(spec.app.workdir) / src
        out.append(
            (
                str(src) + ("/" if f.endswith("/") else ""),
                str(dest) + ("/" if f.endswith("/") else ""),
            )
        )
    return out


def _certifi_bundle(lock: Lock) -> str | None:
    """certifi's bundle, when locked: GDAL's curl and Python's ssl find no CA in a slim base."""
    if "certifi" not in lock.versions():
        return None
    return f"/opt/venv/lib/python{lock.target.python}/site-packages/certifi/cacert.pem"


def render(spec: Spec, lock: Lock, digest: str) -> Rendered:
    env = _environment()
    index_args: list[str] = []
    if spec.python.index_url:
        index_args += ["--index-url", spec.python.index_url]
    for url in spec.python.extra_index_urls:
        index_args += ["--extra-index-url", url]
    wheel = lock.uv_wheel()
    family = family_for(spec.image.base, spec.image.strategy)
    dockerfile = env.get_template("Dockerfile.j2").render(
        gisbox_version=__version__,
        lock_digest=digest,
        base=spec.image.base,
        runtime_pins=lock.os_pins("runtime"),
        builder_pins=lock.os_pins("builder"),
        python=lock.target.python,
        uv_url=wheel.url,
        uv_sha256=wheel.sha256,
        index_args=index_args,
        strip=spec.image.strip,
        bytecode=spec.image.bytecode,
        stdlib=spec.image.stdlib,
        builder_helpers=BUILDER_HELPERS,
        test_modules=TEST_ONLY_MODULES,
        ppa=family if family.ppa else None,
        ppa_source=family.ppa_source("${VERSION_CODENAME}") if family.ppa else "",
        keyring=UBUNTUGIS_KEYRING,
        key_commands=fetch_key_commands(),
        keys_pins=lock.os_pins("keys"),
        system=spec.image.strategy == "system",
        os_libraries=", ".join(f"{k.upper()} {v}" for k, v in sorted(lock.os_libraries.items())),
        build_only=lock.build_only(),
        sources=[p.name for p in lock.sources],
        ca_bundle=_certifi_bundle(lock),
        python_excludes=[f"/usr/lib/python{lock.target.python}/{d}" for d in STDLIB_EXCLUDES],
        uid=spec.runtime.uid,
        user=spec.runtime.user,
        env=sorted(spec.runtime.env.items()),
        workdir=spec.app.workdir,
        app_files=app_files(spec),
        labels=sorted(labels(spec, lock, digest).items()),
        command=json.dumps(
            ["/usr/local/bin/gisbox", "serve"]
            if spec.service.enabled and spec.app.command == ("python",)
            else list(spec.app.command)
        ),
        service=spec.service if spec.service.enabled else None,
    )
    dockerignore = env.get_template("dockerignore.j2").render(
        app_sources=[f.rstrip("/") for f in spec.app.files], builder_helpers=BUILDER_HELPERS
    )
    return Rendered(
        dockerfile=dockerfile,
        dockerignore=dockerignore,
        requirements=lock.requirements_txt(),
        sources={
            p.name: (
                requirements_for(p.build),
                f"{p.name}=={p.version} --hash=sha256:{p.sdist.sha256}\n",
            )
            for p in lock.sources
        },
    )


def _write_runtime(dest: Path) -> None:
    """Copy gisbox's in-image part (the `gisbox.runtime` tree) and the launcher into `dest`."""
    root = resources.files("gisbox")
    pkg = dest / "gisbox"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(root.joinpath("__init__.py").read_text(encoding="utf-8"))
    _copy_tree(root.joinpath("runtime"), pkg / "runtime")
    (dest / "bin").mkdir()
    launcher = dest / "bin" / "gisbox"
    launcher.write_text(LAUNCHER)
    launcher.chmod(0o755)


def _copy_tree(src: Traversable, dest: Path) -> None:
    """Python sources and JSON data (the demo model's weights) of a package tree."""
    dest.mkdir()
    for entry in src.iterdir():
        if entry.is_dir() and entry.name != "__pycache__":
            _copy_tree(entry, dest / entry.name)
        elif entry.name.endswith((".py", ".json")):
            (dest / entry.name).write_text(entry.read_text(encoding="utf-8"))


def write_context(project: Path, rendered: Rendered) -> Path:
    """Write Dockerfile, .dockerignore and `.gisbox/` support files; return the Dockerfile."""
    support = project / SUPPORT_DIR
    support.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=support, prefix=".runtime-") as tmp:
        staged = Path(tmp) / "runtime"
        _write_runtime(staged)
        final = support / "runtime"
        if final.exists():
            shutil.rmtree(final)
        staged.rename(final)
    for helper in BUILDER_HELPERS:
        where = "runtime" if helper == "stdlib_zip.py" else "builder"
        text = resources.files("gisbox").joinpath(where, helper).read_text(encoding="utf-8")
        write_text_atomic(support / helper, text)
    write_text_atomic(support / "requirements.txt", rendered.requirements)
    build_dir = support / "build"
    if build_dir.exists():
        shutil.rmtree(build_dir)
    for name, (build_reqs, source) in rendered.sources.items():
        write_text_atomic(build_dir / f"{name}.build.txt", build_reqs)
        write_text_atomic(build_dir / f"{name}.src.txt", source)
    write_text_atomic(project / ".dockerignore", rendered.dockerignore)
    write_text_atomic(project / "Dockerfile", rendered.dockerfile)
    return project / "Dockerfile"

"""Configuration read the way each library reads it: the first variable set wins.

A check that passes because *some* CA variable names a file misses the broken one a
library reads first: GDAL takes GDAL_CURL_CA_BUNDLE, then CURL_CA_BUNDLE, then
SSL_CERT_FILE, and a CURL_CA_BUNDLE naming nothing breaks every HTTPS read although
SSL_CERT_FILE is fine. The same holds for where libraries write: GDAL's temporary files go
to CPL_TMPDIR, else TMPDIR, else TEMP, else the working directory (not /tmp), and PROJ's
grid cache to PROJ_USER_WRITABLE_DIRECTORY, else XDG_DATA_HOME/proj, else
HOME/.local/share/proj. Each finding names the variable that decided and the library
affected. Standard library only. CA variables are judged as a process starts: rasterio's
import sets GDAL_CURL_CA_BUNDLE and PROJ_CURL_CA_BUNDLE, which hides a broken
CURL_CA_BUNDLE only in processes that import rasterio (the finding says so).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from gisbox.runtime.check.findings import Findings
from gisbox.runtime.where import fix


@dataclass(frozen=True)
class Reader:
    """A library and the variables it reads for one setting, first one set wins."""

    library: str
    variables: tuple[str, ...]
    fallback: str  # what the library does when none is set


CA_READERS = (
    Reader(
        "GDAL (its libcurl: /vsicurl/, /vsis3/, https:// reads)",
        ("GDAL_CURL_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"),
        "libcurl's built-in path",
    ),
    Reader(
        "PROJ (grids fetched with PROJ_NETWORK=ON)",
        ("PROJ_CURL_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"),
        "libcurl's built-in path (pyproj: certifi's bundle)",
    ),
    Reader(
        "Python requests (pystac-client, fsspec over HTTP)",
        ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"),
        "certifi's bundle",
    ),
    Reader("Python ssl (urllib, OpenSSL defaults)", ("SSL_CERT_FILE",), "OpenSSL's default path"),
)
_CA_VARIABLES = {v for r in CA_READERS for v in r.variables}
GDAL_TMP = Reader("GDAL (temporary files)", ("CPL_TMPDIR", "TMPDIR", "TEMP"), ".")
ON = ("ON", "YES", "TRUE", "1")


def deciding(reader: Reader, env: dict[str, str]) -> tuple[str, str] | None:
    """(variable, value) the library uses: the first one set and not empty."""
    return next(((v, env[v]) for v in reader.variables if env.get(v)), None)


def _readable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.R_OK)


def ca_knob(env: dict[str, str]) -> dict[str, str]:
    """The variables the image's CA knob (gisbox.runtime.ca_env) set -> the one they
    follow."""
    source = env.get("GISBOX_CA_FROM", "")
    derived = [v for v in env.get("GISBOX_CA_SET", "").split(",") if v]
    return dict.fromkeys(derived, source) if source else {}


def check_ca_bundles(
    env: dict[str, str], findings: Findings, network: bool, now: dict[str, str] | None = None
) -> dict[str, Any]:
    """Each reader's CA bundle must be a readable file, judged by the variable it reads in
    `env`, the environment a process starts with. `now` is the environment after the
    bindings' imports (rasterio's sets GDAL_CURL_CA_BUNDLE and PROJ_CURL_CA_BUNDLE to
    certifi's bundle): a fault it hides here is still one for processes not importing them."""
    now = env if now is None else now
    out: dict[str, Any] = {}
    broken: dict[tuple[str, str], list[str]] = {}
    hidden: dict[tuple[str, str], set[str]] = {}
    knob = ca_knob(env)
    for reader in CA_READERS:
        chosen = deciding(reader, env)
        if chosen is not None and chosen[0] in knob:  # set by the image's CA knob from...
            chosen = (knob[chosen[0]], chosen[1])  # ...the variable the user set
        ok = chosen is None or _readable(chosen[1])
        out[f"config.ca.{reader.library.split()[0].lower()}"] = ok
        if chosen is not None and not ok:
            broken.setdefault(chosen, []).append(reader.library)
            after = deciding(reader, now)
            if after is not None and after != chosen and _readable(after[1]):
                hidden.setdefault(chosen, set()).add(after[0])
    for (variable, value), libraries in sorted(broken.items()):
        later = [v for r in CA_READERS for v in r.variables if r.library in libraries]
        shadowed = [
            f"{v}={env[v]}" for v in dict.fromkeys(later)
            if v != variable and env.get(v) and os.path.isfile(env[v])
        ]  # fmt: skip
        masks = sorted(hidden.get((variable, value), ()))
        findings.add(
            "config.ca-bundle-unreadable",
            "error" if network else "warning",
            f"{variable}={value} is not a readable file, and it is what "
            f"{'; '.join(libraries)} read"
            + (f" (before {', '.join(shadowed)}, which is fine)" if shadowed else "")
            + ": their HTTPS connections fail"
            + (
                f"; here the bindings' imports set {', '.join(masks)} (rasterio's does), "
                "which hides it only in processes that import them"
                if masks
                else ""
            ),
            f"point {variable} at a PEM bundle, or unset it",
        )
    out["config.ca.used"] = used = bundles_used(now)
    files = {os.path.realpath(v.split("=", 1)[1]) for v in used.values() if "=" in v}
    if len(files) > 1:
        findings.add(
            "config.ca-bundles-differ",
            "warning",
            "the libraries of this process trust different CA bundles (after the bindings' "
            "imports): " + "; ".join(f"{lib}: {v}" for lib, v in used.items())
            + ". A private CA in one is refused by the others",
            fix(
                host="set GDAL_CURL_CA_BUNDLE and PROJ_CURL_CA_BUNDLE to your bundle too "
                "(rasterio's and pyogrio's imports set them to certifi's when unset)",
                image="set SSL_CERT_FILE alone (every library in the image follows it), or "
                "each variable named above to the same bundle",
            ),
        )  # fmt: skip
    return out


def bundles_used(env: dict[str, str]) -> dict[str, str]:
    """Each library's CA bundle as a process with this environment uses it: "VAR=path",
    or the library's fallback when no variable it reads is set."""
    used = {}
    for reader in CA_READERS:
        chosen = deciding(reader, env)
        used[reader.library.split(" (")[0]] = (
            f"{chosen[0]}={chosen[1]}" if chosen else f"none set: {reader.fallback}"
        )
    return used


def writable_dir(path: str) -> bool:
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


def check_gdal_tmp(env: dict[str, str], findings: Findings) -> dict[str, Any]:
    """GDAL writes temporary files where CPL_TMPDIR/TMPDIR/TEMP say, else in the working
    directory: /tmp being writable does not help it."""
    chosen = deciding(GDAL_TMP, env)
    try:
        where = chosen[1] if chosen else os.getcwd()
    except OSError:  # the working directory was removed
        where = "."
    ok = writable_dir(where)
    if not ok:
        said = (
            f"{chosen[0]}={where}"
            if chosen
            else f"the working directory {where} (none of CPL_TMPDIR, TMPDIR, TEMP is set)"
        )
        findings.warning(
            "config.gdal-tmpdir",
            f"GDAL writes its temporary files to {said}, which is not a writable directory: "
            "drivers that need one (COG and GeoPackage writes, /vsicurl/ caching) fail",
            "set CPL_TMPDIR to a writable directory (e.g. /tmp, a tmpfs or emptyDir)",
        )
    return {"config.gdal_tmp_writable": ok}


def proj_cache_dir(env: dict[str, str]) -> tuple[str, str]:
    """(directory, the variable that decided it) PROJ caches grids in."""
    if env.get("PROJ_USER_WRITABLE_DIRECTORY"):
        return env["PROJ_USER_WRITABLE_DIRECTORY"], "PROJ_USER_WRITABLE_DIRECTORY"
    if env.get("XDG_DATA_HOME"):
        return os.path.join(env["XDG_DATA_HOME"], "proj"), "XDG_DATA_HOME"
    return os.path.join(env.get("HOME", ""), ".local/share/proj"), "HOME"


def check_proj_network(
    env: dict[str, str], findings: Findings, modules: dict[str, Any]
) -> dict[str, Any]:
    """PROJ_NETWORK=ON changes which transformations PROJ chooses: say so, and check the
    cache it writes grids to and the CA bundle it downloads them with."""
    network = env.get("PROJ_NETWORK", "").upper() in ON
    out: dict[str, Any] = {"config.proj_network": network}
    if not network:
        return out
    directory, variable = proj_cache_dir(env)
    nearest = directory
    while nearest and not os.path.exists(nearest):
        nearest = os.path.dirname(nearest)
    cache_ok = writable_dir(nearest or "/")
    out["config.proj_cache_writable"] = cache_ok
    bindings = [b for b in ("pyproj", "rasterio", "pyogrio", "osgeo.gdal") if b in modules]
    effect = network_effect(modules["pyproj"]) if "pyproj" in modules else ""
    findings.warning(
        "config.proj-network",
        "PROJ_NETWORK=ON: PROJ downloads grids it lacks from cdn.proj.org and then prefers "
        "grid-based transformations, so results depend on network access and differ "
        f"from a machine without it{effect}; affects every PROJ here "
        f"({', '.join(bindings) or 'none loaded'})",
        "install the grids you need (projsync, or the proj-data package) and leave "
        "PROJ_NETWORK unset, so every environment transforms alike",
    )
    if not cache_ok and "pyproj" not in modules:  # with pyproj: runtime.proj-user-dir says it
        findings.warning(
            "runtime.proj-user-dir",
            f"PROJ's grid cache {directory} (from {variable}) is not writable: every "
            "downloaded grid is fetched again in every process",
            "set PROJ_USER_WRITABLE_DIRECTORY to a writable directory (e.g. /tmp/proj)",
        )
    return out


def network_effect(pyproj: Any) -> str:
    """What the network changes, measured without it being used: the transformation PROJ
    picks for NAD27 -> NAD83 with the network enabled and without (no grid is fetched to
    choose; only to transform)."""
    import warnings

    from pyproj.transformer import TransformerGroup

    def best(enabled: bool) -> str:
        pyproj.network.set_network_enabled(enabled)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            group = TransformerGroup("EPSG:4267", "EPSG:4269", always_xy=True)
        if not group.transformers:
            return "none"
        t = group.transformers[0]
        ops = [op.name for op in t.operations] if t.operations else [t.description]
        name = next((o for o in ops if "axis order" not in o), ops[0])
        accuracy = f"{t.accuracy} m" if t.accuracy >= 0 else "unknown accuracy"
        return f"{name!r} ({accuracy})"

    was = pyproj.network.is_network_enabled()
    try:
        on, off = best(True), best(False)
    except Exception:  # the effect is a detail: the finding stands without it
        return ""
    finally:
        pyproj.network.set_network_enabled(was)
    return f" (NAD27 -> NAD83: {on} with the network, {off} without)" if on != off else ""


def run_library_config(
    findings: Findings, modules: dict[str, Any], network: bool, ca_at_start: dict[str, str]
) -> dict[str, Any]:
    """`ca_at_start`: the CA variables as the process started (before any import)."""
    env = dict(os.environ)
    at_start = {k: v for k, v in env.items() if k not in _CA_VARIABLES}
    at_start.update(ca_at_start)
    network = network or env.get("PROJ_NETWORK", "").upper() in ON
    out = check_ca_bundles(at_start, findings, network, now=env)
    out.update(check_gdal_tmp(env, findings))
    out.update(check_proj_network(env, findings, modules))
    return out

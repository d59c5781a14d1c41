"""Ubuntu bases (`ubuntu:*`), with the UbuntuGIS PPA when the strategy uses the OS's GIS
libraries (newer GDAL/PROJ/GEOS than Ubuntu's archive).

The PPA's signing key is fetched in a throwaway `keys` stage and refused unless its
fingerprint is the one below; the python and runtime stages get only the keyring. The
probe sets up the same key and source, so the lock pins what the build will install.
Rendered and linted here; built only where Ubuntu's archive and Launchpad are reachable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gisbox.plugins.api import Contribution, Fragments, ProbeStep, Strategy
from gisbox.plugins.families.debian import APT_GIS_LIBRARIES
from gisbox.project.lockfile import Lock
from gisbox.project.platforms import Platform
from gisbox.project.spec import Spec
from gisbox.render.templating import render_string

PPA = "ubuntugis/ubuntugis-unstable"  # "owner/archive" on Launchpad
FINGERPRINT = "6B827C12C2D425E227EDCA75089EBE08314DF160"
KEYRING = "/usr/share/keyrings/ubuntugis.gpg"
KEY_URL = f"https://keyserver.ubuntu.com/pks/lookup?op=get&search=0x{FINGERPRINT}"
KEY_TOOLS = ("gnupg", "curl", "ca-certificates")
SOURCES_LIST = "/etc/apt/sources.list.d/gisbox-ppa.list"


def ppa_source(codename: str) -> str:
    return f"deb [signed-by={KEYRING}] http://ppa.launchpadcontent.net/{PPA}/ubuntu {codename} main"


def fetch_key_commands() -> list[str]:
    """Fetch the PPA key and refuse it unless its fingerprint is the expected one."""
    return [
        f"curl -fsSL '{KEY_URL}' | gpg --dearmor -o {KEYRING}",
        f"gpg --show-keys --with-colons {KEYRING} | grep -q ':{FINGERPRINT}:'",
    ]


def _probe_ppa() -> ProbeStep:
    """Pin the key stage's tools, add the key and source, then remove the tools again."""
    tools = " ".join(KEY_TOOLS)
    setup = " && ".join(
        [
            f"apt-get install -y -qq --no-install-recommends {tools} >/dev/null",
            *fetch_key_commands(),
            f'echo "{ppa_source("$VERSION_CODENAME")}" > {SOURCES_LIST}',
        ]
    )
    return ProbeStep(
        shell="\n".join(
            [
                f"keys=$(closure {tools})",
                'for spec in $keys; do echo "keys $spec"; done',
                setup,
                f"apt-get purge -y -qq --auto-remove {tools} >/dev/null",
                "apt-get update -qq >/dev/null",
            ]
        )
    )


@dataclass(frozen=True, kw_only=True)
class KeysContext:
    ppa: str
    base: str
    keys_pins: tuple[str, ...]
    key_commands: tuple[str, ...]


KEYS_STAGE = """
# --- keys: fetch the {{ ctx.ppa }} PPA's signing key, checked against its fingerprint ---
FROM {{ ctx.base }} AS keys
ARG DEBIAN_FRONTEND=noninteractive
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN --mount=type=cache,id=gisbox-apt-cache,target=/var/cache/apt,sharing=shared \\
    --mount=type=cache,id=gisbox-apt-lists,target=/var/lib/apt/lists,sharing=locked \\
    rm -f /etc/apt/apt.conf.d/docker-clean \\
    && apt-get update --no-list-cleanup \\
    && apt-get install -y --no-install-recommends
{%- for pin in ctx.keys_pins %} {{ pin }}{% endfor %}
{%- for cmd in ctx.key_commands %} \\
    && {{ cmd }}{% endfor %}"""


@dataclass(frozen=True)
class UbuntuFamily:
    name: str = "ubuntu"
    priority: int = 10

    def matches(self, base: str) -> bool:
        return base.split(":", 1)[0].rsplit("/", 1)[-1] == "ubuntu"

    def prepare(self, strategy: Strategy) -> Sequence[ProbeStep]:
        return (_probe_ppa(),) if strategy.uses_os_gis_libraries else ()

    def gis_libraries(self) -> ProbeStep:
        return APT_GIS_LIBRARIES

    def contribute(self, lock: Lock, spec: Spec, strategy: Strategy) -> Contribution:
        if not strategy.uses_os_gis_libraries:
            return Contribution()
        keys = KeysContext(
            ppa=PPA,
            base=spec.image.base,
            keys_pins=tuple(lock.os_pins("keys")),
            key_commands=tuple(fetch_key_commands()),
        )
        return Contribution(
            fragments=Fragments(
                stages=render_string(KEYS_STAGE, keys),
                python_setup=f"COPY --from=keys {KEYRING} {KEYRING}",
                apt_sources=(
                    ". /etc/os-release",
                    f'echo "{ppa_source("${VERSION_CODENAME}")}" > {SOURCES_LIST}',
                ),
            )
        )

    def debootstrap_suite(self, base: str) -> str | None:
        return None

    def cross_toolchain(self, target: Platform) -> tuple[str, ...]:
        return ()  # arm64 lives in another archive (ports.ubuntu.com) than amd64


FAMILY = UbuntuFamily()

"""Base image families and what each needs before its packages can be installed.

- debian (debian:*): the OS's own archive; `gisbox base` can make it offline.
- ubuntu (ubuntu:*): with strategy "system", the UbuntuGIS PPA (newer GDAL/PROJ/GEOS
  than the Ubuntu archive). Its signing key is fetched in a throwaway `keys` stage and
  checked against the fingerprint below; the runtime gets only the keyring.
- osgeo (ghcr.io/osgeo/gdal:*): GDAL, PROJ and GEOS preinstalled (built from source
  in /usr), so the `system` strategy installs no GIS packages and compiles the
  bindings against the preinstalled libraries.

This machine reaches neither Ubuntu's archive nor a container registry: ubuntu and
osgeo bases are rendered and linted here, but built and tested only where reachable.
"""

from __future__ import annotations

from dataclasses import dataclass

UBUNTUGIS_FINGERPRINT = "6B827C12C2D425E227EDCA75089EBE08314DF160"
UBUNTUGIS_KEYRING = "/usr/share/keyrings/ubuntugis.gpg"
UBUNTUGIS_KEY_URL = (
    f"https://keyserver.ubuntu.com/pks/lookup?op=get&search=0x{UBUNTUGIS_FINGERPRINT}"
)


@dataclass(frozen=True, kw_only=True)
class Family:
    name: str
    gis_preinstalled: bool = False
    ppa: str | None = None  # "owner/archive" on Launchpad

    def ppa_source(self, codename: str) -> str:
        assert self.ppa
        return (
            f"deb [signed-by={UBUNTUGIS_KEYRING}] "
            f"http://ppa.launchpadcontent.net/{self.ppa}/ubuntu {codename} main"
        )


DEBIAN = Family(name="debian")
UBUNTU = Family(name="ubuntu")
UBUNTU_GIS = Family(name="ubuntu", ppa="ubuntugis/ubuntugis-unstable")
OSGEO = Family(name="osgeo", gis_preinstalled=True)


def family_for(base: str, strategy: str) -> Family:
    repo = base.split(":", 1)[0]
    if repo.endswith("osgeo/gdal"):
        return OSGEO
    if repo.rsplit("/", 1)[-1] == "ubuntu":
        return UBUNTU_GIS if strategy == "system" else UBUNTU
    return DEBIAN


# Shell run in the probe container before reading the index: the same key and source the
# Dockerfile sets up, so the probe sees the packages the build will install.
def fetch_key_commands() -> list[str]:
    """Fetch the PPA key and refuse it unless its fingerprint is the expected one."""
    return [
        f"curl -fsSL '{UBUNTUGIS_KEY_URL}' | gpg --dearmor -o {UBUNTUGIS_KEYRING}",
        f"gpg --show-keys --with-colons {UBUNTUGIS_KEYRING} | grep -q ':{UBUNTUGIS_FINGERPRINT}:'",
    ]


def probe_prepare(family: Family) -> str:
    if not family.ppa:
        return ""
    source = family.ppa_source("$VERSION_CODENAME")
    return " && ".join(
        [
            "apt-get install -y -qq --no-install-recommends gnupg curl ca-certificates >/dev/null",
            *fetch_key_commands(),
            f'echo "{source}" > /etc/apt/sources.list.d/gisbox-ppa.list',
        ]
    )

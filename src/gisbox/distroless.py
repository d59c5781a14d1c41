"""`[image] runtime = "distroless"`: a runtime stage with no shell, apt or dpkg.

The final stage is `FROM scratch` plus a root filesystem unpacked (`dpkg-deb -x`) from
the pinned .debs of the runtime's whole package closure, resolved against an empty
system: Python and what it links, libstdc++ for the wheels, base-files (os-release, for
scanners), the spec's `os_packages`. Maintainer scripts never run, so:

- gisbox's own closure is known to need none of them to work (Python's byte-compiles,
  tzdata's sets the local time zone; gisbox zips the stdlib and leaves UTC);
- any other package whose .deb has a `preinst`, `postinst` or `config` script is
  refused at lock time, naming it and its scripts: its files alone may not work;
- of libc-bin only the C.UTF-8 locale is kept (`PARTIAL`);
- the tools maintainer scripts run (dpkg, a shell, awk, coreutils, debconf, perl…) are
  taken as already there when the closure is resolved, so they and what only they need
  stay out.

Each package keeps a `/var/lib/dpkg/status.d/<name>` record (its control fields, as
Google's distroless images do) so SBOM tools and scanners still list it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gisbox.plugin_api import ProbeStep
from gisbox.runtime.errors import LockError

# What every distroless root holds besides Python: the C++ runtime the manylinux wheels
# link (auditwheel never vendors it) and Debian's base-files (/etc/os-release).
ROOTS = ("libstdc++6", "base-files", "libc-bin")
# Packages of which the root keeps only these paths: libc-bin's C.UTF-8 locale (the image
# sets LC_ALL=C.UTF-8), not its programs (ldconfig, locale, getent…).
PARTIAL = {"libc-bin": ("usr/lib/locale/C.utf8",)}
# What maintainer scripts and packaging use, never the program: the closure is walked
# from its roots without passing through these, so neither they nor what only they need
# are unpacked (apt's own resolution would pull them in as pre-dependencies).
SCRIPT_ONLY = frozenset({
    "debconf", "dpkg", "tar", "mawk", "gawk", "perl-base", "debianutils", "coreutils",
    "bash", "dash", "sed", "grep", "findutils", "diffutils", "util-linux",
    "sysvinit-utils", "init-system-helpers", "login", "passwd", "adduser", "ucf",
})  # fmt: skip
INSTALL_SCRIPTS = ("preinst", "postinst", "config")

# Printed lines: "rootfs-root name" (what the root needs), "rootfs name=version" (apt's
# closure from an empty system), "deb …" (hashes), "depends name <Depends/Pre-Depends
# field>", and "scripts name preinst postinst…" for packages beyond Python's closure.
PROBE = ProbeStep(
    shell=r"""rootfs_closure() {
  apt-get install -s --no-install-recommends -o Dir::State::status=/dev/null "$@" \
    | awk '/^Inst/{print $2"="substr($3,2)}'
}
for root in "python$want" """
    + " ".join(ROOTS)
    + r""" $runtime_extra; do echo "rootfs-root $root"; done
rootfs=$(rootfs_closure "python$want" """
    + " ".join(ROOTS)
    + r""" $runtime_extra)
own=" $(rootfs_closure "python$want" """
    + " ".join(ROOTS)
    + r""" | sed 's/=.*//' | tr '\n' ' ') "
for spec in $rootfs; do echo "rootfs $spec"; done
debs $rootfs
apt-cache show --no-all-versions $rootfs \
  | awk '/^Package:/{p=$2} /^(Pre-)?Depends:/{sub(/^[^:]*: /, ""); print "depends " p " " $0}'
extra=""
for spec in $rootfs; do
  case "$own" in *" ${spec%%=*} "*) ;; *) extra="$extra $spec" ;; esac
done
if [ -n "$extra" ]; then
  mkdir -p /tmp/gisbox-debs
  (cd /tmp/gisbox-debs && apt-get download -qq $extra >/dev/null 2>&1)
  for deb in /tmp/gisbox-debs/*.deb; do
    scripts=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | sed -n 's#^\./##p' \
      | grep -xE '"""
    + "|".join(INSTALL_SCRIPTS)
    + r"""' | tr '\n' ' ')
    if [ -n "$scripts" ]; then echo "scripts $(dpkg-deb -f "$deb" Package) $scripts"; fi
  done
fi"""
)


def needed(
    roots: Sequence[str], closure: Sequence[str], depends: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """The pins of `closure` reachable from `roots` by Depends/Pre-Depends without passing
    through SCRIPT_ONLY; of alternatives (a | b) the first in the closure. Closure order."""
    by_name = {spec.partition("=")[0]: spec for spec in closure}
    seen: set[str] = set()
    todo = [r for r in roots if r in by_name]
    while todo:
        name = todo.pop()
        if name in seen or name in SCRIPT_ONLY:
            continue
        seen.add(name)
        for field in depends.get(name, ()):
            for group in field.split(","):
                for alternative in group.split("|"):
                    dep = alternative.split("(")[0].split(":")[0].strip()
                    if dep in by_name:
                        todo.append(dep)
                        break
    return tuple(spec for spec in closure if spec.partition("=")[0] in seen)


def refuse_scripts(scripts: Mapping[str, Sequence[str]], os_packages: Sequence[str]) -> None:
    """Packages beyond gisbox's own closure that need maintainer scripts: refused."""
    if not scripts:
        return
    listed = "; ".join(f"{name} ({', '.join(s)})" for name, s in sorted(scripts.items()))
    raise LockError(
        'runtime = "distroless" unpacks packages without running their maintainer scripts '
        "(there is no shell), and these packages, pulled in by image.os_packages "
        f"{list(os_packages)}, have install scripts whose work would be missing: {listed}",
        hint='set image.runtime = "slim" for these packages, or drop them from image.os_packages',
    )

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
from dataclasses import dataclass
from pathlib import Path

from gisbox.plugins.api import BaseFacts, Contribution, ProbeStep
from gisbox.project.lockfile import Lock
from gisbox.project.spec import Spec
from gisbox.render.build_context import builder_script
from gisbox.runtime.errors import LockError

# What every distroless root holds besides Python: the C++ runtime the manylinux wheels
# link (auditwheel never vendors it) and Debian's base-files (/etc/os-release).
ROOTS = ("libstdc++6", "base-files", "libc-bin")
# Packages of which the root keeps only these paths: libc-bin's C.UTF-8 locale (the image
# sets LC_ALL=C.UTF-8), not its programs (ldconfig, locale, getent…).
PARTIAL = {"libc-bin": ("usr/lib/locale/C.utf8",)}
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


# Packages whose install scripts do nothing on a first install (read, not guessed): their
# files alone are the package.
FIRST_INSTALL_NO_OP = {
    # postinst copies /usr/etc/gss/mech only when upgrading from before 1.12.1+dfsg-2
    "libgssapi-krb5-2": ("postinst",),
}


def refuse_scripts(scripts: Mapping[str, Sequence[str]], os_packages: Sequence[str]) -> None:
    """Packages beyond gisbox's own closure that need maintainer scripts: refused."""
    scripts = {
        name: s for name, s in scripts.items() if set(s) - set(FIRST_INSTALL_NO_OP.get(name, ()))
    }
    if not scripts:
        return
    listed = "; ".join(f"{name} ({', '.join(s)})" for name, s in sorted(scripts.items()))
    raise LockError(
        'runtime = "distroless" unpacks packages without running their maintainer scripts '
        "(there is no shell), and these packages, pulled in by image.os_packages "
        f"{list(os_packages)} or the strategy's libraries, have install scripts whose work "
        f"would be missing: {listed}",
        hint='set image.runtime = "slim" for these packages, or drop them from image.os_packages',
    )


# The assembler (gisbox.builder) and what it unpacks, under .gisbox/build/
ROOTFS_SCRIPT = "assemble_rootfs.py"
ROOTFS_MANIFEST = "rootfs.txt"
PARTIAL_ARGS = "".join(
    f" --partial {name}={path}" for name, paths in PARTIAL.items() for path in paths
)

STAGE = (
    r"""

# --- rootfs: the distroless runtime's files, unpacked from the locked .debs (their sha256
# checked); no maintainer scripts run, each package keeps a /var/lib/dpkg/status.d record ---
FROM python AS rootfs
WORKDIR /tmp/gisbox-debs
RUN --mount=type=cache,id=gisbox-apt-lists,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=bind,source=.gisbox/build,target=/tmp/gisbox \
    {{ reproducible_mount() }} \
{%- if ctx.stdlib == "zip" %}
    --mount=type=bind,from=builder,source=/opt/stdlib,target=/tmp/gisbox-stdlib \
{%- endif %}
    apt-get update --no-list-cleanup \
    && apt-get download \
{%- for pin in ctx.rootfs_pins %}
       {{ pin }} \
{%- endfor %}
{%- for arch, pins in ctx.rootfs_arch_pins %}
    && if [ "$(dpkg --print-architecture)" = {{ arch }} ]; then \
         apt-get download{% for pin in pins %} {{ pin }}{% endfor %}; fi \
{%- endfor %}
    && python{{ ctx.python }} /tmp/gisbox/assemble_rootfs.py /tmp/gisbox/rootfs.txt . /rootfs \
       --user {{ ctx.user }} --uid {{ ctx.uid }}"""
    + PARTIAL_ARGS
    + r""" \
      {% for p in ctx.python_excludes %} --exclude {{ p }}{% endfor %}
{%- if ctx.stdlib == "zip" %} \
       --stdlib-zip /tmp/gisbox-stdlib/stdlib.zip /tmp/gisbox-stdlib/stdlib_zip.py
{%- endif %} \
    && {{ reproducible("/rootfs") }}

# --- runtime (distroless): the unpacked packages, the environment and the app; no shell,
# apt, dpkg or coreutils. Debug with a slim twin from the same lock: `gisbox build --runtime slim` ---
FROM scratch AS runtime
COPY --from=rootfs /rootfs/ /"""
)
INSTALL = r"""
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /opt/gisbox /opt/gisbox
{%- for d in ctx.fragments.runtime_dirs %}
COPY --from=builder {{ d }} {{ d }}
{%- endfor %}
COPY .gisbox/runtime/bin/gisbox /usr/local/bin/gisbox
WORKDIR {{ ctx.workdir }}
{%- for src, dest in ctx.app_files %}
COPY --from=app --chown={{ ctx.uid }}:{{ ctx.uid }} /gisbox-app/{{ src }} {{ dest }}
{%- endfor %}"""


@dataclass(frozen=True)
class DistrolessRuntime:
    name: str = "distroless"
    has_shell: bool = False

    @property
    def templates(self) -> Mapping[str, str]:
        return {"stage": STAGE, "install": INSTALL}

    def probe_steps(self) -> Sequence[ProbeStep]:
        return (PROBE,)

    def accept(self, facts: BaseFacts, spec: Spec) -> None:
        refuse_scripts(facts.scripts, spec.os_packages())

    def check_lock(self, lock: Lock, lock_path: Path, locked_as: str) -> None:
        if not lock.rootfs:
            raise LockError(
                f"{lock_path} has no distroless root filesystem (it was locked for "
                f'runtime = "{locked_as}")',
                hint='set image.runtime = "distroless" in gisbox.toml and run `gisbox lock`',
            )

    def contribute(self, lock: Lock, spec: Spec) -> Contribution:
        script = builder_script(ROOTFS_SCRIPT)
        manifest = "".join(
            f"{p.name} {p.version} {p.arch} {p.sha256}\n" for p in lock.rootfs_packages()
        )
        return Contribution(context_files={ROOTFS_SCRIPT: script, ROOTFS_MANIFEST: manifest})


RUNTIME = DistrolessRuntime()

"""Runtime "slim": the base image with the pinned Python runtime, a shell, apt and dpkg.

The runtime stage installs the same pinned packages as the python stage (with the
standard library zipped, in the same RUN that replaces its sources by the archive),
adds the non-root user, and copies the environment and the app in with RUN, dated like
the lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gisbox.plugins.api import BaseFacts, Contribution, ProbeStep
from gisbox.project.lockfile import Lock
from gisbox.project.spec import Spec

STAGE = r"""

# --- runtime: the Python runtime, the environment and the app; no compiler, pip or uv ---
{%- if ctx.stdlib == "zip" %}
FROM {{ ctx.base }} AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# The same pinned packages as the python stage; the stdlib's sources (and the bytecode of
# what the stack imports) then move into the zip archive that sys.path searches first.
{{- install_python(stdlib_mount=true) }}
{%- else %}
FROM python AS runtime
{%- endif %}
RUN {{ reproducible_mount() }} \
    useradd --uid {{ ctx.uid }} --user-group --create-home --home-dir /home/{{ ctx.user }} \
    --shell /usr/sbin/nologin {{ ctx.user }} \
    && mkdir -p {{ ctx.workdir }} \
    && {{ reproducible() }}"""
INSTALL = r"""
# Copied by RUN, not COPY, and dated like the lock: COPY of Docker < 25 dates the
# directories it adds to with the build's time, so no two builds' layers would agree.
RUN --mount=type=bind,from=builder,target=/mnt \
    cp -a /mnt/opt/venv /mnt/opt/gisbox{% for d in ctx.fragments.runtime_dirs %} /mnt{{ d }}{% endfor %} /opt/ \
{%- if ctx.bytecode == "imported" and ctx.stdlib == "files" %}
    && cp -a /mnt/opt/stdlib-bytecode/. / \
{%- endif %}
    && cp -p /mnt/tmp/gisbox/launcher /usr/local/bin/gisbox \
    && {{ reproducible(where="/mnt/tmp/gisbox") }}
WORKDIR {{ ctx.workdir }}
{%- if ctx.app_files %}
RUN --mount=type=bind,from=app,target=/mnt \
{%- for command in ctx.app_commands %}
    {% if not loop.first %}&& {% endif %}{{ command }} \
{%- endfor %}
    && {{ reproducible(where="/mnt/gisbox-tools") }}
{%- endif %}"""


@dataclass(frozen=True)
class SlimRuntime:
    name: str = "slim"
    has_shell: bool = True

    @property
    def templates(self) -> Mapping[str, str]:
        return {"stage": STAGE, "install": INSTALL}

    def probe_steps(self) -> Sequence[ProbeStep]:
        return ()

    def accept(self, facts: BaseFacts, spec: Spec) -> None:
        return None

    def check_lock(self, lock: Lock, lock_path: Path, locked_as: str) -> None:
        return None  # every lock holds the packages the slim runtime pins

    def contribute(self, lock: Lock, spec: Spec) -> Contribution:
        return Contribution()


RUNTIME = SlimRuntime()

#!/usr/bin/env bash
# Idempotent host set-up for gisbox on Debian 12 as root:
#   - a Docker engine (Debian's docker.io) running, and a client that builds with BuildKit;
#   - Podman (Debian's 4.3) with runc, the second engine gisbox drives;
#   - debootstrap, for `gisbox base` when no registry is reachable;
#   - qemu-user-static + binfmt-support: arm64 images built and checked under emulation;
#   - chromium, headless: the tests render `gisbox report`'s page;
#   - .venv with gisbox and its development and documentation tools.
# Safe to run again: it installs and starts only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  apt-get clean  # the downloaded .debs (2.5 GB for everything here): the tests need the disk
}

engine_up() {
  for c in /usr/bin/docker "$(command -v docker || true)"; do
    [ -n "$c" ] && [ -x "$c" ] && "$c" version --format '{{.Server.Version}}' >/dev/null 2>&1 && return 0
  done
  return 1
}

# A client that can build with BuildKit: buildx, or Debian's 20.10 client with BuildKit built in.
if ! { command -v docker >/dev/null && docker buildx version >/dev/null 2>&1; } && [ ! -x /usr/bin/docker ]; then
  log "installing Debian's docker.io (engine + a client with BuildKit built in)"
  apt_install docker.io
fi
if ! engine_up; then
  if ! command -v dockerd >/dev/null; then
    log "installing Debian's docker.io engine"
    apt_install docker.io
  fi
  log "starting dockerd (log: /var/log/gisbox-dockerd.log)"
  (nohup dockerd >/var/log/gisbox-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do engine_up && break; sleep 1; done
  engine_up || { log "dockerd did not come up; see /var/log/gisbox-dockerd.log"; exit 1; }
fi
# Podman: daemonless, nothing to start; runc because crun refuses hybrid cgroup layouts
if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
  log "installing Debian's podman and runc"
  apt_install podman runc uidmap slirp4netns fuse-overlayfs
fi
command -v debootstrap >/dev/null || { log "installing debootstrap"; apt_install debootstrap; }
# arm64 emulation (image.platforms): Debian's qemu-user-static registers qemu-aarch64 with
# binfmt_misc, fix-binary (F) flag included, so it runs inside containers and builds too
if [ ! -x /usr/bin/qemu-aarch64-static ] || ! command -v update-binfmts >/dev/null; then
  log "installing qemu-user-static and binfmt-support (arm64 emulation)"
  apt_install qemu-user-static binfmt-support
fi
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || update-binfmts --import qemu-aarch64
fi
grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 \
  || { log "qemu-aarch64 is not registered with binfmt_misc: arm64 builds cannot run"; exit 1; }
# Debian's registry, for the push tests (started by the tests on 127.0.0.1, never as a service)
command -v docker-registry >/dev/null || { log "installing docker-registry"; apt_install docker-registry; }
# Debian's chromium: the report (gisbox report) is rendered headless in the tests
command -v chromium >/dev/null || { log "installing chromium (headless, for the report's tests)"; apt_install chromium; }

if [ ! -x .venv/bin/python ]; then
  python3 -c 'import sys; assert sys.version_info >= (3, 11)' \
    || { log "gisbox needs Python >= 3.11"; exit 1; }
  python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  log "creating .venv"
  python3 -m venv .venv
fi
log "installing gisbox into .venv"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[dev,docs]'
log "ready: $(.venv/bin/gisbox --version); Docker $(/usr/bin/docker version --format '{{.Server.Version}}' 2>/dev/null || docker version --format '{{.Server.Version}}'); $(podman --version)"

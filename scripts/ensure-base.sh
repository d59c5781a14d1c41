#!/usr/bin/env bash
# Make sure the base image exists: use it, pull it, or make it with `gisbox base`.
set -euo pipefail
cd "$(dirname "$0")/.."
ref="${1:-debian:bookworm-slim}"
docker_bin=/usr/bin/docker; [ -x "$docker_bin" ] || docker_bin=docker
if "$docker_bin" image inspect "$ref" >/dev/null 2>&1; then exit 0; fi
if "$docker_bin" pull -q "$ref" >/dev/null 2>&1; then exit 0; fi
echo "[setup] $ref cannot be pulled: making it from a Debian mirror with \`gisbox base\`" >&2
.venv/bin/gisbox base --tag "$ref"

#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: set up, then lock, build and verify the
# default image (examples/minimal, the `minimal` profile). Prints the build report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
bash scripts/ensure-base.sh debian:bookworm-slim
.venv/bin/gisbox lock -C examples/minimal
.venv/bin/gisbox build -C examples/minimal "$@"

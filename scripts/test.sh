#!/usr/bin/env bash
# The full test suite on a fresh Debian 12 machine: set up, lint, type-check, then pytest
# (unit tests and the integration tests that build and run real images).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
bash scripts/ensure-base.sh debian:bookworm-slim
# a second, newer engine (Debian 13's Docker 26) for what 20.10 cannot show (start interval)
next_host=$(bash scripts/docker-next.sh)
export GISBOX_DOCKER_NEXT="${next_host#DOCKER_HOST=}"
.venv/bin/ruff check src tests bench examples docs
.venv/bin/ruff format --check src tests bench examples docs
.venv/bin/mypy
exec .venv/bin/pytest "$@"

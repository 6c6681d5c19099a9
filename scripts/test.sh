#!/usr/bin/env bash
# Runs the whole test suite on this machine: installs Node 24 and pnpm when
# the machine's Node is older, the Debian registry and the Go-built registries
# and peer clients (cached outside the checkout), then `pnpm test`.
# Extra arguments go to vitest (e.g. a file filter).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
bash scripts/install-test-tools.sh
export EPACK_TOOLS_DIR="${EPACK_TOOLS_DIR:-$HOME/.cache/epack-test-tools}"
export EPACK_SHARED_DIR="${EPACK_SHARED_DIR:-$(cd .. && pwd)/shared}"
pnpm install --frozen-lockfile --reporter=silent
pnpm test "$@"

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
# The spec vectors and samples live in ../shared; a clone made elsewhere (e.g.
# /tmp/x) finds them next to the checkout it was cloned from.
if [[ -z "${EPACK_SHARED_DIR:-}" ]]; then
  EPACK_SHARED_DIR="$(cd .. && pwd)/shared"
  origin="$(git remote get-url origin 2>/dev/null || true)"
  if [[ ! -d "$EPACK_SHARED_DIR" && -n "$origin" && -d "$origin/../shared" ]]; then
    EPACK_SHARED_DIR="$(cd "$origin/.." && pwd)/shared"
  fi
fi
export EPACK_SHARED_DIR
pnpm install --frozen-lockfile --reporter=silent

# vitest's own summary is not a line CI reads, so close with the plain
# "Tests: N passed, N failed, N skipped" from its JSON report.
report="$(mktemp -t epack-vitest-XXXXXX.json)"
trap 'rm -f "$report"' EXIT
status=0
pnpm test --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
if [[ -s "$report" ]]; then
  node -e '
    const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
    if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
  ' "$report" || status=1
fi
exit "$status"

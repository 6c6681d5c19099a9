#!/usr/bin/env bash
# A trust pack of this very project, from evidence that real tools produce now:
#   1. a CycloneDX SBOM of what `epack` ships (@cyclonedx/cyclonedx-npm),
#   2. JUnit XML of a subset of our own unit tests (vitest's junit reporter),
#   3. SARIF of a lint of our sources (ESLint + typescript-eslint + the SARIF formatter);
# then build the pack (and its report), sign it with a throwaway key, push it
# to a local OCI layout (signing the pushed manifest too), discover its
# referrers, pull it back (verified), verify it, and write the report.
#
# Run from anywhere: bash examples/trust-pack/run.sh
#   EPACK_EXAMPLE_OUT         output folder (default ./.tmp/examples/trust-pack, gitignored)
#   EPACK_EXAMPLE_SKIP_BUILD=1  skip `pnpm install` and `pnpm build` (the tests set it)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
OUT="${EPACK_EXAMPLE_OUT:-$ROOT/.tmp/examples/trust-pack}"

step() { printf '\n==> %s  [%ss]\n' "$*" "$SECONDS"; }
run() { printf '$ %s\n' "$*"; "$@"; }
epack() { node "$ROOT/packages/cli/bin/epack.js" "$@"; }

# shellcheck source=../../scripts/bootstrap.sh
source scripts/bootstrap.sh
if [[ "${EPACK_EXAMPLE_SKIP_BUILD:-}" != 1 ]]; then
  step "install and build"
  run pnpm install --frozen-lockfile --reporter=silent
  run pnpm build
fi

rm -rf "$OUT"
mkdir -p "$OUT/keys"
EVIDENCE="$OUT/evidence"
PACK="$OUT/epack-trust.epack"
PULLED="$OUT/pulled.epack"
TAG="sha-$(git rev-parse --short=12 HEAD 2>/dev/null || echo local)"
STORE="oci:$OUT/store:$TAG"

step "evidence from real tools: SBOM, test results, lint results"
run bash examples/trust-pack/collect-evidence.sh "$OUT"
SOURCES=()
while read -r source; do SOURCES+=(--source "$source"); done < "$OUT/sources.txt"

step "a throwaway signing key (ECDSA P-256; never leaves $OUT/keys)"
node -e '
  const { generateKeyPairSync } = require("node:crypto");
  const { writeFileSync } = require("node:fs");
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  writeFileSync(process.argv[1], privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(process.argv[2], publicKey.export({ type: "spki", format: "pem" }));' "$OUT/keys/signing.pem" "$OUT/keys/signing.pub"

step "build the trust pack (and the report of its evidence, beside it)"
run epack build "$PACK" "$EVIDENCE/sbom" "$EVIDENCE/tests" "$EVIDENCE/lint" \
  --stream epack/trust-pack "${SOURCES[@]}" --report "$OUT/build-report"

step "sign the pack (embedded attestation; key signing, no public log)"
run epack sign "$PACK" --key "$OUT/keys/signing.pem" --tlog-upload=false --yes

step "push it to the local OCI layout, signing the pushed manifest too (a Sigstore bundle referrer)"
run epack push "$STORE" "$PACK" --label latest --key "$OUT/keys/signing.pem" --tlog-upload=false

step "discover what refers to it"
run epack discover "$STORE"

step "pull it back: tag resolved once, every byte checked, kept only if a signature verifies"
run epack pull "$STORE" -o "$PULLED" --verify --key "$OUT/keys/signing.pub"
cmp "$PACK" "$PULLED" && echo "the pulled pack is byte-identical to the pushed one"

step "verify the pulled pack"
run epack verify "$PULLED" --key "$OUT/keys/signing.pub"

step "the report, with the signatures verified against the key"
run epack report "$STORE" -o "$OUT/report" --key "$OUT/keys/signing.pub"

step "done"
echo "pack:   $PACK"
echo "report: $OUT/report/index.html"

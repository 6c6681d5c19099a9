#!/usr/bin/env bash
# The main job end to end, on a local OCI image layout (no server needed):
#   build a pack from examples/demo-evidence -> sign it -> push it to
#   oci:./demo-out/store -> sign the pushed artifact (referrer) -> discover ->
#   pull --verify -> verify -> report.
# Installs what it needs first (Node 24 and pnpm into ~/.cache/epack when the
# machine's Node is older, then the workspace). Everything lands in ./demo-out.
#   EPACK_DEMO_OUT    output folder (default ./demo-out)
#   EPACK_DEMO_SKIP_INSTALL=1   skip pnpm install and build (tests)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
OUT="${EPACK_DEMO_OUT:-$ROOT/demo-out}"

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then BOLD=$'\033[1m'; DIM=$'\033[2m'; RESET=$'\033[0m'; else BOLD=''; DIM=''; RESET=''; fi
step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$RESET"; }
run() { printf '%s$ %s%s\n' "$DIM" "$*" "$RESET"; "$@"; }
epack() { node "$ROOT/packages/cli/bin/epack.js" "$@"; }

# shellcheck source=bootstrap.sh
source scripts/bootstrap.sh
if [[ "${EPACK_DEMO_SKIP_INSTALL:-}" != 1 ]]; then
  step "install and build"
  run pnpm install --frozen-lockfile --reporter=silent
  run pnpm build
fi

rm -rf "$OUT"
mkdir -p "$OUT"
STORE="oci:$OUT/store"
PACK="$OUT/evidence.epack"
PULLED="$OUT/pulled.epack"

step "a throwaway signing key (ECDSA P-256)"
node -e '
  const { generateKeyPairSync } = require("node:crypto");
  const { writeFileSync } = require("node:fs");
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  writeFileSync(process.argv[1], privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(process.argv[2], publicKey.export({ type: "spki", format: "pem" }));' "$OUT/demo-key.pem" "$OUT/demo-key.pub"
echo "wrote $OUT/demo-key.pem and $OUT/demo-key.pub"

step "build a pack from examples/demo-evidence (SBOM, SARIF, JUnit, posture)"
run epack build "$PACK" examples/demo-evidence --stream acme/demo --source syft@1.18.0 --source semgrep@1.99.0

step "sign the pack (embedded attestation; key signing, no public log)"
run epack sign "$PACK" --key "$OUT/demo-key.pem" --tlog-upload=false --yes

step "push it to the local OCI layout"
run epack push "$STORE:demo" "$PACK" --label latest

step "sign the pushed artifact (a cosign-style Sigstore bundle referrer)"
run epack sign "$STORE:demo" --key "$OUT/demo-key.pem" --tlog-upload=false --yes

step "discover what refers to it"
run epack discover "$STORE:demo"

step "verify the signature on the pushed artifact (tag resolved once, referrers by digest)"
run epack verify "$STORE:demo" --key "$OUT/demo-key.pub"

step "inspect it in place (reads the OCI manifest and manifest.json only)"
run epack inspect "$STORE:latest"

step "pull it (tag resolved once, then everything by digest; kept only if its signature verifies)"
run epack pull "$STORE:demo" -o "$PULLED" --verify --key "$OUT/demo-key.pub"
cmp "$PACK" "$PULLED"
echo "pulled pack is byte-identical to the pushed one"

step "verify the pulled pack"
run epack verify "$PULLED" --key "$OUT/demo-key.pub"

step "report"
run epack report "$PULLED" -o "$OUT/report"

step "done"
echo "everything is in $OUT"

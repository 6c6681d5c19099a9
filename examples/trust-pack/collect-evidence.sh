#!/usr/bin/env bash
# Produces this project's evidence with real tools, into <out>:
#   <out>/evidence/sbom/epack-cli.cdx.json  CycloneDX 1.6 SBOM of what @epack/cli ships (@cyclonedx/cyclonedx-npm)
#   <out>/evidence/tests/junit.xml          JUnit XML of a fast subset of our unit tests (vitest)
#   <out>/evidence/lint/eslint.sarif        SARIF 2.1.0 of ESLint on packages/*/src (typescript-eslint)
#   <out>/sources.txt                       the tools that ran, name@version, one a line (for --source)
# Needs `pnpm install` (and Node/pnpm on PATH). Used by run.sh and by the
# GitHub Actions workflow, so both pack the same evidence.
#
# Usage: bash examples/trust-pack/collect-evidence.sh <out>
set -euo pipefail
if [[ $# -ne 1 ]]; then echo "usage: $0 <out>" >&2; exit 2; fi
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
cd "$(dirname "$0")/../.."
ROOT="$PWD"
EXAMPLES_MODULES="$ROOT/examples/node_modules"
EVIDENCE="$OUT/evidence"
rm -rf "$EVIDENCE" "$OUT/deploy"
mkdir -p "$EVIDENCE/sbom" "$EVIDENCE/tests" "$EVIDENCE/lint"

run() { printf '[%ss] $ %s\n' "$SECONDS" "$*"; "$@"; }
# The version of a package as installed (what actually runs).
version_of() { node -p "require('$1/package.json').version"; }

# --- SBOM -------------------------------------------------------------------
# cyclonedx-npm reads the dependency tree with `npm ls`, which does not
# understand pnpm's symlinked node_modules (it reports thousands of "missing"
# packages). `pnpm deploy --prod` installs exactly the locked production
# dependencies of @epack/cli into an npm-style (hoisted) folder; `workspace:`
# ranges are then written as the version they publish as, as `pnpm publish`
# does. Nothing is resolved anew: the versions are those of pnpm-lock.yaml.
DEPLOY="$OUT/deploy"
run pnpm --filter @epack/cli deploy --legacy --prod --prefer-offline --config.node-linker=hoisted "$DEPLOY" --reporter=silent
node -e '
  const fs = require("node:fs");
  const [file, version] = process.argv.slice(1);
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const [name, range] of Object.entries(pkg.dependencies ?? {}))
    if (range.startsWith("workspace:")) pkg.dependencies[name] = version;
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");' "$DEPLOY/package.json" "$(version_of "$ROOT/packages/oci-pack")"
# cyclonedx-npm runs the npm named by $npm_execpath; under `pnpm test` that is
# pnpm, whose `ls` takes other flags. Point it at the real npm.
(cd "$DEPLOY" && unset npm_execpath && run "$EXAMPLES_MODULES/.bin/cyclonedx-npm" --omit dev --spec-version 1.6 \
  --output-reproducible --output-file "$EVIDENCE/sbom/epack-cli.cdx.json")
rm -rf "$DEPLOY"

# --- test results -----------------------------------------------------------
# vitest's own variables are unset so this also works inside a vitest test.
run env -u VITEST -u VITEST_MODE -u VITEST_POOL_ID -u VITEST_WORKER_ID -u TEST -u NODE_ENV \
  "$ROOT/node_modules/.bin/vitest" run --root "$ROOT" \
  packages/oci-pack/test/pack/jcs.test.ts packages/oci-pack/test/pack/json.test.ts \
  --reporter=junit --outputFile="$EVIDENCE/tests/junit.xml"

# --- lint results -----------------------------------------------------------
# ESLint exits 1 when it has findings (they are the evidence) and 2 when it failed.
SARIF_FORMATTER="$(node -p "require.resolve('$EXAMPLES_MODULES/@microsoft/eslint-formatter-sarif')")"
status=0
run "$EXAMPLES_MODULES/.bin/eslint" --config examples/trust-pack/eslint.config.js \
  --format "$SARIF_FORMATTER" --output-file "$EVIDENCE/lint/eslint.sarif" 'packages/*/src/**/*.ts' || status=$?
if (( status > 1 )); then echo "eslint failed (exit $status)" >&2; exit "$status"; fi

cat > "$OUT/sources.txt" <<EOF
@cyclonedx/cyclonedx-npm@$(version_of "$EXAMPLES_MODULES/@cyclonedx/cyclonedx-npm")
vitest@$(version_of "$ROOT/node_modules/vitest")
eslint@$(version_of "$EXAMPLES_MODULES/eslint")
typescript-eslint@$(version_of "$EXAMPLES_MODULES/typescript-eslint")
@microsoft/eslint-formatter-sarif@$(version_of "$EXAMPLES_MODULES/@microsoft/eslint-formatter-sarif")
EOF
echo "evidence in $EVIDENCE"

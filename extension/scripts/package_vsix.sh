#!/usr/bin/env bash
# Builds the extension's bundles (npm run build) and packages dist/specpilot-<version>.vsix with
# @vscode/vsce, without dependencies: the esbuild bundle carries what it needs, and .vscodeignore
# keeps only package.json, README/LICENSE, extension/dist/*.js and extension/media/**.
#   extension/scripts/package_vsix.sh [--no-build]
# vsce 4.x needs Node >= 22: the `node` of $NODE_HOME/bin, else the one on PATH.
# The last line printed is the path of the .vsix.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
if [[ -n "${NODE_HOME:-}" ]]; then
  export PATH="$NODE_HOME/bin:$PATH"
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
if (( major < 22 )); then
  echo "package_vsix: @vscode/vsce 4 needs Node >= 22, the node on PATH is $(node --version) (set NODE_HOME)" >&2
  exit 1
fi
if [[ ! -x node_modules/.bin/vsce ]]; then
  echo "package_vsix: node_modules/.bin/vsce is missing: run npm ci first" >&2
  exit 1
fi

if [[ "${1:-}" != "--no-build" ]]; then
  node extension/scripts/build.mjs
fi
for bundle in extension/dist/extension.js extension/dist/webview.js; do
  if [[ ! -s "$bundle" ]]; then
    echo "package_vsix: $bundle is missing (the build did not make it)" >&2
    exit 1
  fi
done

version="$(node -p 'require("./package.json").version')"
name="$(node -p 'require("./package.json").name')"
out="dist/$name-$version.vsix"
mkdir -p dist
rm -f "$out"
# The extension's own README (the repository's links images by relative paths, which vsce refuses).
node_modules/.bin/vsce package --no-dependencies --skip-license --readme-path extension/README.md --out "$out" >&2
echo "packaged $out ($(stat -c %s "$out") bytes):" >&2
node_modules/.bin/vsce ls --no-dependencies | sed 's/^/  /' >&2
echo "$out"

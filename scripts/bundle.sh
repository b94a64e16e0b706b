#!/usr/bin/env bash
# Bundles the CLI (cli/main.ts and everything it imports, npm packages included) into dist/deno/<version>/, which the
# `tsbuild` wrapper runs instead of the ~200 source modules while no source is newer than the bundle. Loading one
# main chunk instead of the module graph takes ~20 ms instead of ~55 ms, and a no-change build is mostly start-up.
# Code splitting keeps what cli/main.ts imports lazily (the build, ssh2, the image commands) out of the first load.
#
# Each bundle gets its own directory and `dist/deno/current` names the newest: a build that is running keeps loading its
# lazy chunks from its own directory while a new bundle is written. Older directories go after a day.
set -euo pipefail
root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=dist/deno
mkdir -p "$out"
# --if-stale: keep the current bundle when no source is newer than it (the wrapper's own rule).
. "$root/scripts/bundle_fresh.sh"
if [ "${1:-}" = --if-stale ] && bundle_fresh "$root"; then
  echo "${bundle_main#"$root/"}"
  exit 0
fi
version=$(date -u +%Y%m%dT%H%M%S)-$$
tmp=$out/.tmp-$version
rm -rf "$tmp" && mkdir -p "$tmp"
# Sources are compared against this stamp, written before the bundler reads them: an edit made while bundling
# makes the bundle stale rather than silently missing.
touch "$tmp/.stamp"
node_modules/.bin/deno bundle --quiet --platform deno --external ssh2 --code-splitting --outdir "$tmp" cli/main.ts >/dev/null
[ -f "$tmp/main.js" ] || { echo "bundle.sh: deno bundle wrote no main.js" >&2; exit 1; }
node_modules/.bin/deno run --quiet --allow-read="$tmp" --allow-write="$tmp" scripts/bundle_patch.ts "$tmp"
chmod -R a+rX "$tmp"
mv "$tmp" "$out/$version"
echo "$version" >"$out/.current.tmp-$$"
mv "$out/.current.tmp-$$" "$out/current"
chmod a+rx dist "$out" && chmod a+r "$out/current"
find "$out" -mindepth 1 -maxdepth 1 -type d ! -name "$version" -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
echo "$out/$version/main.js"

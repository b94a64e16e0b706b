#!/bin/sh
# Runs `deno test -A <paths>` as the unprivileged user tsbuild-test inside the user + mount namespace tsbuild itself
# uses, from a world-readable copy of the repo (the checkout sits under root-owned dirs the user cannot enter).
# Usage (as root): test/util/in_namespace.sh executor/ runtime/
# Env: TSBUILD_TEST_USER (default tsbuild-test).
set -eu
user="${TSBUILD_TEST_USER:-tsbuild-test}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
[ "$#" -gt 0 ] || { echo "usage: $0 <test paths relative to the repo>..." >&2; exit 2; }
tmp="$(mktemp -d /tmp/tsbuild-ns-test.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT INT TERM
chmod 755 "$tmp"
# node_modules holds the project's Deno binary and npm packages; copy it too (a symlink would lead back under /work).
tar -C "$repo" --exclude=.git --exclude=.tsbuild-test -cf - . | tar -C "$tmp" -xf -
mkdir -p "$tmp/.home" "$tmp/.tmp"
chown -R "$user" "$tmp/.home" "$tmp/.tmp"
chmod -R a+rX "$tmp"
quoted=""
for p in "$@"; do quoted="$quoted '$(printf %s "$p" | sed "s/'/'\\\\''/g")'"; done
su "$user" -s /bin/sh -c "cd '$tmp' && HOME='$tmp/.home' TMPDIR='$tmp/.tmp' DENO_DIR='$tmp/.home/deno' \
  unshare --user --map-root-user --map-auto --mount --fork \
  env TSBUILD_IN_NAMESPACE=1 node_modules/.bin/deno test -A $quoted"

#!/usr/bin/env bash
# Differential check of tsbuild against BuildKit (Debian's dockerd 20.10) on the Dockerfiles under
# test/e2e/parity/<case>/. Per case: both tools build the same context with the same busybox base from a local
# registry; the images (BuildKit's through `docker save`, tsbuild's through --output type=docker) are compared by
# bench/parity_compare.py (config, history, layer count, each layer's file tree; mtimes where the context's are
# kept). Cases with a file `fails` compare exit status and the error line instead.
# A case dir may hold: Dockerfile, context files, `args` (one docker-build argument a line: --target x,
# --build-arg K=V), `setup.sh` (run in the copied context, e.g. to make tars), `Dockerfile.pre` (built and pushed
# first by each tool; its ref reaches the case as build-arg PRE), `fails`.
# Run as root; needs docker.io (not part of scripts/install.sh). Usage: bash bench/parity.sh [case...]
# Env: PARITY_KEEP=1 keeps the work dir (images, logs).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cases_dir=$root/test/e2e/parity
docker=/usr/bin/docker
deno=$root/node_modules/.bin/deno
command -v dockerd >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null; }
work=$(mktemp -d /tmp/tsbuild-parity.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  [ -f "$work/docker/pid" ] && kill "$(cat "$work/docker/pid")" 2>/dev/null
  for _ in $(seq 100); do [ -f "$work/docker/pid" ] || break; sleep 0.1; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ "${PARITY_KEEP:-}" = 1 ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# registry, http server (for ADD <url>), dockerd
reg=127.0.0.1:$(freeport)
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s/registry\nhttp:\n  addr: %s\n' "$work" "$reg" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
http_port=$(freeport)
mkdir -p "$work/www/sub" && printf 'served file\n' >"$work/www/file.txt" && printf '#!/bin/sh\necho hi\n' >"$work/www/sub/tool.sh"
touch -d '2021-03-04 05:06:07 UTC' "$work/www/file.txt" "$work/www/sub/tool.sh"
(cd "$work/www" && exec python3 -m http.server --bind 127.0.0.1 "$http_port" >"$work/http.log" 2>&1) &
pids+=($!)
mkdir -p "$work/docker"
dockerd --bridge=none --iptables=false --ip-masq=false --data-root "$work/docker/data" --exec-root "$work/docker/exec" \
  --pidfile "$work/docker/pid" --host "unix://$work/docker/docker.sock" --insecure-registry "$reg" >"$work/docker/log" 2>&1 &
pids+=($!)
D=("$docker" -H "unix://$work/docker/docker.sock")
for _ in $(seq 600); do "${D[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
sleep 0.5
base=$("$deno" run -A --quiet "$root/scripts/push_busybox.ts" "$reg" busybox latest) || { echo "cannot push base" >&2; exit 1; }
url=http://127.0.0.1:$http_port
# `--build-arg NAME` without a value takes it from the environment (case args-scope).
export PARITY_ENV=from-process-env

cases=("$@")
[ "${#cases[@]}" -gt 0 ] || cases=($(ls "$cases_dir"))
failed=0
for c in "${cases[@]}"; do
  src=$cases_dir/$c
  [ -f "$src/Dockerfile" ] || { echo "no case $c" >&2; continue; }
  ctx=$work/ctx/$c
  mkdir -p "$ctx" && cp -a "$src/." "$ctx/"
  rm -f "$ctx/args" "$ctx/fails"
  [ -f "$ctx/setup.sh" ] && (cd "$ctx" && bash ./setup.sh) && rm "$ctx/setup.sh"
  chmod -R a+rX "$ctx"
  # A fixed mtime on everything in the context shows where a tool keeps context mtimes.
  find "$ctx" -exec touch -h -d '2020-01-02 03:04:05 UTC' {} +
  args=(--build-arg "BASE=$base" --build-arg "URL=$url")
  # @CTX@ in an args line is the copied context's path (for --secret src=..., -f ...).
  [ -f "$src/args" ] && while IFS= read -r a; do [ -n "$a" ] && args+=("${a//@CTX@/$ctx}"); done <"$src/args"
  out=$work/out/$c && mkdir -p "$out"
  bargs=("${args[@]}") targs=("${args[@]}")
  if [ -f "$src/Dockerfile.pre" ]; then
    DOCKER_BUILDKIT=1 "${D[@]}" build -q --network host "${args[@]}" -f "$ctx/Dockerfile.pre" -t "$reg/pre/buildkit-$c" "$ctx" >/dev/null &&
      "${D[@]}" push -q "$reg/pre/buildkit-$c" >/dev/null
    "$root/tsbuild" build --root "$work/store" --progress plain "${args[@]}" -f "$ctx/Dockerfile.pre" -t "$reg/pre/tsbuild-$c" --push "$ctx" >"$out/tsbuild-pre.log" 2>&1
    bargs+=(--build-arg "PRE=$reg/pre/buildkit-$c") targs+=(--build-arg "PRE=$reg/pre/tsbuild-$c")
  fi
  DOCKER_BUILDKIT=1 "${D[@]}" build --progress plain --network host "${bargs[@]}" -t "parity/$c" "$ctx" >"$out/buildkit.log" 2>&1
  brc=$?
  "$root/tsbuild" build --root "$work/store" --progress plain "${targs[@]}" --output "type=docker,dest=$out/tsbuild.tar" "$ctx" >"$out/tsbuild.log" 2>&1
  trc=$?
  if [ -f "$src/fails" ]; then
    bmsg=$(grep -v '^ *$' "$out/buildkit.log" | tail -1)
    tmsg=$(grep -E '^(ERROR|Dockerfile:)' "$out/tsbuild.log" | tail -1)
    if [ "$brc" = 0 ] || [ "$trc" = 0 ]; then
      echo "DIFF $c: exit buildkit=$brc tsbuild=$trc"; failed=1
    else
      echo "SAME? $c (both failed: exit buildkit=$brc tsbuild=$trc; compare messages)"
    fi
    printf '  buildkit: %s\n  tsbuild:  %s\n' "$bmsg" "$tmsg"
    continue
  fi
  if [ "$brc" != 0 ] || [ "$trc" != 0 ]; then
    echo "DIFF $c: exit buildkit=$brc tsbuild=$trc"; failed=1
    [ "$brc" != 0 ] && tail -5 "$out/buildkit.log" | sed 's/^/  buildkit: /'
    if [ "$brc" = 0 ]; then
      "${D[@]}" save -o "$out/buildkit.tar" "parity/$c" && python3 "$root/bench/parity_compare.py" --list "$out/buildkit.tar" | sed 's/^/  buildkit made: /' | head -40
    fi
    [ "$trc" != 0 ] && tail -5 "$out/tsbuild.log" | sed 's/^/  tsbuild: /'
    continue
  fi
  "${D[@]}" save -o "$out/buildkit.tar" "parity/$c"
  if python3 "$root/bench/parity_compare.py" "$out/buildkit.tar" "$out/tsbuild.tar" --mtime 1577934245 >"$out/diff"; then
    echo "SAME $c$(sed "s/^ */ /" "$out/diff")"
  else
    echo "DIFF $c"; cat "$out/diff"; failed=1
  fi
done
exit $failed

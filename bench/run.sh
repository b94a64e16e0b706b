#!/usr/bin/env bash
# Benchmarks tsbuild against BuildKit (dockerd 20.10, rootless and root) and Buildah on the workloads of issue #4,
# per phase: cold, no change, one file changed, push. Measures wall time, CPU (user+sys) and peak RSS with
# /usr/bin/time -v, and prints tsbuild/anchor ratios. Run as root on a scratch machine: it installs docker.io,
# buildah, rootlesskit, time and debootstrap itself (never part of scripts/install.sh).
# Usage: bash bench/run.sh [workload...]   Env: BENCH_TOOLS="tsbuild tsbuild-rootless buildkit buildkit-rootless buildah"
#   BENCH_RUNS=N (default 1): each workload's phase sequence N times per tool, tools interleaved run by run; the
#   summary reports medians (bench/summary.py), since single runs on this machine vary by 20-30 %.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
user=${TSBUILD_TEST_USER:-tsbuild-test}
tools=(${BENCH_TOOLS:-tsbuild tsbuild-rootless buildkit buildkit-rootless buildah})
workloads=("$@")
[ "${#workloads[@]}" -gt 0 ] || workloads=(two-stage ctx-20k parallel-4 big-512m cache-mount apt-debian)
work=$(mktemp -d /tmp/tsbuild-bench.XXXXXX)
chmod 755 "$work"
results=$work/results.tsv
# Debian's 20.10 client (BuildKit client built in); another `docker` may come first on PATH.
docker=/usr/bin/docker
# Every measured command is bounded; a hung build shows as FAIL instead of stalling the run.
timeout_s=${BENCH_TIMEOUT:-900}
log() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }

need() { # apt packages for the anchors
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
  [ "${#missing[@]}" -eq 0 ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }
}
need time debootstrap
[[ " ${tools[*]} " == *" buildkit"* ]] && need docker.io rootlesskit
[[ " ${tools[*]} " == *" buildah "* ]] && need buildah
bash "$root/scripts/install.sh" >/dev/null

# --- a registry for bases and pushes -------------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s/registry\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n' \
  "$work" "$reg" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids=($!)
cleanup() {
  # dockerd first (by its pid file: the rootless one runs below runuser and rootlesskit), so it stops its
  # containerd; then what this script started itself (registry, runuser/rootlesskit).
  for f in "$work"/docker-*/pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  for _ in $(seq 100); do ls "$work"/docker-*/pid >/dev/null 2>&1 || break; sleep 0.1; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # Stores and contexts are large; keep only the results unless BENCH_KEEP=1.
  [ -f "$results" ] && cp "$results" "/tmp/tsbuild-bench-$(date +%Y%m%d-%H%M%S).tsv"
  [ "${BENCH_KEEP:-}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
sleep 1
deno=$root/node_modules/.bin/deno
busybox=$("$deno" run -A --quiet "$root/scripts/push_busybox.ts" "$reg" busybox latest)

debian_base() { # debootstrap minbase once, pushed with umoci+skopeo (not our code)
  [ -f "$work/debian.pushed" ] && return
  log "debootstrap bookworm minbase"
  debootstrap --variant=minbase bookworm "$work/debian-rootfs" http://deb.debian.org/debian >/dev/null
  umoci init --layout "$work/debian-layout" && umoci new --image "$work/debian-layout:latest"
  umoci unpack --image "$work/debian-layout:latest" "$work/debian-bundle" >/dev/null
  rm -rf "$work/debian-bundle/rootfs" && mv "$work/debian-rootfs" "$work/debian-bundle/rootfs"
  umoci repack --image "$work/debian-layout:latest" "$work/debian-bundle"
  umoci config --image "$work/debian-layout:latest" --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.cmd bash
  skopeo copy --quiet --dest-tls-verify=false "oci:$work/debian-layout:latest" "docker://$reg/debian:bookworm"
  touch "$work/debian.pushed"
}

# --- workloads: a context dir each; `touch_one` is the file the "one file changed" phase edits ---------------
make_workload() { # name → $work/ctx/<name>
  local d=$work/ctx/$1
  rm -rf "$d" && mkdir -p "$d"
  case $1 in
    two-stage)
      cp "$root/examples/hello/"* "$d/" && echo greet.sh >"$d/.touch" ;;
    ctx-20k)
      # 20 000 files of 5 KB random bytes (~100 MB, incompressible as source trees are not) in 200 nested dirs.
      python3 -c 'import os,sys
for i in range(200):
    p=os.path.join(sys.argv[1],"src",str(i//20),str(i)); os.makedirs(p)
    for j in range(100): open(os.path.join(p,"%d.txt" % j),"wb").write(os.urandom(5120))' "$d"
      printf 'ARG BASE\nFROM ${BASE}\nCOPY . /ctx\nRUN find /ctx -type f | wc -l\n' >"$d/Dockerfile"
      echo src/0/7/7.txt >"$d/.touch" ;;
    parallel-4)
      { echo 'ARG BASE'; for s in a b c d; do printf 'FROM ${BASE} AS %s\nCOPY in.txt /\nRUN i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo %s > /out\n' "$s" "$s"; done
        echo 'FROM ${BASE}'; for s in a b c d; do echo "COPY --from=$s /out /out-$s"; done; } >"$d/Dockerfile"
      echo in >"$d/in.txt" && echo in.txt >"$d/.touch" ;;
    big-512m)
      printf 'ARG BASE\nFROM ${BASE}\nCOPY in.txt /\nRUN dd if=/dev/urandom of=/big bs=1M count=512 2>/dev/null\n' >"$d/Dockerfile"
      echo in >"$d/in.txt" && echo in.txt >"$d/.touch" ;;
    cache-mount)
      printf 'ARG BASE\nFROM ${BASE}\nCOPY in.txt /\nRUN --mount=type=cache,target=/cache [ -f /cache/big ] || dd if=/dev/urandom of=/cache/big bs=1M count=64 2>/dev/null; md5sum /cache/big > /sum\n' >"$d/Dockerfile"
      echo in >"$d/in.txt" && echo in.txt >"$d/.touch" ;;
    apt-debian)
      debian_base
      printf 'ARG BASE\nFROM ${BASE}\nCOPY in.txt /\nRUN apt-get update -qq && apt-get install -y -qq --no-install-recommends jq >/dev/null && jq --version\n' >"$d/Dockerfile"
      echo in >"$d/in.txt" && echo in.txt >"$d/.touch" ;;
  esac
  chmod -R a+rX "$d"
}
base_for() { [ "$1" = apt-debian ] && echo "$reg/debian:bookworm" || echo "$busybox"; }

# --- tools: build <ctx> <tag> [push], clean ------------------------------------------------------------------
dockerd_up() { # $1 = root|rootless
  local mode=$1 dir=$work/docker-$1
  [ -S "$dir/docker.sock" ] && return
  mkdir -p "$dir" && chmod 755 "$dir"
  [ "$mode" = rootless ] && chown "$user" "$dir"
  local args=(--bridge=none --iptables=false --ip-masq=false --data-root "$dir/data" --exec-root "$dir/exec"
    --pidfile "$dir/pid" --host "unix://$dir/docker.sock" --insecure-registry "$reg")
  if [ "$mode" = root ]; then
    dockerd "${args[@]}" >"$dir/log" 2>&1 &
  else
    # copy-up leaves symlinks to the host's /run entries; the root dockerd's /run/docker must not be shared
    # (dockerd-rootless.sh removes them the same way).
    runuser -u "$user" -- env XDG_RUNTIME_DIR="$dir" HOME="$dir" \
      rootlesskit --net=host --copy-up=/etc --copy-up=/run sh -c \
        'rm -f /run/docker /run/containerd /run/xtables.lock; exec dockerd --rootless "$@"' sh "${args[@]}" >"$dir/log" 2>&1 &
  fi
  pids+=($!)
  for _ in $(seq 600); do [ -S "$dir/docker.sock" ] && $docker -H "unix://$dir/docker.sock" version >/dev/null 2>&1 && return; sleep 0.1; done
  log "dockerd ($mode) did not come up in 60 s:"; tail -20 "$dir/log" >&2; return 1
}
tool_build() { # tool ctx tag push(0/1)
  local t=$1 ctx=$2 tag=$3 push=$4 base
  base=$(base_for "$(basename "$ctx")")
  case $t in
    tsbuild) "$root/tsbuild" build --root "$work/store-root" --build-arg "BASE=$base" -t "$tag" $([ "$push" = 1 ] && echo --push) "$ctx" ;;
    tsbuild-rootless) runuser -u "$user" -- env -i PATH="$PATH" HOME="$work/home-$user" "$work/project/tsbuild" build \
      --root "$work/store-user" --build-arg "BASE=$base" -t "$tag" $([ "$push" = 1 ] && echo --push) "$ctx" ;;
    buildkit | buildkit-rootless)
      local mode=root; [ "$t" = buildkit-rootless ] && mode=rootless
      DOCKER_BUILDKIT=1 $docker -H "unix://$work/docker-$mode/docker.sock" build -q --network host --build-arg "BASE=$base" -t "$tag" "$ctx" >/dev/null
      if [ "$push" = 1 ]; then $docker -H "unix://$work/docker-$mode/docker.sock" push -q "$tag" >/dev/null; fi ;;
    buildah)
      buildah --root "$work/buildah/root" --runroot "$work/buildah/run" build -q --layers --isolation oci --network host \
        --tls-verify=false --build-arg "BASE=$base" -t "$tag" "$ctx" >/dev/null
      if [ "$push" = 1 ]; then buildah --root "$work/buildah/root" --runroot "$work/buildah/run" push --tls-verify=false "$tag" "docker://$tag" >/dev/null; fi ;;
  esac
}
tool_clean() {
  case $1 in
    tsbuild) rm -rf "$work/store-root" ;;
    tsbuild-rootless) rm -rf "$work/store-user"; mkdir -p "$work/store-user" "$work/home-$user"; chown "$user" "$work/store-user" "$work/home-$user" ;;
    buildkit | buildkit-rootless) local m=root; [ "$1" = buildkit-rootless ] && m=rootless
      [ -S "$work/docker-$m/docker.sock" ] && $docker -H "unix://$work/docker-$m/docker.sock" builder prune -af >/dev/null 2>&1 &&
        $docker -H "unix://$work/docker-$m/docker.sock" image prune -af >/dev/null 2>&1 || true ;;
    buildah) rm -rf "$work/buildah" ;;
  esac
}
# The user's own copy of the project (the checkout may sit under root-only dirs).
mkdir -p "$work/project" && tar -C "$root" --exclude=.git -cf - . | tar -C "$work/project" -xf - && chmod -R a+rX "$work/project"

# --- measurement: /usr/bin/time -v on the client; for dockerd the daemon's CPU comes from /proc ----------------
measure() { # tool workload phase cmd...
  local t=$1 w=$2 ph=$3 out=$work/time.txt wall cpu rss dcpu0 dcpu1 dpid=""
  shift 3
  case $t in buildkit) dpid=$(cat "$work/docker-root/pid" 2>/dev/null || true) ;; buildkit-rootless) dpid=$(cat "$work/docker-rootless/pid" 2>/dev/null || true) ;; esac
  daemon_cpu() { [ -n "$dpid" ] && awk '{print $14+$15+$16+$17}' "/proc/$dpid/stat" 2>/dev/null || echo 0; }
  dcpu0=$(daemon_cpu)
  # /usr/bin/time runs a program, not a shell function: go through bash with the functions exported.
  if ! /usr/bin/time -v -o "$out" timeout -k 10 "$timeout_s" bash -c '"$@"' bash "$@" >"$work/last.log" 2>&1; then
    log "FAILED: $t $w $ph (see $work/last.log)"; tail -5 "$work/last.log" >&2; printf '%s\t%s\t%s\tFAIL\tFAIL\tFAIL\n' "$t" "$w" "$ph" >>"$results"; return
  fi
  dcpu1=$(daemon_cpu)
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$out")
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$out")
  cpu=$(awk -v c="$cpu" -v d=$((dcpu1 - dcpu0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", c + d/hz}')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$w" "$ph" "$wall" "$cpu" "$rss" >>"$results"
  log "$t $w $ph: wall ${wall}s cpu ${cpu}s rss ${rss}KB"
}

export work root user reg busybox docker
export -f tool_build base_for

printf 'tool\tworkload\tphase\twall_s\tcpu_s\tpeak_rss_kb\n' >"$results"
runs=${BENCH_RUNS:-1}
for w in "${workloads[@]}"; do
  make_workload "$w"
  ctx=$work/ctx/$w
  for run in $(seq "$runs"); do
    for t in "${tools[@]}"; do
      up=0; case $t in buildkit) dockerd_up root || up=1 ;; buildkit-rootless) dockerd_up rootless || up=1 ;; esac
      if [ "$up" = 1 ]; then
        for ph in cold no-change one-file-changed push; do printf '%s\t%s\t%s\tFAIL\tFAIL\tFAIL\n' "$t" "$w" "$ph" >>"$results"; done
        continue
      fi
      tool_clean "$t"
      tag=$reg/bench/$w:$t
      measure "$t" "$w" cold tool_build "$t" "$ctx" "$tag" 0
      measure "$t" "$w" no-change tool_build "$t" "$ctx" "$tag" 0
      echo "# changed $(date +%s%N)" >>"$ctx/$(cat "$ctx/.touch")" # a comment: harmless in scripts and data
      measure "$t" "$w" one-file-changed tool_build "$t" "$ctx" "$tag" 0
      measure "$t" "$w" push tool_build "$t" "$ctx" "$tag" 1
    done
  done
done

echo
python3 "$root/bench/summary.py" "$results"
echo "raw results: /tmp/tsbuild-bench-<date>.tsv (written on exit)"

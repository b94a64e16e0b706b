#!/usr/bin/env bash
# The whole test suite, as root: install, unit + end-to-end tests (one `deno test` run per top-level folder, so a
# folder that fails to load cannot hide the others' results), then the unprivileged pass inside the user namespace.
# Ends with exactly `N passed, N failed` and exits non-zero on any failure.
# Env: TSBUILD_TEST_FOLDERS (default: every top-level folder with tests), TSBUILD_NS_TEST_PATHS (namespace pass),
#      TSBUILD_SKIP_INSTALL=1, TSBUILD_TEST_TIMEOUT (per run, default 15m).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export NO_COLOR=1
# The shared corpora sit beside the checkout (../shared); a clone made elsewhere from a local checkout finds them
# beside the checkout it came from.
if [ -z "${TSBUILD_SHARED_DIR:-}" ] && [ ! -d "$root/../shared/conformance" ]; then
  origin=$(git -C "$root" remote get-url origin 2>/dev/null || true)
  if [ -n "$origin" ] && [ -d "$origin/../shared/conformance" ]; then
    TSBUILD_SHARED_DIR=$(cd "$origin/../shared" && pwd)
    export TSBUILD_SHARED_DIR
  fi
fi
deno=$root/node_modules/.bin/deno

if [ "${TSBUILD_SKIP_INSTALL:-}" != 1 ]; then
  bash scripts/install.sh || { echo "0 passed, 1 failed"; exit 1; }
fi

passed=0
failed=0
logdir=$(mktemp -d /tmp/tsbuild-test-logs.XXXXXX)
summary=()

# Adds one deno run's counts to the totals; a run that printed no summary (crash, type error, missing module)
# counts as one failure so it cannot pass silently.
tally() { # name log exit-code
  local line p f
  line=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$2" | tail -1)
  if [ -n "$line" ]; then
    p=$(sed -E 's/^[A-Za-z]+ \| ([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$line")
  else
    p=0
    f=1
  fi
  [ "$3" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  passed=$((passed + p))
  failed=$((failed + f))
  summary+=("$(printf '%-28s %4d passed %4d failed' "$1" "$p" "$f")")
}

run() { # name command...
  local name=$1 log
  shift
  log=$logdir/$(tr '/ ' '__' <<<"$name").log
  echo "=== $name: $*"
  timeout "${TSBUILD_TEST_TIMEOUT:-15m}" "$@" 2>&1 | tee "$log"
  tally "$name" "$log" "${PIPESTATUS[0]}"
}

if [ -n "${TSBUILD_TEST_FOLDERS:-}" ]; then
  read -r -a folders <<<"$TSBUILD_TEST_FOLDERS"
else
  folders=()
  for d in */; do
    d=${d%/}
    case $d in node_modules | dist | examples | bench | scripts) continue ;; esac
    [ -n "$(find "$d" -name '*_test.ts' -not -path '*/node_modules/*' -print -quit)" ] && folders+=("$d")
  done
  # Root-level test files, if any.
  compgen -G '*_test.ts' >/dev/null && folders+=(*_test.ts)
fi

for d in "${folders[@]}"; do
  run "$d (root)" "$deno" test -A --quiet "$d"
done

# Unprivileged pass: the same code as tsbuild-test inside its user namespace (test/util/in_namespace.sh).
if [ -f test/util/in_namespace.sh ]; then
  ns_paths=()
  for p in ${TSBUILD_NS_TEST_PATHS:-executor/ snapshotter/ runtime/ fileop/}; do
    [ -d "$p" ] && ns_paths+=("$p")
  done
  if [ "${#ns_paths[@]}" -gt 0 ]; then
    run "namespace: ${ns_paths[*]}" sh test/util/in_namespace.sh "${ns_paths[@]}"
  fi
fi

echo
echo "=== summary (logs in $logdir)"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

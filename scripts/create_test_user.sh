#!/usr/bin/env bash
# Creates the unprivileged user the end-to-end tests run tsbuild as, with a subordinate id range so that the user
# namespace it enters maps 65536 ids (what `useradd` and `chown` inside a RUN need). Idempotent.
# The range starts after every range already in /etc/subuid and /etc/subgid, so it never overlaps another user's.
set -euo pipefail
name=${1:-tsbuild-test}
if ! id -u "$name" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$name"
fi
touch /etc/subuid /etc/subgid
if ! grep -q "^$name:" /etc/subuid || ! grep -q "^$name:" /etc/subgid; then
  start=$(awk -F: 'BEGIN { end = 100000 } NF == 3 && $2 + $3 > end { end = $2 + $3 } END { print end }' \
    /etc/subuid /etc/subgid)
  for f in /etc/subuid /etc/subgid; do
    grep -q "^$name:" "$f" || echo "$name:$start:65536" >>"$f"
  done
fi
id "$name"

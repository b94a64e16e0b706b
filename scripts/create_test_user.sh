#!/usr/bin/env bash
# Creates the unprivileged user the end-to-end tests run tsbuild as, with a subordinate id range so that the user
# namespace it enters maps 65536 ids (what `useradd` and `chown` inside a RUN need). Idempotent.
set -euo pipefail
name=${1:-tsbuild-test}
if ! id -u "$name" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$name"
fi
for f in /etc/subuid /etc/subgid; do
  touch "$f"
  grep -q "^$name:" "$f" || echo "$name:200000:65536" >>"$f"
done
id "$name"

#!/usr/bin/env bash
# The demo, end to end on a fresh Debian 12, as root: install, start a local registry, push a busybox base image,
# build examples/hello and push it (as root, then rootless as an unprivileged user), inspect and run the result.
# Env: PORT (default 5000, or a free port when taken), KEEP_REGISTRY=1 to leave the registry running.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }
deno=$root/node_modules/.bin/deno
user=${TSBUILD_TEST_USER:-tsbuild-test}

step "Installing dependencies (scripts/install.sh)"
bash scripts/install.sh

port=${PORT:-5000}
if ss -ltn | grep -q "[:.]$port "; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
host=127.0.0.1:$port
regdir=$(mktemp -d /tmp/tsbuild-demo-registry.XXXXXX)
cat >"$regdir/config.yml" <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $regdir/data
  delete:
    enabled: true
http:
  addr: $host
YAML
step "Starting docker-registry on $host (storage $regdir/data)"
docker-registry serve "$regdir/config.yml" >"$regdir/registry.log" 2>&1 &
regpid=$!
usercopy=""
cleanup() {
  if [ "${KEEP_REGISTRY:-}" != 1 ]; then
    kill "$regpid" 2>/dev/null || true
    wait "$regpid" 2>/dev/null || true
    rm -rf "$regdir"
  else
    echo "registry left running on $host (pid $regpid); stop it with: kill $regpid"
  fi
  [ -n "$usercopy" ] && rm -rf "$usercopy"
}
trap cleanup EXIT
for _ in $(seq 100); do
  curl -fsS "http://$host/v2/" >/dev/null 2>&1 && break
  python3 -c "import urllib.request; urllib.request.urlopen('http://$host/v2/')" 2>/dev/null && break
  sleep 0.1
done

step "Pushing a busybox base image made with umoci + skopeo"
base=$("$deno" run -A --quiet scripts/push_busybox.ts "$host" busybox latest)
echo "$base"

step "As root: ./tsbuild build -t $host/demo/app:1 --push --build-arg BASE=$base examples/hello"
./tsbuild build -t "$host/demo/app:1" --push --build-arg "BASE=$base" examples/hello

step "skopeo inspect docker://$host/demo/app:1"
skopeo inspect --tls-verify=false "docker://$host/demo/app:1"
step "Running it with runc (umoci unpack + runc run)"
"$deno" run -A --quiet scripts/run_image.ts "$host/demo/app:1"

# Rootless: the same build as an ordinary user. That user cannot read this checkout when it sits under a root-only
# directory, so it gets its own readable copy, as a user would have their own clone.
step "As the unprivileged user $user (rootless, user namespace via newuidmap)"
usercopy=$(mktemp -d /tmp/tsbuild-demo-user.XXXXXX)
tar -C "$root" --exclude=.git --exclude=dist -cf - . | tar -C "$usercopy" -xf -
chmod -R a+rX "$usercopy"
home=$(getent passwd "$user" | cut -d: -f6)
echo "runuser -u $user -- ./tsbuild build -t $host/demo/app:rootless --push --build-arg BASE=$base examples/hello"
(cd "$usercopy" && runuser -u "$user" -- env -i PATH="$PATH" HOME="$home" USER="$user" \
  ./tsbuild build -t "$host/demo/app:rootless" --push --build-arg "BASE=$base" examples/hello)
skopeo inspect --tls-verify=false --format '{{.Digest}} {{.Layers}}' "docker://$host/demo/app:rootless"
"$deno" run -A --quiet scripts/run_image.ts "$host/demo/app:rootless"

step "Done: $host/demo/app:1 (root) and $host/demo/app:rootless (unprivileged user)"

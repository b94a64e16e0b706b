#!/usr/bin/env bash
# Installs everything tsbuild and its tests need on Debian 12, as root. Idempotent: a second run changes nothing
# and touches no network when all is in place. Reaches only the Debian and npm registries.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '\033[1m[install]\033[0m %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh must run as root (it installs Debian packages and creates the test user)" >&2
  exit 1
fi

# Debian packages: the runtime (runc, newuidmap, fuse-overlayfs for kernels without unprivileged overlay), the
# tools tests check images with (docker-registry, skopeo, umoci, busybox-static), attr (getfattr for overlay
# xattrs), openssl and python3 (TLS certificates and bcrypt htpasswd entries in test/util), the decompressors ADD
# and layer import shell out to (gzip, xz-utils, zstd), openssh-client/-server (RUN --mount=type=ssh tests start a
# private sshd and ssh-agent), git (ADD of git URLs, test/util), procps and curl (scripts).
packages=(runc uidmap docker-registry busybox-static skopeo umoci fuse-overlayfs fuse3 attr util-linux openssl python3
  git ca-certificates tar gzip xz-utils zstd openssh-client openssh-server procps curl debootstrap)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts the packaged registry as a service on :5000; tests start their own, so keep the port free.
if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled docker-registry >/dev/null 2>&1; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

# Node >= 20.16 and npm come from the host (Debian 12's nodejs is 18, too old for the Node build).
if ! command -v npm >/dev/null 2>&1; then
  echo "install.sh: npm is missing; install Node.js >= 20 with npm first" >&2
  exit 1
fi

# npm packages: reinstall only when the lockfile changed since the last install (npm ci wipes node_modules, which
# would pull the Deno binary from under anything running).
cd "$root"
stamp=node_modules/.tsbuild-installed
if [ ! -f package-lock.json ]; then
  # A checkout without a lockfile (should not happen: it is committed) resolves one; commit the result.
  log "npm install (no package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
  rm -f "$stamp"
fi
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp" || [ ! -x node_modules/deno/deno ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  # npm 11 skips install scripts by default. Deno's postinstall only links the platform binary into place
  # (bin.cjs would otherwise wrap every call in a node process); run it ourselves. esbuild's JS API and bin work
  # without theirs, and ssh2's (optional native crypto) and cpu-features' are optional speed-ups.
  node node_modules/deno/install.cjs
  cp package-lock.json "$stamp"
fi
deno_version=$(node_modules/.bin/deno --version | head -1) || {
  echo "install.sh: node_modules/.bin/deno does not run" >&2
  exit 1
}
log "$deno_version"
# The CLI as one bundle (scripts/bundle.sh): each tsbuild command starts ~35 ms sooner. Without it the wrapper
# runs the sources, so a failure here costs speed, not function.
if bundle=$(bash "$root/scripts/bundle.sh" --if-stale 2>&1); then
  log "bundle: $bundle"
else
  log "no bundle (tsbuild runs from sources): $bundle"
fi

# Foreign-platform builds: qemu-user-static registered with binfmt_misc, and an arm64 busybox for the tests.
bash "$root/scripts/foreign_arch.sh"

# The unprivileged user the end-to-end tests build as.
bash "$root/scripts/create_test_user.sh" >/dev/null
log "ready (test user: $(id tsbuild-test))"

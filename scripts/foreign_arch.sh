#!/usr/bin/env bash
# Cross-platform builds (`--platform linux/arm64`, or several at once) run a foreign image's RUN steps through
# qemu-user-static, as BuildKit does with binfmt_misc: the kernel hands a foreign ELF to the registered emulator
# (flag F: opened once at registration, so it also works inside containers and user namespaces). This registers the
# aarch64 and arm handlers from Debian's qemu-user-static and fetches busybox-static for arm64, which the tests
# make a multi-platform base image from. Idempotent; root only; reaches only the Debian registry.
set -euo pipefail
log() { printf '\033[1m[install]\033[0m %s\n' "$*" >&2; }
export DEBIAN_FRONTEND=noninteractive

if ! dpkg-query -W -f='${Status}' qemu-user-static 2>/dev/null | grep -q "install ok installed"; then
  log "apt-get install qemu-user-static"
  apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null; }
fi

binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/register" ]; then
  mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null || log "warning: cannot mount $binfmt: foreign-platform RUN steps will fail"
fi
if [ -e "$binfmt/register" ]; then
  for arch in aarch64 arm; do
    conf=/usr/lib/binfmt.d/qemu-$arch.conf
    [ -e "$binfmt/qemu-$arch" ] || [ ! -f "$conf" ] || cat "$conf" >"$binfmt/register" ||
      log "warning: cannot register qemu-$arch with binfmt_misc"
  done
fi

# busybox-static for arm64, unpacked beside the host's (tests: test/util/base_image.ts).
dest=/usr/local/lib/tsbuild-test/busybox-arm64
if [ ! -x "$dest" ]; then
  dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64 && apt-get update -qq; }
  work=$(mktemp -d)
  (cd "$work" && apt-get download -qq busybox-static:arm64 >/dev/null 2>&1) || { apt-get update -qq && (cd "$work" && apt-get download -qq busybox-static:arm64 >/dev/null); }
  dpkg-deb -x "$work"/busybox-static_*_arm64.deb "$work/x"
  mkdir -p "$(dirname "$dest")"
  install -m 0755 "$work/x/bin/busybox" "$dest"
  rm -rf "$work"
  log "busybox-static arm64 at $dest"
fi

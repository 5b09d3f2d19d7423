#!/bin/sh
# Install what skiff needs to build, run and test, from Debian 12's packages. Run as root.
# contrib/ci-fresh-root.sh proves the list complete: it runs the README's commands on a minimal Debian root.
set -eu
if [ "$(id -u)" != 0 ]; then
  echo "install-deps.sh: run as root (it uses apt-get)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/skiff-install-deps-XXXXXX.log)
trap 'rm -f "$log"' EXIT
# golang-github-containers-common and -image: podman's seccomp.json and registries.conf, which unit tests
# compare skiff with (they skip without them, and a skip fails contrib/test.sh); go-md2man: the man pages
# (docs/man/*.md), built and installed with skiff; tzdata: the zones run --tz binds, which a test uses;
# clang-format and cppcheck: contrib/lint.sh, which contrib/test.sh runs first
# Quiet when it works; apt's whole output when it does not.
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends \
  build-essential meson ninja-build pkg-config git ca-certificates \
  libcap-dev libseccomp-dev libjson-c-dev libarchive-dev nettle-dev libsubid-dev libcurl4-openssl-dev libslirp-dev libglib2.0-dev \
  libcriterion-dev clang libclang-rt-14-dev clang-format cppcheck \
  golang-github-containers-common golang-github-containers-image \
  uidmap busybox-static fuse-overlayfs tar docker-registry apache2-utils openssl \
  go-md2man tzdata; } > "$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps.sh: apt-get failed; its output is above" >&2
  exit 1
fi

#!/bin/sh
# From a fresh Debian 12 machine to a first container: install the dependencies, build, install skiff on the
# PATH (/usr/local), make a busybox image from the host's busybox-static and run it. No network needed after
# the packages. Run as root (sudo); with sudo the first container also runs as the user who called sudo.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build="build-release"
prefix=/usr/local

# Quiet when a step works; when it fails, its whole output and the command, so the cause is on the screen.
step() {
  log=$(mktemp /tmp/skiff-setup-XXXXXX.log)
  if "$@" > "$log" 2>&1; then
    rm -f "$log"
    return 0
  else
    rc=$?
  fi
  cat "$log" >&2
  rm -f "$log"
  echo "setup.sh: '$*' failed (exit $rc); its output is above" >&2
  exit "$rc"
}

"$src/contrib/install-deps.sh"
cd "$src"
# A meson setup that failed leaves a directory without build.ninja, which ninja cannot load: start it again.
# -Dman=enabled: `man skiff` must work afterwards, so a missing go-md2man is an error, not pages left out
if [ ! -f "$build/build.ninja" ]; then
  rm -rf "$build"
  step meson setup "$build" --prefix="$prefix" --buildtype=release -Dtests=false -Dman=enabled
fi
step ninja -C "$build"
step ninja -C "$build" install
img=$(mktemp /tmp/skiff-busybox-XXXXXX.tar)
trap 'rm -f "$img"' EXIT
"$src/contrib/make-busybox-image.sh" "$img"
chmod 644 "$img"
skiff=$prefix/bin/skiff
echo "skiff $("$skiff" version --format '{{.Client.Version}}') installed in $(dirname "$skiff")"
first="$skiff import $img busybox >/dev/null && $skiff run --rm busybox sh -c 'echo \"hello from skiff: \$(id -un) in \$(hostname), pid \$\$\"'"
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  # the first container belongs to the user who asked for it, in that user's storage (root inside is that user)
  echo "a first container, run by $SUDO_USER:"
  su "$SUDO_USER" -s /bin/sh -c "$first"
else
  echo "a first container, run by $(id -un):"
  sh -c "$first"
fi

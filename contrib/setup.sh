#!/bin/sh
# From a fresh Debian 12 machine to a first container: install the dependencies, build, install skiff on the
# PATH (/usr/local), make a busybox image from the host's busybox-static and run it. No network needed after
# the packages. Run as root (sudo); with sudo the first container also runs as the user who called sudo.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/contrib/install-deps.sh"
cd "$src"
# -Dman=enabled: `man skiff` must work afterwards, so a missing go-md2man is an error, not pages left out
[ -d build-release ] || meson setup build-release --prefix=/usr/local --buildtype=release -Dtests=false -Dman=enabled >/dev/null
ninja -C build-release >/dev/null
ninja -C build-release install >/dev/null
img=$(mktemp /tmp/skiff-busybox-XXXXXX.tar)
"$src/contrib/make-busybox-image.sh" "$img"
chmod 644 "$img"
first() {
  skiff import "$img" busybox >/dev/null
  skiff run --rm busybox sh -c 'echo "hello from skiff: $(id -un) in $(hostname), pid $$"'
}
echo "skiff $(skiff version --format '{{.Client.Version}}') installed in /usr/local/bin"
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  su "$SUDO_USER" -c "$(command -v skiff) import $img busybox >/dev/null && $(command -v skiff) run --rm busybox sh -c 'echo \"hello from skiff: \$(id -un) in \$(hostname), pid \$\$\"'"
else
  first
fi
rm -f "$img"

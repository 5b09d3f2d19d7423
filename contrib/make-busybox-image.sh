#!/bin/sh
# Build a small root filesystem tarball out of the host's busybox-static, for `skiff import`.
# No network needed. Usage: make-busybox-image.sh OUT.tar
# The tarball has busybox and its applets, /etc/passwd and /etc/group with root, www-data (33) and nobody,
# and /srv/www owned by uid 33 (so tests can check that ownership survives the user namespace).
set -eu
out=${1:?usage: make-busybox-image.sh OUT.tar [EXTRA-FILE...]}
shift
bb=$(command -v busybox || true)
[ -x /bin/busybox ] && bb=/bin/busybox
if [ -z "$bb" ] || ! file -L "$bb" 2>/dev/null | grep -q "statically linked"; then
  # `file` may be missing; ldd says "not a dynamic executable" for static binaries
  if [ -z "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
    echo "make-busybox-image.sh: need a static busybox (apt-get install busybox-static)" >&2
    exit 1
  fi
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
r=$tmp/rootfs
mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/etc" "$r/tmp" "$r/root" "$r/home" "$r/var/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/run"
cp "$bb" "$r/bin/busybox"
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] && continue
  ln -sf busybox "$r/bin/$applet"
done
cat > "$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/sh
tester:x:1000:1000:tester:/home/tester:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$r/etc/group" <<'G'
root:x:0:
tty:x:5:
www-data:x:33:
staff:x:50:tester
tester:x:1000:
nogroup:x:65534:
G
mkdir -p "$r/usr/local/bin"
for extra in "$@"; do cp "$extra" "$r/usr/local/bin/"; done
chmod 1777 "$r/tmp" "$r/var/tmp"
chmod 700 "$r/root"
(cd "$r" && tar --numeric-owner --owner=0 --group=0 -cf "$tmp/base.tar" .)
mkdir -p "$tmp/www/srv/www"
echo "owned by www-data" > "$tmp/www/srv/www/index.html"
(cd "$tmp/www" && tar --numeric-owner --owner=33 --group=33 -rf "$tmp/base.tar" ./srv/www)
mv "$tmp/base.tar" "$out"

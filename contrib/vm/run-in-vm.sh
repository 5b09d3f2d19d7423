#!/bin/bash
# Run one command as an unprivileged user inside a small qemu VM whose cgroup v2 hierarchy delegates a
# subtree to that user (as systemd's user@.service with Delegate=yes does): the way to test cgroup v2
# resource limits on a host that has cgroup v1. Run as root; see docs/cgroups.md ("The VM job").
#
#   usage:  contrib/vm/run-in-vm.sh [--] CMD [ARG...]
#           contrib/vm/run-in-vm.sh --prepare     (only the host side: packages, user, kernel, initramfs)
#   env:    VM_USER   the user CMD runs as (default skiff-test; created with a subordinate range if missing)
#           VM_MEM    guest memory in MiB (default 1536)      VM_CPUS  vCPUs (default 2)
#           VM_TIMEOUT  seconds before the VM is killed (default 900)
#           VM_CWD    directory CMD starts in (default: the caller's, else the user's home)
#           VM_CACHE  where the kernel and the initramfs are kept (default /var/cache/skiff-vm)
#           VM_VERBOSE=1  print the boot log and the timings
#   exit:   CMD's exit status; 255 when the VM failed before CMD ended (its boot log is printed)
#
# The guest's root is the host's / shared read-only over virtio-9p (qemu refuses writes: readonly=on), with
# tmpfs on /tmp, /var/tmp and /run, an overlay (tmpfs upper) on the user's home, and a second, writable 9p
# export through which CMD's exit status comes back. CMD's stdout and stderr reach the host, live and
# merged, through a file of that export that the host follows; the kernel's console goes to a log file.
# The kernel is Debian's linux-image-amd64 (its cloud flavour has no 9p), unpacked into VM_CACHE: the
# host's boot is not touched.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
user=${VM_USER:-skiff-test}
mem=${VM_MEM:-1536}
cpus=${VM_CPUS:-2}
timeout_s=${VM_TIMEOUT:-900}
cache=${VM_CACHE:-/var/cache/skiff-vm}
verbose=${VM_VERBOSE:-0}
cwd=${VM_CWD:-$PWD}
readonly VM_FAILED=255
# what the guest must load before it can mount its root, in dependency order (checked against modinfo below)
readonly MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet
9pnet_virtio 9p tun overlay loop"

die() {
  echo "run-in-vm: $*" >&2
  exit $VM_FAILED
}
log() { if [ "$verbose" = 1 ]; then echo "run-in-vm: $*" >&2; fi; }

[ "$(id -u)" = 0 ] || die "run me as root (I install packages, create $user and start qemu)"
prepare_only=0
case "${1:-}" in
--) shift ;;
--prepare) prepare_only=1 ;;
esac
[ $# -gt 0 ] || die "usage: $0 [--] CMD [ARG...] | --prepare"

# ---- the host side: packages, the user, the kernel, the initramfs (all cached) ----
need=""
command -v qemu-system-x86_64 >/dev/null || need="$need qemu-system-x86"
[ -x /bin/busybox ] || need="$need busybox-static"
command -v modinfo >/dev/null || need="$need kmod"
command -v newuidmap >/dev/null || need="$need uidmap"
command -v cpio >/dev/null || need="$need cpio"
command -v xz >/dev/null || need="$need xz-utils"
command -v readelf >/dev/null || need="$need binutils"
if [ -n "$need" ]; then
  log "installing$need"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null; } ||
    die "cannot install$need"
fi

if ! id "$user" >/dev/null 2>&1; then
  useradd -m -s /bin/bash "$user"
fi
if ! grep -q "^$user:" /etc/subuid || ! grep -q "^$user:" /etc/subgid; then
  top=$(awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}' /etc/subuid /etc/subgid 2>/dev/null)
  usermod --add-subuids "$top-$((top + 65535))" --add-subgids "$top-$((top + 65535))" "$user"
fi
uid=$(id -u "$user")
gid=$(id -g "$user")
home=$(getent passwd "$user" | cut -d: -f6)

mkdir -p "$cache"
chmod 0700 "$cache"
# the kernel package is resolved once (apt-cache takes seconds on a busy host); VM_REFRESH=1 looks again
kpkg=$(cat "$cache/kernel-package" 2>/dev/null || true)
if [ -z "$kpkg" ] || [ "${VM_REFRESH:-0}" = 1 ] || [ ! -f "$cache/$kpkg/vmlinuz" ]; then
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [ -z "$kpkg" ]; then
    apt-get update -qq || true
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
fi
[ -n "$kpkg" ] || die "cannot find Debian's linux-image-amd64 kernel package (apt-get update?)"
kdir=$cache/$kpkg
have_all=1
for m in $MODULES; do [ -f "$kdir/ko/$m.ko" ] || have_all=0; done
if [ ! -f "$kdir/vmlinuz" ] || [ $have_all = 0 ]; then
  log "unpacking $kpkg into $kdir"
  rm -rf "$kdir.tmp"
  mkdir -p "$kdir.tmp/deb"
  (cd "$kdir.tmp/deb" && apt-get download -qq "$kpkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
  deb=$(ls "$kdir.tmp/deb"/*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || die "apt-get download $kpkg failed"
  dpkg-deb --fsys-tarfile "$deb" | tar -C "$kdir.tmp" -x --wildcards './boot/vmlinuz-*' \
    './lib/modules/*/kernel/net/9p/*' './lib/modules/*/kernel/fs/9p/*' './lib/modules/*/kernel/fs/netfs/*' \
    './lib/modules/*/kernel/fs/fscache/*' './lib/modules/*/kernel/drivers/virtio/*' \
    './lib/modules/*/kernel/drivers/net/tun.ko' './lib/modules/*/kernel/fs/overlayfs/*' \
    './lib/modules/*/kernel/drivers/block/loop.ko'
  mkdir -p "$kdir.tmp/ko"
  for m in $MODULES; do
    f=$(find "$kdir.tmp/lib/modules" -name "$m.ko" | head -1)
    [ -n "$f" ] || die "$kpkg has no module $m"
    cp "$f" "$kdir.tmp/ko/"
  done
  mv "$kdir.tmp"/boot/vmlinuz-* "$kdir.tmp/vmlinuz"
  rm -rf "$kdir.tmp/deb" "$kdir.tmp/lib" "$kdir.tmp/boot"
  rm -rf "$kdir"
  mv "$kdir.tmp" "$kdir"
  rm -f "$kdir"/initrd-*
fi
# The bzImage's xz payload takes TCG some 10 s to unpack at every boot: unpack it once. qemu boots the ELF
# directly through its PVH entry point (CONFIG_PVH), without firmware or decompressor.
if [ ! -f "$kdir/vmlinux" ] && [ ! -f "$kdir/vmlinux.none" ]; then
  off=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$kdir/vmlinuz" | head -1 | cut -d: -f1 || true)
  if [ -n "$off" ]; then tail -c +$((off + 1)) "$kdir/vmlinuz" | xz -dc >"$kdir/vmlinux.tmp" 2>/dev/null || true; fi
  if readelf -n "$kdir/vmlinux.tmp" 2>/dev/null | grep -qE 'note type: \(0x00000012\)|PHYS32_ENTRY'; then
    mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"
  else
    rm -f "$kdir/vmlinux.tmp"
    touch "$kdir/vmlinux.none" # no PVH entry point: boot the bzImage
  fi
fi
echo "$kpkg" >"$cache/kernel-package"
# every module's dependencies must come before it in MODULES
seen=" "
for m in $MODULES; do
  for d in $(modinfo -F depends "$kdir/ko/$m.ko" | tr , ' '); do
    case "$seen" in *" $d "*) ;; *) die "module $m needs $d first (fix MODULES)" ;; esac
  done
  seen="$seen$m "
done

initrd_key=$( (sha256sum "$here/init.sh" && echo "$MODULES" && ls -l /bin/busybox) | sha256sum | cut -c1-16)
initrd=$kdir/initrd-$initrd_key.cpio
if [ ! -f "$initrd" ]; then
  log "building $initrd"
  t=$(mktemp -d)
  mkdir -p "$t/bin" "$t/ko" "$t/proc" "$t/sys" "$t/dev" "$t/newroot"
  cp /bin/busybox "$t/bin/busybox"
  cp "$here/init.sh" "$t/init"
  chmod 0755 "$t/init"
  for m in $MODULES; do cp "$kdir/ko/$m.ko" "$t/ko/"; done
  echo "$MODULES" | tr ' ' '\n' | grep . >"$t/modules"
  # uncompressed: qemu copies it, and the guest spends no time unpacking
  (cd "$t" && find . | cpio -o -H newc --quiet) >"$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
  rm -rf "$t"
fi

[ $prepare_only = 0 ] || exit 0

# ---- one run: the writable export carries the command in and the status out ----
run=$(mktemp -d /tmp/skiff-vm.XXXXXX)
trap 'rm -rf "$run"' EXIT
mkdir "$run/io"
{
  printf 'VM_USER=%q\nVM_UID=%q\nVM_GID=%q\nVM_HOME=%q\nVM_CWD=%q\n' "$user" "$uid" "$gid" "$home" "$cwd"
} >"$run/io/config"
{
  printf '%q ' "$@"
  echo
} >"$run/io/cmd"
cp "$here/guest.sh" "$run/io/guest.sh"

kernel=$kdir/vmlinux
[ -f "$kernel" ] || kernel=$kdir/vmlinuz
append="console=ttyS0 ${VM_APPEND:-quiet loglevel=4} panic=-1 rdinit=/init mitigations=off tsc=reliable"
start=$(date +%s.%N)
# CMD's output comes back as a file of the writable export, followed live: a file on 9p, unlike a serial
# line, cannot stall when the host is slow to drain it
: >"$run/io/output"
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
  -machine pc,accel=tcg -cpu max -smp "$cpus" -m "$mem" \
  -nodefaults -no-user-config -display none -no-reboot -bios /usr/share/qemu/qboot.rom \
  -kernel "$kernel" -initrd "$initrd" -append "$append" \
  -serial "file:$run/boot.log" \
  -fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
  -fsdev local,id=io,path="$run/io",security_model=none \
  -device virtio-9p-pci,fsdev=io,mount_tag=vmio \
  </dev/null 2>"$run/qemu.err" &
qpid=$!
tail -c +1 -f --pid=$qpid "$run/io/output" &
tpid=$!
wait $qpid
qrc=$?
wait $tpid
set -e
end=$(date +%s.%N)

if [ "$verbose" = 1 ]; then
  grep -v "module ui-ui-.* not found" "$run/qemu.err" >&2 || true
  echo "---- boot log ----" >&2
  cat "$run/boot.log" >&2
  [ -f "$run/io/timing" ] && echo "run-in-vm: guest uptime when CMD started: $(cat "$run/io/timing") s" >&2
  echo "run-in-vm: qemu ran $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b - a}') s (boot, CMD, power-off)" >&2
fi
if [ ! -f "$run/io/status" ]; then
  echo "run-in-vm: the VM ended (qemu status $qrc$([ $qrc = 124 ] && echo ", killed after ${timeout_s}s")) without CMD's status; its boot log:" >&2
  tail -n 40 "$run/boot.log" >&2
  grep -v "module ui-ui-.* not found" "$run/qemu.err" >&2 || true
  exit $VM_FAILED
fi
exit "$(cat "$run/io/status")"

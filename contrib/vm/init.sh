#!/bin/busybox sh
# The VM's first stage (the initramfs's /init, run by busybox): load the virtio and 9p modules, mount the
# host's root read-only and the run's writable export, then hand over to guest.sh (busybox, from memory) on
# the host's root.
bb=/bin/busybox
fail() {
  echo "vm-init: $*" >/dev/console
  $bb poweroff -f
}
$bb mount -t proc proc /proc
$bb mount -t devtmpfs dev /dev
for m in $($bb cat /modules); do
  $bb insmod "/ko/$m.ko" || fail "insmod $m failed"
done
read -r up _ </proc/uptime
echo "vm-init: $up s: modules loaded" >/dev/console
# cache=loose: the root does not change under the VM in a way the tests depend on, and executables load
# several times faster than with no cache
$bb mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose hostroot /newroot ||
  fail "cannot mount the host's root (9p tag hostroot)"
$bb mount -t tmpfs -o mode=0755,nosuid,nodev run /newroot/run || fail "cannot mount /run"
$bb mkdir -p /newroot/run/vm-io
$bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 vmio /newroot/run/vm-io ||
  fail "cannot mount the run's export (9p tag vmio)"
# the second stage runs busybox from memory: a program read over 9p costs TCG a lot more to start
# (its shell finds its own applets first: no links to make)
$bb mkdir -p /newroot/run/vm
$bb cp $bb /newroot/run/vm/busybox
# busybox's shell runs its applets through /proc/self/exe: the new root has /proc from the start
$bb mount -t proc -o nosuid,nodev,noexec proc /newroot/proc || fail "cannot mount /proc"
$bb umount /dev
$bb umount /proc
exec $bb switch_root /newroot /run/vm/busybox sh /run/vm-io/guest.sh
fail "switch_root failed"

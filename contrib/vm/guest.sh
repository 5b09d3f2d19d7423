#!/run/vm/busybox sh
# The VM's second stage, PID 1 on the host's read-only root: writable scratch, a cgroup v2 hierarchy that
# delegates user@UID.service to the test user (as systemd does with Delegate=yes), then the command as that
# user with its output and its exit status in the writable export.
io=/run/vm-io
# busybox's shell runs its own applets (mount, chown, ...) before looking in PATH: everything below runs
# from memory but setpriv, the host's
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
set -u
fail() {
  echo "vm-guest: $*" >/dev/console
  echo 255 >$io/status
  sync
  poweroff -f
}
. $io/config
# progress marks with the guest's uptime, in the boot log (run-in-vm.sh prints it with VM_VERBOSE=1)
mark() {
  read -r up _ </proc/uptime
  echo "vm-guest: $up s: $*" >/dev/console
}
mark "second stage"

mount -t sysfs -o nosuid,nodev,noexec sys /sys || fail "mount /sys"
mount -t devtmpfs -o nosuid,mode=0755 dev /dev || fail "mount /dev"
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev,mode=1777 shm /dev/shm
mount -t mqueue -o nosuid,nodev,noexec mqueue /dev/mqueue
ln -sf /proc/self/fd /dev/fd 2>/dev/null
chmod 0666 /dev/net/tun /dev/fuse 2>/dev/null
for d in /tmp /var/tmp; do mount -t tmpfs -o nosuid,nodev,mode=1777 tmp "$d" || fail "mount $d"; done
mkdir -p /run/lock /run/user/$VM_UID
chown "$VM_UID:$VM_GID" /run/user/$VM_UID
chmod 0700 /run/user/$VM_UID
# the home: the host's files visible, writes kept in memory
mkdir -p /run/vm-home/upper /run/vm-home/work
chown "$VM_UID:$VM_GID" /run/vm-home/upper
mount -t overlay -o "lowerdir=$VM_HOME,upperdir=/run/vm-home/upper,workdir=/run/vm-home/work" home "$VM_HOME" ||
  mount -t tmpfs -o "nosuid,nodev,mode=0755,uid=$VM_UID,gid=$VM_GID" home "$VM_HOME" || fail "mount $VM_HOME"
mark "scratch mounted"
hostname skiff-vm
ip link set lo up 2>/dev/null

# cgroup v2, with what systemd would set up: init in init.scope, the user's manager delegated
cg=/sys/fs/cgroup
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 $cg || fail "mount cgroup2"
controllers=$(cat $cg/cgroup.controllers)
mkdir $cg/init.scope
echo $$ >$cg/init.scope/cgroup.procs
enable=""
for c in $controllers; do enable="$enable +$c"; done
user_cg=$cg/user.slice/user-$VM_UID.slice/user@$VM_UID.service
mkdir -p $user_cg
for d in $cg $cg/user.slice $cg/user.slice/user-$VM_UID.slice; do
  echo $enable >$d/cgroup.subtree_control || fail "cannot enable$enable in $d"
done
# Delegate=yes: the user owns the directory and the files that place processes and enable controllers
chown "$VM_UID:$VM_GID" $user_cg $user_cg/cgroup.procs $user_cg/cgroup.subtree_control $user_cg/cgroup.threads
# the user's manager enables the controllers for its children, and the command gets a leaf of its own
echo "$enable" | sed 's/+cpuset//; s/+hugetlb//; s/+rdma//; s/+misc//' >$user_cg/cgroup.subtree_control ||
  fail "cannot enable controllers in $user_cg"
mkdir $user_cg/cmd.scope
chown -R "$VM_UID:$VM_GID" $user_cg/cmd.scope

mark "cgroups delegated"
out=$io/output
cut -d' ' -f1 /proc/uptime >$io/timing
[ -d "$VM_CWD" ] || VM_CWD=$VM_HOME
(
  echo 0 >$user_cg/cmd.scope/cgroup.procs
  cd "$VM_CWD" || cd /
  exec /usr/bin/setpriv --reuid="$VM_UID" --regid="$VM_GID" --init-groups --reset-env \
    env XDG_RUNTIME_DIR=/run/user/$VM_UID TERM=dumb /bin/sh -c ". $io/cmd" </dev/null >$out 2>&1
)
rc=$?
mark "command ended ($rc)"
echo $rc >$io/status
sync
poweroff -f

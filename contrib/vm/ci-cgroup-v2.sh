#!/bin/bash
# CI's cgroup v2 job: build the cgroup tests and skiff, boot the VM of run-in-vm.sh (cgroup v2, a subtree
# delegated to an unprivileged user) and run them there: the backend's kernel tests (tests/vm), then skiff
# itself (`skiff run` of a busybox image). Run as root from a clone; exits non-zero when anything fails.
#
#   env: SKIFF_VM_BUILD=DIR  use this configured build directory instead of building one
#        VM_USER (default skiff-test), and the other VM_* of run-in-vm.sh
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
user=${VM_USER:-skiff-test}
export VM_USER=$user
export VM_TIMEOUT=${VM_TIMEOUT:-600}
[ "$(id -u)" = 0 ] || { echo "ci-cgroup-v2: run me as root" >&2; exit 2; }
start=$(date +%s)
cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT

build=${SKIFF_VM_BUILD:-}
if [ -z "$build" ]; then
  "$src/contrib/install-deps.sh" >/dev/null
  build=$(mktemp -d /var/tmp/skiff-vm-build.XXXXXX)
  setup_log=$(mktemp)
  cleanup+=("$build" "$setup_log")
  echo "== build (skiff and tests/vm) in $build"
  meson setup "$build" "$src" -Dwerror=true >"$setup_log" 2>&1 || { cat "$setup_log"; exit 1; }
  ninja -C "$build" src/skiff tests/vm/vm-cgroup-v2 >/dev/null
fi

[ -x "$build/src/skiff" ] && [ -x "$build/tests/vm/vm-cgroup-v2" ] || { echo "ci-cgroup-v2: nothing built in $build" >&2; exit 1; }

"$src/contrib/vm/run-in-vm.sh" --prepare # packages, the user, the kernel and the initramfs
# what the VM runs: in a directory of root's that the guest sees (the host's root, read-only there) and the
# test user may read but not change (not in its home, where root's copies could be redirected by a symlink)
work=$(mktemp -d /var/lib/skiff-vm-ci.XXXXXX)
cleanup+=("$work")
chmod 0755 "$work"
cp "$build/src/skiff" "$build/tests/vm/vm-cgroup-v2" "$work/"
"$src/contrib/make-busybox-image.sh" "$work/busybox.tar"
cat >"$work/run.sh" <<'EOF'
#!/bin/sh
# inside the VM, as the test user
cd "$(dirname "$0")"
fail=0
log=$(mktemp)
echo "== the cgroup backend against the kernel (tests/vm/test_cgroup_v2.c)"
./vm-cgroup-v2 --jobs 1 --verbose >"$log" 2>&1 || fail=1
cat "$log"
# as contrib/check-skips.sh in the suite: a test that skips here is a test that never runs
if grep -q '^\[SKIP\]' "$log"; then echo "a VM test skipped: it must run here" >&2; fail=1; fi
echo "== skiff run in the VM"
./skiff import busybox.tar busybox >/dev/null || fail=1
./skiff run --rm busybox true || fail=1
out=$(./skiff run --rm busybox cat /proc/self/cgroup) || fail=1
[ "$out" = "0::/" ] || { echo "the container's /proc/self/cgroup: $out" >&2; fail=1; }
t0=$(date +%s%N)
./skiff run --rm busybox true || fail=1
echo "skiff run --rm busybox true: $((($(date +%s%N) - t0) / 1000000)) ms in the VM"
[ $fail = 0 ] && echo "cgroup v2 VM job: all passed" || echo "cgroup v2 VM job: FAILED"
exit $fail
EOF
chmod 0755 "$work/run.sh"
chmod 0644 "$work/busybox.tar"

echo "== boot the VM and run"
rc=0
"$src/contrib/vm/run-in-vm.sh" "$work/run.sh" || rc=$?
echo "ci-cgroup-v2: exit $rc after $(($(date +%s) - start)) s"
exit $rc

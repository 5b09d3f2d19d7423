#!/bin/bash
# CI: the README's two commands on a fresh minimal Debian 12 root (mmdebstrap --variant=minbase), made the root
# of a mount namespace of its own, so that a dependency missing from contrib/install-deps.sh fails CI.
#
#   usage (as root, from a clone):  contrib/ci-fresh-root.sh
#   env:  SKIFF_CI_ROOT_CACHE=FILE.tar  reuse the minbase root from FILE (made there on the first run); CI
#                                       leaves it unset and starts from nothing
#         SKIFF_CI_KEEP=1               keep the root (its path is printed) instead of removing it
#         SKIFF_CI_SANITIZERS=1         contrib/test.sh's ASan/UBSan pass too (default 0: this job proves the
#                                       dependencies; the main job, .ci/run, runs the sanitizer pass)
#         SKIFF_CI_FUZZ_SECONDS=N       seconds per fuzz harness in its test.sh (default 2: the fuzz build and
#                                       the replay of kept crash inputs are proved; the main job fuzzes 20 s each)
#
# Steps, each timed: make the root; clone HEAD of this repository into it; `./contrib/setup.sh` as root (from
# a build directory left half-configured, as a failed run leaves it); `sudo ./contrib/setup.sh` as a user with
# sudo, whose first container must run as that user; `./contrib/test.sh` as root (without its sanitizer pass
# unless SKIFF_CI_SANITIZERS=1). Exits non-zero on the first failure, after printing the end of that step's log.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
suite=bookworm
mirror=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security
clone=/srv/skiff           # inside the root: readable by the sudo user, as a clone in a home would be
sudo_user=skiff-ci-user
cache=${SKIFF_CI_ROOT_CACHE:-}
sanitizers=${SKIFF_CI_SANITIZERS:-0}
fuzz_seconds=${SKIFF_CI_FUZZ_SECONDS:-2}
tail_lines=120

[ "$(id -u)" = 0 ] || { echo "ci-fresh-root.sh: run as root (it makes a root filesystem and enters it)" >&2; exit 2; }
command -v git > /dev/null || { echo "ci-fresh-root.sh: needs git" >&2; exit 2; }
if ! command -v mmdebstrap > /dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mmdebstrap > /dev/null
fi

work=$(mktemp -d /var/tmp/skiff-ci-fresh.XXXXXX)
root=$work/root
logs=$work/logs
mkdir -p "$root" "$logs"
chmod 755 "$work" "$root"
summary=()
started=$(date +%s)
head=$(git -C "$src" log -1 --format='%h %s' | cut -c1-80) # what the clone will be, named before anything moves

cleanup() {
  set +e # to the end, whatever fails; the exit status stays the script's
  if [ -n "${SKIFF_CI_KEEP:-}" ]; then
    echo "ci-fresh-root.sh: root kept in $root, logs in $logs"
    return
  fi
  # mmdebstrap mounts /proc, /sys and /dev in the root while it works; if it was interrupted some may remain
  findmnt -rn -o TARGET | awk -v r="$root/" 'index($0, r) == 1' | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

report() {
  local total=$(($(date +%s) - started))
  echo
  echo "== fresh Debian 12 root: $head"
  printf '%s\n' "${summary[@]}"
  printf '   %-44s %5ss\n' "total" "$total"
}

# step NAME CMD...: runs CMD with its output in a log; on failure, the end of that log and the summary.
step() {
  local name=$1 t0 rc=0
  shift
  local log
  log="$logs/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-').log"
  echo "== $name"
  t0=$(date +%s)
  # in the background, not behind `||`: bash ignores `set -e` inside a function called from a condition
  "$@" > "$log" 2>&1 &
  wait $! || rc=$?
  local dt=$(($(date +%s) - t0))
  if [ $rc -ne 0 ]; then
    # the failed tests first (Criterion's and meson's lines with what they asserted), then the end of the log
    if grep -q -E '^\[FAIL\]|Assertion Failed' "$log"; then
      echo "-- failed tests in $log:"
      grep -E -B2 -A12 'Assertion Failed|^\[FAIL\]' "$log" | head -n 200
    fi
    echo "-- last $tail_lines lines of $log:"
    tail -n "$tail_lines" "$log"
    summary+=("$(printf '   %-44s %5ss  FAILED (exit %d)' "$name" "$dt" "$rc")")
    report
    exit 1
  fi
  summary+=("$(printf '   %-44s %5ss  ok' "$name" "$dt")")
}

# in_root CMD...: CMD in the root, made the root of a mount namespace of its own holding what the tests need:
# /proc, /sys (the cgroups too), a /dev with the usual nodes, a devpts instance, /dev/shm, /dev/net/tun, /dev/fuse.
# A PID namespace of its own too: what a step leaves running (a pause process, a container's monitor) ends with it.
in_root() {
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  unshare --mount --pid --fork --propagation private -- /bin/bash -eu -c '
    root=$1; shift
    # the root a mount point of its own, as / is on a machine (pivot_root needs it; skiff makes / a slave mount)
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount -t tmpfs -o mode=755,nosuid tmpfs "$root/dev"
    for n in null zero full random urandom tty; do
      touch "$root/dev/$n"; mount --bind "/dev/$n" "$root/dev/$n"
    done
    mkdir -p "$root/dev/pts" "$root/dev/shm" "$root/dev/net"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
    ln -s pts/ptmx "$root/dev/ptmx"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
    ln -s /proc/self/fd "$root/dev/fd"
    ln -s /proc/self/fd/0 "$root/dev/stdin"; ln -s /proc/self/fd/1 "$root/dev/stdout"; ln -s /proc/self/fd/2 "$root/dev/stderr"
    for n in net/tun fuse; do
      if [ -c "/dev/$n" ]; then touch "$root/dev/$n"; mount --bind "/dev/$n" "$root/dev/$n"; fi
    done
    mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$root/run"
    # pivot_root, not a plain chroot: the kernel refuses user namespaces to a chrooted process (EPERM), and
    # rootless containers need them. The host is then unmounted from /mnt with the root'"'"'s own umount.
    cd "$root"
    pivot_root . mnt
    exec /usr/sbin/chroot . /bin/sh -c '"'"'umount -l /mnt && exec /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"'"'"' sh "$@"
  ' in_root "$root" "$@"
}

make_root() {
  local sources=("deb $mirror $suite main" "deb $mirror $suite-updates main" "deb $security $suite-security main")
  if [ -n "$cache" ] && [ -f "$cache" ]; then
    tar -C "$root" --numeric-owner -xf "$cache"
  else
    mmdebstrap --variant=minbase "$suite" "$root" "${sources[@]}"
    if [ -n "$cache" ]; then
      mkdir -p "$(dirname "$cache")"
      tar -C "$root" --numeric-owner -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
    fi
  fi
  # name resolution for apt inside the root, as the host has it; /etc/hosts as Debian's installer writes it
  # (mmdebstrap leaves none)
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  if [ ! -e "$root/etc/hosts" ]; then
    printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$(hostname)" \
      > "$root/etc/hosts"
  fi
  # setuid helpers (newuidmap) must work where the root lives
  if findmnt -n -o OPTIONS --target "$root" | grep -qw nosuid; then
    echo "$root is on a nosuid mount: newuidmap could not work there" >&2
    return 1
  fi
}

clone_repo() {
  local want
  want=$(git -C "$src" rev-parse "${head%% *}")
  git clone -q --no-hardlinks "$src" "$root$clone"
  git -C "$root$clone" checkout -q "$want"
  echo "cloned $(git -C "$root$clone" rev-parse HEAD)"
  if [ -n "$(git -C "$src" status --porcelain)" ]; then
    echo "note: uncommitted changes in $src are not in the clone" >&2
  fi
}

setup_as_root() {
  # a build directory as a failed `meson setup` leaves it: setup.sh must start it again
  mkdir -p "$root$clone/build-release/meson-private" "$root$clone/build-release/meson-logs"
  in_root /bin/sh -c "cd $clone && ./contrib/setup.sh" | tee "$logs/setup-root.out"
  grep -q '^a first container, run by root:' "$logs/setup-root.out"
  grep -q '^hello from skiff: root in ' "$logs/setup-root.out"
}

setup_with_sudo() {
  # the harness's own tools (sudo and the user), not skiff's dependencies
  in_root /bin/sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends sudo >/dev/null"
  in_root /bin/sh -c "id $sudo_user >/dev/null 2>&1 || useradd -m -s /bin/bash $sudo_user;
    echo '$sudo_user ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/$sudo_user; chmod 440 /etc/sudoers.d/$sudo_user"
  in_root /bin/su - "$sudo_user" -c "cd $clone && sudo ./contrib/setup.sh" | tee "$logs/setup-sudo.out"
  grep -q "^a first container, run by $sudo_user:" "$logs/setup-sudo.out"
  grep -q '^hello from skiff: root in ' "$logs/setup-sudo.out"
  # rootless: the image went to the user's own storage, not root's
  in_root /bin/su - "$sudo_user" -c "skiff images --format '{{.Repository}}'" | grep -qx 'localhost/busybox'
  echo "$sudo_user's storage has the first image"
}

run_tests() {
  in_root /usr/bin/env SKIFF_TEST_SANITIZERS="$sanitizers" FUZZ_SECONDS="$fuzz_seconds" /bin/sh -c "cd $clone && ./contrib/test.sh"
}

step "make a minbase $suite root" make_root
step "clone the repository into it" clone_repo
step "README 1: ./contrib/setup.sh as root" setup_as_root
step "README 1: sudo ./contrib/setup.sh as a user" setup_with_sudo
step "README 2: ./contrib/test.sh" run_tests
report

#!/bin/bash
# Run the whole test suite: first the static checks (contrib/lint.sh: clang-format and cppcheck; a finding stops
# the suite there), then unit and integration tests, built with -Dwerror=true, then all of it again under
# AddressSanitizer and UndefinedBehaviorSanitizer. Started as root, it installs the dependencies, creates an
# unprivileged user with subordinate ID ranges (skiff-test), runs the suite as that user, then runs the tests
# that need root (tests/skips-allowed.txt) as root from the same builds, and the two-user test
# (contrib/shared-host-test.sh, with a second user, SKIFF_TEST_USER2 or skiff-test2). A test that skips for a
# reason the allow-list does not give fails the suite (contrib/check-skips.sh).
# SKIFF_TEST_SANITIZERS=0 leaves out the sanitizer pass (for a job that proves something else, such as
# contrib/ci-fresh-root.sh; the main CI job runs both).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
user=${SKIFF_TEST_USER:-skiff-test}
sanitizers=${SKIFF_TEST_SANITIZERS:-1}
case "$sanitizers" in
  0 | 1) ;;
  *)
    echo "test.sh: SKIFF_TEST_SANITIZERS must be 0 or 1, not '$sanitizers'" >&2
    exit 2
    ;;
esac

if [ "$(id -u)" = 0 ]; then
  "$src/contrib/install-deps.sh"
  echo "== static checks: contrib/lint.sh"
  "$src/contrib/lint.sh"
  # rootless networking opens /dev/net/tun as the user: 0666 on a default Debian host, 0600 on some (like
  # the CI machines). The suite tests the closed device with a stand-in (network::tun_device_unavailable).
  if [ -c /dev/net/tun ]; then chmod 0666 /dev/net/tun; fi
  # Criterion keeps each runner's state in /dev/shm/bxfi_PID and leaves it behind when the runner is killed; a
  # later runner that gets the same PID then fails with "Could not spawn test instance: File exists" (seen here
  # after interrupted runs by other users). Remove the files of runners that are gone.
  for f in /dev/shm/bxfi_*; do
    [ -e "$f" ] || continue
    pid=${f##*_}
    if [[ "$pid" =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null; then rm -f "$f"; fi
  done
  if ! id "$user" >/dev/null 2>&1; then
    useradd -m -s /bin/bash "$user"
  fi
  if ! grep -q "^$user:" /etc/subuid || ! grep -q "^$user:" /etc/subgid; then
    # a range after every range already given out
    top=$(awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}' /etc/subuid /etc/subgid 2>/dev/null)
    usermod --add-subuids "$top-$((top + 65535))" --add-subgids "$top-$((top + 65535))" "$user"
  fi
  # a supplementary group of the user's: --group-add keep-groups reads a file owned by it (userns::keep_groups_*)
  getent group skiff-test-shared >/dev/null || groupadd skiff-test-shared
  id -nG "$user" | grep -qw skiff-test-shared || usermod -aG skiff-test-shared "$user"
  home=$(getent passwd "$user" | cut -d: -f6)
  work="$home/skiff-src"
  rm -rf "$work"
  mkdir -p "$work"
  # the tree without build directories, owned by the test user
  tar -C "$src" --exclude='./build*' -cf - . | tar -C "$work" -xf -
  chown -R "$user:" "$work"
  status=0
  su "$user" -s /bin/bash -c \
    "cd '$work' && CI='${CI:-}' FUZZ_SECONDS='${FUZZ_SECONDS:-}' SKIFF_TEST_ROOT_STAGE=1 SKIFF_TEST_SANITIZERS=$sanitizers ./contrib/test.sh" \
    || status=$?
  echo "== the tests that need root, as root"
  "$work/contrib/check-skips.sh" --root "$work/build-test" || status=1
  if [ "$sanitizers" = 1 ]; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "$work/contrib/check-skips.sh" --root "$work/build-asan" || status=1
  fi
  # ---- shared host (issue #9): a second user beside the first; it needs root to act as each (runuser) ----
  echo "== two users side by side: contrib/shared-host-test.sh"
  "$src/contrib/shared-host-test.sh" "$work/build-test/src/skiff" "$user" "${SKIFF_TEST_USER2:-${user}2}" || status=1
  exit $status
fi

cd "$src"
if [ -z "${SKIFF_TEST_ROOT_STAGE:-}" ]; then
  # started as this user (as root, the root stage ran it before handing over)
  echo "== static checks: contrib/lint.sh"
  ./contrib/lint.sh
fi
if [ -e /etc/subuid ] && ! grep -q "^$(id -un):" /etc/subuid; then
  echo "test.sh: warning: $(id -un) has no subordinate ID range; the tests of the full mapping will fail" >&2
fi

run_suite() {
  local dir=$1
  shift
  rm -rf "$dir"
  meson setup "$dir" -Dwerror=true "$@" > "$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
  ninja -C "$dir" > "$dir.build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$dir.build.log" | head -60; return 1; }
  meson test -C "$dir" --print-errorlogs --num-processes 1
  "$src/contrib/check-skips.sh" "$dir/meson-logs/testlog.txt"
}

echo "== build with -Dwerror=true, run the suite"
run_suite build-test
if [ "$sanitizers" = 0 ]; then
  echo "== the ASan and UBSan pass left out (SKIFF_TEST_SANITIZERS=0)"
  exit 0
fi
echo "== the suite again under ASan and UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false

# a separate step after both suites: clang's libFuzzer build; FUZZ_SECONDS per harness (default 20)
echo "== fuzzing: kept crash inputs replayed, then each harness for ${FUZZ_SECONDS:-20} s (contrib/fuzz.sh)"
./contrib/fuzz.sh

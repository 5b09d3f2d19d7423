#!/bin/bash
# Fail when a test skipped for a reason tests/skips-allowed.txt does not list. Reads the "[SKIP] suite::name:
# reason" lines that Criterion's --verbose writes (meson's testlog.txt). With --root BUILD (as root), runs the
# allow-list's root tests from BUILD as root instead, where they must pass and must not skip.
#   usage: contrib/check-skips.sh TESTLOG | contrib/check-skips.sh --root BUILDDIR
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
allowed="$here/tests/skips-allowed.txt"

entries() { grep -v -E '^[[:space:]]*(#|$)' "$allowed"; }

if [ "${1:-}" = --root ]; then
  build=${2:?usage: $0 --root BUILDDIR}
  [ "$(id -u)" = 0 ] || { echo "check-skips: --root needs root" >&2; exit 2; }
  status=0
  while read -r kind exe name reason; do
    [ "$kind" = root ] || continue
    log=$(mktemp)
    suite=${name%%::*} test=${name#*::}
    if ! "$build/tests/$exe" --verbose --color=never --filter "$suite/$test" >"$log" 2>&1; then
      echo "check-skips: $name failed as root:" >&2; cat "$log" >&2; status=1
    elif grep -q "^\[SKIP\] $name:" "$log" || ! grep -q "^\[PASS\] $name" "$log"; then
      echo "check-skips: $name did not run as root:" >&2; grep "$name" "$log" >&2 || true; status=1
    else
      echo "check-skips: $name passed as root"
    fi
    rm -f "$log"
  done < <(entries)
  exit $status
fi

testlog=${1:?usage: $0 TESTLOG}
status=0
root_pending=0
# colours off, then "[SKIP] suite::name: reason"
while IFS= read -r line; do
  name=${line#\[SKIP\] }; name=${name%%: *}
  msg=${line#*"$name": }
  ok=""
  while read -r kind exe aname reason; do
    if [ "$aname" = "$name" ] && [[ "$msg" == *"$reason"* ]]; then ok=$kind; break; fi
  done < <(entries)
  case "$ok" in
    root) if [ "$(id -u)" = 0 ]; then echo "check-skips: $name skipped as root: $msg" >&2; status=1; else root_pending=1; fi ;;
    env) ;;
    *) echo "check-skips: $name skipped, and tests/skips-allowed.txt does not allow it: $msg" >&2; status=1 ;;
  esac
done < <(sed 's/\x1b\[[0-9;]*m//g' "$testlog" | grep -E '^\[SKIP\] [^ ]+::[^ ]+: ' | sort -u)
if [ $root_pending = 1 ] && [ -z "${SKIFF_TEST_ROOT_STAGE:-}" ]; then
  echo "check-skips: note: the root-only tests were skipped; contrib/test.sh started as root runs them" >&2
fi
exit $status

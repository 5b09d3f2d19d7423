#!/bin/bash
# Fuzz skiff's parsers of outside input (tests/fuzz, docs/fuzzing.md): build the libFuzzer harnesses with clang,
# ASan and UBSan in build-fuzz, replay every crash input kept in tests/fuzz/crashes/NAME/ (each must now pass),
# then run each harness for FUZZ_SECONDS from its seed corpus, FUZZ_JOBS harnesses at a time. Any crash, leak or
# timeout fails the script; the input that caused it is left in build-fuzz/artifacts/NAME/: fix the bug and keep
# the input in tests/fuzz/crashes/NAME/ as its regression test.
#
# CI budget (2 cores): the build takes about 2 minutes, then 19 harnesses x FUZZ_SECONDS (default 20) / 2 jobs
# about 3 minutes: the whole step stays near 6 minutes. Longer local runs: FUZZ_SECONDS=600 contrib/fuzz.sh,
# or FUZZ_ONLY="toml dns" for some harnesses only.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-$(nproc)}
build=${FUZZ_BUILD_DIR:-$src/build-fuzz}
only=${FUZZ_ONLY:-}

if ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang is missing (contrib/install-deps.sh installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi

start=$(date +%s)
if [ ! -f "$build/build.ninja" ]; then
  # -Db_lundef=false: the sanitizers' runtime resolves symbols at load time
  CC=clang meson setup "$build" "$src" -Dfuzz=true -Dtests=false -Dstatic_deps=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized >"$build.setup.log" 2>&1 ||
    { cat "$build.setup.log"; exit 1; }
fi
ninja -C "$build" >"$build.build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$build.build.log" | head -60; exit 1; }
echo "fuzz.sh: built in $(($(date +%s) - start)) s"

harnesses=$(cd "$build/tests/fuzz" && for f in fuzz-*; do if [ -f "$f" ] && [ -x "$f" ]; then echo "${f#fuzz-}"; fi; done)
if [ -n "$only" ]; then harnesses=$only; fi

# halt_on_error: a UBSan report is a failure, not a warning; libFuzzer's own limits make leaks, timeouts and
# out-of-memory failures too
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TMPDIR=$build/tmp
mkdir -p "$TMPDIR"
fuzz_flags=(-timeout=30 -rss_limit_mb=2560 -print_final_stats=1)

failed=0
replayed=0
# the kept crash inputs first: a regression fails before any new fuzzing
for h in $harnesses; do
  dir=$src/tests/fuzz/crashes/$h
  if [ ! -d "$dir" ] || [ -z "$(ls -A "$dir")" ]; then continue; fi
  replayed=$((replayed + $(ls -A "$dir" | wc -l)))
  if ! "$build/tests/fuzz/fuzz-$h" "${fuzz_flags[@]}" "$dir"/* >"$build/replay-$h.log" 2>&1; then
    echo "fuzz.sh: $h: a kept crash input fails again:" >&2
    tail -40 "$build/replay-$h.log" >&2
    failed=1
  fi
done
echo "fuzz.sh: $replayed kept crash inputs replayed$([ $failed = 0 ] && echo ", all pass")"

run_one() {
  local h=$1 corpus=$build/corpus/$1 artifacts=$build/artifacts/$1/
  mkdir -p "$corpus" "$artifacts"
  # new inputs go to the first corpus directory (build-fuzz's), the checked-in seeds are only read
  if "$build/tests/fuzz/fuzz-$h" "${fuzz_flags[@]}" -max_total_time="$seconds" -artifact_prefix="$artifacts" \
    "$corpus" "$src/tests/fuzz/corpus/$h" >"$build/fuzz-$h.log" 2>&1; then
    echo "fuzz.sh: $h: $(grep -E '^stat::number_of_executed_units' "$build/fuzz-$h.log" | awk '{print $2}') runs, no crash"
  else
    echo "fuzz.sh: $h: FAILED, input kept in $artifacts:" >&2
    grep -E "ERROR|SUMMARY|==[0-9]+==|#[0-9] " "$build/fuzz-$h.log" | head -30 >&2
    return 1
  fi
}

running=0
for h in $harnesses; do
  run_one "$h" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
echo "fuzz.sh: $(echo $harnesses | wc -w) harnesses, ${seconds} s each, $jobs at a time: $(($(date +%s) - start)) s in all"
exit $failed

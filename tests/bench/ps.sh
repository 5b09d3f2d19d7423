#!/bin/bash
# `ps -a` over many containers: creates N (default 1000) containers with `skiff create` and, when podman is
# installed, N with `podman create` in a private podman root, then times `skiff ps -a` and `podman ps -a`
# side by side with hyperfine and prints the means and their ratio. Target: skiff under 50 ms at 1,000.
# Run as an unprivileged user with a subordinate range. Usage: N=1000 tests/bench/ps.sh [path/to/skiff]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
skiff=${1:-$(command -v skiff || echo "$here/../../build/src/skiff")}
N=${N:-1000}
JOBS=${JOBS:-4}
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
work=$(mktemp -d /tmp/skiff-bench-ps-XXXXXX)
P="podman --root $work/proot --runroot $work/prun"
cleanup () {
  "$skiff" --root "$work/root" --runroot "$work/run" system reset --force >/dev/null 2>&1 || true
  if [ -d "$work/proot" ]; then $P rm -fa >/dev/null 2>&1 || true; $P system reset -f >/dev/null 2>&1 || true; podman unshare rm -rf "$work/proot" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
S="$skiff --root $work/root --runroot $work/run"
"$here/../../contrib/make-busybox-image.sh" "$work/busybox.tar"
$S import "$work/busybox.tar" busybox >/dev/null

echo "creating $N skiff containers ..." >&2
t0=$(date +%s.%N)
seq "$N" | xargs -P "$JOBS" -I{} $S create busybox true >/dev/null
t1=$(date +%s.%N)
echo "  $(python3 -c "print(f'{($t1-$t0)*1000/$N:.1f}')") ms per skiff create (with $JOBS in parallel)" >&2
[ "$($S ps -aq | wc -l)" = "$N" ] || { echo "expected $N skiff containers" >&2; exit 1; }

cmds=("$S ps -a")
names=("skiff ps -a")
if command -v podman >/dev/null && [ "${SKIFF_BENCH_PODMAN:-1}" = 1 ]; then
  if $P import "$work/busybox.tar" bench-busybox >/dev/null 2>&1; then
    echo "creating $N podman containers ..." >&2
    t0=$(date +%s.%N)
    seq "$N" | xargs -P "$JOBS" -I{} $P create --network none localhost/bench-busybox true >/dev/null
    t1=$(date +%s.%N)
    echo "  $(python3 -c "print(f'{($t1-$t0)*1000/$N:.1f}')") ms per podman create (with $JOBS in parallel)" >&2
    cmds+=("$P ps -a")
    names+=("podman ps -a")
  fi
fi
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$work/out.json" "${args[@]}" >&2
python3 - "$work/out.json" "$N" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
n = sys.argv[2]
base = r[0]["mean"]
for x in r:
    print(f"{x['command']:<14} ({n} containers) {x['mean']*1000:8.2f} ms ± {x['stddev']*1000:5.2f}   {x['mean']/base:6.2f}x skiff")
print("target: skiff ps -a under 50 ms:", "met" if base < 0.050 else "NOT met")
PY

#!/bin/bash
# Memory of skiff's monitor beside podman's conmon, in the same run: N idle containers each
# (default 100), then private memory (Private_Clean + Private_Dirty) and PSS of every monitor, from
# /proc/PID/smaps_rollup. Also `run -d` and `stop` latency with hyperfine.
# Usage (as an unprivileged user with subordinate ranges): tests/bench/monitor.sh [SKIFF] [N]
set -euo pipefail
skiff=$(readlink -f "${1:-build/src/skiff}")
n=${2:-100}
work=$(mktemp -d /tmp/skiff-monbench-XXXXXX)
S() { "$skiff" --root "$work/root" --runroot "$work/run" "$@"; }
P() { podman --runtime runc "$@"; }
cleanup() {
  S rm -f -a >/dev/null 2>&1 || true
  P rm -f -t 0 $(P ps -aq --filter label=skiff-bench=1) >/dev/null 2>&1 || true
  S system reset --force >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
src=$(cd "$(dirname "$0")/../.." && pwd)
"$src/contrib/make-busybox-image.sh" "$work/bb.tar" >/dev/null
S import "$work/bb.tar" busybox >/dev/null
P import -q "$work/bb.tar" localhost/skiff-bench-busybox >/dev/null

mem() { # pids... -> "private_kB pss_kB"
  local priv=0 pss=0
  for p in "$@"; do
    read -r a b c < <(awk '/^Private_Clean|^Private_Dirty/ {pr+=$2} /^Pss:/ {ps=$2} END {print pr, ps, 0}' "/proc/$p/smaps_rollup")
    priv=$((priv + a)); pss=$((pss + b))
  done
  echo "$priv $pss"
}

for i in $(seq "$n"); do S run -d --network none busybox sleep 1000 >/dev/null; done
for i in $(seq "$n"); do P run -d --network none --label skiff-bench=1 localhost/skiff-bench-busybox sleep 1000 >/dev/null; done
mapfile -t smon < <(S ps -q --no-trunc | while read -r id; do S inspect --format '{{.State.ConmonPid}}' "$id"; done)
mapfile -t pmon < <(P ps -q --no-trunc --filter label=skiff-bench=1 | while read -r id; do P inspect --format '{{.State.ConmonPid}}' "$id"; done)
read -r sp sps < <(mem "${smon[@]}")
read -r pp pps < <(mem "${pmon[@]}")
echo "$n idle containers each (--network none)"
printf '%-22s %14s %14s %14s\n' "" "private/monitor" "pss/monitor" "private total"
printf '%-22s %11d kB %11d kB %11d kB\n' "skiff-monitor" $((sp / ${#smon[@]})) $((sps / ${#smon[@]})) "$sp"
printf '%-22s %11d kB %11d kB %11d kB\n' "conmon" $((pp / ${#pmon[@]})) $((pps / ${#pmon[@]})) "$pp"
python3 -c "print(f'private memory ratio skiff/conmon: {$sp/$pp:.2f}')"

# one monitor with the network (libslirp and glib loaded, two threads)
S rm -f -a >/dev/null
S run -d --name net busybox sleep 1000 >/dev/null
read -r np nps < <(mem "$(S inspect --format '{{.State.ConmonPid}}' net)")
echo "skiff-monitor with slirp4netns networking: private ${np} kB, pss ${nps} kB"
S rm -f -a >/dev/null

echo "== run -d, and stop -t 0, latency (hyperfine, same run)"
SK="$skiff --root $work/root --runroot $work/run"
hyperfine -N -w 2 -r "${RUNS:-20}" \
  -p "sh -c '$SK rm -f lat >/dev/null 2>&1; podman rm -f -t 0 lat >/dev/null 2>&1; true'" \
  -n "skiff run -d" "$SK run -d --name lat --network none busybox sleep 1000" \
  -n "podman run -d" "podman --runtime runc run -d --name lat --network none localhost/skiff-bench-busybox sleep 1000" \
  2>&1 | grep -E "Time|±|faster|skiff run|podman run" || true
hyperfine -N -w 2 -r "${RUNS:-20}" \
  -p "sh -c '$SK rm -f lat >/dev/null 2>&1; $SK run -d --name lat --network none busybox sleep 1000 >/dev/null; podman rm -f -t 0 lat >/dev/null 2>&1; podman --runtime runc run -d --name lat --network none localhost/skiff-bench-busybox sleep 1000 >/dev/null'" \
  -n "skiff stop -t 0" "$SK stop -t 0 lat" \
  -n "podman stop -t 0" "podman --runtime runc stop -t 0 lat" \
  2>&1 | grep -E "Time|±|faster|stop" || true

#!/bin/bash
# Network throughput and start-up cost, side by side with podman + slirp4netns in the same run.
#   host -> container through a published port, container -> host through the gateway (10.0.2.2)
# Usage (as an unprivileged user with subordinate ranges, /dev/net/tun usable):
#   [REPS=5] tests/bench/net.sh [SKIFF] [SECONDS]
# Each direction runs REPS times per tool, interleaved; the medians are compared (single runs vary by 2x here).
# Needs iperf3, podman (with runc: crun refuses this host's hybrid cgroups), hyperfine.
set -euo pipefail
skiff=${1:-build/src/skiff}
secs=${2:-5}
skiff=$(readlink -f "$skiff")
work=$(mktemp -d /tmp/skiff-netbench-XXXXXX)
S() { "$skiff" --root "$work/root" --runroot "$work/run" "$@"; }
P() { podman --runtime runc "$@"; }
cleanup() {
  S rm -f -a >/dev/null 2>&1 || true
  P rm -f skiff-bench-srv skiff-bench-cli >/dev/null 2>&1 || true
  [ -n "${hostsrv:-}" ] && kill "$hostsrv" 2>/dev/null || true
  S system reset --force >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# an image with iperf3 and its libraries, from the host's files
r=$work/rootfs
mkdir -p "$r/bin" "$r/tmp"
cp /bin/busybox "$r/bin/busybox"
for a in sh true; do ln -s busybox "$r/bin/$a"; done
cp "$(command -v iperf3)" "$r/bin/iperf3"
for lib in $(ldd "$(command -v iperf3)" | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
  mkdir -p "$r$(dirname "$lib")"
  cp -L "$lib" "$r$lib"
done
tar -C "$r" -cf "$work/iperf.tar" .
S import "$work/iperf.tar" iperf >/dev/null
P import -q "$work/iperf.tar" localhost/skiff-bench-iperf >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
bps() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["end"]["sum_received"]["bits_per_second"])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }

reps=${REPS:-5}
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

echo "== host -> container through a published port ($reps x iperf3 -t $secs each, interleaved, medians)"
p1=$(free_port)
S run -d --name srv -p "$p1:5201" iperf iperf3 -s >/dev/null
p2=$(free_port)
P run -d --name skiff-bench-srv --network slirp4netns -p "$p2:5201" localhost/skiff-bench-iperf iperf3 -s >/dev/null
wait_port "$p1"; wait_port "$p2"; sleep 0.3
si=(); pi=()
for _ in $(seq "$reps"); do
  si+=("$(iperf3 -c 127.0.0.1 -p "$p1" -t "$secs" -J | bps)")
  pi+=("$(iperf3 -c 127.0.0.1 -p "$p2" -t "$secs" -J | bps)")
done
S rm -f srv >/dev/null
P rm -f skiff-bench-srv >/dev/null
skiff_in=$(median "${si[@]}"); podman_in=$(median "${pi[@]}")

echo "== container -> host through 10.0.2.2 (allow_host_loopback)"
p3=$(free_port)
iperf3 -s -p "$p3" -D --logfile "$work/iperf-host.log"
sleep 0.3
so=(); po=()
for _ in $(seq "$reps"); do
  so+=("$(S run --rm --network slirp4netns:allow_host_loopback=true iperf iperf3 -c 10.0.2.2 -p "$p3" -t "$secs" -J | bps)")
  po+=("$(P run --rm --network slirp4netns:allow_host_loopback=true localhost/skiff-bench-iperf iperf3 -c 10.0.2.2 -p "$p3" -t "$secs" -J | bps)")
done
pkill -f "iperf3 -s -p $p3" || true
skiff_out=$(median "${so[@]}"); podman_out=$(median "${po[@]}")
echo "runs (Gbit/s): in skiff ${si[*]} podman ${pi[*]}; out skiff ${so[*]} podman ${po[*]}" | python3 -c '
import re,sys
print(re.sub(r"[0-9.]+e?\+?[0-9]*", lambda m: "%.2f" % (float(m.group())/1e9) if float(m.group())>1e6 else m.group(), sys.stdin.read()), end="")'

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
gbit() { python3 -c "print(f'{$1/1e9:.2f} Gbit/s')"; }
printf '%-28s %16s %16s %8s\n' "median" skiff "podman+slirp4netns" ratio
printf '%-28s %16s %16s %8s\n' "host -> container (-p)" "$(gbit "$skiff_in")" "$(gbit "$podman_in")" "$(ratio "$skiff_in" "$podman_in")"
printf '%-28s %16s %16s %8s\n' "container -> host (10.0.2.2)" "$(gbit "$skiff_out")" "$(gbit "$podman_out")" "$(ratio "$skiff_out" "$podman_out")"

echo "== what the network adds to run --rm IMAGE true"
hyperfine -N -w 10 -r "${RUNS:-100}" \
  "$skiff --root $work/root --runroot $work/run run --rm --network none iperf true" \
  "$skiff --root $work/root --runroot $work/run run --rm iperf true" 2>&1 | grep -E "Time|±|faster"

#!/bin/bash
# Start-up benchmark: `skiff run --rm busybox true` (and --network none, and --network host) against the
# `unshare -Urmpfniu true` floor and, when installed, `podman run --rm`, in the same hyperfine run.
# Prints each mean and its ratio to the floor. Run as an unprivileged user with a subordinate range.
# Usage: tests/bench/run-startup.sh [path/to/skiff]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
skiff=${1:-$(command -v skiff || echo "$here/../../build/src/skiff")}
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
work=$(mktemp -d /tmp/skiff-bench-XXXXXX)
trap '"$skiff" --root "$work/root" --runroot "$work/run" system reset --force >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
S="$skiff --root $work/root --runroot $work/run"
"$here/../../contrib/make-busybox-image.sh" "$work/busybox.tar"
$S import "$work/busybox.tar" busybox >/dev/null
$S run --rm busybox true   # creates the pause process and the seccomp cache, as any first use does

cmds=("unshare -Urmpfniu true" "$S run --rm busybox true" "$S run --rm --network none busybox true" "$S run --rm --network host busybox true")
names=("unshare floor" "skiff run --rm" "skiff --network none" "skiff --network host")
if command -v podman >/dev/null && [ "${SKIFF_BENCH_PODMAN:-1}" = 1 ]; then
  if podman image exists localhost/skiff-bench-busybox 2>/dev/null || podman import "$work/busybox.tar" skiff-bench-busybox >/dev/null 2>&1; then
    # crun refuses hybrid cgroup hosts ("cgroups in hybrid mode not supported"): fall back to runc there
    for p in "podman" "podman --runtime runc"; do
      if $p run --rm --network none localhost/skiff-bench-busybox true >/dev/null 2>&1; then
        cmds+=("$p run --rm --network none localhost/skiff-bench-busybox true")
        names+=("$p run --rm")
        break
      fi
    done
  fi
fi
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N --warmup 5 --runs "${RUNS:-200}" --export-json "$work/out.json" "${args[@]}" >&2
python3 - "$work/out.json" <<'PY' 2>/dev/null || jq -r '.results as $r | $r[] | "\(.command)\t\(.mean*1000) ms\t\(.mean/$r[0].mean)x"' "$work/out.json"
import json, sys
r = json.load(open(sys.argv[1]))["results"]
floor = r[0]["mean"]
for x in r:
    print(f"{x['command']:<24} {x['mean']*1000:8.2f} ms ± {x['stddev']*1000:5.2f}   {x['mean']/floor:5.2f}x the floor")
PY

#!/bin/bash
# What a mount costs a start: `skiff run --rm busybox true` without a mount, with `-v HOSTDIR:/data`, with a
# named volume (`-v NAME:/data`) and with a read-only bind (`-v HOSTDIR:/data:ro`), in the same hyperfine run.
# Prints each mean, what it adds to the plain run in ms, and the ratio. The budget (issue #12): -v adds at most
# 1 ms. Run as an unprivileged user with a subordinate range.
# Usage: tests/bench/volumes.sh [path/to/skiff]   (RUNS=N, default 200)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
skiff=${1:-$(command -v skiff || echo "$here/../../build/src/skiff")}
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
work=$(mktemp -d /tmp/skiff-bench-XXXXXX)
trap '"$skiff" --root "$work/root" --runroot "$work/run" system reset --force >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
S="$skiff --root $work/root --runroot $work/run"
"$here/../../contrib/make-busybox-image.sh" "$work/busybox.tar"
$S import "$work/busybox.tar" busybox >/dev/null
mkdir -p "$work/data"
echo hello > "$work/data/file"
$S run --rm busybox true                      # the pause process and the seccomp cache, as any first use
$S run --rm -v benchvol:/data busybox true    # the named volume exists (and is copied up) from here on

cmds=("$S run --rm --network none busybox true"
      "$S run --rm --network none -v $work/data:/data busybox true"
      "$S run --rm --network none -v benchvol:/data busybox true"
      "$S run --rm --network none -v $work/data:/data:ro busybox true")
names=("run --rm" "run --rm -v DIR:/data" "run --rm -v VOLUME:/data" "run --rm -v DIR:/data:ro")
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N --warmup 5 --runs "${RUNS:-200}" --export-json "$work/out.json" "${args[@]}" >&2
python3 - "$work/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["mean"]
for x in r:
    print(f"{x['command']:<26} {x['mean']*1000:8.2f} ms ± {x['stddev']*1000:5.2f}  "
          f"median {x['median']*1000:7.2f} ms  {'+' if x['mean'] >= base else ''}{(x['mean']-base)*1000:6.2f} ms  {x['mean']/base:5.3f}x")
PY

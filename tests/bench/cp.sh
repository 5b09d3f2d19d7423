#!/bin/bash
# skiff cp of a tree into a container against `tar c | tar x` of the same tree on the same host and disk: a
# tree of FILES files (default 5,000) of SIZE_KB each (default 20, so 100 MB) in DIRS directories, copied into
# a running container (its overlay upper directory, reached through /proc/PID/root), and piped through tar into
# a directory beside the graph root. One hyperfine run; prints the means and the ratio cp/tar (target: <= 1).
# Usage: tests/bench/cp.sh [/path/to/skiff]   (as the user the containers run as; needs hyperfine and jq)
set -euo pipefail
SKIFF=${1:-${SKIFF:-skiff}}
FILES=${FILES:-5000}
DIRS=${DIRS:-50}
SIZE_KB=${SIZE_KB:-20}
RUNS=${RUNS:-5}
here=$(cd "$(dirname "$0")/../.." && pwd)
base="${WORKDIR:-${XDG_DATA_HOME:-$HOME/.local/share}}"
mkdir -p "$base"
work=$(mktemp -d "$base/skiff-bench-cp-XXXXXX")
sk=("$SKIFF" --root "$work/root" --runroot "$work/run")
cleanup() {
  "${sk[@]}" rm -f -t 0 cpbench >/dev/null 2>&1 || true
  "${sk[@]}" system reset -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$here/contrib/make-busybox-image.sh" "$work/busybox.tar" >/dev/null
"${sk[@]}" import "$work/busybox.tar" busybox >/dev/null
"${sk[@]}" run -d --name cpbench busybox sleep 100000 >/dev/null

per_dir=$((FILES / DIRS))
for d in $(seq 1 "$DIRS"); do
  mkdir -p "$work/tree/d$d"
  for f in $(seq 1 "$per_dir"); do
    head -c $((SIZE_KB * 1024)) /dev/urandom > "$work/tree/d$d/f$f"
  done
done
echo "tree: $(find "$work/tree" -type f | wc -l) files, $(du -sm "$work/tree" | cut -f1) MB"

hyperfine --runs "$RUNS" --warmup 1 --export-json "$work/cp.json" \
  --prepare "${sk[*]} exec cpbench rm -rf /dst; ${sk[*]} exec cpbench mkdir /dst; rm -rf $work/dst; mkdir $work/dst; sync" \
  -n "skiff cp" "${sk[*]} cp $work/tree cpbench:/dst/" \
  -n "tar c | tar x" "tar c -C $work tree | tar x -C $work/dst"
cp_mean=$(jq '.results[0].mean' "$work/cp.json")
tar_mean=$(jq '.results[1].mean' "$work/cp.json")
echo "skiff cp: ${cp_mean}s   tar c | tar x: ${tar_mean}s   ratio cp/tar: $(echo "scale=2; $cp_mean / $tar_mean" | bc)"

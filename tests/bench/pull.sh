#!/bin/bash
# Pull benchmark (not a test): a ~90 MB two-layer image built from the host's files (no network), pushed with
# skiff to a local docker-registry on 127.0.0.1 (started here, stopped at the end), then in one hyperfine run
# a cold `skiff pull` (prepare: reset skiff's store) against a cold `podman pull` (prepare: podman rmi -f) and
# the floor of GNU tar extracting the same two layers from local files.
# Then: the bytes each tool fetches for a second image sharing the base layer (from the registry's access
# log), and `skiff images` with 200 names (podman images alongside). Prints the figures and the ratios.
# Run as an unprivileged user. Usage: tests/bench/pull.sh [path/to/skiff]
# Environment: RUNS (pull runs, default 10), LAYER1_MB (60), LAYER2_MB (30), LAYER3_MB (10), SKIFF_BENCH_PODMAN=0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
skiff=${1:-$(command -v skiff || echo "$here/../../build/src/skiff")}
skiff=$(realpath "$skiff")
registry_bin=/usr/bin/docker-registry
for t in hyperfine python3 "$registry_bin"; do
  command -v "$t" >/dev/null || { echo "$t is needed (apt-get install hyperfine python3 docker-registry)" >&2; exit 1; }
done
podman=0
if command -v podman >/dev/null && [ "${SKIFF_BENCH_PODMAN:-1}" = 1 ]; then podman=1; fi

work=$(mktemp -d /tmp/skiff-bench-pull-XXXXXX)
S="$skiff --root $work/root --runroot $work/run"
reg_pid=
cleanup () {
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null || true
  $S system reset --force >/dev/null 2>&1 || true
  if [ "$podman" = 1 ] && [ -n "${port:-}" ]; then
    # by ID: removing one of several names only untags
    ids=$(podman image inspect --format '{{.Id}}' "127.0.0.1:$port/bench/big:latest" \
      "127.0.0.1:$port/bench/app:latest" 2>/dev/null | sort -u || true)
    [ -z "$ids" ] || podman rmi -f $ids >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# ---- the images: layer 1 (libraries, ~60 MB), layer 2 (~30 MB of /usr/share), layer 3 (~10 MB, the
# second image's own layer); as a docker-archive loaded into skiff ----
echo "building the image from host files..." >&2
python3 - "$work/img" "${LAYER1_MB:-60}" "${LAYER2_MB:-30}" "${LAYER3_MB:-10}" <<'PY'
import hashlib, json, os, sys, tarfile
out, mb = sys.argv[1], [int(x) for x in sys.argv[2:5]]
os.makedirs(out)
def files(roots, skip=()):
    for root in roots:
        for d, dirs, names in os.walk(root):
            dirs.sort()
            if any(d.startswith(s) for s in skip):
                continue
            for n in sorted(names):
                p = os.path.join(d, n)
                if os.path.islink(p) or not os.path.isfile(p) or not os.access(p, os.R_OK):
                    continue
                yield p
used = set()
def layer(name, roots, budget, skip=()):
    budget <<= 20
    total = 0
    with tarfile.open(os.path.join(out, name), "w", format=tarfile.PAX_FORMAT) as t:
        for p in files(roots, skip):
            if p in used:
                continue
            sz = os.path.getsize(p)
            if sz > budget - total:
                continue
            used.add(p)
            t.add(p, arcname=p.lstrip("/"), recursive=False)
            total += sz
            if total > budget * 0.98:
                break
    h = hashlib.sha256(open(os.path.join(out, name), "rb").read()).hexdigest()
    return h, total
l1 = layer("l1.tar", ["/usr/lib/x86_64-linux-gnu", "/usr/lib"], mb[0])
l2 = layer("l2.tar", ["/usr/share"], mb[1], skip=("/usr/share/doc",))
l3 = layer("l3.tar", ["/usr/share/doc", "/usr/bin", "/usr/sbin", "/usr/libexec"], mb[2])
def config(diffs, cmd):
    return json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
                       "config": {"Cmd": [cmd]},
                       "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d[0] for d in diffs]}}).encode()
manifest = []
for name, tag, layers, tars in (("big", "bench/big:latest", (l1, l2), ["l1.tar", "l2.tar"]),
                                ("app", "bench/app:latest", (l1, l3), ["l1.tar", "l3.tar"])):
    c = config(layers, "/bin/true")
    open(os.path.join(out, name + ".json"), "wb").write(c)
    manifest.append({"Config": name + ".json", "RepoTags": [tag], "Layers": tars})
json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"))
for n, l in (("layer 1", l1), ("layer 2", l2), ("layer 3", l3)):
    print(f"  {n}: {l[1] / 1e6:.1f} MB of files", file=sys.stderr)
PY
tar -C "$work/img" -cf "$work/images.tar" manifest.json big.json app.json l1.tar l2.tar l3.tar
mv "$work/img/l1.tar" "$work/img/l2.tar" "$work"   # for the floor: GNU tar extracting the same layers
rm -rf "$work/img"
$S load -q -i "$work/images.tar" >/dev/null
rm -f "$work/images.tar"

# ---- the registry, on a free port of 127.0.0.1, with an access log (bytes per blob GET) ----
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
reg="127.0.0.1:$port"
mkdir -p "$work/registry"
cat > "$work/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry/data
http:
  addr: $reg
EOF
"$registry_bin" serve "$work/registry/config.yml" > "$work/registry/log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
$S push -q --tls-verify=false bench/big "$reg/bench/big:latest"
$S push -q --tls-verify=false bench/app "$reg/bench/app:latest"
$S system reset --force >/dev/null

big="$reg/bench/big:latest"
app="$reg/bench/app:latest"
# bytes of the blob bodies the registry sent since line $1 of its access log
blob_bytes () {
  tail -n +"$(($1 + 1))" "$work/registry/log" | python3 -c '
import re, sys
n = c = 0
for line in sys.stdin:
    m = re.search(r"\"GET /v2/[^ ]*/blobs/sha256:[0-9a-f]+ HTTP/[0-9.]+\" 200 (\d+)", line)
    if m:
        n += int(m.group(1)); c += 1
print(f"{n} {c}")'
}
loglines () { wc -l < "$work/registry/log"; }

# ---- cold pulls, side by side ----
# the floor: extracting the two layer tars from local files, no network, no verification
cat > "$work/floor.sh" <<EOF
#!/bin/sh
mkdir "$work/floor" && tar -C "$work/floor" -xf "$work/l1.tar" && tar -C "$work/floor" -xf "$work/l2.tar"
EOF
chmod +x "$work/floor.sh"
cmds=(-n "tar -x floor" --prepare "rm -rf $work/floor" "$work/floor.sh")
cmds+=(-n "skiff pull" --prepare "$S system reset --force" "$S pull -q --tls-verify=false $big")
if [ "$podman" = 1 ]; then
  podman pull -q --tls-verify=false "$big" >/dev/null   # podman's first use (storage setup) out of the timing
  cmds+=(-n "podman pull" --prepare "podman rmi -f $big" "podman pull -q --tls-verify=false $big")
fi
hyperfine -N --warmup 1 --runs "${RUNS:-10}" --export-json "$work/pull.json" "${cmds[@]}" >&2

# ---- a second image sharing the base layer: only its own layer should cross the wire ----
declare -A fetched
$S system reset --force >/dev/null
$S pull -q --tls-verify=false "$big" >/dev/null
l0=$(loglines)
$S pull -q --tls-verify=false "$app" >/dev/null
fetched[skiff]=$(blob_bytes "$l0")
if [ "$podman" = 1 ]; then
  podman rmi -f "$big" "$app" >/dev/null 2>&1 || true
  podman pull -q --tls-verify=false "$big" >/dev/null
  l0=$(loglines)
  podman pull -q --tls-verify=false "$app" >/dev/null
  fetched[podman]=$(blob_bytes "$l0")
fi

# ---- `skiff images` with 200 names on one image ----
names=()
for i in $(seq 200); do names+=("localhost/skiff-bench-t$i:latest"); done
$S tag "$big" "${names[@]}"
icmds=(-n "skiff images (200 names)" "$S images")
if [ "$podman" = 1 ]; then
  podman tag "$big" "${names[@]}"
  icmds+=(-n "podman images (200 names)" "podman images")
fi
hyperfine -N --warmup 5 --runs "${IMAGES_RUNS:-100}" --export-json "$work/images.json" "${icmds[@]}" >&2
echo "  skiff images lists $($S images --format '{{.Repository}}' | wc -l) lines" >&2

# ---- figures ----
layers=$(du -sb "$work/registry/data/docker/registry/v2/blobs" | cut -f1)
python3 - "$work/pull.json" "$work/images.json" "${fetched[skiff]}" "${fetched[podman]:-}" "$layers" <<'PY'
import json, sys
pull = json.load(open(sys.argv[1]))["results"]
images = json.load(open(sys.argv[2]))["results"]
print(f"registry blobs: {int(sys.argv[5]) / 1e6:.1f} MB (both images)")
print("cold pull of the two-layer image (tar -x floor: GNU tar extracting the same layers from local files):")
floor = pull[0]["mean"]
for x in pull:
    print(f"  {x['command']:<14} {x['mean']*1000:8.1f} ms ± {x['stddev']*1000:6.1f}  (min {x['min']*1000:.1f})"
          f"  {x['mean'] / floor:5.2f}x the floor")
if len(pull) > 2:
    r = pull[1]["mean"] / pull[2]["mean"]
    print(f"  skiff / podman = {r:.2f}x  (target <= 0.40x: {'met' if r <= 0.40 else 'NOT met'})")
print("second image sharing the base layer, blob bytes sent by the registry:")
for tool, v in (("skiff", sys.argv[3]), ("podman", sys.argv[4])):
    if v:
        n, c = v.split()
        print(f"  {tool:<8} {int(n) / 1e6:8.2f} MB in {c} blob GETs")
print("listing 200 names:")
for x in images:
    print(f"  {x['command']:<26} {x['mean']*1000:7.2f} ms ± {x['stddev']*1000:5.2f}")
m = images[0]["mean"] * 1000
print(f"  skiff images target < 20 ms: {'met' if m < 20 else 'NOT met'}")
if len(images) > 1:
    print(f"  skiff / podman = {images[0]['mean'] / images[1]['mean']:.2f}x")
PY

#!/usr/bin/env python3
# Start-up of two skiffs side by side: tests/bench/run-startup.sh's commands (run --rm busybox true, with the
# default network, none and host) for BEFORE and AFTER, interleaved run by run so that the load of a shared host
# hits both alike; wall time and CPU time (the rusage of each command and what it waited for): median, mean, p10.
# Usage, as an unprivileged user with a subordinate range: RUNS=200 tests/bench/run-startup-ab.py BEFORE AFTER
import os, sys, time, statistics, subprocess, tempfile, shutil
before, after, n = sys.argv[1], sys.argv[2], int(os.environ.get("RUNS", "200"))
work = tempfile.mkdtemp(prefix="/tmp/skiff-il-")
B = [before, "--root", work + "/broot", "--runroot", work + "/brun"]
A = [after, "--root", work + "/aroot", "--runroot", work + "/arun"]
null = open(os.devnull, "r+")
def sh(cmd): subprocess.run(cmd, stdin=null, stdout=null, stderr=null, check=True)
tar = work + "/busybox.tar"
subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../contrib/make-busybox-image.sh"), tar], stdout=null, stderr=null, check=True)
for S in (B, A):
    sh(S + ["import", tar, "busybox"]); sh(S + ["run", "--rm", "busybox", "true"])
cases = [("floor", ["unshare", "-Urmpfniu", "true"])]
for label, extra in (("run --rm", []), ("--network none", ["--network", "none"]), ("--network host", ["--network", "host"])):
    for who, S in (("before", B), ("after", A)):
        cases.append((f"{who} {label}", S + ["run", "--rm"] + extra + ["busybox", "true"]))
res = {c[0]: ([], []) for c in cases}
try:
    for i in range(n + 5):
        for name, cmd in cases:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdin=null, stdout=null, stderr=null)
            _, status, ru = os.wait4(p.pid, 0)
            t1 = time.perf_counter()
            if i >= 5:
                res[name][0].append(t1 - t0); res[name][1].append(ru.ru_utime + ru.ru_stime)
finally:
    for S in (B, A):
        subprocess.run(S + ["system", "reset", "--force"], stdin=null, stdout=null, stderr=null)
    shutil.rmtree(work, ignore_errors=True)
floor = statistics.median(res["floor"][0])
for name, _ in cases:
    w, c = res[name]
    q = statistics.quantiles(w, n=10)
    print(f"{name:<24} wall median {statistics.median(w)*1000:6.2f} ms  mean {statistics.mean(w)*1000:6.2f}  p10 {q[0]*1000:6.2f}"
          f"   cpu median {statistics.median(c)*1000:6.2f} ms   {statistics.median(w)/floor:4.2f}x floor")

# bench/b-tcprules.sh: roaming-tcprules against the real tcprules on the benchmark rules: median wall time, ratio, peak RSS, identical output.
# RUNS=n alternating runs of each program per file (default 11).
cd "$(dirname "$0")/.." || exit 111
W=bench/.work
mkdir -p "$W" || exit 111
for p in tests/gen-rules tcprules/roaming-tcprules; do
	[ -x "$p" ] || { echo "b-tcprules: $p is not built (make all tests/gen-rules)" >&2; exit 111; }
done
# 100,000 exact addresses with two variables, 10,000 prefixes, ":allow".
tests/gen-rules bench 1 110000 > "$W/bench-110k.rules" || exit 111
tests/gen-rules bench 2 1000 > "$W/bench-1k.rules" || exit 111
exec python3 - "$W" "${RUNS:-11}" <<'PY'
import filecmp, os, statistics, subprocess, sys, time

work, runs = sys.argv[1], int(sys.argv[2])
progs = [("tcprules", "tcprules"), ("roaming", "tcprules/roaming-tcprules")]

def once(prog, rules, tag):
    """One compile, started straight from here: wall and CPU seconds."""
    out, tmp = os.path.join(work, tag + ".cdb"), os.path.join(work, tag + ".tmp")
    with open(rules, "rb") as f:
        t0 = time.perf_counter()
        p = subprocess.Popen([prog, out, tmp], stdin=f)
        _, status, ru = os.wait4(p.pid, 0)   # this child's own rusage
        t1 = time.perf_counter()
    rc = os.waitstatus_to_exitcode(status)
    p.returncode = rc
    if rc != 0:
        sys.exit("b-tcprules: %s exited %d on %s" % (prog, rc, rules))
    return t1 - t0, ru.ru_utime + ru.ru_stime

def peak_rss(prog, rules, tag):
    """Peak RSS in KiB, through GNU time: a child forked from this Python
    would report Python's own RSS (Linux carries the pre-exec high-water
    mark into ru_maxrss), GNU time's children start from its small one."""
    out, tmp = os.path.join(work, tag + ".cdb"), os.path.join(work, tag + ".tmp")
    rep = os.path.join(work, tag + ".rss")
    with open(rules, "rb") as f:
        rc = subprocess.call(["/usr/bin/time", "-f", "%M", "-o", rep, prog, out, tmp], stdin=f)
    if rc != 0:
        sys.exit("b-tcprules: %s exited %d on %s" % (prog, rc, rules))
    with open(rep) as r:
        return int(r.read().split()[-1])

failed = False
for name in ("bench-110k", "bench-1k"):
    rules = os.path.join(work, name + ".rules")
    lines = sum(1 for _ in open(rules, "rb"))
    times = {k: [] for k, _ in progs}
    cpu = {k: [] for k, _ in progs}
    rss = {k: 0 for k, _ in progs}
    # The small file takes a few ms, mostly exec and fsync: more runs.
    n = runs if lines > 10000 else runs * 5
    for k, prog in progs:          # warm the page cache, not counted
        once(prog, rules, k)
    for _ in range(n):             # alternate, so drift hits both alike
        for k, prog in progs:
            t, c = once(prog, rules, k)
            times[k].append(t)
            cpu[k].append(c)
    for _ in range(3):
        for k, prog in progs:
            rss[k] = max(rss[k], peak_rss(prog, rules, k))
    same = filecmp.cmp(os.path.join(work, "tcprules.cdb"), os.path.join(work, "roaming.cdb"), shallow=False)
    failed |= not same
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["roaming"] / med["tcprules"]
    size = os.path.getsize(os.path.join(work, "roaming.cdb"))
    mcpu = {k: statistics.median(v) for k, v in cpu.items()}
    print("%s: %d lines -> %.1f MB cdb, %d runs each" % (name, lines, size / 1e6, n))
    print("  median wall: tcprules %.1f ms, roaming-tcprules %.1f ms" % (med["tcprules"] * 1e3, med["roaming"] * 1e3))
    print("  min wall:    tcprules %.1f ms, roaming-tcprules %.1f ms" % (min(times["tcprules"]) * 1e3, min(times["roaming"]) * 1e3))
    print("  median CPU (user+sys): tcprules %.1f ms, roaming-tcprules %.1f ms" % (mcpu["tcprules"] * 1e3, mcpu["roaming"] * 1e3))
    print("  ratio roaming/tcprules: %.2f wall (goal <= 1.0: %s), %.2f CPU"
          % (ratio, "met" if ratio <= 1.0 else "NOT met", mcpu["roaming"] / mcpu["tcprules"]))
    print("  peak RSS: tcprules %.1f MB, roaming-tcprules %.1f MB" % (rss["tcprules"] / 1024, rss["roaming"] / 1024))
    print("  outputs identical: %s" % ("yes" if same else "NO"))
sys.exit(1 if failed else 0)
PY

# bench/b-postfix.sh: issue 5's speed: writing the Postfix cdb: map for 100,000 roaming entries beside Postfix's own postmap cdb: of the same entries, in the same run; medians of alternating runs, ratios, identical output.
#
# sh bench/b-postfix.sh   (after make; under a minute on 2 cores)
# Environment: BENCH_ENTRIES (100000), RUNS (9 alternating runs of each),
# KEEP=1 (keep the work directory).
#
# Four commands, each started fresh and timed from outside, alternating:
#   postmap        postmap cdb:SRC, SRC holding the "ADDRESS OK" lines
#   roaming-map    bench/bench-postfix: reads the 100,000-line open-smtp file
#                  and writes the map with the rebuild's own code (the like of
#                  postmap's job: a source in, a cdb out)
#   rebuild+map    roamingctl rebuild with ROAMING_POSTFIX_MAP set: the same,
#                  plus tcp.smtp.cdb, the state and the lock
#   rebuild        the same rebuild without a map
# The goal (no slower than postmap) is judged on roaming-map's median wall
# time; the rebuild lines show what a whole rebuild costs and the map's share
# of it. roaming fsyncs the map before the rename, postmap does not: that is
# in roaming's wall time. As wall time on a shared machine is noisy, the
# instructions each of the two executes (valgrind --tool=callgrind, the same
# count on every run) are printed too, when valgrind is there.
cd "$(dirname "$0")/.." || exit 111
TOP=$(pwd)
for p in roaming/roamingctl bench/bench-postfix; do
	[ -x "$p" ] || { echo "b-postfix: $p is missing: run make bench" >&2; exit 111; }
done
[ -x /usr/bin/time ] || echo "b-postfix: /usr/bin/time is missing: no peak RSS" >&2

W=$(mktemp -d "${TMPDIR:-/tmp}/b-postfix.XXXXXX") || exit 111
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
trap 'exit 111' INT TERM HUP
# postmap reads main.cf: an empty one of our own works on any installation
mkdir "$W/postfix" && : > "$W/postfix/main.cf" || exit 111
MAIL_CONFIG=$W/postfix
export MAIL_CONFIG
command -v postmap >/dev/null && postconf -m 2>/dev/null | grep -qx cdb \
	|| { echo "b-postfix: postmap with cdb: support is missing (tools/deps: postfix, postfix-cdb)" >&2; exit 111; }

# Not exec: the EXIT trap must still remove the work directory.
python3 - "$TOP" "$W" "${BENCH_ENTRIES:-100000}" "${RUNS:-9}" <<'PY'
import filecmp, os, random, socket, statistics, subprocess, sys, time

top, work, n, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ctl = os.path.join(top, "roaming", "roamingctl")
drv = os.path.join(top, "bench", "bench-postfix")
src = os.path.join(work, "src")
rdir = os.path.join(work, "r")
os.mkdir(rdir)

# The entries: nine in ten IPv4, the rest IPv6, distinct, shuffled, recent.
rng = random.Random(5)
addrs = set()
while len(addrs) < n:
    if rng.random() < 0.9:
        addrs.add("10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)))
    else:
        addrs.add("2001:db8:%x:%x::%x" % (rng.randrange(1, 65536), rng.randrange(1, 65536), rng.randrange(1, 65536)))
addrs = sorted(addrs)
rng.shuffle(addrs)
now = int(time.time())
with open(os.path.join(rdir, "open-smtp"), "w") as f:
    for a in addrs:
        f.write('%s:allow,RELAYCLIENT="",RBLSMTPD=""\t%d\n' % (a, now - rng.randrange(3600)))
open(os.path.join(rdir, "tcp.smtp"), "w").close()
# postmap's source: the same entries, in the same order, as smtpd looks them up.
with open(src, "w") as f:
    for a in addrs:
        fam = socket.AF_INET6 if ":" in a else socket.AF_INET
        f.write("%s OK\n" % socket.inet_ntop(fam, socket.inet_pton(fam, a)))

env = {k: v for k, v in os.environ.items() if not k.startswith("ROAMING_")}
env.update(ROAMING_CONF="/dev/null", ROAMING_TCP_RULES=os.path.join(rdir, "tcp.smtp"),
           ROAMING_DB="file:" + os.path.join(rdir, "open-smtp"), ROAMING_CLEAR_MINUTES="5256000")
env_map = dict(env, ROAMING_POSTFIX_MAP=os.path.join(rdir, "roaming"))
env_nomap = dict(env, ROAMING_POSTFIX_MAP="")
cmds = [
    ("postmap", ["postmap", "cdb:" + src], env),
    ("roaming-map", [drv], env_map),
    ("rebuild+map", [ctl, "rebuild"], env_map),
    ("rebuild", [ctl, "rebuild"], env_nomap),
]

def once(argv, e):
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=e, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    t1 = time.perf_counter()
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        sys.exit("b-postfix: %s exited %d" % (" ".join(argv), rc))
    return t1 - t0, ru.ru_utime + ru.ru_stime

def peak_rss(argv, e):
    """KiB, through GNU time (a child forked from this Python would carry
    Python's own high-water mark in ru_maxrss)."""
    rep = os.path.join(work, "rss")
    if not os.access("/usr/bin/time", os.X_OK):
        return 0
    subprocess.check_call(["/usr/bin/time", "-f", "%M", "-o", rep] + argv, env=e,
                          stdout=subprocess.DEVNULL)
    return int(open(rep).read().split()[-1])

wall = {k: [] for k, _, _ in cmds}
cpu = {k: [] for k, _, _ in cmds}
for k, argv, e in cmds:              # warm the page cache, not counted
    once(argv, e)
for _ in range(runs):                # alternate, so drift hits all alike
    for k, argv, e in cmds:
        t, c = once(argv, e)
        wall[k].append(t)
        cpu[k].append(c)
rss = {k: max(peak_rss(argv, e) for _ in range(2)) for k, argv, e in cmds}
# The map each writer leaves, against postmap's.
mapfile = os.path.join(rdir, "roaming.cdb")
once(cmds[1][1], cmds[1][2])
same = filecmp.cmp(mapfile, src + ".cdb", shallow=False)
once(cmds[2][1], cmds[2][2])
same = same and filecmp.cmp(mapfile, src + ".cdb", shallow=False)

med = {k: statistics.median(v) for k, v in wall.items()}
mcpu = {k: statistics.median(v) for k, v in cpu.items()}
share = med["rebuild+map"] - med["rebuild"]
size = os.path.getsize(src + ".cdb")
print("postfix map: %d entries (%d IPv6) -> %.1f MB cdb, %d alternating runs each"
      % (n, sum(1 for a in addrs if ":" in a), size / 1e6, runs))
for k, _, _ in cmds:
    print("  %-12s median wall %7.1f ms  (min %7.1f, max %7.1f)  median CPU %7.1f ms  peak RSS %6.1f MB"
          % (k, med[k] * 1e3, min(wall[k]) * 1e3, max(wall[k]) * 1e3, mcpu[k] * 1e3, rss[k] / 1024))
ratio = med["roaming-map"] / med["postmap"]
print("  ratio roaming-map/postmap: %.2f (goal <= 1.0: %s)" % (ratio, "met" if ratio <= 1.0 else "NOT met"))
print("  a whole rebuild with the map: %.2f of postmap; the map's share of it (rebuild+map - rebuild): %.1f ms"
      % (med["rebuild+map"] / med["postmap"], share * 1e3))
print("  maps identical to postmap's (bench-postfix and rebuild): %s" % ("yes" if same else "NO"))

def instructions(argv, e):
    out = os.path.join(work, "cg.out")
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + argv,
                       env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in r.stderr.splitlines():
        if "refs:" in line:
            return int(line.split("refs:")[1].replace(",", ""))
    return 0

if subprocess.call(["sh", "-c", "command -v valgrind"], stdout=subprocess.DEVNULL) == 0:
    ipm = instructions(cmds[0][1], cmds[0][2])
    irm = instructions(cmds[1][1], cmds[1][2])
    if ipm and irm:
        print("  instructions: postmap %.0f M, roaming-map %.0f M, ratio %.2f"
              % (ipm / 1e6, irm / 1e6, irm / ipm))
sys.exit(0 if same else 1)
PY
exit $?

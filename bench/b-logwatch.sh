#!/bin/sh
# bench/b-logwatch.sh: issue 6's speed: lines per second the log watcher parses
# from a 1,000,000-line mixed mail log (tests/gen-maillog: Postfix and other
# noise, failed and successful logins of every format, hostile lines), beside
# grep -c of the same file as the floor; medians of alternating runs, the
# ratio, and the goal (at least 1,000,000 lines a second). Then one
# --once run that also records every login into a fresh store, for scale.
#
# sh bench/b-logwatch.sh   (after make bench; well under a minute on 2 cores)
# Environment: BENCH_LINES (1000000), RUNS (7 alternating runs of each),
# KEEP=1 (keep the work directory).
cd "$(dirname "$0")/.." || exit 111
TOP=$(pwd)
for p in roaming/roaming-logwatch tests/gen-maillog roaming/roamingctl; do
	[ -x "$p" ] || { echo "b-logwatch: $p is missing: run make bench" >&2; exit 111; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/b-logwatch.XXXXXX") || exit 111
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
trap 'exit 111' INT TERM HUP

exec python3 - "$TOP" "$W" "${BENCH_LINES:-1000000}" "${RUNS:-7}" <<'PY'
import os, resource, statistics, subprocess, sys, time

top, work, lines, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lw = os.path.join(top, "roaming", "roaming-logwatch")
log = os.path.join(work, "mail.log")
with open(log, "wb") as f:
    subprocess.run([os.path.join(top, "tests", "gen-maillog"), str(lines), "1",
                    os.path.join(work, "expected")], stdout=f, check=True)
size = os.path.getsize(log)
with open(log, "rb") as f:          # into the page cache: both read from memory
    while f.read(1 << 20):
        pass

def timed(cmd):
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, check=False)
    return time.perf_counter() - t, r

cmds = {
    "roaming-logwatch --count": [lw, "--count", log],
    "grep -c -F Login": ["grep", "-c", "-F", "Login", log],
}
times = {k: [] for k in cmds}
outs = {}
for i in range(runs):
    for k, c in (cmds.items() if i % 2 == 0 else reversed(list(cmds.items()))):
        dt, r = timed(c)
        times[k].append(dt)
        outs[k] = r.stdout.decode().strip()
med = {k: statistics.median(v) for k, v in times.items()}
lw_k, grep_k = "roaming-logwatch --count", "grep -c -F Login"
print("log: %d lines, %.1f MB (%s); %d alternating runs each" % (lines, size / 1e6, outs[lw_k], runs))
for k in cmds:
    print("  %-26s median %7.1f ms  min %7.1f ms  %6.2f M lines/s"
          % (k, med[k] * 1e3, min(times[k]) * 1e3, lines / med[k] / 1e6))
rate = lines / med[lw_k]
print("  ratio roaming-logwatch/grep (wall): %.2f" % (med[lw_k] / med[grep_k]))
print("  goal >= 1,000,000 lines/s: %s (%.2f M lines/s)" % ("met" if rate >= 1e6 else "NOT met", rate / 1e6))

# The whole job once: parse, record every login address, rebuild per batch.
env = dict(os.environ, ROAMING_CONF="/dev/null", ROAMING_TCP_RULES=os.path.join(work, "tcp.smtp"),
           ROAMING_DB="file:" + os.path.join(work, "open-smtp"),
           ROAMING_LOGSOCKET=os.path.join(work, "no-log.sock"))
for k in ("ROAMING_CLEAR_MINUTES", "ROAMING_RELAY_ENV", "ROAMING_POSTFIX_MAP", "ROAMING_POSTFIX_ACTION", "ROAMING_LOGFILE"):
    env.pop(k, None)
with open(os.path.join(work, "tcp.smtp"), "w") as f:
    f.write('127.0.0.1:allow,RELAYCLIENT=""\n:allow\n')
t = time.perf_counter()
r = subprocess.run([lw, "--once", "--from-start", "--state", os.path.join(work, "state"), log], env=env)
dt = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
n = len(set(open(os.path.join(work, "expected")).read().split()))
listed = subprocess.run([os.path.join(top, "roaming", "roamingctl"), "list"], env=env,
                        stdout=subprocess.PIPE, check=False).stdout.decode().count("\n") - 1
print("--once, recording: %d lines -> %d addresses in the store (%d expected) in %.2f s, %.2f M lines/s, exit %d"
      % (lines, listed, n, dt, lines / dt / 1e6, r.returncode))
print("  peak RSS of the children: %.1f MB" % (ru.ru_maxrss / 1024))
sys.exit(0 if r.returncode == 0 and listed == n else 1)
PY

# t-roaming-crash.sh: logins, rebuilds, clearopensmtp and roamingctl killed with SIGKILL at random moments: open-smtp and the cdb stay complete and valid, killed temp files are never picked up, and the next normal run loses nothing.
. "$(dirname "$0")/lib.sh"

sandbox
ROUNDS=${ROAMING_TEST_ROUNDS:-10}
SEED=${ROAMING_TEST_SEED:-$(date +%s)}
echo "# seed $SEED (ROAMING_TEST_SEED=$SEED repeats this run)"

need roaming-allow clearopensmtp roamingctl

# nobody listens: log lines are dropped (sendto fails), as with no syslogd
tab='	'
# a rebuild with some substance, so kills land inside it
awk 'BEGIN { for (i = 0; i < 5000; i++) printf "172.16.%d.%d:allow,X=\"%d\"\n", int(i / 250), i % 250, i }' > "$T/tcp.smtp"
printf '192.168.1.1:allow,FIXED="yes"\n:allow\n' >> "$T/tcp.smtp"
now=$(date +%s)
awk -v now="$now" 'BEGIN { for (i = 0; i < 1000; i++) printf "10.200.%d.%d:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"\t%d\n", int(i / 250), i % 250 + 1, now - i }' > "$T/open-smtp"
check "first rebuild" roamingctl rebuild

# The driver: starts a mix of processes and SIGKILLs each one (and a login's
# detached recorder) after a random delay. Appends the pids it killed while
# they ran to $T/killed, prints how many, and any process that ended on its
# own with a failure.
cat > "$T/driver.py" <<'EOF'
import os, random, signal, subprocess, sys, time
rnd, seed, n, tdir = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
random.seed(seed * 1000 + rnd)

# A subreaper: the detached recorders of the login path (forked twice)
# become children of this driver, so they can be found and killed quickly.
import ctypes
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
me = os.getpid()
popen_pids = set()

def adopted():
    """pids of the detached recorders now running (reaping finished ones)"""
    alive = []
    for x in os.listdir("/proc"):
        if not x.isdigit():
            continue
        pid = int(x)
        if pid in popen_pids:
            continue
        try:
            st = open("/proc/%d/stat" % pid, "rb").read()
        except OSError:
            continue
        if int(st[st.rindex(b")") + 2:].split()[1]) != me:
            continue
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                alive.append(pid)
        except ChildProcessError:
            pass
    return alive

def ours(tag):
    """the detached recorder started for this tag, if it runs"""
    want = ("CRASHTEST_TAG=%s\0" % tag).encode()
    found = []
    for pid in adopted():
        try:
            if want in open("/proc/%d/environ" % pid, "rb").read():
                found.append(pid)
        except OSError:
            pass
    return found

procs = []
for i in range(n):
    kind = random.choice(["login", "login", "login", "refresh", "rebuild", "clear", "add", "remove"])
    env = dict(os.environ)
    env["CRASHTEST_TAG"] = "%d-%d" % (rnd, i)
    # LeakSanitizer's exit-time check cannot survive a SIGKILL in the middle
    # of it (it reports the lost tracer): no leak check for these runs
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    if kind == "login":
        env["TCPREMOTEIP"] = "10.%d.0.%d" % (rnd, i + 1)
        cmd = ["roaming-allow", "true"]
    elif kind == "refresh":
        env["TCPREMOTEIP"] = "10.200.0.%d" % random.randint(1, 250)
        cmd = ["roaming-allow", "true"]
    elif kind == "rebuild":
        cmd = ["roamingctl", "rebuild"]
    elif kind == "clear":
        cmd = ["clearopensmtp", "1"]
    elif kind == "add":
        cmd = ["roamingctl", "add"] + (["-p"] if random.random() < 0.3 else []) + ["10.%d.1.%d" % (rnd, i + 1)]
    else:
        cmd = ["roamingctl", "remove", "10.200.%d.%d" % (random.randint(0, 3), random.randint(1, 250))]
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    popen_pids.add(p.pid)
    procs.append((p, kind, cmd, env["CRASHTEST_TAG"], time.monotonic() + random.uniform(0, 0.04)))
killed, failed, recorders = [], [], 0
pending = list(procs)
while pending:
    now = time.monotonic()
    rest = []
    for p, kind, cmd, tag, at in pending:
        if now < at:
            rest.append((p, kind, cmd, tag, at))
            continue
        # the process itself and, for a login, its detached recorder
        recs = ours(tag) if kind in ("login", "refresh") else []
        for pid in set(recs + ([p.pid] if p.poll() is None else [])):
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                recorders += pid in recs
            except OSError:
                pass
        p.wait()
    pending = rest
    time.sleep(0.001)
# recorders nobody killed finish their work before the checks
deadline = time.monotonic() + 60
while adopted() and time.monotonic() < deadline:
    time.sleep(0.02)
for p, kind, cmd, tag, at in procs:
    err = p.stderr.read().decode(errors="replace").strip()
    # remove of an address already gone answers 100; anything else must succeed
    if p.returncode not in (0, -signal.SIGKILL) and not (kind == "remove" and p.returncode == 100):
        failed.append("%s exit %d: %s" % (" ".join(cmd), p.returncode, err[:200]))
if adopted():
    failed.append("recorders still running after 60 s: %s" % adopted())
with open(os.path.join(tdir, "killed"), "a") as f:
    for pid in killed:
        f.write("%d\n" % pid)
print(len(killed))
print("recorders %d" % recorders)
for x in failed:
    print("FAILED " + x)
EOF

: > "$T/killed"
tmps() { ls "$T" | grep '\.tmp\.' | sort; }
entry_re="^[0-9a-f.:]+:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"${tab}[0-9]+\$"
total_killed=0 total_rec=0
bad_lines=0 bad_cdb=0 bad_index=0 bad_tmp=0 picked=0 lost=0 dups=0 failed=0 behind=0
r=1
while [ "$r" -le "$ROUNDS" ]; do
	# some entries go stale this round, for clearopensmtp to remove
	old=$(($(date +%s) - 100000))
	i=1
	while [ $i -le 20 ]; do
		printf '10.%d.2.%d:allow,RELAYCLIENT="",RBLSMTPD=""\t%d\n' "$r" "$i" "$old"
		i=$((i + 1))
	done >> "$T/open-smtp"
	timeout 120 python3 "$T/driver.py" "$r" "$SEED" 16 "$T" > "$T/driver.out" 2>&1
	k=$(head -1 "$T/driver.out")
	total_killed=$((total_killed + ${k:-0}))
	kr=$(sed -n 's/^recorders //p' "$T/driver.out")
	total_rec=$((total_rec + ${kr:-0}))
	if grep -q '^FAILED' "$T/driver.out" || ! [ "$k" -ge 0 ] 2>/dev/null; then
		failed=$((failed + 1))
		grep '^FAILED' "$T/driver.out" | head -5 | sed 's/^/# round '"$r"': /'
	fi

	# the state a crash left: complete files only
	n=$(grep -cvE "$entry_re" "$T/open-smtp")
	if [ "$n" != 0 ]; then
		bad_lines=$((bad_lines + 1))
		grep -vE "$entry_re" "$T/open-smtp" | head -3 | sed 's/^/# bad line: /'
	fi
	if ! cdb -s "$CDB" > /dev/null 2>&1 || ! cdb -d "$CDB" > /dev/null 2>&1 \
		|| ! TCPREMOTEIP=192.168.1.1 tcprulescheck "$CDB" 2>&1 | grep -qx 'set environment variable FIXED=yes'; then
		bad_cdb=$((bad_cdb + 1))
		echo "# round $r: the cdb is not a complete rules cdb"
	fi
	if [ -e "$T/open-smtp.index" ] && ! cdb -s "$T/open-smtp.index" > /dev/null 2>&1; then
		bad_index=$((bad_index + 1))
	fi
	# temp files: only from processes that were killed
	for f in $(tmps); do
		pid=$(echo "$f" | sed 's/.*\.tmp\.\([0-9]*\)\.[0-9]*$/\1/')
		if ! grep -qx "$pid" "$T/killed"; then
			bad_tmp=$((bad_tmp + 1))
			echo "# round $r: temp file $f is not from a killed process"
		fi
	done

	# one more normal login: everything recorded is in the cdb again
	tmp0=$(tmps)
	TCPREMOTEIP=10.$r.9.9 roaming-allow true
	# roaming-allow waits for its recorder a few seconds at most; on a
	# loaded machine let it finish
	wait_for 20 sh -c "roamingctl check 10.$r.9.9 | grep -q 'tcp.smtp.cdb: current'"
	[ "$(tmps)" = "$tmp0" ] || { picked=$((picked + 1)); echo "# round $r: temp files changed by a normal login"; }
	live_after=$(($(date +%s) - 180 * 60))
	awk -F '\t' -v t="$live_after" '$2 == 0 || $2 > t { sub(/:allow.*/, "", $1); print $1 }' "$T/open-smtp" | sort > "$T/live"
	cdb -l "$CDB" | sed 's/^+[0-9]*://' | sort > "$T/keys"
	m=$(comm -23 "$T/live" "$T/keys" | wc -l)
	if [ "$m" != 0 ]; then
		lost=$((lost + 1))
		echo "# round $r: $m recorded addresses missing from the cdb, e.g. $(comm -23 "$T/live" "$T/keys" | head -3 | tr '\n' ' ')"
	fi
	d=$(cut -f1 "$T/open-smtp" | sort | uniq -d | wc -l)
	[ "$d" = 0 ] || { dups=$((dups + 1)); echo "# round $r: $d addresses twice in open-smtp"; }
	roamingctl check 10.$r.9.9 | grep -q 'tcp.smtp.cdb: current' || behind=$((behind + 1))
	r=$((r + 1))
done

echo "# $total_killed processes killed while running ($total_rec of them detached login recorders), in $ROUNDS rounds; $(tmps | wc -l) temp files left by them"
check "some processes were killed while running" test "$total_killed" -gt 0
check "some login recorders were killed while running" test "$total_rec" -gt 0
check_eq "every process that was not killed succeeded" 0 "$failed"
check_eq "open-smtp: every line a complete vpopmail entry, after every round" 0 "$bad_lines"
check_eq "cdb: complete and valid after every round (cdb -s, cdb -d, tcprulescheck)" 0 "$bad_cdb"
check_eq "open-smtp.index: a valid cdb after every round" 0 "$bad_index"
check_eq "temp files: only ever from killed processes" 0 "$bad_tmp"
check_eq "temp files of killed processes were never picked up" 0 "$picked"
check_eq "after one normal login every recorded address is in the cdb" 0 "$lost"
check_eq "no address twice in open-smtp" 0 "$dups"
check_eq "after one normal login the cdb is current" 0 "$behind"
# clearopensmtp after all that: expires, rebuilds, keeps every live entry
check_rc "clearopensmtp after the rounds exits 0" 0 clearopensmtp 1
check "... and the stale entries are gone" sh -c "! grep -Eq '^10\.([1-9]|[1-9][0-9])\.2\.' '$T/open-smtp'"
cut -f1 "$T/open-smtp" | sed 's/:allow.*//' | sort > "$T/live"
cdb -l "$CDB" | sed 's/^+[0-9]*://' | sort > "$T/keys"
check_eq "... and every entry left is in the cdb" "" "$(comm -23 "$T/live" "$T/keys")"
check "... including the recovery logins" sh -c "TCPREMOTEIP=10.1.9.9 tcprulescheck '$CDB' | grep -q RELAYCLIENT && TCPREMOTEIP=10.$ROUNDS.9.9 tcprulescheck '$CDB' | grep -q RELAYCLIENT"

# clearopensmtp sweeps what killed writers left, once it is a minute old and its process is gone
n_tmp=$(tmps | wc -l)
printf 'x' > "$T/tcp.smtp.cdb.tmp.999999999.1"          # a dead writer's, but fresh: kept
sleep 1 & live=$!
printf 'x' > "$T/tcp.smtp.cdb.tmp.$live.1"              # a live writer's, old: kept
for f in $(tmps); do case $f in *.999999999.1) ;; *) touch -d '2 minutes ago' "$T/$f" ;; esac; done
check_rc "clearopensmtp with old leftovers exits 0" 0 clearopensmtp 1
check_eq "it removed the $n_tmp leftovers of killed writers and kept the fresh and the live ones" \
	"tcp.smtp.cdb.tmp.$live.1 tcp.smtp.cdb.tmp.999999999.1" "$(tmps | tr '\n' ' ' | sed 's/ $//')"
wait $live

done_testing

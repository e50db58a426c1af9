# t-logwatch-follow.sh: roaming-logwatch as a daemon following a growing log like tail -F: new logins open the relay, a burst costs one rebuild, a half-written line waits for its newline, rotation by rename (with writes to the old file after it) and by copytruncate, a restart neither re-reads nor misses lines (also across a rotation while stopped), a log that appears late, SIGTERM.
. "$(dirname "$0")/lib.sh"

sandbox
need roaming-logwatch roamingctl roaming-tcprulescheck

log_listen || { not_ok "log listener started"; exit 1; }

printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$T/tcp.smtp"
roamingctl rebuild >/dev/null || { not_ok "roamingctl rebuild"; exit 1; }
is_open() { [ "$(relay "$1")" = open ]; }
listed() { roamingctl list | awk -v a="$1" '$1 == a { f = 1 } END { exit !f }'; }
dline() { printf '%s mail dovecot: imap-login: Login: user=<%s>, method=PLAIN, rip=%s, lip=192.0.2.1, mpid=1, TLS, session=<s%s>\n' "${3:-Nov 23 12:00:00}" "$1" "$2" "$1"; }
# append FILE: appends FILE to mail.log in one write(), as a syslog daemon writes.
append() {
	python3 -c 'import os, sys
d = open(sys.argv[1], "rb").read()
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
assert os.write(fd, d) == len(d)' "$1" "$T/mail.log"
}
# start [LOG [STATE]]: the daemon in the background; W is its pid.
start() {
	: > "$T/log"
	# no timeout(1) around it: timeout follows a forwarded SIGTERM with SIGCONT,
	# which can wedge LeakSanitizer's exit-time check under SANITIZE=1; the
	# script is bounded by tests/run and lib.sh's cleanup stops the daemon
	bg roaming-logwatch --state "${2:-$T/state}" "${1:-$T/mail.log}"
	W=$LASTPID
	wait_for 10 grep -q 'watching ' "$T/log"
}
# stop: SIGTERM, and wait for the exit; rc is its exit code.
stop() {
	kill -TERM "$W"
	wait "$W"
	rc=$?
}

# Old lines are there before the daemon starts: it begins at the end.
dline old 192.0.2.1 > "$T/mail.log"
start
check "the daemon says what it watches" grep -q "watching $T/mail.log" "$T/log"
dline first 192.0.2.2 >> "$T/mail.log"
check "a new login opens the relay (tcpserver's view)" wait_for 10 is_open 192.0.2.2
check_fail "a login from before the start is not recorded" listed 192.0.2.1

# ---- a burst: 60 new addresses in one write, one rebuild ----
: > "$T/log"
i=0
while [ $i -lt 60 ]; do
	dline "b$i" "10.9.0.$((i + 1))"
	dline "b$i" "10.9.0.$((i + 1))" "Nov 23 12:00:01"
	printf 'Nov 23 12:00:01 mail postfix/smtpd[12]: connect from unknown[172.16.0.%d]\n' $((i + 1))
	i=$((i + 1))
done > "$T/burst"
append "$T/burst"
check "a burst of 60 new addresses: all in the store" wait_for 15 sh -c "roamingctl list | grep -c '^10\.9\.0\.' | grep -qx 60"
check "and the last of them relays" wait_for 15 is_open 10.9.0.60
wait_for 5 grep -q ': rebuilt ' "$T/log"
n=$(grep -c ': rebuilt ' "$T/log")
if [ "$n" -ge 1 ] && [ "$n" -le 2 ]; then ok "the burst cost $n rebuild(s), not 60"; else not_ok "the burst cost $n rebuilds"; fi
check "every burst address relays" sh -c 'for i in $(seq 1 60); do roaming-tcprulescheck "$1" 10.9.0.$i | grep -q RELAYCLIENT= || exit 1; done' sh "$T/tcp.smtp.cdb"

# ---- a half-written line waits for its newline ----
# (one write: the complete line and the half are read together)
{ dline mark 192.0.2.3; dline part 192.0.2.9 | sed 's/, lip=.*//' | tr -d '\n'; } > "$T/chunk"
append "$T/chunk"
check "the line before a half-written one is read" wait_for 10 listed 192.0.2.3
check_fail "the half-written line (rip=192.0.2.9) is not parsed" listed 192.0.2.9
printf '9, lip=192.0.2.1, mpid=1, TLS, session=<part>\n' >> "$T/mail.log"
check "completed, it records the whole address 192.0.2.99" wait_for 10 listed 192.0.2.99
check_fail "and never 192.0.2.9" listed 192.0.2.9

# ---- rotation by rename: the old file is finished, the new one read from its start ----
mv "$T/mail.log" "$T/mail.log.1"
dline late 192.0.2.4 >> "$T/mail.log.1"
dline new1 192.0.2.5 > "$T/mail.log"
check "rename: a line written to the old file after the rename is recorded" wait_for 10 listed 192.0.2.4
check "rename: the new file is read from its start" wait_for 10 listed 192.0.2.5
check "rename: logged" wait_for 5 grep -q 'was rotated: finishing the old file' "$T/log"
dline new2 192.0.2.6 >> "$T/mail.log"
check "rename: the new file is followed" wait_for 10 listed 192.0.2.6

# ---- copytruncate ----
cp "$T/mail.log" "$T/mail.log.2"
: > "$T/mail.log"
dline ct 192.0.2.7 >> "$T/mail.log"
check "copytruncate: the line written after the truncation is recorded" wait_for 10 listed 192.0.2.7
check "copytruncate: logged" wait_for 5 grep -q 'truncated or replaced' "$T/log"

# ---- restart: nothing read twice, nothing missed ----
stop
check_eq "SIGTERM: exit 0" 0 "$rc"
roamingctl remove 192.0.2.7 >/dev/null
dline down 192.0.2.8 >> "$T/mail.log"
start
check "restart: a line written while stopped is recorded" wait_for 10 listed 192.0.2.8
check_fail "restart: an old line is not read again (192.0.2.7 stays removed)" listed 192.0.2.7
check "restart: resumed at the saved position" grep -q 'resuming .* at byte' "$T/log"

# ---- rotated while stopped ----
stop
dline down2 192.0.2.10 >> "$T/mail.log"
mv "$T/mail.log" "$T/mail.log.3"
dline down3 192.0.2.11 > "$T/mail.log"
roamingctl remove 192.0.2.8 >/dev/null
start
check "rotated while stopped: the rest of the old file is read" wait_for 10 listed 192.0.2.10
check "rotated while stopped: the new file from its start" wait_for 10 listed 192.0.2.11
check_fail "rotated while stopped: the old file's read part is not read again" listed 192.0.2.8
stop

# ---- a log that does not exist yet ----
start "$T/late.log" "$T/state-late"
check "a missing log is waited for" wait_for 5 grep -q "waiting for $T/late.log" "$T/log"
dline appeared 192.0.2.12 > "$T/late.log"
check "when it appears it is read from its start" wait_for 10 listed 192.0.2.12
stop
check_eq "stopped cleanly" 0 "$rc"
check_fail "the forged and failed addresses never relay" is_open 172.16.0.1

# ---- a rebuild that fails (tcp.smtp being edited) is retried, not hammered ----
cp "$T/tcp.smtp" "$T/tcp.smtp.good"
printf '127.0.0.1:allow,RELAYCLIENT=""\n10.0.0.1:bogus\n:allow\n' > "$T/tcp.smtp"
start
dline broken 192.0.2.30 >> "$T/mail.log"
check "a broken tcp.smtp: the rebuild fails and is logged" wait_for 10 grep -q 'unable to rebuild (will retry)' "$T/log"
check "the address is in the store all the same" listed 192.0.2.30
check_fail "and does not relay yet (the cdb is the old one)" is_open 192.0.2.30
sleep 3
n=$(grep -c 'unable to rebuild' "$T/log")
if [ "$n" -eq 1 ]; then ok "no retry within 3 s (retries are spaced)"; else not_ok "the rebuild was retried $n times in 3 s"; fi
cp "$T/tcp.smtp.good" "$T/tcp.smtp"
check "tcp.smtp fixed: the retry rebuilds and the address relays" wait_for 20 is_open 192.0.2.30
stop

# ---- examples/roaming-logwatch.run under the real supervise, then svc -d ----
mkdir "$T/svc"
sed "s|^PATH=|PATH=$TOP/roaming:|" "$TOP/examples/roaming-logwatch.run" > "$T/svc/run"
chmod +x "$T/svc/run"
dline svc0 192.0.2.20 > "$T/svc.log"
: > "$T/log"
bg env ROAMING_LOGFILE="$T/svc.log" supervise "$T/svc"
S=$LASTPID
check "examples/roaming-logwatch.run runs it under supervise, on ROAMING_LOGFILE" wait_for 10 grep -q "watching $T/svc.log" "$T/log"
dline svc1 192.0.2.21 >> "$T/svc.log"
check "run script: a login opens the relay" wait_for 10 is_open 192.0.2.21
check "run script: the position is kept beside the store" wait_for 10 grep -q "^path $T/svc.log\$" "$T/open-smtp.logwatch"
svc -d "$T/svc"
check "svc -d stops it" wait_for 10 sh -c "svstat '$T/svc' | grep -q ': down '"
svc -x "$T/svc"
wait_for 10 sh -c "! kill -0 $S 2>/dev/null"

# ---- examples/roaming-logwatch.service: systemd's own check ----
if command -v systemd-analyze >/dev/null 2>&1; then
	sed "s|/usr/local/bin/roaming-logwatch|$TOP/roaming/roaming-logwatch|" "$TOP/examples/roaming-logwatch.service" > "$T/roaming-logwatch.service"
	check_eq "examples/roaming-logwatch.service: systemd-analyze verify finds nothing" "" \
		"$(systemd-analyze verify --man=no "$T/roaming-logwatch.service" 2>&1)"
fi
done_testing

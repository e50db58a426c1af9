# t-roaming-concurrency.sh: 300 parallel logins from new addresses, a clearopensmtp loop and cdb readers at once: nothing lost, no failed login, readers always see a complete cdb, far fewer rebuilds than logins.
. "$(dirname "$0")/lib.sh"

sandbox
N=${ROAMING_TEST_LOGINS:-300}
STALE=50

need toy-checkpassword roaming-checkpassword clearopensmtp roamingctl

log_listen || { not_ok "log listener started"; exit 1; }

# A big site's tcp.smtp (so a rebuild takes long enough for logins to queue
# behind it), a fixed rule the readers look for, and stale entries that the
# clearopensmtp loop removes while the logins run.
{
	awk -v n="${ROAMING_TEST_RULES:-20000}" 'BEGIN { for (i = 0; i < n; i++)
		printf "172.%d.%d.%d:allow,X=\"%d\"\n", 16 + int(i / 62500), int(i / 250) % 250, i % 250, i }'
	echo '192.168.1.1:allow,FIXED="yes"'
	echo ':allow'
} > "$T/tcp.smtp"
old=$(($(date +%s) - 100000))
i=0
while [ $i -lt $STALE ]; do
	printf '10.9.%d.%d:allow,RELAYCLIENT="",RBLSMTPD=""\t%d\n' $((i / 200)) $((i % 200 + 1)) $old
	i=$((i + 1))
done > "$T/open-smtp"
check "first rebuild" roamingctl rebuild
printf 'joe\0right\0\0' > "$T/pw"

# the addresses: 127.0.x.y, all distinct
addr() { echo "127.0.$(($1 / 200 + 1)).$(($1 % 200 + 1))"; }

touch "$T/running"
# readers: what tcpserver does on every connection, in a loop
reader() {
	n=0 bad=0
	while [ -e "$T/running" ]; do
		if ! TCPREMOTEIP=192.168.1.1 tcprulescheck "$CDB" > "$T/r$1.out" 2>&1 \
			|| ! grep -qx 'set environment variable FIXED=yes' "$T/r$1.out"; then
			bad=$((bad + 1))
			cp "$T/r$1.out" "$T/r$1.bad"
		fi
		n=$((n + 1))
	done
	echo "$n $bad" > "$T/reader$1"
}
clearer() {
	n=0 bad=0
	while [ -e "$T/running" ]; do
		clearopensmtp 60 >> "$T/clear.err" 2>&1 || bad=$((bad + 1))
		n=$((n + 1))
	done
	echo "$n $bad" > "$T/clearer"
}
bg reader 1
bg reader 2

# A burst: every login chain starts and blocks where checkpassword reads the
# password (fd 3 is a FIFO of its own); once all are waiting there, the
# passwords are written and every login goes on at once.
mkdir "$T/rc" "$T/fifo"
# blocked: how many of this test's toy checkpasswords are running
blocked() {
	python3 - "$T" <<'EOF'
import os, sys
want = b"ROAMING_DB=file:" + sys.argv[1].encode() + b"/open-smtp\0"
n = 0
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            if open("/proc/%s/comm" % p, "rb").read().startswith(b"toy-checkpass") \
               and want in open("/proc/%s/environ" % p, "rb").read():
                n += 1
        except OSError:
            pass
print(n)
EOF
}
i=0
while [ $i -lt "$N" ]; do
	mkfifo "$T/fifo/$i"
	(
		TCPREMOTEIP=$(addr $i) timeout 120 roaming-checkpassword toy-checkpassword sh -c 'echo ran' \
			3<>"$T/fifo/$i" > "$T/rc/$i.out" 2> "$T/rc/$i.err"
		echo $? > "$T/rc/$i"
	) &
	i=$((i + 1))
done
i=0
while [ "$(blocked)" -lt "$N" ] && [ $i -lt 450 ]; do sleep 0.2; i=$((i + 1)); done
echo "# $(blocked) logins waiting for their password"
# the clearopensmtp loop starts with the burst, with stale entries to remove
bg clearer
i=0
while [ $i -lt "$N" ]; do
	printf 'joe\0right\0\0' > "$T/fifo/$i"
	i=$((i + 1))
done
wait_for 120 sh -c "[ \$(ls '$T/rc' | grep -c '^[0-9]*\$') -ge $N ]"
# the recorders are detached; each logs exactly one line when it is done
wait_for 120 sh -c "[ \$(grep -c 'roaming-checkpassword.*recorded' '$T/log') -ge $N ]"
rm -f "$T/running"
wait_for 30 sh -c "[ -e '$T/reader1' ] && [ -e '$T/reader2' ] && [ -e '$T/clearer' ]"

check_eq "every login exited 0" "$N" "$(cat "$T"/rc/[0-9]* | grep -cx 0)"
check_eq "every session ran" "$N" "$(cat "$T"/rc/*.out | grep -cx ran)"
check_eq "no login wrote to stderr" "" "$(cat "$T"/rc/*.err)"
check_eq "every recorder finished with 'recorded'" "$N" "$(grep -c 'roaming-checkpassword.*recorded' "$T/log")"
check_eq "no recorder gave up" "0" "$(grep -c 'not recording' "$T/log")"
if grep -q 'not recording' "$T/log"; then grep 'not recording' "$T/log" | head -5 | sed 's/^/# /'; fi

missing=0 dup=0 norelay=0
i=0
while [ $i -lt "$N" ]; do
	a=$(addr $i)
	c=$(grep -c "^$(echo "$a" | sed 's/[.]/\\./g'):allow" "$T/open-smtp")
	[ "$c" = 0 ] && missing=$((missing + 1))
	[ "$c" -gt 1 ] && dup=$((dup + 1))
	i=$((i + 1))
done
check_eq "every address is in open-smtp" 0 "$missing"
check_eq "no address is in open-smtp twice" 0 "$dup"
check_eq "open-smtp holds exactly the logins (the stale entries were cleared)" "$N" "$(grep -c . "$T/open-smtp")"
# the cdb as it stands, without any further rebuild
cdb -l "$CDB" | sed 's/^+[0-9]*://' | sort > "$T/keys"
i=0
while [ $i -lt "$N" ]; do addr $i; i=$((i + 1)); done | sort > "$T/want"
check_eq "every address is a key in the cdb" "" "$(comm -23 "$T/want" "$T/keys")"
check_eq "no stale address is left in the cdb" "" "$(grep '^10\.9\.' "$T/keys")"
i=0
while [ $i -lt "$N" ]; do
	TCPREMOTEIP=$(addr $i) tcprulescheck "$CDB" | grep -q '^set environment variable RELAYCLIENT=' || norelay=$((norelay + 1))
	i=$((i + 1))
done
check_eq "tcprulescheck shows RELAYCLIENT for every address" 0 "$norelay"
check "the cdb is current" sh -c "roamingctl check $(addr 0) | grep -q 'tcp.smtp.cdb: current'"

read -r n1 b1 < "$T/reader1"
read -r n2 b2 < "$T/reader2"
check "the readers ran ($n1 and $n2 times)" test "$n1" -gt 0 -a "$n2" -gt 0
check_eq "every reader run saw a complete cdb" "0 0" "$b1 $b2"
read -r nc bc < "$T/clearer"
check "clearopensmtp ran during the logins ($nc times)" test "$nc" -gt 0
check_eq "clearopensmtp never failed" 0 "$bc"
check_eq "clearopensmtp wrote nothing to stderr" "" "$(cat "$T/clear.err")"
rebuilds=$(grep -c 'roaming-checkpassword.*recorded.*rebuilt' "$T/log")
echo "# $N logins from new addresses: $rebuilds rebuilt by a login"
check "far fewer rebuilds than logins ($rebuilds < $N / 2)" test "$rebuilds" -lt $((N / 2))
check "at least one login rebuilt" test "$rebuilds" -gt 0
check_eq "no temp file left" "" "$(ls "$T" | grep '\.tmp\.')"

# ---- a queue behind one long rebuild: one rebuild serves every waiter ----
# The rebuild lock is held (as by a rebuild that takes a while) until every
# login of the burst has appended its address; then it is let go.
M=100
rm -f "$T/held"
bg python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
' "$T/tcp.smtp.lock" "$T/held" "$T/release"
holder=$LASTPID
wait_for 10 test -e "$T/held" || not_ok "the rebuild lock is held"
lines0=$(grep -c . "$T/open-smtp")
mkdir "$T/rc2"
i=0
while [ $i -lt $M ]; do
	(
		TCPREMOTEIP=127.1.$((i / 200)).$((i % 200 + 1)) timeout 60 roaming-checkpassword toy-checkpassword true \
			3<"$T/pw" > /dev/null 2>&1
		echo $? > "$T/rc2/$i"
	) &
	i=$((i + 1))
done
wait_for 60 sh -c "[ \$(grep -c . '$T/open-smtp') -ge $((lines0 + M)) ]"
check_eq "queued burst: every address appended while the rebuild lock was held" "$((lines0 + M))" "$(grep -c . "$T/open-smtp")"
touch "$T/release"
wait_for 60 sh -c "[ \$(grep -c 'recorded 127\.1\.' '$T/log') -ge $M ]"
wait_for 60 sh -c "[ \$(ls '$T/rc2' | wc -l) -ge $M ]"
check_eq "queued burst: every login exited 0" "$M" "$(cat "$T"/rc2/* | grep -cx 0)"
check_eq "queued burst: every recorder recorded" "$M" "$(grep -c 'recorded 127\.1\.' "$T/log")"
r2=$(grep -c 'recorded 127\.1\..*rebuilt' "$T/log")
echo "# $M logins queued behind one rebuild: $r2 rebuilt"
check "queued burst: one rebuild served the queue ($r2 rebuilds for $M logins)" test "$r2" -ge 1 -a "$r2" -le 2
norelay=0
i=0
while [ $i -lt $M ]; do
	TCPREMOTEIP=127.1.$((i / 200)).$((i % 200 + 1)) tcprulescheck "$CDB" | grep -q '^set environment variable RELAYCLIENT=' || norelay=$((norelay + 1))
	i=$((i + 1))
done
check_eq "queued burst: every address relays" 0 "$norelay"

done_testing

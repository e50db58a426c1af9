# t-roaming-login.sh: POP-before-SMTP through the real tcpserver: a login behind roaming-checkpassword opens the relay for that address only; exit codes, NORELAY, roaming-allow, known-IP refresh.
. "$(dirname "$0")/lib.sh"

sandbox

need toy-checkpassword roaming-checkpassword roaming-allow clearopensmtp roamingctl

# The log: a unix datagram listener appending each message as a line.
log_listen || { not_ok "log listener started"; exit 1; }
# logged PATTERN: a log line matching PATTERN arrives (the recorder logs
# before it lets the session go on, so it is there or on its way).
logged() { wait_for 5 grep -q -- "$1" "$T/log"; }

# login IP USER PASS [PROG...]: the chain as qmail-popup runs it, the
# password on fd 3; sets rc, output in $T/login.out, stderr in $T/login.err.
login() {
	ip=$1 u=$2 pw=$3
	shift 3
	[ $# -gt 0 ] || set -- true
	printf '%s\0%s\0\0' "$u" "$pw" > "$T/pw"
	TCPREMOTEIP=$ip timeout 20 roaming-checkpassword toy-checkpassword "$@" \
		3<"$T/pw" >"$T/login.out" 2>"$T/login.err"
	rc=$?
}
sum() { [ -e "$1" ] && cksum < "$1" || echo missing; }
ino() { [ -e "$1" ] && stat -c %i "$1" || echo missing; }

# tcp.smtp: local relay, everyone else may connect but not relay.
printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$T/tcp.smtp"
check "roamingctl rebuild writes the first cdb" roamingctl rebuild
# Without roaming entries the cdb is exactly what tcprules writes.
tcprules "$T/ref.cdb" "$T/ref.tmp" < "$T/tcp.smtp"
check "cdb with no entries is byte-identical to tcprules's" cmp "$CDB" "$T/ref.cdb"

# ---- the scenario through the real tcpserver ----
login_servers || { not_ok "tcpservers listen"; exit 1; }

check_eq "before any login 127.0.0.5 may not relay" "RELAYCLIENT=unset RBLSMTPD=unset" "$(smtp 127.0.0.5)"

cdb0=$(sum "$CDB")
out=$(pop 127.0.0.5 "joe wrong")
check_eq "wrong password: the session reports exit 1" "exit 1" "$out"
check "wrong password: nothing in open-smtp" sh -c "! grep -q 127.0.0.5 '$T/open-smtp' 2>/dev/null"
check_eq "wrong password: cdb unchanged" "$cdb0" "$(sum "$CDB")"
check_eq "wrong password: 127.0.0.5 still may not relay" "RELAYCLIENT=unset RBLSMTPD=unset" "$(smtp 127.0.0.5)"

out=$(pop 127.0.0.5 "joe right")
check_eq "right password: the session runs as the user and exits 0" "+OK joe in
exit 0" "$out"
check "open-smtp has the vpopmail line for 127.0.0.5" \
	grep -qx '127\.0\.0\.5:allow,RELAYCLIENT="",RBLSMTPD=""	[0-9]*' "$T/open-smtp"
check_eq "127.0.0.5 now relays through tcpserver -x" "RELAYCLIENT= RBLSMTPD=" "$(smtp 127.0.0.5)"
check_eq "127.0.0.6 still may not relay" "RELAYCLIENT=unset RBLSMTPD=unset" "$(smtp 127.0.0.6)"
check "the login was logged as recorded" logged 'roaming-checkpassword.*recorded 127\.0\.0\.5'
check_eq "the POP side wrote nothing to stderr" "" "$(cat "$T/pop.err")"

# Expire: set the entry's time back, as if the login were two hours old.
old=$(($(date +%s) - 7200))
sed -i "s/	[0-9]*\$/	$old/" "$T/open-smtp"
check_rc "clearopensmtp 1 exits 0" 0 clearopensmtp 1
check "clearopensmtp removed the stale line" sh -c "! grep -q '^127\.0\.0\.5:' '$T/open-smtp'"
check_eq "after clearopensmtp 127.0.0.5 may not relay again" "RELAYCLIENT=unset RBLSMTPD=unset" "$(smtp 127.0.0.5)"
check_eq "127.0.0.1 keeps its tcp.smtp relay" "RELAYCLIENT= RBLSMTPD=unset" "$(smtp 127.0.0.1)"

# ---- exit codes pass through; never a byte on stderr ----
# expect_codes DESC USER PASS PROG...: the wrapper's exit code is the toy's.
expect_codes() {
	d=$1 u=$2 pw=$3
	shift 3
	printf '%s\0%s\0\0' "$u" "$pw" > "$T/pw"
	TCPREMOTEIP=127.0.0.9 toy-checkpassword "$@" 3<"$T/pw" >/dev/null 2>&1
	want=$?
	login 127.0.0.9 "$u" "$pw" "$@"
	check_eq "$d: exit $want as the toy's" "$want" "$rc"
	check_eq "$d: nothing on stderr" "" "$(cat "$T/login.err")"
}
expect_codes "right password" joe right true
[ "$rc" = 0 ] || not_ok "right password exits 0 (got $rc)"
expect_codes "wrong password" joe nope true
[ "$rc" = 1 ] || not_ok "wrong password exits 1 (got $rc)"
expect_codes "unknown user" nobody right true
expect_codes "temporary failure" tempfail x true
[ "$rc" = 111 ] || not_ok "tempfail exits 111 (got $rc)"
expect_codes "PROG's own exit code" joe right sh -c 'exit 7'
[ "$rc" = 7 ] || not_ok "PROG exit 7 passes through (got $rc)"
expect_codes "PROG that cannot run" joe right "$T/no-such-prog"
[ "$rc" = 111 ] || not_ok "missing PROG exits 111 (got $rc)"
# misuse: nothing on fd 3
TCPREMOTEIP=127.0.0.9 roaming-checkpassword toy-checkpassword true 3</dev/null >/dev/null 2>"$T/login.err"
check_eq "empty fd 3: exit 2 as the toy's" 2 "$?"
check_eq "empty fd 3: nothing on stderr" "" "$(cat "$T/login.err")"
roaming-checkpassword toy-checkpassword >/dev/null 2>"$T/login.err" 3</dev/null
check_eq "usage error: exit 2" 2 "$?"
check_eq "usage error: nothing on stderr" "" "$(cat "$T/login.err")"
check "usage error is logged" logged 'roaming-checkpassword.*usage'
printf 'joe\0right\0\0' > "$T/pw"
TCPREMOTEIP=127.0.0.9 roaming-checkpassword "$T/no-such-checkpassword" true 3<"$T/pw" >/dev/null 2>"$T/login.err"
check_eq "REALCHECKPASSWORD that cannot run: exit 111" 111 "$?"
check_eq "REALCHECKPASSWORD that cannot run: nothing on stderr" "" "$(cat "$T/login.err")"
check "... and it is logged" logged 'unable to run .*no-such-checkpassword'

# A failed login never records, even from an address a success would.
login 127.0.0.10 joe nope
login 127.0.0.10 tempfail x
check "failed logins from 127.0.0.10 recorded nothing" sh -c "! grep -q '^127\.0\.0\.10:' '$T/open-smtp'"

# ---- NORELAY from the checkpassword's environment ----
login 127.0.0.8 norelay right sh -c 'echo "NORELAY=$NORELAY"'
check_eq "NORELAY user: login succeeds" "0 NORELAY=1" "$rc $(cat "$T/login.out")"
check "NORELAY user: nothing recorded" sh -c "! grep -q '^127\.0\.0\.8:' '$T/open-smtp'"
check "NORELAY user: the log says why" logged 'not recording 127\.0\.0\.8: NORELAY'
# the same user without the flag (from a user file) is recorded
printf 'norelay:right\n' > "$T/users"
TOY_USERS=$T/users login 127.0.0.8 norelay right
check "the same user without NORELAY is recorded" grep -q '^127\.0\.0\.8:' "$T/open-smtp"

# ---- roaming-allow ----
TCPREMOTEIP=127.0.0.20 roaming-allow sh -c 'echo ran' > "$T/allow.out" 2>"$T/allow.err"
check_eq "roaming-allow with TCPREMOTEIP: PROG runs, exit 0" "0 ran" "$? $(cat "$T/allow.out")"
check "roaming-allow recorded TCPREMOTEIP" wait_for 10 grep -q '^127\.0\.0\.20:' "$T/open-smtp"
IP=127.0.0.21 roaming-allow true 2>>"$T/allow.err"
check "roaming-allow recorded Dovecot's IP" wait_for 10 grep -q '^127\.0\.0\.21:' "$T/open-smtp"
TCPREMOTEIP=127.0.0.22 IP=127.0.0.23 roaming-allow true 2>>"$T/allow.err"
check "roaming-allow prefers TCPREMOTEIP over IP" wait_for 10 sh -c "grep -q '^127\.0\.0\.22:' '$T/open-smtp' && ! grep -q '^127\.0\.0\.23:' '$T/open-smtp'"
AUTHENTICATED=joe TCPREMOTEIP=127.0.0.24 roaming-allow true 2>>"$T/allow.err"
check "roaming-allow with AUTHENTICATED=joe records" wait_for 10 grep -q '^127\.0\.0\.24:' "$T/open-smtp"
AUTHENTICATED= TCPREMOTEIP=127.0.0.25 roaming-allow sh -c 'echo ran' > "$T/allow.out" 2>>"$T/allow.err"
check_eq "roaming-allow with AUTHENTICATED empty: PROG still runs" "0 ran" "$? $(cat "$T/allow.out")"
check "roaming-allow with AUTHENTICATED empty: nothing recorded" sh -c "! grep -q '^127\.0\.0\.25:' '$T/open-smtp'"
check "... and the log says why" logged 'not recording 127\.0\.0\.25: AUTHENTICATED'
NORELAY=1 TCPREMOTEIP=127.0.0.26 roaming-allow true 2>>"$T/allow.err"
check "roaming-allow with NORELAY: nothing recorded" sh -c "! grep -q '^127\.0\.0\.26:' '$T/open-smtp'"
roaming-allow 2>>"$T/allow.err"
check_eq "roaming-allow without PROG: exit 2" 2 "$?"
TCPREMOTEIP=127.0.0.27 roaming-allow "$T/no-such-prog" 2>>"$T/allow.err"
check_eq "roaming-allow with a PROG that cannot run: exit 111" 111 "$?"
check "... and it is logged" logged 'roaming-allow.*unable to run .*no-such-prog'
check_eq "roaming-allow wrote nothing to stderr" "" "$(cat "$T/allow.err")"
for a in 127.0.0.20 127.0.0.21 127.0.0.24; do
	check_eq "$a relays through tcpserver -x" "RELAYCLIENT= RBLSMTPD=" "$(smtp $a)"
done

# ---- a known address only refreshes its time ----
login 127.0.0.30 joe right
check "127.0.0.30 recorded" grep -q '^127\.0\.0\.30:' "$T/open-smtp"
back=$(($(date +%s) - 100))
# set its time back in place (same width, same file), as an earlier login would have left it
python3 - "$T/open-smtp" "$back" <<'EOF'
import sys
p, back = sys.argv[1], sys.argv[2].encode()
data = open(p, "rb").read()
i = data.index(b"127.0.0.30:")
j = data.index(b"\t", i) + 1
k = data.index(b"\n", j)
assert k - j == len(back)
with open(p, "r+b") as f:
    f.seek(j); f.write(back)
EOF
size0=$(stat -c %s "$T/open-smtp")
sino0=$(ino "$T/open-smtp")
cino0=$(ino "$CDB")
csum0=$(sum "$CDB")
lines0=$(wc -l < "$T/open-smtp")
login 127.0.0.30 joe right
t=$(sed -n 's/^127\.0\.0\.30:.*	\([0-9]*\)$/\1/p' "$T/open-smtp")
check "known address: its time moved forward" test "$t" -gt "$back"
check_eq "known address: open-smtp size unchanged" "$size0" "$(stat -c %s "$T/open-smtp")"
check_eq "known address: open-smtp rewritten in place (same inode)" "$sino0" "$(ino "$T/open-smtp")"
check_eq "known address: no new line" "$lines0" "$(wc -l < "$T/open-smtp")"
check_eq "known address: no rebuild (cdb inode unchanged)" "$cino0" "$(ino "$CDB")"
check_eq "known address: cdb bytes unchanged" "$csum0" "$(sum "$CDB")"
login 127.0.0.31 joe right
check "new address: cdb rebuilt (inode changed)" test "$cino0" != "$(ino "$CDB")"
check_eq "new address relays" "RELAYCLIENT= RBLSMTPD=" "$(smtp 127.0.0.31)"
check_eq "every address appears once in open-smtp" "" "$(cut -f1 "$T/open-smtp" | sort | uniq -d)"

done_testing

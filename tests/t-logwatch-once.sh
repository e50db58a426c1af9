# t-logwatch-once.sh: roaming-logwatch --once and --stdin record what the log holds into the open-smtp store and tcp.smtp.cdb: one rebuild per batch, the position kept between runs (no line read twice, none missed, a partial last line completed later, rotation by rename and by copytruncate between runs), failures retried rather than lost.
. "$(dirname "$0")/lib.sh"

sandbox
L=$TOP/tests/logs
need roaming-logwatch roamingctl roaming-tcprulescheck

log_listen || { not_ok "log listener started"; exit 1; }

printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$T/tcp.smtp"
roamingctl rebuild >/dev/null || { not_ok "roamingctl rebuild"; exit 1; }
# listed ADDR: the store has an entry for ADDR.
listed() { roamingctl list | awk -v a="$1" '$1 == a { f = 1 } END { exit !f }'; }
stored() { roamingctl list | awk 'NR > 1 { print $1 }' | sort; }
# run ARGS...: one --once run; waits for its last log line; $T/run.out, rc.
run() {
	: > "$T/log"
	timeout 60 roaming-logwatch -v --once --state "$T/state" "$@" > "$T/run.out" 2> "$T/run.err"
	rc=$?
	wait_for 5 grep -q 'read [0-9]* lines' "$T/log"
}
rebuilds() { grep -c ': rebuilt ' "$T/log"; }
dline() { printf '%s mail dovecot: pop3-login: Login: user=<%s>, method=PLAIN, rip=%s, lip=192.0.2.1, mpid=1, session=<s%s>\n' "${3:-Nov 23 12:00:00}" "$1" "$2" "$1"; }

# ---- every format, one batch, one rebuild ----
cp "$L/formats.log" "$T/mail.log"
run --from-start "$T/mail.log"
check_eq "--once exits 0" 0 "$rc"
check_eq "the 26 logins of formats.log are in the store" 26 "$(stored | wc -l)"
bad=
for a in 192.0.2.10 2001:db8::10 192.0.2.11 192.0.2.12 192.0.2.20 192.0.2.21 192.0.2.22 2001:db8::22 \
	192.0.2.30 192.0.2.31 192.0.2.32 192.0.2.33 192.0.2.34 192.0.2.40 192.0.2.50 192.0.2.51 192.0.2.60 \
	192.0.2.61 192.0.2.62 192.0.2.70 192.0.2.71 192.0.2.72 192.0.2.80 192.0.2.81 192.0.2.82 192.0.2.83; do
	[ "$(relay "$a")" = open ] || bad="$bad $a"
done
[ -z "$bad" ] && ok "tcpserver's view: the relay is open for all 26" || not_ok "relay not open for:$bad"
bad=
for a in 198.51.100.1 198.51.100.2 198.51.100.3 198.51.100.4 198.51.100.5 198.51.100.6 198.51.100.7 \
	198.51.100.8 198.51.100.9 198.51.100.10 198.51.100.11 198.51.100.12 198.51.100.13; do
	[ "$(relay "$a")" = closed ] && ! listed "$a" || bad="$bad $a"
done
[ -z "$bad" ] && ok "failed logins, SMTP AUTH and other lines open nothing" || not_ok "opened for:$bad"
check_eq "one rebuild for the whole batch" 1 "$(rebuilds)"
check "it logs what it records" grep -q 'recorded 192\.0\.2\.10 (new) for a dovecot login of joe' "$T/log"
check "-v prints what it records" grep -q '^recorded 2001:db8::10 (new) dovecot ann@example.com$' "$T/run.out"
check "the position is saved" grep -q "^path $T/mail.log\$" "$T/state"

# ---- nothing new: nothing read, nothing rebuilt ----
roamingctl remove 192.0.2.10 >/dev/null
run "$T/mail.log"
check "a second run reads no old line" grep -q 'read 0 lines' "$T/log"
check_fail "an address removed since is not recorded again" listed 192.0.2.10
check_eq "and nothing is rebuilt" 0 "$(rebuilds)"

# ---- the device number changed (a reboot, a remount): the same file by inode and first bytes ----
sed -i 's/^pos [0-9]* /pos 987654321 /' "$T/state"
dline dev 192.0.2.13 >> "$T/mail.log"
run "$T/mail.log"
check "a changed device number: resumes in place, reads only the new line" grep -q 'read 1 lines' "$T/log"
check "and records it" listed 192.0.2.13

# ---- hostile lines appended ----
cat "$L/hostile.log" >> "$T/mail.log"
run "$T/mail.log"
check "hostile.log: read exactly its 38 lines" grep -q 'read 38 lines: 4 logins, 3 refused' "$T/log"
for a in 192.0.2.100 192.0.2.108 192.0.2.110 192.0.2.111; do
	check_eq "hostile.log: the real address $a relays" open "$(relay "$a")"
done
check_eq "hostile.log: the forged 203.0.113.66 never relays" closed "$(relay 203.0.113.66)"
check_fail "hostile.log: 203.0.113.66 is not in the store" listed 203.0.113.66
check_eq "hostile.log: refused addresses are logged" 3 "$(grep -c 'not recording a dovecot login from' "$T/log")"
check_eq "hostile.log: one rebuild" 1 "$(rebuilds)"

# ---- a partial last line is completed later ----
printf '%s' "$(dline part 192.0.2.9)" | sed 's/, lip=.*//' | tr -d '\n' >> "$T/mail.log"
run "$T/mail.log"
check_fail "a line without its newline is not parsed (192.0.2.9)" listed 192.0.2.9
printf '9, lip=192.0.2.1, mpid=1, session=<part>\n' >> "$T/mail.log"
run "$T/mail.log"
check "completed, the line records its whole address (192.0.2.99)" listed 192.0.2.99
check_fail "and never the prefix 192.0.2.9" listed 192.0.2.9

# ---- rotation by rename between runs: the old file's rest first, then the new file ----
dline rot1 192.0.2.120 >> "$T/mail.log"   # written before the rotation, not yet read
mv "$T/mail.log" "$T/mail.log.1"
dline rot2 192.0.2.121 >> "$T/mail.log.1" # written to the old file after the rename
dline rot3 192.0.2.122 > "$T/mail.log"
run "$T/mail.log"
for a in 192.0.2.120 192.0.2.121 192.0.2.122; do check "rename: $a recorded" listed "$a"; done
check "rename: the rotation is logged" grep -q 'rotated while stopped' "$T/log"
check "rename: 3 lines read (none twice)" grep -q 'read 3 lines' "$T/log"

# ---- copytruncate between runs: shorter, and rewritten to a larger size ----
cp "$T/mail.log" "$T/mail.log.2"
: > "$T/mail.log"
dline ct1 192.0.2.123 >> "$T/mail.log"
run "$T/mail.log"
check "copytruncate (shorter): the new line is recorded" listed 192.0.2.123
i=0
: > "$T/mail.log"
while [ $i -lt 5 ]; do dline "ct2x$i" "192.0.2.$((130 + i))" "Nov 24 00:00:0$i" >> "$T/mail.log"; i=$((i + 1)); done
run "$T/mail.log"
check "copytruncate (rewritten longer): all 5 new lines recorded" sh -c "roamingctl list | grep -c '^192\.0\.2\.13[0-4] ' | grep -qx 5"
check "copytruncate: logged" grep -q 'truncated or replaced' "$T/log"

# ---- no saved position: start at the end; --from-start reads it all ----
dline end1 192.0.2.140 > "$T/other.log"
: > "$T/log"
timeout 30 roaming-logwatch --once --state "$T/state2" "$T/other.log" >/dev/null 2>&1
wait_for 5 grep -q 'read [0-9]* lines' "$T/log"
check_fail "first run without a state starts at the end" listed 192.0.2.140
dline end2 192.0.2.141 >> "$T/other.log"
timeout 30 roaming-logwatch --once --state "$T/state2" "$T/other.log" >/dev/null 2>&1
check "then reads what is appended" listed 192.0.2.141
check_fail "and still not what was there before" listed 192.0.2.140

# ---- a generated mixed log into a fresh store: exactly its logins, one rebuild ----
"$TOP/tests/gen-maillog" 20000 7 "$T/expected" > "$T/mixed.log"
printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$T/tcp2.smtp"
: > "$T/log"
ROAMING_TCP_RULES=$T/tcp2.smtp ROAMING_DB=file:$T/open-smtp2 timeout 120 \
	roaming-logwatch --once --from-start --state "$T/state3" "$T/mixed.log" > /dev/null 2>&1
check_eq "mixed log: --once exits 0" 0 $?
wait_for 5 grep -q 'read 20000 lines' "$T/log"
ROAMING_DB=file:$T/open-smtp2 roamingctl list | awk 'NR > 1 { print $1 }' | sort > "$T/got"
sort -u "$T/expected" > "$T/want"
n=$(wc -l < "$T/want")
if [ "$n" -gt 500 ] && cmp -s "$T/want" "$T/got"; then ok "mixed log: the store holds exactly its $n login addresses"; else not_ok "mixed log: store differs from the logins ($n)"; diff "$T/want" "$T/got" | head | sed 's/^/# /'; fi
check_eq "mixed log: one rebuild for 20000 lines" 1 "$(rebuilds)"
bad=0
for a in $(awk 'NR % 40 == 1' "$T/want"); do [ "$(relay "$a" "$T/tcp2.smtp.cdb")" = open ] || bad=$((bad + 1)); done
check_eq "mixed log: tcpserver's view: sampled login addresses relay" 0 "$bad"
check_eq "mixed log: no hostile or failed address relays" "closed closed" \
	"$(relay 203.0.113.66 "$T/tcp2.smtp.cdb") $(relay 172.16.0.1 "$T/tcp2.smtp.cdb")"

# ---- --stdin ----
: > "$T/log"
{ dline in1 192.0.2.150; dline in2 192.0.2.151; dline in3 192.0.2.152 | tr -d '\n'; } | timeout 30 roaming-logwatch --stdin > /dev/null 2>&1
check_eq "--stdin exits 0 at the end of its input" 0 $?
check "--stdin records each complete line" sh -c "roamingctl list | grep -c '^192\.0\.2\.15[01] ' | grep -qx 2"
check_fail "--stdin drops an incomplete last line" listed 192.0.2.152
check_rc "--stdin with a log file is a usage error" 100 roaming-logwatch --stdin "$T/mail.log"

# ---- a store that cannot be written: exit 111, position kept, nothing lost ----
sum=$(cksum < "$T/state")
dline fail1 192.0.2.160 >> "$T/mail.log"
ROAMING_DB=file:$T/no/such/dir/open-smtp timeout 30 roaming-logwatch --once --state "$T/state" "$T/mail.log" > /dev/null 2> "$T/fail.err"
check_eq "--once with an unwritable store exits 111" 111 $?
check "and says why on stderr" grep -q 'not recording 192\.0\.2\.160' "$T/fail.err"
check_eq "and does not move the saved position" "$sum" "$(cksum < "$T/state")"
run "$T/mail.log"
check "the next run records the line" listed 192.0.2.160
check_rc "--once on a missing log file is exit 111" 111 roaming-logwatch --once --state "$T/state4" "$T/missing.log"
check_rc "a bad setting is exit 100" 100 env ROAMING_DB=bogus roaming-logwatch --once "$T/mail.log"
done_testing

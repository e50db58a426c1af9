# t-roaming-precedence.sh: how roaming entries merge with tcp.smtp (exact lines win, prefix settings kept, denies kept, catch-all deny overridden, no rebuild when tcp.smtp already relays, a broken tcp.smtp keeps the old cdb, edits are picked up).
. "$(dirname "$0")/lib.sh"

sandbox

need toy-checkpassword roaming-checkpassword roaming-allow clearopensmtp roamingctl

log_listen || { not_ok "log listener started"; exit 1; }
logged() { wait_for 5 grep -q -- "$1" "$T/log"; }

printf 'joe\0right\0\0' > "$T/pw"
login() { # login IP: a successful login through roaming-checkpassword; rc
	TCPREMOTEIP=$1 timeout 20 roaming-checkpassword toy-checkpassword echo ran 3<"$T/pw" >"$T/out" 2>"$T/err"
	rc=$?
}
ino() { stat -c %i "$1"; }
# view IP: what the real tcpserver would do, as the real tcprulescheck prints it (one line).
view() { TCPREMOTEIP=$1 tcprulescheck "$CDB" | tr '\n' '|'; }
rview() { roaming-tcprulescheck "$CDB" "$1" | tr '\n' '|'; }

cat > "$T/tcp.smtp" <<'EOF'
# the admin's rules
127.0.0.1:allow,RELAYCLIENT=""
10.1.1.1:allow,X="exact"
10.2.:allow,QMAILQUEUE="/var/qmail/bin/simscan",DATABYTES="1000",RBLSMTPD="-go away"
10.3.3.3:deny
10.4.:deny
10.5.:allow,RELAYCLIENT="",Y="five"
2001:db8:1::1:deny
:deny
EOF
check "roamingctl rebuild compiles tcp.smtp" roamingctl rebuild

login 10.1.1.1
check_eq "exact line: login succeeds" "0 ran" "$rc $(cat "$T/out")"
check_eq "exact tcp.smtp line wins over the roaming entry" \
	"rule 10.1.1.1:|set environment variable X=exact|allow connection|" "$(view 10.1.1.1)"
check "roamingctl check explains the exact line" sh -c "roamingctl check 10.1.1.1 | grep -q 'line for exactly 10.1.1.1'"

login 10.2.0.1
check_eq "prefix rule: the entry keeps its settings and adds the roaming ones (the roaming RBLSMTPD wins)" \
	"rule 10.2.0.1:|set environment variable QMAILQUEUE=/var/qmail/bin/simscan|set environment variable DATABYTES=1000|set environment variable RBLSMTPD=-go away|set environment variable RELAYCLIENT=|set environment variable RBLSMTPD=|allow connection|" \
	"$(view 10.2.0.1)"
check_eq "prefix rule: 10.2.0.2 (no login) keeps only the prefix rule" \
	"rule 10.2.:|set environment variable QMAILQUEUE=/var/qmail/bin/simscan|set environment variable DATABYTES=1000|set environment variable RBLSMTPD=-go away|allow connection|" \
	"$(view 10.2.0.2)"
check "roamingctl check names the kept rule" sh -c "roamingctl check 10.2.0.1 | grep -q \"keeps the settings of rule '10.2.'\""
check "roamingctl check says the relay is open" sh -c "roamingctl check 10.2.0.1 | grep -qx 'relay: open'"

login 10.3.3.3
check_eq "exact deny: login still succeeds" "0 ran" "$rc $(cat "$T/out")"
check_eq "exact deny is never overridden" "rule 10.3.3.3:|deny connection|" "$(view 10.3.3.3)"
login 10.4.0.1
check_eq "prefix deny is never overridden" "rule 10.4.:|deny connection|" "$(view 10.4.0.1)"
check "roamingctl check explains the deny" sh -c "roamingctl check 10.4.0.1 | grep -q \"rule '10.4.' denies\""
check "roamingctl check says the relay is closed" sh -c "roamingctl check 10.4.0.1 | grep -qx 'relay: closed'"
login 2001:db8:1::1
check "IPv6 exact deny is never overridden" sh -c "roaming-tcprulescheck '$CDB' 2001:db8:1::1 | grep -qx 'deny connection'"

login 10.6.0.1
check_eq "catch-all :deny is overridden by a login" \
	"rule 10.6.0.1:|set environment variable RELAYCLIENT=|set environment variable RBLSMTPD=|allow connection|" "$(view 10.6.0.1)"
check_eq "... and still denies everyone else" "rule :|deny connection|" "$(view 10.6.0.2)"
check "roamingctl check explains the override" sh -c "roamingctl check 10.6.0.1 | grep -q 'catch-all deny is overridden'"
login 2001:db8:3::7
check "IPv6 login overrides the catch-all too" sh -c "roaming-tcprulescheck '$CDB' 2001:db8:3::7 | grep -q '^set environment variable RELAYCLIENT='"

# tcp.smtp already relays 10.5.: recording costs no rebuild
i0=$(ino "$CDB")
login 10.5.0.1
check "already relaying: the address is recorded" grep -q '^10\.5\.0\.1:' "$T/open-smtp"
check_eq "already relaying: no rebuild (cdb inode unchanged)" "$i0" "$(ino "$CDB")"
check_eq "already relaying: still relays by the tcp.smtp rule" \
	"rule 10.5.:|set environment variable RELAYCLIENT=|set environment variable Y=five|allow connection|" "$(view 10.5.0.1)"
check "already relaying: the cdb counts as current" sh -c "roamingctl check 10.5.0.1 | grep -q 'tcp.smtp.cdb: current'"
check "roamingctl check explains it" sh -c "roamingctl check 10.5.0.1 | grep -q 'already sets RELAYCLIENT'"
login 10.5.0.1
check_eq "already relaying, second login: still no rebuild" "$i0" "$(ino "$CDB")"

# ---- byte identity: with an IPv4-only tcp.smtp the merged cdb is what the
# real tcprules makes of tcp.smtp plus the merged lines ----
mkdir "$T/v4"
printf '127.0.0.1:allow,RELAYCLIENT=""\n10.2.:allow,A="a"\n:allow\n' > "$T/v4/tcp.smtp"
(
	export ROAMING_TCP_RULES=$T/v4/tcp.smtp ROAMING_DB=file:$T/v4/open-smtp
	login 10.9.0.1
	login 10.2.0.9
	login 10.9.0.2
)
{
	cat "$T/v4/tcp.smtp"
	printf '10.9.0.1:allow,RELAYCLIENT="",RBLSMTPD=""\n10.2.0.9:allow,A="a",RELAYCLIENT="",RBLSMTPD=""\n10.9.0.2:allow,RELAYCLIENT="",RBLSMTPD=""\n'
} | tcprules "$T/v4/ref.cdb" "$T/v4/ref.tmp"
check "merged cdb is byte-identical to tcprules's for the same merged text" cmp "$T/v4/tcp.smtp.cdb" "$T/v4/ref.cdb"

# ---- a broken tcp.smtp: the old cdb stays, the login goes on ----
cp "$T/tcp.smtp" "$T/tcp.smtp.good"
printf '10.7.0.0:allow,BROKEN="\n' >> "$T/tcp.smtp"
i0=$(ino "$CDB")
s0=$(cksum < "$CDB")
login 10.7.0.1
check_eq "syntax error in tcp.smtp: login succeeds" "0 ran" "$rc $(cat "$T/out")"
check_eq "syntax error in tcp.smtp: nothing on stderr" "" "$(cat "$T/err")"
check_eq "syntax error in tcp.smtp: the old cdb is kept (inode)" "$i0" "$(ino "$CDB")"
check_eq "syntax error in tcp.smtp: the old cdb is kept (bytes)" "$s0" "$(cksum < "$CDB")"
check "syntax error in tcp.smtp: the log names the line" logged 'tcp\.smtp line 10: unable to parse'
check "syntax error in tcp.smtp: the login was still recorded in the store" grep -q '^10\.7\.0\.1:' "$T/open-smtp"
check "syntax error in tcp.smtp: no temp file left" sh -c "! ls '$T' | grep -q '\.tmp\.'"
check_eq "syntax error in tcp.smtp: old rules still served" "rule 10.4.:|deny connection|" "$(view 10.4.0.1)"
check_rc "roamingctl rebuild reports the broken tcp.smtp" 111 roamingctl rebuild

# fixed, plus a new rule: a known-IP login picks it up
{ grep -v '^:deny' "$T/tcp.smtp.good"; printf '10.8.:allow,Z="new"\n:deny\n'; } > "$T/tcp.smtp.new"
mv "$T/tcp.smtp.new" "$T/tcp.smtp"
login 10.7.0.1
check_eq "after the fix a known-IP login rebuilt: 10.7.0.1 relays" \
	"rule 10.7.0.1:|set environment variable RELAYCLIENT=|set environment variable RBLSMTPD=|allow connection|" "$(view 10.7.0.1)"
check_eq "... and the new tcp.smtp rule is in the cdb" "rule 10.8.:|set environment variable Z=new|allow connection|" "$(view 10.8.0.1)"
# edited again: clearopensmtp picks it up
sed -i 's/Z="new"/Z="newer"/' "$T/tcp.smtp"
check_rc "clearopensmtp exits 0" 0 clearopensmtp
check_eq "clearopensmtp picked up the edit" "rule 10.8.:|set environment variable Z=newer|allow connection|" "$(view 10.8.0.1)"
check_eq "... and kept every live entry" \
	"rule 10.2.0.1:|set environment variable QMAILQUEUE=/var/qmail/bin/simscan|set environment variable DATABYTES=1000|set environment variable RBLSMTPD=-go away|set environment variable RELAYCLIENT=|set environment variable RBLSMTPD=|allow connection|" \
	"$(view 10.2.0.1)"
# an edit that makes tcp.smtp deny an address with a live entry closes it
sed -i 's/^:deny$/10.6.0.:deny\n:deny/' "$T/tcp.smtp"
check_rc "clearopensmtp after adding a deny exits 0" 0 clearopensmtp
check_eq "a new deny for the network closes the roaming entry" "rule 10.6.0.:|deny connection|" "$(view 10.6.0.1)"
check "roaming-tcprulescheck agrees with tcprulescheck" test "$(rview 10.2.0.1)" = "$(view 10.2.0.1)"

done_testing

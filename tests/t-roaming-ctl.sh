# t-roaming-ctl.sh: roamingctl (list, add, add -p, remove, rebuild, check, config), settings precedence and errors naming the key, clearopensmtp, and an existing vpopmail open-smtp file read as it is.
. "$(dirname "$0")/lib.sh"

sandbox

need toy-checkpassword roaming-checkpassword roaming-allow clearopensmtp roamingctl

log_listen || { not_ok "log listener started"; exit 1; }
logged() { wait_for 5 grep -q -- "$1" "$T/log"; }

relays() { TCPREMOTEIP=$1 tcprulescheck "$CDB" 2>&1 | grep -q '^set environment variable RELAYCLIENT='; }
ino() { stat -c %i "$1"; }
tab='	'
now=$(date +%s)

printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$T/tcp.smtp"

# ---- list / add / add -p / remove / rebuild ----
roamingctl list > "$T/list"
check_eq "list of an empty store: exit 0, header only" "0 1" "$? $(wc -l < "$T/list")"
check "list header names address, time, age, state" grep -q '^ADDRESS  *TIME (UTC)  *AGE (s)  *STATE$' "$T/list"
check_rc "add 10.0.0.1 exits 0" 0 roamingctl add 10.0.0.1
check "add wrote the vpopmail line" grep -qx "10\.0\.0\.1:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"${tab}[0-9]*" "$T/open-smtp"
check "add rebuilt: 10.0.0.1 relays" relays 10.0.0.1
check_rc "add -p 10.0.0.2 exits 0" 0 roamingctl add -p 10.0.0.2
check "add -p wrote time 0" grep -qx "10\.0\.0\.2:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"${tab}0" "$T/open-smtp"
check "10.0.0.2 relays" relays 10.0.0.2
check_rc "add 2001:DB8::5 exits 0" 0 roamingctl add 2001:DB8::5
# an entry from three hours and a bit ago
sed -i "/^10\.0\.0\.1:/a 10.0.0.3:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"$tab$((now - 11000))" "$T/open-smtp"
roamingctl list > "$T/list"
check_eq "list: exit 0" 0 "$?"
check "list: 10.0.0.1 with an ISO time, a small age, live" \
	grep -Eq '^10\.0\.0\.1 +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z +[0-9]{1,2} +live$' "$T/list"
check "list: 10.0.0.2 persistent" grep -Eq '^10\.0\.0\.2 +- +- +persistent$' "$T/list"
check "list: 10.0.0.3 stale (older than 180 minutes)" grep -Eq '^10\.0\.0\.3 +[0-9T:Z-]+ +110[0-9][0-9] +stale$' "$T/list"
check "list: the IPv6 entry in lower case" grep -Eq '^2001:db8::5 +[0-9T:Z-]+ +[0-9]+ +live$' "$T/list"
check_eq "list: one line per entry" 5 "$(wc -l < "$T/list")"
check "the stale 10.0.0.3 does not relay after a rebuild" sh -c "roamingctl rebuild >/dev/null && ! TCPREMOTEIP=10.0.0.3 tcprulescheck '$CDB' | grep -q RELAYCLIENT"

i0=$(ino "$CDB")
roamingctl rebuild > "$T/out"
check_eq "rebuild: exit 0" 0 "$?"
check "rebuild reports what it wrote" grep -q '^rebuilt .*tcp\.smtp\.cdb: 2 tcp\.smtp records, 3 live entries, 3 written' "$T/out"
check "rebuild always writes a new cdb" test "$i0" != "$(ino "$CDB")"
check_rc "remove 10.0.0.1 exits 0" 0 roamingctl remove 10.0.0.1
check "remove: gone from open-smtp" sh -c "! grep -q '^10\.0\.0\.1:' '$T/open-smtp'"
check_fail "remove: 10.0.0.1 no longer relays" relays 10.0.0.1
check_rc "remove of an absent entry: exit 100" 100 roamingctl remove 10.0.0.99
check "remove logged" logged 'roamingctl.*removed 10\.0\.0\.1 by hand'
check "add -p logged" logged 'roamingctl.*added 10\.0\.0\.2 (persistent) by hand'

# ---- clearopensmtp ----
check_rc "clearopensmtp (default 180 minutes) exits 0" 0 clearopensmtp
check "clearopensmtp dropped the stale 10.0.0.3" sh -c "! grep -q '^10\.0\.0\.3:' '$T/open-smtp'"
check "clearopensmtp kept the persistent 10.0.0.2" grep -q "^10\.0\.0\.2:.*${tab}0\$" "$T/open-smtp"
check "clearopensmtp kept the live 2001:db8::5" grep -q '^2001:db8::5:' "$T/open-smtp"
i0=$(ino "$CDB")
clearopensmtp -v > "$T/out"
check_eq "clearopensmtp with nothing stale: no rebuild" "removed 0; outputs were current" "$(cat "$T/out")"
check_eq "... cdb inode unchanged" "$i0" "$(ino "$CDB")"
sed -i "s/^\(2001:db8::5:.*\)${tab}[0-9]*\$/\1$tab$((now - 600))/" "$T/open-smtp"
check_rc "clearopensmtp 5 exits 0" 0 clearopensmtp 5
check "clearopensmtp 5 dropped the 10-minute-old entry" sh -c "! grep -q '^2001:db8::5:' '$T/open-smtp'"
check "the persistent entry survives clearopensmtp 1" sh -c "clearopensmtp 1 && grep -q '^10\.0\.0\.2:' '$T/open-smtp'"
check "... and still relays" relays 10.0.0.2
check_rc "clearopensmtp abc: exit 100" 100 clearopensmtp abc
check_rc "clearopensmtp 0: exit 100" 100 clearopensmtp 0
check_rc "clearopensmtp 1 2: exit 100" 100 clearopensmtp 1 2

# ---- check ----
roamingctl check 10.0.0.2 > "$T/out"
check_eq "check of a persistent entry: exit 0" 0 "$?"
check "check: the address" grep -qx 'address: 10.0.0.2' "$T/out"
check "check: the entry is persistent" grep -qx 'roaming entry: persistent' "$T/out"
check "check: why, from tcp.smtp" grep -q '^tcp\.smtp: a roaming entry .*adds RELAYCLIENT="",RBLSMTPD=""$' "$T/out"
check "check: the cdb is current" grep -qx "$CDB: current" "$T/out"
check "check: what tcpserver would do" grep -qx "tcpserver would: allow by rule '10.0.0.2', RELAYCLIENT=, RBLSMTPD=" "$T/out"
check "check: the relay is open" grep -qx 'relay: open' "$T/out"
roamingctl check ::ffff:10.0.0.77 > "$T/out"
check "check of an address without entry: none, closed" sh -c "grep -qx 'address: 10.0.0.77' '$T/out' && grep -qx 'roaming entry: none' '$T/out' && grep -qx 'relay: closed' '$T/out'"
check "check of 127.0.0.1 shows tcp.smtp's relay" sh -c "roamingctl check 127.0.0.1 | grep -qx 'relay: open'"
printf '10.0.0.9:allow,RELAYCLIENT="",RBLSMTPD=""\t%s\n' "$now" >> "$T/open-smtp"
check "check says when the cdb is behind the store" sh -c "roamingctl check 10.0.0.9 | grep -q 'behind (run roamingctl rebuild)'"
check "a known-IP login repairs it" sh -c "TCPREMOTEIP=10.0.0.9 roaming-allow true && TCPREMOTEIP=10.0.0.9 tcprulescheck '$CDB' | grep -q RELAYCLIENT"

# ---- bad input ----
for a in 1.2.3 1.2.3.4:allow "" ::ffff:0.0.0.0 "1.2.3.4 " fe80::1%lo; do
	check_rc "add '$a': exit 100" 100 roamingctl add "$a"
	check_rc "check '$a': exit 100" 100 roamingctl check "$a"
done
check_rc "remove 'x': exit 100" 100 roamingctl remove x
check_rc "no command: exit 100" 100 roamingctl
check_rc "unknown command: exit 100" 100 roamingctl frobnicate
check_rc "add -x 1.2.3.4: exit 100" 100 roamingctl add -x 1.2.3.4
check_rc "list extra: exit 100" 100 roamingctl list extra
check_eq "nothing bad reached open-smtp" 2 "$(grep -c . "$T/open-smtp")"

# ---- settings ----
# bad KEY VALUE: every program refuses the value, exit 100, naming the key
bad() {
	env "$1=$2" roamingctl config > "$T/out" 2>&1
	check_eq "$1='$2': roamingctl exits 100" 100 "$?"
	check "$1='$2': the message names the key" grep -q "$1" "$T/out"
	env "$1=$2" clearopensmtp > "$T/out" 2>&1
	check_eq "$1='$2': clearopensmtp exits 100" 100 "$?"
	check "$1='$2': clearopensmtp names the key" grep -q "$1" "$T/out"
}
bad ROAMING_CLEAR_MINUTES abc
bad ROAMING_CLEAR_MINUTES 0
bad ROAMING_CLEAR_MINUTES -5
bad ROAMING_DB foo
bad ROAMING_DB file:relative/open-smtp
bad ROAMING_RELAY_ENV x
bad ROAMING_RELAY_ENV 'RELAYCLIENT="'
bad ROAMING_TCP_RULES tcp.smtp
bad ROAMING_CONF relative.conf
printf 'ROAMING_CLEAR_MINUTES=30\nROAMING_NO_SUCH_KEY=1\n' > "$T/bad.conf"
ROAMING_CONF=$T/bad.conf roamingctl config > "$T/out" 2>&1
check_eq "unknown key in the config file: exit 100" 100 "$?"
check "... the message names the key and the line" grep -q "bad.conf line 2: unknown key ROAMING_NO_SUCH_KEY" "$T/out"
printf 'ROAMING_CLEAR_MINUTES=soon\n' > "$T/bad.conf"
ROAMING_CONF=$T/bad.conf roamingctl config > "$T/out" 2>&1
check_eq "bad value in the config file: exit 100" 100 "$?"
check "... the message names the key" grep -q "ROAMING_CLEAR_MINUTES" "$T/out"
check_rc "a missing config file named by ROAMING_CONF: exit 111" 111 env ROAMING_CONF="$T/none.conf" roamingctl config
# A login with a bad setting still goes on, records nothing, and says why.
printf 'joe\0right\0\0' > "$T/pw"
ROAMING_CLEAR_MINUTES=abc TCPREMOTEIP=10.0.0.50 roaming-checkpassword toy-checkpassword echo ran 3<"$T/pw" > "$T/out" 2>"$T/err"
check_eq "bad setting: the login still succeeds" "0 ran" "$? $(cat "$T/out")"
check_eq "bad setting: nothing on stderr" "" "$(cat "$T/err")"
check "bad setting: the log names the key" logged 'not recording 10\.0\.0\.50: ROAMING_CLEAR_MINUTES'
check "bad setting: nothing recorded" sh -c "! grep -q '^10\.0\.0\.50:' '$T/open-smtp'"

# defaults, then the file, then the environment
def_rules=$(sed -n 's/^#define ROAMING_TCP_RULES_DEFAULT "\(.*\)"$/\1/p' "$TOP/config.h")
def_min=$(sed -n 's/^#define ROAMING_CLEAR_MINUTES_DEFAULT \([0-9]*\)$/\1/p' "$TOP/config.h")
env -u ROAMING_TCP_RULES -u ROAMING_DB roamingctl config > "$T/out"
check "defaults: tcp.smtp from configure" grep -qx "ROAMING_TCP_RULES=$def_rules" "$T/out"
check "defaults: clear minutes from configure" grep -qx "ROAMING_CLEAR_MINUTES=$def_min" "$T/out"
check "defaults: relay env" grep -qx 'ROAMING_RELAY_ENV=RELAYCLIENT="",RBLSMTPD=""' "$T/out"
check "/dev/null as config file" grep -qx 'config file: /dev/null' "$T/out"
cat > "$T/roaming.conf" <<EOF
# a comment
ROAMING_TCP_RULES=$T/conf/tcp.smtp
ROAMING_DB=file:$T/conf/open-smtp

ROAMING_CLEAR_MINUTES=30
ROAMING_RELAY_ENV=RELAYCLIENT="@roaming"
EOF
env -u ROAMING_TCP_RULES -u ROAMING_DB ROAMING_CONF="$T/roaming.conf" roamingctl config > "$T/out"
check "config file read" grep -qx "config file: $T/roaming.conf" "$T/out"
check "config file overrides the defaults" sh -c "grep -qx 'ROAMING_TCP_RULES=$T/conf/tcp.smtp' '$T/out' && grep -qx 'ROAMING_DB=file:$T/conf/open-smtp' '$T/out' && grep -qx 'ROAMING_CLEAR_MINUTES=30' '$T/out'"
env -u ROAMING_TCP_RULES -u ROAMING_DB ROAMING_CONF="$T/roaming.conf" ROAMING_CLEAR_MINUTES=45 roamingctl config > "$T/out"
check "the environment overrides the file" sh -c "grep -qx 'ROAMING_CLEAR_MINUTES=45' '$T/out' && grep -qx 'ROAMING_TCP_RULES=$T/conf/tcp.smtp' '$T/out'"
# the file's settings are the ones used
mkdir "$T/conf"
printf ':deny\n' > "$T/conf/tcp.smtp"
env -u ROAMING_TCP_RULES -u ROAMING_DB ROAMING_CONF="$T/roaming.conf" TCPREMOTEIP=10.0.0.60 roaming-allow true
check "config file's store and env used by a login" grep -qx "10\.0\.0\.60:allow,RELAYCLIENT=\"@roaming\"${tab}[0-9]*" "$T/conf/open-smtp"
check "config file's relay env in the cdb" sh -c "TCPREMOTEIP=10.0.0.60 tcprulescheck '$T/conf/tcp.smtp.cdb' | grep -qx 'set environment variable RELAYCLIENT=@roaming'"

# ---- an existing vpopmail open-smtp file ----
mkdir "$T/vp"
cat > "$T/vp/open-smtp" <<EOF
1.2.3.4:allow,RELAYCLIENT="",RBLSMTPD=""$tab$((now - 60))
5.6.7.8:allow,RELAYCLIENT="",RBLSMTPD=""${tab}0
9.9.9.9:allow,RELAYCLIENT="",RBLSMTPD=""$tab$((now - 100000))
::ffff:1.2.3.5:allow,RELAYCLIENT="",RBLSMTPD=""$tab$((now - 120))
7.7.7.7:allow,RELAYCLIENT="",RBLSMTPD=""
EOF
printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$T/vp/tcp.smtp"
(
	export ROAMING_TCP_RULES=$T/vp/tcp.smtp ROAMING_DB=file:$T/vp/open-smtp
	CDB=$T/vp/tcp.smtp.cdb
	roamingctl list > "$T/list"
	check "vpopmail file: 1.2.3.4 listed live" grep -Eq '^1\.2\.3\.4 .* live$' "$T/list"
	check "vpopmail file: the time-0 line listed persistent" grep -Eq '^5\.6\.7\.8 .* persistent$' "$T/list"
	check "vpopmail file: the old line listed stale" grep -Eq '^9\.9\.9\.9 .* stale$' "$T/list"
	check "vpopmail file: the IPv4-mapped line listed as 1.2.3.5" grep -Eq '^1\.2\.3\.5 .* live$' "$T/list"
	check "vpopmail file: the line without a tab is not an entry" sh -c "! grep -q '^7\.7\.7\.7' '$T/list'"
	check "vpopmail file: rebuild" roamingctl rebuild
	for a in 1.2.3.4 5.6.7.8 1.2.3.5; do check "vpopmail file: $a relays" relays $a; done
	check_fail "vpopmail file: the stale 9.9.9.9 does not relay" relays 9.9.9.9
	check_fail "vpopmail file: the line without a tab opens nothing" relays 7.7.7.7
	lines=$(wc -l < "$T/vp/open-smtp")
	TCPREMOTEIP=::ffff:1.2.3.5 roaming-allow true
	TCPREMOTEIP=1.2.3.4 roaming-allow true
	check_eq "vpopmail file: logins of known addresses add no line" "$lines" "$(wc -l < "$T/vp/open-smtp")"
	check_rc "vpopmail file: clearopensmtp exits 0" 0 clearopensmtp
	check "vpopmail file: clearopensmtp kept the persistent line" grep -qx "5\.6\.7\.8:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"${tab}0" "$T/vp/open-smtp"
	check "vpopmail file: clearopensmtp dropped the old line" sh -c "! grep -q '^9\.9\.9\.9:' '$T/vp/open-smtp'"
	check "vpopmail file: clearopensmtp kept the live lines" sh -c "grep -q '^1\.2\.3\.4:' '$T/vp/open-smtp' && grep -Eq '^(::ffff:)?1\.2\.3\.5:' '$T/vp/open-smtp'"
	for a in 1.2.3.4 5.6.7.8 1.2.3.5; do check "vpopmail file: $a still relays" relays $a; done
	check_fail "vpopmail file: 9.9.9.9 does not relay" relays 9.9.9.9
	check_eq "vpopmail file: every entry appears once" "" "$(cut -f1 "$T/vp/open-smtp" | sed 's/^::ffff://' | sort | uniq -d)"
	exit "$failures"
) || failures=$((failures + 1))

done_testing

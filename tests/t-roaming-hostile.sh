# t-roaming-hostile.sh: hostile TCPREMOTEIP values record nothing; a local user cannot add an address; an unwritable or busy store never breaks a login.
. "$(dirname "$0")/lib.sh"

E=$T/etc
mkdir "$E" && chmod 755 "$E"
sandbox "$E"

need toy-checkpassword roaming-checkpassword roaming-allow clearopensmtp roamingctl

log_listen || { not_ok "log listener started"; exit 1; }
logged() { wait_for "${2:-5}" grep -q -- "$1" "$T/log"; }
nlog() { grep -c -- "$1" "$T/log"; }

printf 'joe\0right\0\0' > "$T/pw"
chmod 644 "$T/pw"
# login [PROG...]: roaming-checkpassword + toy with the right password and
# whatever TCPREMOTEIP the caller set; rc, $T/out, $T/err.
login() {
	[ $# -gt 0 ] || set -- echo ran
	timeout 20 roaming-checkpassword toy-checkpassword "$@" 3<"$T/pw" >"$T/out" 2>"$T/err"
	rc=$?
}
# state: a fingerprint of every file in the store directory (names, inodes, bytes).
state() { (cd "$E" && for f in *; do printf '%s %s %s\n' "$f" "$(stat -c %i "$f")" "$(cksum < "$f")"; done); }

# no catch-all: any empty key in the cdb would have come from roaming
printf '127.0.0.1:allow,RELAYCLIENT=""\n' > "$E/tcp.smtp"
TCPREMOTEIP=127.0.0.5 login
check "baseline login recorded 127.0.0.5" grep -q '^127\.0\.0\.5:' "$E/open-smtp"

# ---- hostile TCPREMOTEIP catalogue ----
nl='
'
tab='	'
long=$(printf '%0100d' 1)
long6=$(printf '1:%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33)1
# hostile DESC VALUE|--unset: login proceeds, nothing recorded, nothing changed.
hostile() {
	d=$1
	before=$(state)
	n0=$(nlog 'not recording')
	if [ "$2" = --unset ]; then
		env -u TCPREMOTEIP sh -c 'exec timeout 20 roaming-checkpassword toy-checkpassword echo ran 3<"$1" >"$2" 2>"$3"' \
			x "$T/pw" "$T/out" "$T/err"
		rc=$?
	else
		TCPREMOTEIP=$2 login
	fi
	check_eq "hostile $d: login proceeds (exit 0, session ran)" "0 ran" "$rc $(cat "$T/out")"
	check_eq "hostile $d: nothing on stderr" "" "$(cat "$T/err")"
	wait_for 5 test "$(nlog 'not recording')" -gt "$n0"
	check "hostile $d: refusal logged" test "$(nlog 'not recording')" -gt "$n0"
	check_eq "hostile $d: store and cdb untouched" "$before" "$(state)"
}
hostile "empty" ""
hostile "unset" --unset
hostile "'1.2.3.' (a prefix)" "1.2.3."
hostile "':'" ":"
hostile "'::' (unspecified)" "::"
hostile "'0.0.0.0' (unspecified)" "0.0.0.0"
hostile "'::ffff:0.0.0.0'" "::ffff:0.0.0.0"
hostile "'1.2.3.4:allow'" "1.2.3.4:allow"
hostile "'1.2.3.4,RELAYCLIENT=\"\"'" '1.2.3.4,RELAYCLIENT=""'
hostile "'1.2.3.4:allow,RELAYCLIENT=\"\"'" '1.2.3.4:allow,RELAYCLIENT=""'
hostile "double quotes" '"1.2.3.4"'
hostile "single quotes" "'1.2.3.4'"
hostile "newline inside" "1.2.3.4${nl}5.6.7.8:allow"
hostile "trailing newline" "1.2.3.4${nl}"
hostile "tab" "1.2.3.4${tab}0"
hostile "scope id 'fe80::1%eth0'" "fe80::1%eth0"
hostile "trailing space" "1.2.3.4 "
hostile "leading space" " 1.2.3.4"
hostile "overlong digits (100)" "$long"
hostile "overlong IPv6-like (67)" "$long6"
hostile "'1.2.3.256'" "1.2.3.256"
hostile "'01.2.3.4' (octal-looking)" "01.2.3.4"
hostile "'1.2.3.4-7' (a range)" "1.2.3.4-7"
hostile "'=host.example.com'" "=host.example.com"
hostile "'joe@1.2.3.4'" "joe@1.2.3.4"
hostile "'1.2.3.4/32'" "1.2.3.4/32"
hostile "'localhost'" "localhost"
check "no hostile value reached open-smtp" sh -c "[ \"\$(grep -vc '^127\.0\.0\.5:' '$E/open-smtp')\" = 0 ]"
check "no control character reached the log" sh -c "! LC_ALL=C grep -q '[[:cntrl:]]' '$T/log'"

# Addresses that are valid but written oddly are recorded in tcpserver's form.
# accepted VALUE KEY
accepted() {
	TCPREMOTEIP=$1 login
	check_eq "'$1': login proceeds" "0 ran" "$rc $(cat "$T/out")"
	k=$(printf '%s' "$2" | sed 's/[.]/\\./g')
	check "'$1' recorded as '$2' in open-smtp" grep -qx "$k:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"${tab}[0-9]*" "$E/open-smtp"
	check "'$1' is key '$2' in the cdb" cdb -q "$CDB" "$2"
}
accepted "::1" "::1"
check "the cdb has no empty key (vpopmail's ::1 open relay)" sh -c "! cdb -l '$CDB' | grep -qx '+0:'"
check "'::1' relays, per roaming-tcprulescheck" sh -c "roaming-tcprulescheck '$CDB' ::1 | grep -q '^rule ::1:'"
check "an unrelated IPv6 address does not relay" sh -c "! roaming-tcprulescheck '$CDB' ::2 | grep -q RELAYCLIENT"
accepted "::ffff:1.2.3.4" "1.2.3.4"
check "'::ffff:1.2.3.4' left no IPv6 form behind" sh -c "! grep -q '^::ffff' '$E/open-smtp'"
check "1.2.3.4 relays through tcprulescheck" sh -c "TCPREMOTEIP=1.2.3.4 tcprulescheck '$CDB' | grep -q RELAYCLIENT"
accepted "2001:DB8:0:0:0:0:0:A" "2001:db8::a"
accepted "FE80:0000:0000:0000:0202:B3FF:FE1E:8329" "fe80::202:b3ff:fe1e:8329"
TCPREMOTEIP=2001:db8::A login
check_eq "the same IPv6 address in another case is not a second entry" 1 "$(grep -c '^2001:db8::a:' "$E/open-smtp")"
check "no upper-case hex in open-smtp" sh -c "! grep -q '[A-F].*:allow' '$E/open-smtp'"

# ---- a local user ----
if [ "$(id -u)" != 0 ]; then
	ok "# SKIP local-user and unwritable-store cases need root"
	done_testing
	exit
fi
local_user
check "store directory is root's and 0755" test "$(stat -c '%U %a' "$E")" = "root 755"

# The real login still works when the checkpassword drops to the user.
TOY_UID=$RU TOY_GID=$RG TCPREMOTEIP=10.1.0.1 login sh -c 'id -u'
check_eq "login with the toy dropping to uid $RU: session runs as the user" "0 $RU" "$rc $(cat "$T/out")"
check "... and root's recorder recorded 10.1.0.1" grep -q '^10\.1\.0\.1:' "$E/open-smtp"
check "... which relays" sh -c "TCPREMOTEIP=10.1.0.1 tcprulescheck '$CDB' | grep -q RELAYCLIENT"
check_eq "... with nothing on stderr" "" "$(cat "$T/err")"

# By hand, as that user, with a checkpassword that accepts anyone.
printf '#!/bin/sh\n# accepts everyone\nexec "$@"\n' > "$T/fakecp"
chmod 755 "$T/fakecp"
before=$(state)
n0=$(nlog 'not recording 10\.66\.0\.1:')
TCPREMOTEIP=10.66.0.1 as_user timeout 20 roaming-checkpassword "$T/fakecp" echo ran 3<"$T/pw" >"$T/out" 2>"$T/err"
check_eq "user: roaming-checkpassword with a fake checkpassword runs the session" "0 ran" "$? $(cat "$T/out")"
check "user: ... but the recorder (the user's rights) says why it did not record" logged 'not recording 10\.66\.0\.1:'
check_eq "user: ... nothing on stderr" "" "$(cat "$T/err")"
TCPREMOTEIP=10.66.0.2 as_user roaming-allow true 2>"$T/err"
check_eq "user: roaming-allow runs PROG" 0 "$?"
check "user: roaming-allow says why it did not record" logged 'not recording 10\.66\.0\.2:'
check_rc "user: roamingctl add fails" 111 as_user roamingctl add 10.66.0.3
check_rc "user: roamingctl add -p fails" 111 as_user roamingctl add -p 10.66.0.4
check_fail "user: roamingctl remove fails" as_user roamingctl remove 127.0.0.5
check_fail "user: roamingctl rebuild fails" as_user roamingctl rebuild
check_fail "user: clearopensmtp fails" as_user clearopensmtp 1
# a store of the user's own, and root's tcp.smtp: the cdb beside it stays root's
mkdir "$T/evil" && chown "$RU:$RG" "$T/evil"
ROAMING_DB=file:$T/evil/open-smtp TCPREMOTEIP=10.66.0.5 as_user roaming-allow true 2>"$T/err"
check_eq "user: roaming-allow with the user's own store still runs PROG" 0 "$?"
ROAMING_DB=file:$T/evil/open-smtp as_user roamingctl rebuild > /dev/null 2>&1
check_eq "user: nothing changed in the root-owned store directory" "$before" "$(state)"
for a in 10.66.0.1 10.66.0.2 10.66.0.3 10.66.0.4 10.66.0.5; do
	check "user: $a does not relay" sh -c "! TCPREMOTEIP=$a tcprulescheck '$CDB' | grep -q RELAYCLIENT"
done

# A lock any local user can open could be held (a read lock) to stall every
# rebuild: no lock file may be readable or writable by others.
for l in "$E"/*.lock; do
	check "user cannot open $(basename "$l") to hold it" sh -c "! setpriv --reuid=$RU --regid=$RG --clear-groups sh -c 'exec 9<\"\$1\"' x '$l' 2>/dev/null"
done

# ---- an unwritable store never breaks a login ----
n0=$(nlog 'not recording 10\.77\.0\.1:')
TCPREMOTEIP=10.77.0.1 as_user timeout 20 roaming-checkpassword toy-checkpassword sh -c 'echo ran as $USER' 3<"$T/pw" >"$T/out" 2>"$T/err"
check_eq "unwritable store: the login succeeds and the session runs" "0 ran as joe" "$? $(cat "$T/out")"
check_eq "unwritable store: nothing on stderr" "" "$(cat "$T/err")"
check "unwritable store: nothing recorded" sh -c "! grep -q '^10\.77\.' '$E/open-smtp'"
check "unwritable store: the log says why" logged 'not recording 10\.77\.0\.1: unable to lock .*: Permission denied'
# a store directory that does not exist (as root)
ROAMING_DB=file:$T/gone/open-smtp TCPREMOTEIP=10.77.0.2 login
check_eq "missing store directory: login succeeds" "0 ran" "$rc $(cat "$T/out")"
check "missing store directory: the log says why" logged 'not recording 10\.77\.0\.2: .*No such file'
check "missing store directory: nothing created" test ! -e "$T/gone"
# a store lock held by someone else for longer than a login waits
rm -f "$T/locked"
bg python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(60)
' "$E/open-smtp.lock" "$T/locked"
holder=$LASTPID
wait_for 10 test -e "$T/locked"
TCPREMOTEIP=10.77.0.3 login
check_eq "busy lock: the login still succeeds" "0 ran" "$rc $(cat "$T/out")"
check "busy lock: the log says why" logged 'not recording 10\.77\.0\.3: unable to lock' 15
kill "$holder"
check "busy lock: nothing recorded" sh -c "! grep -q '^10\.77\.' '$E/open-smtp'"

# ---- modes ----
check_eq "no world-writable file in the store directory" "" "$(find "$E" -perm -0002 -print)"
check_eq "no setuid or setgid program was built" "" "$(find "$TOP/roaming" "$TOP/tcprules" -type f -perm /6000 -print)"
# even under umask 000 nothing roaming creates is world-writable
mkdir "$T/lax" && chmod 755 "$T/lax"
printf ':allow\n' > "$T/lax/tcp.smtp"
(
	umask 000
	export ROAMING_TCP_RULES=$T/lax/tcp.smtp ROAMING_DB=file:$T/lax/open-smtp
	TCPREMOTEIP=10.88.0.1 login
	roamingctl add -p 10.88.0.2 >/dev/null
	roamingctl rebuild >/dev/null
	clearopensmtp 1
)
check "umask 000: files were created" test -s "$T/lax/tcp.smtp.cdb" -a -s "$T/lax/open-smtp"
check_eq "umask 000: still no world-writable file" "" "$(find "$T/lax" -perm -0002 -print)"

done_testing

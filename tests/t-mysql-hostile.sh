# t-mysql-hostile.sh: the MySQL store against hostile input: bad TCPREMOTEIP values never reach the table, hostile table names and option files are refused with a clear error, the password never shows in argv, environment or logs, and a local user cannot add an address.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql.sh"

E=$T/etc
mkdir "$E" && chmod 755 "$E"
sandbox "$E"
ROAMING_DB=mysql:$E/my.cnf

mysql_require
log_listen || { not_ok "log listener started"; exit 1; }
nlog() { grep -c -- "$1" "$T/log"; }

mysql_start db || { not_ok "mariadbd starts"; exit 1; }
mysql_cnf "$E/my.cnf" "roaming-servers = $T/db.sock"
roamingctl create-table > /dev/null || not_ok "create-table"
printf ':allow\n' > "$E/tcp.smtp"
roamingctl rebuild > /dev/null || not_ok "first rebuild"
printf 'joe\0right\0\0' > "$T/pw"
chmod 644 "$T/pw"
TCPREMOTEIP=127.0.0.5 timeout 20 roaming-checkpassword toy-checkpassword true 3<"$T/pw"
check_eq "baseline login recorded 127.0.0.5" "127.0.0.5" "$(mysql_sql db "SELECT ip_addr FROM relay")"
table() { mysql_sql db "SELECT ip_addr, timestamp FROM relay ORDER BY ip_addr"; }

# ---- hostile TCPREMOTEIP values ----
nl='
'
tab='	'
long=$(printf '%0100d' 1)
hostile() { # hostile DESC VALUE: login proceeds, refusal logged, table and cdb untouched
	before=$(table)
	cdb0=$(cksum < "$CDB")
	n0=$(nlog 'not recording')
	TCPREMOTEIP=$2 timeout 20 roaming-checkpassword toy-checkpassword echo ran 3<"$T/pw" >"$T/out" 2>"$T/err"
	rc=$?
	check_eq "hostile $1: login proceeds" "0 ran" "$rc $(cat "$T/out")"
	check_eq "hostile $1: nothing on stderr" "" "$(cat "$T/err")"
	wait_for 5 test "$(nlog 'not recording')" -gt "$n0"
	check "hostile $1: refusal logged" test "$(nlog 'not recording')" -gt "$n0"
	check_eq "hostile $1: table untouched" "$before" "$(table)"
	check_eq "hostile $1: cdb untouched" "$cdb0" "$(cksum < "$CDB")"
}
hostile "empty" ""
hostile "SQL quote" "1.2.3.4'"
hostile "SQL injection" "1.2.3.4'); DROP TABLE relay; --"
hostile "SQL comment" "1.2.3.4 -- x"
hostile "backtick" '1.2.3.4`'
hostile "LIKE wildcard %" "1.2.3.%"
hostile "LIKE wildcard _" "1.2.3._"
hostile "backslash" '1.2.3.4\'
hostile "'1.2.3.4:allow,RELAYCLIENT=\"\"'" '1.2.3.4:allow,RELAYCLIENT=""'
hostile "newline" "1.2.3.4${nl}5.6.7.8"
hostile "tab" "1.2.3.4${tab}0"
hostile "prefix '1.2.3.'" "1.2.3."
hostile "'::' (unspecified)" "::"
hostile "scope id" "fe80::1%lo"
hostile "overlong" "$long"
hostile "vpopmail's sanitised form" "1_2_3_4"
check "the relay table still exists" mysql_sql db "SELECT COUNT(*) FROM relay"
check_eq "only the baseline row is there" "127.0.0.5" "$(mysql_sql db "SELECT ip_addr FROM relay")"
TCPREMOTEIP=::1 roaming-allow true
check_eq "'::1' is stored as '::1', never as vpopmail's empty key" "1 0" \
	"$(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr = '::1'") $(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr = ''")"

# ---- the option file ----
# refused CFG-LINES-or-mode DESC PATTERN: roamingctl list exits 111 and says PATTERN
refused() {
	d=$1 pat=$2
	roamingctl list > "$T/ctl.out" 2>&1
	rc=$?
	check "$d: refused" test "$rc" != 0
	check "$d: the message says '$pat'" grep -q -- "$pat" "$T/ctl.out"
}
chmod 644 "$E/my.cnf"
refused "an option file others may read (0644)" "chmod 600"
chmod 640 "$E/my.cnf"
refused "an option file its group may read (0640)" "mode 0640"
n0=$(nlog 'not recording')
TCPREMOTEIP=127.0.0.6 roaming-allow true
check "a login with a 0640 option file logs why it records nothing" grep -q 'not recording 127\.0\.0\.6: .*chmod 600' "$T/log"
chmod 400 "$E/my.cnf"
check "an option file of mode 0400 is fine" roamingctl list
chmod 600 "$E/my.cnf"
ROAMING_DB=mysql:$E roamingctl list > "$T/ctl.out" 2>&1
check "a directory as option file is refused" grep -q 'not a regular file' "$T/ctl.out"
ROAMING_DB=mysql:$E/none.cnf roamingctl list > "$T/ctl.out" 2>&1
check "a missing option file is named" grep -q "none\.cnf: No such file" "$T/ctl.out"

cnf() { mysql_cnf "$E/bad.cnf" "roaming-servers = $T/db.sock" "$@"; }
badcnf() { # badcnf DESC PATTERN LINE...
	d=$1 pat=$2
	shift 2
	cnf "$@"
	ROAMING_DB=mysql:$E/bad.cnf roamingctl list > "$T/ctl.out" 2>&1
	rc=$?
	check_eq "$d: refused (exit 111)" 111 "$rc"
	check "$d: the message says '$pat'" grep -q -- "$pat" "$T/ctl.out"
}
badcnf "table name with a backtick" "roaming-table: not a plain table name" 'roaming-table = relay`; DROP TABLE relay; --'
badcnf "table name with a space" "roaming-table" "roaming-table = re lay"
badcnf "table name with a dot" "roaming-table" "roaming-table = roaming.relay"
badcnf "table name starting with a digit" "roaming-table" "roaming-table = 1relay"
badcnf "table name of 65 characters" "roaming-table" "roaming-table = $(printf 'r%.0s' $(seq 65))"
badcnf "a misspelt roaming key" "unknown key roaming-tabel" "roaming-tabel = relay"
badcnf "a roaming key without a value" "roaming-table needs a value" "roaming-table"
badcnf "IPv6 server without brackets" "roaming-servers" "roaming-servers = ::1:3306"
badcnf "server port out of range" "roaming-servers" "roaming-servers = 127.0.0.1:70000"
badcnf "zero timeout" "roaming-connect-timeout: want whole seconds" "roaming-connect-timeout = 0"
badcnf "timeout that is not a number" "roaming-read-timeout" "roaming-read-timeout = 1s"
check "the relay table survived every hostile name" mysql_sql db "SELECT COUNT(*) FROM relay"
# MySQL's own spelling with '_' works, quotes and comments too
cnf "roaming_table = 'other'   # a comment"
check "roaming_table (underscore spelling, quoted) is read" sh -c "ROAMING_DB=mysql:$E/bad.cnf roamingctl create-table | grep -q '\`other\`'"
check "... and names the table used" mysql_sql db "SELECT COUNT(*) FROM other"
# keys of other groups and the client library's own keys are not ours
mysql_cnf "$E/bad.cnf" "roaming-servers = $T/db.sock" "connect-timeout = 5" "[mysql]" "roaming-nonsense = 1"
check "the library's keys and other groups are left alone" env ROAMING_DB=mysql:$E/bad.cnf roamingctl list

# a wrong password: a clear error that does not show the password
sed "s/^password=.*/password=wrong-$MYSQL_PASS/" "$E/my.cnf" > "$E/bad.cnf"
chmod 600 "$E/bad.cnf"
ROAMING_DB=mysql:$E/bad.cnf TCPREMOTEIP=127.0.0.7 roaming-allow true
check "a wrong password: the login logs the refusal" grep -q 'not recording 127\.0\.0\.7: .*Access denied' "$T/log"
check "the password is in no log line" sh -c "! grep -q -- '$MYSQL_PASS' '$T/log'"

# the password is in no argument list or environment of a running roamingctl
bg roamingctl sync --watch 60
wpid=$LASTPID
wait_for 10 test -e "$CDB"
sleep 0.5
check "a running roamingctl's argv does not hold the password" sh -c "! tr '\\0' '\\n' < /proc/$wpid/cmdline | grep -q -- '$MYSQL_PASS'"
check "... nor its environment" sh -c "! tr '\\0' '\\n' < /proc/$wpid/environ | grep -q -- '$MYSQL_PASS'"
kill "$wpid"

# ---- a local user ----
if [ "$(id -u)" != 0 ]; then
	ok "# SKIP local-user cases need root"
	done_testing
	exit
fi
local_user
before=$(table)
as_user env TCPREMOTEIP=10.9.9.9 roaming-allow true
check_eq "a local user running roaming-allow adds nothing" "$before" "$(table)"
check "... the log says the option file is unreadable" grep -q 'not recording 10\.9\.9\.9: unable to read the MySQL option file.*Permission denied' "$T/log"
as_user roamingctl add 10.9.9.8 > "$T/ctl.out" 2>&1
check "a local user's roamingctl add fails" test $? != 0
check_eq "... and adds nothing" "$before" "$(table)"
done_testing

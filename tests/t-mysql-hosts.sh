# t-mysql-hosts.sh: two hosts (own tcp.smtp and cdb each) share one MySQL relay table: roamingctl sync and --watch bring the other host up to date; the same new address logging in on both at once is new for exactly one, and both relay it after sync; clearopensmtp deletes exactly the stale rows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql.sh"

sandbox
# each host names its own files and log (on HOST ...)
unset ROAMING_TCP_RULES ROAMING_LOGSOCKET CDB
ROAMING_DB=mysql:$T/my.cnf

mysql_require

# one log listener per host, so each line says which host wrote it
for h in a b; do
	mkdir "$T/$h"
	log_listen "$T/$h.sock" "$T/$h.log" || { not_ok "log listener $h started"; exit 1; }
done
on() { # on HOST CMD...: run CMD as that host
	h=$1
	shift
	ROAMING_TCP_RULES=$T/$h/tcp.smtp ROAMING_LOGSOCKET=$T/$h.sock "$@"
}
relays() { roaming-tcprulescheck "$T/$1/tcp.smtp.cdb" "$2" | grep -q '^set environment variable RELAYCLIENT='; }
ino() { stat -c %i "$T/$1/tcp.smtp.cdb"; }
login() { TCPREMOTEIP=$2 on "$1" roaming-allow true; }

mysql_start db || { not_ok "mariadbd starts"; exit 1; }
mysql_cnf "$T/my.cnf" "roaming-servers = $T/db.sock"
check "create-table" roamingctl create-table
printf ':allow\n' > "$T/a/tcp.smtp"
printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$T/b/tcp.smtp"
check "host a: first cdb" on a roamingctl rebuild
check "host b: first cdb" on b roamingctl rebuild

# ---- a login on one host reaches the other through sync ----
login a 10.0.0.1
check "a login on host a opens a's relay at once" relays a 10.0.0.1
check_fail "host b does not relay it before it syncs" relays b 10.0.0.1
check "host b: sync rebuilds" sh -c "ROAMING_TCP_RULES=$T/b/tcp.smtp roamingctl sync | grep -q '^rebuilt'"
check "host b relays 10.0.0.1 after sync" relays b 10.0.0.1
check "host b keeps its own tcp.smtp rule" relays b 127.0.0.1
i0=$(ino b)
out=$(on b roamingctl sync)
check_eq "a second sync has nothing to do (prints nothing)" "" "$out"
check_eq "... and leaves b's cdb as it is" "$i0" "$(ino b)"

# a known address logging in on the other host: refreshed, nobody rebuilds
ia=$(ino a)
ib=$(ino b)
mysql_sql db "UPDATE relay SET timestamp = timestamp - 100 WHERE ip_addr = '10.0.0.1'"
login b 10.0.0.1
fresh() { test "$(mysql_sql db "SELECT UNIX_TIMESTAMP() - timestamp FROM relay WHERE ip_addr = '10.0.0.1'")" -lt 50; }
check "the refresh moved the row's time (at once, or through b's spool)" wait_for 10 fresh
check_eq "the refresh rebuilt nothing on b" "$ib" "$(ino b)"
on a roamingctl sync > /dev/null
on b roamingctl sync > /dev/null
check_eq "... and sync on a finds nothing to do" "$ia" "$(ino a)"
check_eq "... nor on b" "$ib" "$(ino b)"

# a row going stale leaves both cdbs at their next sync; a login that
# revives it on one host rebuilds there at once and reaches the other
mysql_sql db "UPDATE relay SET timestamp = $(($(date +%s) - 4 * 3600)) WHERE ip_addr = '10.0.0.1'"
on a roamingctl sync > /dev/null
on b roamingctl sync > /dev/null
check_fail "a stale row: host a no longer relays it after sync" relays a 10.0.0.1
check_fail "... nor host b" relays b 10.0.0.1
login a 10.0.0.1
check "a login revives it: logged on host a" grep -q 'recorded 10\.0\.0\.1 (revived, rebuilt)' "$T/a.log"
check "... host a relays it at once" relays a 10.0.0.1
check_fail "... host b not before it syncs" relays b 10.0.0.1
check "... host b: sync rebuilds" sh -c "ROAMING_TCP_RULES=$T/b/tcp.smtp roamingctl sync | grep -q '^rebuilt'"
check "... and host b relays it again" relays b 10.0.0.1

# ---- the same new address on both hosts at once ----
n=12
i=1
while [ $i -le $n ]; do
	# both start together: each waits for the same go file
	pids=
	for h in a b; do
		(while [ ! -e "$T/go.$i" ]; do sleep 0.01; done; login $h 10.1.0.$i) &
		pids="$pids $!"
	done
	sleep 0.05
	touch "$T/go.$i"
	# shellcheck disable=SC2086
	wait $pids
	i=$((i + 1))
done
# logged_times WANT PREFIX SUFFIX: the addresses 10.1.0.1 to 10.1.0.$n whose
# log lines on both hosts matching PREFIX ADDRESS SUFFIX are not WANT many
logged_times() {
	_bad=
	_i=1
	while [ $_i -le $n ]; do
		_k=$(cat "$T/a.log" "$T/b.log" | grep -c "$2 10\.1\.0\.$_i$3")
		[ "$_k" = "$1" ] || _bad="$_bad 10.1.0.$_i:$_k"
		_i=$((_i + 1))
	done
	echo "$_bad"
}
check_eq "each address logged on both hosts at once was new on exactly one" "" "$(logged_times 1 recorded ' (new')"
check_eq "... and neither login failed" "" "$(logged_times 0 'not recording' ':')"
check_eq "one row each" "$n" "$(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr LIKE '10.1.0.%'")"
bad=
i=1
while [ $i -le $n ]; do
	for h in a b; do
		if grep -q "recorded 10\.1\.0\.$i (new" "$T/$h.log" && ! relays $h 10.1.0.$i; then bad="$bad $h:10.1.0.$i"; fi
	done
	i=$((i + 1))
done
check_eq "the host that saw it new relays it before any sync" "" "$bad"
on a roamingctl sync > /dev/null
on b roamingctl sync > /dev/null
bad=
i=1
while [ $i -le $n ]; do
	for h in a b; do relays $h 10.1.0.$i || bad="$bad $h:10.1.0.$i"; done
	i=$((i + 1))
done
check_eq "after sync both hosts relay every one of them" "" "$bad"

# a forced overlap: another session holds the row's key (an uncommitted
# insert) while both hosts record it, so both wait on the same lock and the
# database, not timing, decides which one inserts
mariadb --no-defaults -S "$T/db.sock" -uroot roaming \
	-e "BEGIN; INSERT INTO relay VALUES ('10.5.0.1', 1); DO SLEEP(0.6); ROLLBACK;" &
holder=$!
sleep 0.2
login a 10.5.0.1 &
pa=$!
login b 10.5.0.1 &
pb=$!
wait $pa $pb $holder
check_eq "both hosts waiting on one key: exactly one saw it new" 1 "$(cat "$T/a.log" "$T/b.log" | grep -c 'recorded 10\.5\.0\.1 (new')"
check_eq "... and neither failed (the deadlock InnoDB may pick is retried)" 0 "$(cat "$T/a.log" "$T/b.log" | grep -c 'not recording 10\.5\.0\.1:')"
check "... and the row holds a login time, not the holder's" test "$(mysql_sql db "SELECT timestamp FROM relay WHERE ip_addr = '10.5.0.1'")" -gt 1
on a roamingctl sync > /dev/null
on b roamingctl sync > /dev/null
check "... both relay it after sync" sh -c "$(command -v roaming-tcprulescheck) '$T/a/tcp.smtp.cdb' 10.5.0.1 | grep -q RELAYCLIENT && $(command -v roaming-tcprulescheck) '$T/b/tcp.smtp.cdb' 10.5.0.1 | grep -q RELAYCLIENT"

# many new addresses at once from both hosts: none is lost
i=1
pids=
while [ $i -le 20 ]; do
	login a 10.2.0.$i &
	pids="$pids $!"
	login b 10.2.1.$i &
	pids="$pids $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086
wait $pids
check_eq "40 concurrent new logins: 40 rows" 40 "$(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr LIKE '10.2.%'")"
on a roamingctl sync > /dev/null
on b roamingctl sync > /dev/null
bad=
i=1
while [ $i -le 20 ]; do
	for h in a b; do
		relays $h 10.2.0.$i || bad="$bad $h:10.2.0.$i"
		relays $h 10.2.1.$i || bad="$bad $h:10.2.1.$i"
	done
	i=$((i + 1))
done
check_eq "... and after sync both hosts relay all 40" "" "$bad"

# ---- sync --watch follows the table ----
bg env ROAMING_TCP_RULES="$T/b/tcp.smtp" ROAMING_LOGSOCKET="$T/b.sock" roamingctl sync --watch 1 > "$T/watch.out"
wpid=$LASTPID
mysql_sql db "INSERT INTO relay VALUES ('10.3.0.1', UNIX_TIMESTAMP())"
check "sync --watch: a row written elsewhere reaches b's cdb" wait_for 20 relays b 10.3.0.1
mysql_sql db "DELETE FROM relay WHERE ip_addr = '10.3.0.1'"
check "sync --watch: a row deleted elsewhere leaves b's cdb" wait_for 20 sh -c "! roaming-tcprulescheck '$T/b/tcp.smtp.cdb' 10.3.0.1 | grep -q RELAYCLIENT"
check "the watcher logged its rebuilds" grep -q 'roamingctl.*sync: rebuilt' "$T/b.log"
kill "$wpid"
check_rc "sync --watch 0 is refused (exit 100)" 100 roamingctl sync --watch 0
check_rc "sync --watch x is refused (exit 100)" 100 roamingctl sync --watch x

# ---- clearopensmtp deletes exactly the stale rows ----
old=$(($(date +%s) - 4 * 3600))
mysql_sql db "UPDATE relay SET timestamp = $old WHERE ip_addr IN ('10.0.0.1', '10.1.0.1', '10.1.0.2', '10.2.0.1');
	INSERT INTO relay VALUES ('10.4.0.1', 0), ('10.4.0.2', NULL), ('10.4.0.3', $old)"
total=$(mysql_sql db "SELECT COUNT(*) FROM relay")
on a roamingctl sync > /dev/null
on b roamingctl sync > /dev/null
out=$(on a clearopensmtp -v)
check_eq "clearopensmtp removes the 5 stale rows and rebuilds" "removed 5; rebuilt" "$out"
check_eq "... exactly those" "$((total - 5))" "$(mysql_sql db "SELECT COUNT(*) FROM relay")"
check_eq "... none of them is left" "0" "$(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr IN ('10.0.0.1', '10.1.0.1', '10.1.0.2', '10.2.0.1', '10.4.0.3')")"
check_eq "persistent rows (0 and NULL) are kept" "2" "$(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr IN ('10.4.0.1', '10.4.0.2')")"
check "live rows are kept" test "$(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr = '10.1.0.3'")" = 1
check "host a relays a persistent address" relays a 10.4.0.2
check_fail "host a no longer relays an expired one" relays a 10.1.0.1
check "host b: sync after the expiry rebuilds" sh -c "ROAMING_TCP_RULES=$T/b/tcp.smtp roamingctl sync | grep -q '^rebuilt'"
check_fail "host b no longer relays it either" relays b 10.1.0.1
check "host b still relays a live one" relays b 10.1.0.3
ia=$(ino a)
out=$(on a clearopensmtp -v)
check_eq "clearopensmtp again: nothing to remove, nothing rebuilt" "removed 0; outputs were current" "$out"
check_eq "... cdb untouched" "$ia" "$(ino a)"
check "clearopensmtp logged the removal" grep -q 'clearopensmtp.*removed 5 stale entries, rebuilt' "$T/a.log"

done_testing

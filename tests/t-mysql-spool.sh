# t-mysql-spool.sh: the MySQL store's refresh spool on a real MariaDB: a known address's login makes no connection and only appends to tcp.smtp.spool; the flusher, roamingctl sync and clearopensmtp write it to the table; new, near-expiry, persistent and removed addresses; a database outage; a stalled flush; concurrent logins; hostile spool contents.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql.sh"

mysql_require
need toy-checkpassword roaming-checkpassword roaming-allow clearopensmtp roamingctl roaming-tcprulescheck
sandbox
ROAMING_DB=mysql:$T/my.cnf
ROAMING_CLEAR_MINUTES=60
export ROAMING_DB ROAMING_CLEAR_MINUTES
SPOOL=$T/tcp.smtp.spool
LIVE=$T/tcp.smtp.live

log_listen || { not_ok "log listener started"; exit 1; }
logged() { wait_for 5 grep -q -- "$1" "$T/log"; }
nlog() { grep -c -- "$1" "$T/log"; }
mysql_start db || { not_ok "mariadbd starts"; exit 1; }
# delay 5: a spooled refresh waits there long enough to be seen
mysql_cnf "$T/my.cnf" "roaming-servers = $T/db.sock" "roaming-refresh-delay = 5"
ts_of() { mysql_sql db "SELECT IFNULL(timestamp, 'NULL') FROM relay WHERE ip_addr = '$1'"; }
# the connections roaming made (the test's own queries connect as root)
conns() { mysql_sql db "SELECT IFNULL(SUM(TOTAL_CONNECTIONS), 0) FROM information_schema.USER_STATISTICS WHERE USER = '$MYSQL_USER'"; }
login() { TCPREMOTEIP=$1 roaming-allow true; }
spooled() { [ -f "$SPOOL" ] && grep -q "^$1 [0-9]*\$" "$SPOOL"; }
moved_since() { test "$(ts_of "$1")" -ge "$2"; }

mysql_sql db "SET GLOBAL userstat = 1"
roamingctl create-table > /dev/null || { not_ok "create-table"; exit 1; }
printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$T/tcp.smtp"
now=$(date +%s)
old=$((now - 600)) # live, with 50 minutes to go
mysql_sql db "INSERT INTO relay VALUES ('10.0.0.1', $old), ('10.0.0.2', $old), ('10.0.0.3', 0), ('2001:db8::7', $old)"
check "roamingctl rebuild" roamingctl rebuild
check "the build wrote the live index" test -s "$LIVE"
check "... a cdb naming the store's option file" sh -c "cdb -q '$LIVE' '' | grep -qx '$T/my.cnf'"
check_eq "... and each live row's time as read" "$old" "$(cdb -q "$LIVE" 10.0.0.1)"
check_eq "... 0 for a persistent one" "0" "$(cdb -q "$LIVE" 10.0.0.3)"
check_eq "... IPv6 in tcpserver's form" "$old" "$(cdb -q "$LIVE" 2001:db8::7)"

# ---- a known address: the spool, no connection ----
c0=$(conns)
t0=$(date +%s)
check "a known address's login runs PROG" login 10.0.0.1
check_eq "... without a connection to the database" "$c0" "$(conns)"
check "... its login time is in the spool" spooled 10.0.0.1
check_eq "... the row is not written yet" "$old" "$(ts_of 10.0.0.1)"
check "... logged as refreshed, spooled" logged 'recorded 10\.0\.0\.1 (refreshed, spooled)'
check "... the relay stays open" relays 10.0.0.1
check "the spool begins with the time a flush was arranged" sh -c "head -1 '$SPOOL' | grep -qx '#[0-9]\{19\}'"
check "the spool is private (0600)" test "$(stat -c %a "$SPOOL")" = 600
printf 'joe\0right\0\0' > "$T/pw"
TCPREMOTEIP=10.0.0.2 roaming-checkpassword toy-checkpassword sh -c 'echo "in as $USER"' 3< "$T/pw" > "$T/out" 2>&1
check_eq "behind roaming-checkpassword: the login goes on, nothing on stderr" "0 in as joe" "$? $(cat "$T/out")"
check "... spooled" spooled 10.0.0.2
login 2001:db8::7
check_eq "three logins: three lines and the header" "4" "$(wc -l < "$SPOOL")"
check "the login that began the spool started a flusher: the rows move within the delay" \
	wait_for 15 moved_since 10.0.0.1 "$t0"
check "... all three" sh -c "test $(ts_of 10.0.0.2) -ge $t0 && test $(ts_of 2001:db8::7) -ge $t0"
check "... the spool is gone once written" wait_for 5 test ! -e "$SPOOL"
check "... the flusher logged it" logged 'flushed 3 spooled refreshes (3 rows moved)'
c1=$(conns)
check_eq "... one connection for all three" "$((c0 + 1))" "$c1"

# ---- persistent: nothing to write ----
login 10.0.0.3
check "a persistent address: logged as persistent" logged 'recorded 10\.0\.0\.3 (persistent)'
check "... nothing spooled" test ! -e "$SPOOL"
check_eq "... no connection" "$c1" "$(conns)"
check_eq "... still 0" "0" "$(ts_of 10.0.0.3)"

# ---- roamingctl sync writes the spool before it looks at the table ----
login 10.0.0.1
cino=$(stat -c %i "$CDB")
mysql_sql db "UPDATE relay SET timestamp = $old WHERE ip_addr = '10.0.0.1'"
check "sync" roamingctl sync
check "... wrote the spooled refresh" moved_since 10.0.0.1 "$t0"
check "... and removed the spool" test ! -e "$SPOOL"
check_eq "... a refresh changes nothing a build writes: no rebuild" "$cino" "$(stat -c %i "$CDB")"
check "... logged" logged 'sync: flushed 1 spooled refreshes (1 rows moved)'

# ---- a new address goes to the table at once ----
c2=$(conns)
login 10.9.0.1
check "a new address: its row is there when the login goes on" test -n "$(ts_of 10.9.0.1)"
check "... relays at once" relays 10.9.0.1
check "... not spooled" test ! -e "$SPOOL"
check "... it made a connection" test "$(conns)" -gt "$c2"
check_eq "... the rebuild added it to the live index" "$(ts_of 10.9.0.1)" "$(cdb -q "$LIVE" 10.9.0.1)"

# ---- near the end of its life: the row itself, now ----
near=$((now - 3600 + 50)) # 50 s to go: less than delay + failover + 60
mysql_sql db "UPDATE relay SET timestamp = $near WHERE ip_addr = '10.0.0.2'"
roamingctl rebuild > /dev/null
t1=$(date +%s)
login 10.0.0.2
check "an address near its end: the row is written before the login goes on" moved_since 10.0.0.2 "$t1"
check "... not spooled" test ! -e "$SPOOL"
check "... logged as refreshed (not spooled)" logged 'recorded 10\.0\.0\.2 (refreshed)'

# ---- removed elsewhere: a refresh never brings a row back ----
mysql_sql db "DELETE FROM relay WHERE ip_addr = '2001:db8::7'"
login 2001:db8::7
check "a row removed on another host, still in the local index: spooled" spooled 2001:db8::7
check "sync" roamingctl sync
check_eq "... the refresh did not bring the row back" "" "$(ts_of 2001:db8::7)"
check_fail "... and the address stopped relaying" relays 2001:db8::7
check_fail "... and left the live index" cdb -q "$LIVE" 2001:db8::7
login 2001:db8::7
check "its next login adds it as new" logged 'recorded 2001:db8::7 (new, rebuilt)'
check "... and it relays again" relays 2001:db8::7

# ---- clearopensmtp writes the spool before it deletes ----
# the table says stale, the spool holds a login: the login wins
login 10.0.0.1
check "spooled" spooled 10.0.0.1
mysql_sql db "UPDATE relay SET timestamp = $((now - 7200)) WHERE ip_addr = '10.0.0.1'"
clearopensmtp
check_eq "clearopensmtp exits 0" 0 "$?"
check "... the spooled login kept the row" test -n "$(ts_of 10.0.0.1)"
check "... with the login's time" moved_since 10.0.0.1 "$t1"
check "... the spool is gone" test ! -e "$SPOOL"
check "... 10.0.0.1 still relays" relays 10.0.0.1

# ---- every server down: the login is still instant, and nothing is lost ----
mysql_stop db
t2=$(date +%s)
login 10.0.0.1
check_eq "database down: a known address's login still spools" "0" "$?"
check "... its line is there" spooled 10.0.0.1
check "... the flusher fails and says why" wait_for 20 grep -q 'unable to flush .*no MySQL server answered' "$T/log"
check "... and keeps the spool" spooled 10.0.0.1
login 10.0.0.1
login 10.0.0.1
check_rc "sync with the database down exits 111" 111 roamingctl sync
check_eq "... the spool still holds 10.0.0.1, once per line" "3" "$(grep -c '^10\.0\.0\.1 ' "$SPOOL")"
mysql_start db || { not_ok "mariadbd restarts"; exit 1; }
mysql_sql db "SET GLOBAL userstat = 1"
check "database back: sync writes what was kept" roamingctl sync
check "... the row has the login time" moved_since 10.0.0.1 "$t2"
check "... the spool is gone" test ! -e "$SPOOL"

# ---- a flusher that never came: the next login arranges one ----
mysql_cnf "$T/my.cnf" "roaming-servers = $T/db.sock" "roaming-refresh-delay = 0"
mysql_sql db "UPDATE relay SET timestamp = $old WHERE ip_addr IN ('10.0.0.1', '10.0.0.2')"
roamingctl rebuild > /dev/null
printf '#%019d\n10.0.0.2 %s\n' $((now - 3600)) "$now" > "$SPOOL"
chmod 600 "$SPOOL"
login 10.0.0.1
check "a spool whose flush stalled: the next login starts one" wait_for 15 test ! -e "$SPOOL"
check "... which wrote the old line too" moved_since 10.0.0.2 "$now"
check "... and the new one" moved_since 10.0.0.1 "$now"

# ---- hostile spool contents: only well-formed lines reach the table ----
n0=$(mysql_sql db "SELECT COUNT(*) FROM relay")
{
	printf '#%019d\n' "$now"
	printf "10.0.0.2'); DROP TABLE relay; -- %s\n" "$now"
	printf '10.0.0.99 %s\n' "$now"           # not in the table: never added
	printf '1.2.3. %s\n10.0.0.2 -5\n10.0.0.2 12x\n%s\n' "$now" "$(head -c 3000 /dev/zero | tr '\0' A)"
	printf '10.0.0.2 %s\n' $((now + 1))
	printf '10.0.0.1 %s' "$now"             # no newline: a writer cut short
} > "$SPOOL"
chmod 600 "$SPOOL"
mysql_sql db "UPDATE relay SET timestamp = $old WHERE ip_addr IN ('10.0.0.1', '10.0.0.2')"
check "a hostile spool: sync still succeeds" roamingctl sync
check_eq "... the table survived" "$n0" "$(mysql_sql db "SELECT COUNT(*) FROM relay")"
check_eq "... the good line was written" "$((now + 1))" "$(ts_of 10.0.0.2)"
check_eq "... a line without its newline was not" "$old" "$(ts_of 10.0.0.1)"
check_eq "... an address not in the table was not added" "" "$(ts_of 10.0.0.99)"

# ---- what the login path refuses to trust ----
rm -f "$SPOOL"
ln -s "$T/elsewhere" "$SPOOL"
t3=$(date +%s)
login 10.0.0.1
check "a symlink at the spool's path: the login writes the row itself" moved_since 10.0.0.1 "$t3"
check "... and nothing was written through the link" test ! -e "$T/elsewhere"
rm -f "$SPOOL"
cp "$LIVE" "$T/live.keep"
mysql_cnf "$T/other.cnf" "roaming-servers = $T/db.sock" "roaming-table = other"
ROAMING_DB=mysql:$T/other.cnf roamingctl create-table > /dev/null
mysql_sql db "INSERT INTO other VALUES ('10.0.0.1', $old)"
c3=$(conns)
ROAMING_DB=mysql:$T/other.cnf login 10.0.0.1
check "a live index written for another option file is not trusted" test "$(conns)" -gt "$c3"
check "... the row was written at once" test "$(mysql_sql db "SELECT timestamp FROM other")" -gt "$old"

# ---- many logins at once: none is lost ----
roamingctl rebuild > /dev/null
addrs=
i=1
while [ $i -le 40 ]; do addrs="$addrs 10.7.0.$i"; i=$((i + 1)); done
vals=$(for a in $addrs; do printf "('%s',%s)," "$a" "$old"; done)
mysql_sql db "INSERT INTO relay VALUES ${vals%,}"
roamingctl rebuild > /dev/null
t4=$(date +%s)
e0=$(nlog 'unable to\|not recording')
for round in 1 2 3 4 5; do
	pids=
	for a in $addrs; do
		login "$a" &
		pids="$pids $!"
	done
	roamingctl sync > /dev/null 2>&1 &
	pids="$pids $!"
	wait $pids # not a bare wait: that would wait for the server too
done
check "after 200 concurrent logins and syncs: sync" roamingctl sync
check_eq "... every one of the 40 rows has a login time" "40" \
	"$(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr LIKE '10.7.0.%' AND timestamp >= $t4")"
check "... the spool is empty" test ! -e "$SPOOL"
check_eq "... nothing went wrong on the log" "$e0" "$(nlog 'unable to\|not recording')"

done_testing

# t-mysql-login.sh: the MySQL store on a real MariaDB: logins behind roaming-checkpassword record rows and open the relay through the real tcpserver; new, known, revived and persistent entries; create-table; a vpopmail-created table and vpopmail's rows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql.sh"

sandbox
ROAMING_DB=mysql:$T/my.cnf

if ! mysql_built; then
	# a build without MySQL must say so, not fail obscurely
	roamingctl list > "$T/nomysql.out" 2>&1
	check_eq "built without MySQL: ROAMING_DB=mysql: is refused (exit 100)" 100 "$?"
	check "... with a message that says why" grep -q 'without MySQL' "$T/nomysql.out"
	done_testing
	exit
fi
mysql_require
need toy-checkpassword roaming-checkpassword roaming-allow clearopensmtp roamingctl

log_listen || { not_ok "log listener started"; exit 1; }
logged() { wait_for 5 grep -q -- "$1" "$T/log"; }

mysql_start db || { not_ok "mariadbd starts"; exit 1; }
mysql_cnf "$T/my.cnf" "roaming-servers = $T/db.sock"
ts_of() { mysql_sql db "SELECT IFNULL(timestamp, 'NULL') FROM relay WHERE ip_addr = '$1'"; }
ino() { [ -e "$1" ] && stat -c %i "$1" || echo missing; }

# ---- the table ----
roamingctl create-table > "$T/create.out" 2>&1
check_eq "roamingctl create-table exits 0" 0 "$?"
check "... says it created the table" grep -q '^created the table' "$T/create.out"
check "... and prints the SQL it ran" grep -q 'CREATE TABLE IF NOT EXISTS `relay`' "$T/create.out"
check_eq "the table has vpopmail's columns" "ip_addr varchar(39) NO PRI
timestamp int(11) YES " "$(mysql_sql db "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY
	FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'roaming' AND TABLE_NAME = 'relay'
	ORDER BY ORDINAL_POSITION" | tr '\t' ' ')"
mysql_sql db "INSERT INTO relay VALUES ('127.0.0.99', 0)"
check "create-table on an existing table says so" sh -c 'roamingctl create-table | grep -q "table exists"'
check_eq "... and keeps its rows" "0" "$(ts_of 127.0.0.99)"
mysql_sql db "DELETE FROM relay"

printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$T/tcp.smtp"
check "roamingctl rebuild writes the first cdb" roamingctl rebuild

# ---- logins through the real tcpserver ----
login_servers || { not_ok "tcpservers listen"; exit 1; }

check_eq "before any login 127.0.0.5 may not relay" "$CLOSED" "$(smtp 127.0.0.5)"
check_eq "wrong password: the session reports exit 1" "exit 1" "$(pop 127.0.0.5 "joe wrong")"
check_eq "wrong password: no row" "" "$(ts_of 127.0.0.5)"

t0=$(date +%s)
check_eq "right password: the session runs and exits 0" "+OK joe in
exit 0" "$(pop 127.0.0.5 "joe right")"
t1=$(date +%s)
ts=$(ts_of 127.0.0.5)
check "right password: a row for 127.0.0.5 with the login time" test "${ts:-0}" -ge "$t0" -a "${ts:-0}" -le "$t1"
check_eq "127.0.0.5 now relays through tcpserver -x" "$OPEN" "$(smtp 127.0.0.5)"
check_eq "127.0.0.6 still may not relay" "$CLOSED" "$(smtp 127.0.0.6)"
check "the login was logged as new and rebuilt" logged 'recorded 127\.0\.0\.5 (new, rebuilt)'
check_eq "the POP side wrote nothing to stderr" "" "$(cat "$T/pop.err")"

# ---- a known address only refreshes its row: no rebuild ----
back=$(($(date +%s) - 100))
mysql_sql db "UPDATE relay SET timestamp = $back WHERE ip_addr = '127.0.0.5'"
cino=$(ino "$CDB")
pop 127.0.0.5 "joe right" > /dev/null
moved() { test "$(ts_of 127.0.0.5)" -gt "$back"; }
# the refresh goes through the spool (t-mysql-spool.sh), written at once
check "known address: its time moved forward" wait_for 10 moved
check "known address: logged as refreshed" logged 'recorded 127\.0\.0\.5 (refreshed, spooled)'
check_eq "known address: no rebuild (cdb inode unchanged)" "$cino" "$(ino "$CDB")"
check_eq "known address: one row" "1" "$(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr = '127.0.0.5'")"
check "roamingctl sync finds the outputs current" roamingctl sync
check_eq "... and does not rebuild" "$cino" "$(ino "$CDB")"

# ---- a stale row is revived by a login, which rebuilds at once ----
mysql_sql db "UPDATE relay SET timestamp = $(($(date +%s) - 4 * 3600)) WHERE ip_addr = '127.0.0.5'"
check "sync after the row went stale rebuilds" sh -c 'roamingctl sync | grep -q rebuilt'
check_eq "a stale entry no longer relays" "$CLOSED" "$(smtp 127.0.0.5)"
pop 127.0.0.5 "joe right" > /dev/null
check "the login revived it and rebuilt" logged 'recorded 127\.0\.0\.5 (revived, rebuilt)'
check_eq "revived: 127.0.0.5 relays again at once" "$OPEN" "$(smtp 127.0.0.5)"

# ---- persistent entries ----
check "roamingctl add -p 127.0.0.7" roamingctl add -p 127.0.0.7
check_eq "persistent: timestamp 0" "0" "$(ts_of 127.0.0.7)"
check_eq "persistent entry relays" "$OPEN" "$(smtp 127.0.0.7)"
pop 127.0.0.7 "joe right" > /dev/null
check "a login from a persistent address is logged as persistent" logged 'recorded 127\.0\.0\.7 (persistent)'
check_eq "... and keeps timestamp 0" "0" "$(ts_of 127.0.0.7)"
mysql_sql db "UPDATE relay SET timestamp = NULL WHERE ip_addr = '127.0.0.7'"
pop 127.0.0.7 "joe right" > /dev/null
check_eq "a NULL timestamp (never expired by vpopmail) is kept as persistent" "NULL" "$(ts_of 127.0.0.7)"
check "roamingctl remove 127.0.0.7" roamingctl remove 127.0.0.7
check_eq "removed: no row" "" "$(ts_of 127.0.0.7)"
check_eq "removed: no relay" "$CLOSED" "$(smtp 127.0.0.7)"
check_rc "removing it again: exit 100" 100 roamingctl remove 127.0.0.7

# ---- address forms: as tcpserver writes them ----
TCPREMOTEIP=::ffff:127.0.0.8 roaming-allow true
check_eq "v4-mapped IPv6 is stored as IPv4" "1" "$(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr = '127.0.0.8'")"
TCPREMOTEIP=2001:DB8:0:0:0:0:0:1 roaming-allow true
check_eq "IPv6 is stored lowercase and compressed" "1" "$(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr = '2001:db8::1'")"
TCPREMOTEIP=1:2:3:4:5:6:7:8888 roaming-allow true
check_eq "the longest IPv6 form fits VARCHAR(39)" "1" "$(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr = '1:2:3:4:5:6:7:8888'")"

# ---- rows vpopmail writes, and its junk ----
mysql_sql db "REPLACE INTO relay (ip_addr, timestamp) VALUES ('127.0.0.40', UNIX_TIMESTAMP())"
# vpopmail turned ::1 into '' and unusual text into '_' runs
mysql_sql db "REPLACE INTO relay (ip_addr, timestamp) VALUES ('', UNIX_TIMESTAMP()), ('127_0_0_41', UNIX_TIMESTAMP())"
check "sync picks up rows another writer (vpopmail) added" sh -c 'roamingctl sync | grep -q rebuilt'
check_eq "vpopmail's row relays" "$OPEN" "$(smtp 127.0.0.40)"
check_eq "vpopmail's empty ip_addr is no catch-all" "$CLOSED" "$(smtp 127.0.0.99)"
check "roamingctl list shows the table" sh -c 'roamingctl list | grep -q "^127\.0\.0\.40 "'

# ---- a table that vpopmail created (its own SQL, default charset) ----
mysql_sql db "CREATE TABLE vrelay (ip_addr varchar(39) not null, timestamp int, primary key (ip_addr))"
mysql_cnf "$T/vpop.cnf" "roaming-servers = $T/db.sock" "roaming-table = vrelay"
mkdir "$T/v"
printf ':allow\n' > "$T/v/tcp.smtp"
ROAMING_DB=mysql:$T/vpop.cnf ROAMING_TCP_RULES=$T/v/tcp.smtp TCPREMOTEIP=127.0.0.50 roaming-allow true
check_eq "vpopmail's table: a login adds a row" "1" "$(mysql_sql db "SELECT COUNT(*) FROM vrelay WHERE ip_addr = '127.0.0.50'")"
check "vpopmail's table: the cdb relays it" sh -c "ROAMING_DB=mysql:$T/vpop.cnf ROAMING_TCP_RULES=$T/v/tcp.smtp roamingctl check 127.0.0.50 | grep -q 'relay: open'"
mysql_sql db "UPDATE vrelay SET timestamp = 1000 WHERE ip_addr = '127.0.0.50'"
ROAMING_DB=mysql:$T/vpop.cnf ROAMING_TCP_RULES=$T/v/tcp.smtp TCPREMOTEIP=127.0.0.50 roaming-allow true
vmoved() { test "$(mysql_sql db "SELECT timestamp FROM vrelay WHERE ip_addr = '127.0.0.50'")" -gt 1000; }
check "vpopmail's table: a known row is refreshed (through the spool)" wait_for 15 vmoved
check_eq "the relay table was not touched by the vrelay host" "0" "$(mysql_sql db "SELECT COUNT(*) FROM relay WHERE ip_addr = '127.0.0.50'")"

# the old vpopmail schema (char(18) and a CHAR timestamp) still reads
mysql_sql db "CREATE TABLE oldrelay (ip_addr char(18) not null, timestamp char(12), primary key (ip_addr));
	INSERT INTO oldrelay VALUES ('127.0.0.60', UNIX_TIMESTAMP()), ('127.0.0.61', '0'), ('127.0.0.62', '1000')"
mysql_cnf "$T/old.cnf" "roaming-servers = $T/db.sock" "roaming-table = oldrelay"
mkdir "$T/o"
printf ':allow\n' > "$T/o/tcp.smtp"
ROAMING_DB=mysql:$T/old.cnf ROAMING_TCP_RULES=$T/o/tcp.smtp roamingctl sync > /dev/null
ROAMING_DB=mysql:$T/old.cnf ROAMING_TCP_RULES=$T/o/tcp.smtp roamingctl list > "$T/old.list"
check "old schema: a live row is listed live" grep -q '^127\.0\.0\.60 .* live$' "$T/old.list"
check "old schema: '0' is persistent" grep -q '^127\.0\.0\.61 .* persistent$' "$T/old.list"
check "old schema: an old row is stale" grep -q '^127\.0\.0\.62 .* stale$' "$T/old.list"

check_eq "the login path wrote nothing to stderr" "" "$(cat "$T/pop.err")"
done_testing

# t-mysql-failover.sh: the failover list: dead sockets, refused ports and a server that never answers are passed over; the first listed server stopped sends writes to the next; every server down leaves the login working, records nothing and logs why; sync --watch outlives the outage.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql.sh"

sandbox
ROAMING_DB=mysql:$T/my.cnf

mysql_require
log_listen || { not_ok "log listener started"; exit 1; }
logged() { wait_for 5 grep -q -- "$1" "$T/log"; }
rows() { mysql_sql "$1" "SELECT COUNT(*) FROM relay WHERE ip_addr = '$2'"; }

PORT1=$(free_port)
mysql_start one "$PORT1" || { not_ok "mariadbd one starts"; exit 1; }
mysql_start two || { not_ok "mariadbd two starts"; exit 1; }
for s in one two; do
	mysql_cnf "$T/$s.cnf" "roaming-servers = $T/$s.sock"
	ROAMING_DB=mysql:$T/$s.cnf roamingctl create-table > /dev/null || not_ok "create-table on $s"
done
printf ':allow\n' > "$T/tcp.smtp"

# nothing listens on DEAD; SILENT accepts and never says a word
DEAD=$(free_port)
SILENT=$(free_port)
while [ "$SILENT" = "$DEAD" ] || [ "$SILENT" = "$PORT1" ]; do SILENT=$(free_port); done
bg python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$SILENT"
wait_for 10 port_open "$SILENT" || { not_ok "silent server listens"; exit 1; }

# ---- dead entries first ----
mysql_cnf "$T/my.cnf" "roaming-servers = $T/dead.sock, 127.0.0.1:$DEAD, 127.0.0.1:$PORT1, $T/two.sock"
TCPREMOTEIP=10.0.0.1 timeout 20 roaming-allow sh -c 'echo ran' > "$T/out" 2> "$T/err"
check_eq "dead socket and refused port first: PROG runs, exit 0" "0 ran" "$? $(cat "$T/out")"
check_eq "... the row went to the first live server (TCP)" "1 0" "$(rows one 10.0.0.1) $(rows two 10.0.0.1)"
check "... it was recorded as new and rebuilt" logged 'recorded 10\.0\.0\.1 (new, rebuilt)'
check "... and relays" relays 10.0.0.1

# a server that accepts and never answers costs the timeout, then failover
mysql_cnf "$T/my.cnf" "roaming-servers = 127.0.0.1:$SILENT, $T/two.sock" \
	"roaming-connect-timeout = 1" "roaming-read-timeout = 1"
TCPREMOTEIP=10.0.0.2 timeout 20 roaming-allow true 2>> "$T/err"
check_eq "a silent first server: the login goes on" 0 "$?"
check_eq "... and the row went to the next server" "0 1" "$(rows one 10.0.0.2) $(rows two 10.0.0.2)"

# ---- the first listed server stopped ----
mysql_cnf "$T/my.cnf" "roaming-servers = $T/one.sock, $T/two.sock"
TCPREMOTEIP=10.0.0.3 roaming-allow true 2>> "$T/err"
check_eq "both up: the first listed server takes the write" "1 0" "$(rows one 10.0.0.3) $(rows two 10.0.0.3)"
mkdir "$T/w"
printf ':allow\n' > "$T/w/tcp.smtp"
bg env ROAMING_TCP_RULES="$T/w/tcp.smtp" roamingctl sync --watch 1 > "$T/watch.out" 2> "$T/watch.err"
wpid=$LASTPID
check "a watcher is running" wait_for 20 test -e "$T/w/tcp.smtp.cdb"
mysql_stop one
TCPREMOTEIP=10.0.0.4 timeout 20 roaming-allow true 2>> "$T/err"
check_eq "first server stopped: the login goes on" 0 "$?"
check_eq "... and its row is on the second server" 1 "$(rows two 10.0.0.4)"
check "... recorded as new" logged 'recorded 10\.0\.0\.4 (new, rebuilt)'
check "... and relays" relays 10.0.0.4

# ---- every server down ----
mysql_stop two
printf 'joe\0right\0\0' > "$T/pw"
TCPREMOTEIP=10.0.0.5 timeout 20 roaming-checkpassword toy-checkpassword sh -c 'echo "in as $USER"' \
	3< "$T/pw" > "$T/out" 2> "$T/login.err"
check_eq "every server down: the login still succeeds" "0 in as joe" "$? $(cat "$T/out")"
check_eq "... with nothing on stderr" "" "$(cat "$T/login.err")"
check "... and a log line that says why" logged 'not recording 10\.0\.0\.5: no MySQL server answered'
check "... naming the servers tried" grep -q "not recording 10\.0\.0\.5: .*one\.sock: .*two\.sock: " "$T/log"
check_fail "... the relay stays closed for it" relays 10.0.0.5
TCPREMOTEIP=10.0.0.6 timeout 20 roaming-allow sh -c 'echo ran' > "$T/out" 2>> "$T/err"
check_eq "every server down: roaming-allow still runs PROG" "0 ran" "$? $(cat "$T/out")"
check "... and logs why" logged 'not recording 10\.0\.0\.6: no MySQL server answered'
check_rc "roamingctl list with every server down: exit 111" 111 roamingctl list
check "the watcher logs the outage" logged 'roamingctl.*sync: no MySQL server answered'
# a watcher started during the outage waits for the database
mkdir "$T/w2"
printf ':allow\n' > "$T/w2/tcp.smtp"
bg env ROAMING_TCP_RULES="$T/w2/tcp.smtp" roamingctl sync --watch 1 > "$T/watch2.out" 2> "$T/watch2.err"
w2pid=$LASTPID
sleep 1.5
check "a watcher started with every server down keeps running" kill -0 "$w2pid"
check_fail "... and has built nothing yet" test -e "$T/w2/tcp.smtp.cdb"

# ---- back up: nothing was recorded meanwhile; the watcher reconnects ----
mysql_start two || { not_ok "mariadbd two restarts"; exit 1; }
check_eq "nothing was recorded for the logins during the outage" "0 0" "$(rows two 10.0.0.5) $(rows two 10.0.0.6)"
mysql_sql two "INSERT INTO relay VALUES ('10.0.0.7', UNIX_TIMESTAMP())"
check "the watcher reconnects and picks up a new row" wait_for 30 sh -c "roaming-tcprulescheck '$T/w/tcp.smtp.cdb' 10.0.0.7 | grep -q RELAYCLIENT"
check "... the watcher kept running through the outage" kill -0 "$wpid"
check "the watcher started during the outage builds its cdb once the server is back" \
	wait_for 30 sh -c "roaming-tcprulescheck '$T/w2/tcp.smtp.cdb' 10.0.0.7 | grep -q RELAYCLIENT"
check_eq "nothing went to stderr on the login path" "" "$(cat "$T/err")"
check "the password appears in no log line" sh -c "! grep -q '$MYSQL_PASS' '$T/log'"

done_testing

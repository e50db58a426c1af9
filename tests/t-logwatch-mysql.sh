# t-logwatch-mysql.sh: the log watcher on the MySQL store (a real MariaDB): logins found in the log become rows of the relay table and open the relay in tcp.smtp.cdb; the position is kept beside tcp.smtp; a second run adds nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql.sh"

sandbox
ROAMING_DB=mysql:$T/my.cnf ROAMING_LOGSOCKET=$T/no-log.sock
L=$TOP/tests/logs
mysql_require
need roaming-logwatch roamingctl roaming-tcprulescheck
mysql_start db || { not_ok "mariadbd starts"; exit 1; }
mysql_cnf "$T/my.cnf" "roaming-servers = $T/db.sock"
roamingctl create-table > "$T/create.out" 2>&1 || { not_ok "roamingctl create-table"; sed "s/^/# /" "$T/create.out"; exit 1; }
printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$T/tcp.smtp"
roamingctl rebuild >/dev/null || { not_ok "roamingctl rebuild"; exit 1; }
rows() { mysql_sql db "SELECT ip_addr FROM relay ORDER BY ip_addr"; }

cat "$L/formats.log" "$L/hostile.log" > "$T/mail.log"
timeout 60 roaming-logwatch --once --from-start "$T/mail.log" > /dev/null 2> "$T/err"
check_eq "--once into MySQL exits 0" 0 $?
check_eq "the relay table has a row per login address (26 + 4)" 30 "$(rows | wc -l)"
check_eq "2001:db8::10 is a row" 2001:db8::10 "$(mysql_sql db "SELECT ip_addr FROM relay WHERE ip_addr = '2001:db8::10'")"
check_eq "IPv4-mapped ::ffff:192.0.2.11 is the row 192.0.2.11" 192.0.2.11 "$(mysql_sql db "SELECT ip_addr FROM relay WHERE ip_addr = '192.0.2.11'")"
check_eq "no row for the forged 203.0.113.66" "" "$(mysql_sql db "SELECT ip_addr FROM relay WHERE ip_addr LIKE '203.0.113.%'")"
check_eq "no row for a failed login" "" "$(mysql_sql db "SELECT ip_addr FROM relay WHERE ip_addr LIKE '198.51.100.%'")"
check_eq "tcpserver's view: 192.0.2.60 (cyrus) relays" open "$(relay 192.0.2.60)"
check_eq "tcpserver's view: 2001:db8::22 (courier) relays" open "$(relay 2001:db8::22)"
check_eq "tcpserver's view: 203.0.113.66 does not" closed "$(relay 203.0.113.66)"
check "with a MySQL store the position is kept beside tcp.smtp" grep -q "^path $T/mail.log\$" "$T/tcp.smtp.logwatch"
mysql_sql db "DELETE FROM relay WHERE ip_addr = '192.0.2.10'"
timeout 60 roaming-logwatch --once "$T/mail.log" > /dev/null 2>&1
check_eq "a second run reads no old line (a deleted row stays deleted)" "" "$(mysql_sql db "SELECT ip_addr FROM relay WHERE ip_addr = '192.0.2.10'")"
printf 'Nov 23 13:00:00 mail dovecot: pop3-login: Login: user=<m>, method=PLAIN, rip=192.0.2.200, lip=192.0.2.1, mpid=1, session=<m1>\n' >> "$T/mail.log"
timeout 60 roaming-logwatch --once "$T/mail.log" > /dev/null 2>&1
check_eq "a new line is a new row" 192.0.2.200 "$(mysql_sql db "SELECT ip_addr FROM relay WHERE ip_addr = '192.0.2.200'")"
check_eq "and relays" open "$(relay 192.0.2.200)"
mysql_stop db
printf 'Nov 23 13:00:01 mail dovecot: pop3-login: Login: user=<m>, method=PLAIN, rip=192.0.2.201, lip=192.0.2.1, mpid=1, session=<m2>\n' >> "$T/mail.log"
sum=$(cksum < "$T/tcp.smtp.logwatch")
timeout 60 roaming-logwatch --once "$T/mail.log" > /dev/null 2>&1
check_eq "the database down: --once exits 111" 111 $?
check_eq "and keeps its position" "$sum" "$(cksum < "$T/tcp.smtp.logwatch")"
mysql_start db || { not_ok "mariadbd starts again"; exit 1; }
timeout 60 roaming-logwatch --once "$T/mail.log" > /dev/null 2>&1
check_eq "the database back: the line is recorded then" 192.0.2.201 "$(mysql_sql db "SELECT ip_addr FROM relay WHERE ip_addr = '192.0.2.201'")"
done_testing

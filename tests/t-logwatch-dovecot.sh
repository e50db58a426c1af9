# t-logwatch-dovecot.sh: a real Dovecot (dovecot-pop3d, own config in a temp dir, a passwd-file user, POP3 on 127.0.0.1) logs to its own log_path; roaming-logwatch follows that log; a POP3 login from 127.0.0.5 opens the relay in the real tcpserver for 127.0.0.5 only, a wrong password from 127.0.0.6 opens nothing.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	ok "# SKIP a private Dovecot needs root"
	exit 0
fi
for p in dovecot tcpserver tcpclient roaming-logwatch roamingctl roaming-tcprulescheck; do
	command -v $p >/dev/null || { not_ok "$p is installed or built (tools/deps; make check)"; exit 1; }
done
sandbox

log_listen || { not_ok "log listener started"; exit 1; }
printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$T/tcp.smtp"
roamingctl rebuild >/dev/null || { not_ok "roamingctl rebuild"; exit 1; }
listed() { roamingctl list | awk -v a="$1" '$1 == a { f = 1 } END { exit !f }'; }

# ---- Dovecot: POP3 only, plaintext PLAIN allowed on loopback, logs to a file ----
POP=$(free_port)
mkdir -p "$T/dv/run" "$T/dv/state" "$T/mail"
chown 65534:65534 "$T/mail"
echo "joe:{PLAIN}secret:65534:65534::$T/mail/joe::" > "$T/dv/passwd"
cat > "$T/dv/dovecot.conf" <<EOF
base_dir = $T/dv/run
state_dir = $T/dv/state
instance_name = roaming-test-$$
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
log_path = $T/dovecot.log
info_log_path = $T/dovecot.log
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:$T/mail/%u
passdb {
  driver = passwd-file
  args = $T/dv/passwd
}
userdb {
  driver = passwd-file
  args = $T/dv/passwd
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP
  }
}
EOF
bg dovecot -c "$T/dv/dovecot.conf" -F
if wait_for 30 port_open "$POP"; then ok "Dovecot listens on 127.0.0.1:$POP"; else not_ok "Dovecot listens on 127.0.0.1:$POP"; sed 's/^/# /' "$T/dovecot.log" 2>/dev/null | tail; exit 1; fi

# ---- the watcher follows Dovecot's log ----
: > "$T/log"
bg roaming-logwatch --state "$T/lw.state" "$T/dovecot.log"
check "roaming-logwatch follows dovecot.log" wait_for 10 grep -q "watching $T/dovecot.log" "$T/log"

# pop SOURCE PASSWORD: a POP3 session from SOURCE; prints the server's
# answer to PASS.
pop() {
	timeout 20 python3 - "$1" "$POP" "$2" <<'PY'
import socket, sys
src, port, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), 10, source_address=(src, 0))
f = s.makefile("rwb")
f.readline()
def cmd(c):
    f.write(c.encode() + b"\r\n"); f.flush()
    return f.readline().decode().strip()
cmd("USER joe")
r = cmd("PASS " + pw)
print(r.split(" ")[0])
if r.startswith("+OK"):
    cmd("STAT")
    cmd("QUIT")
s.close()
PY
}

# The wrong password first: once 127.0.0.5's later login is recorded, the
# line of the failure (earlier in the log) has been read too.
check_eq "a wrong password from 127.0.0.6 is refused by Dovecot" "-ERR" "$(pop 127.0.0.6 wrong)"
check "Dovecot logged the failure" wait_for 15 grep -q 'auth failed.*rip=127\.0\.0\.6' "$T/dovecot.log"
check_eq "the right password from 127.0.0.5 logs in" "+OK" "$(pop 127.0.0.5 secret)"
check "Dovecot logged the login in its own format" \
	wait_for 15 grep -q ' pop3-login: Info: Login: user=<joe>, method=PLAIN, rip=127\.0\.0\.5,' "$T/dovecot.log"
check "the watcher records 127.0.0.5" wait_for 15 listed 127.0.0.5
check "and says so in its log" grep -q 'recorded 127\.0\.0\.5 (new) for a dovecot login of joe' "$T/log"
check_fail "127.0.0.6 (wrong password) is not recorded" listed 127.0.0.6
check_eq "nothing else is recorded" 1 "$(roamingctl list | awk 'NR > 1' | wc -l)"

# ---- the real tcpserver on the SMTP side ----
SMTP=$(free_port)
while [ "$SMTP" = "$POP" ]; do SMTP=$(free_port); done
printf '#!/bin/sh\nif [ -n "${RELAYCLIENT+x}" ]; then echo "relay for $TCPREMOTEIP"; else echo "no relay for $TCPREMOTEIP"; fi\n' > "$T/smtp"
chmod +x "$T/smtp"
bg tcpserver -x "$T/tcp.smtp.cdb" -H -R -l 0 127.0.0.1 "$SMTP" "$T/smtp"
wait_for 10 port_open "$SMTP" || not_ok "tcpserver listens on 127.0.0.1:$SMTP"
client() { timeout 10 tcpclient -H -R -l 0 -i "$1" 127.0.0.1 "$SMTP" sh -c 'cat <&6' 2>/dev/null; }
check_eq "tcpserver sets RELAYCLIENT for 127.0.0.5" "relay for 127.0.0.5" "$(client 127.0.0.5)"
check_eq "tcpserver does not for 127.0.0.6" "no relay for 127.0.0.6" "$(client 127.0.0.6)"
check_eq "nor for 127.0.0.7, which never logged in" "no relay for 127.0.0.7" "$(client 127.0.0.7)"

# ---- a second login from 127.0.0.5 only refreshes; no rebuild ----
: > "$T/log"
n=$(grep -c ' Login: user=<joe>' "$T/dovecot.log")
check_eq "a second login from 127.0.0.5" "+OK" "$(pop 127.0.0.5 secret)"
wait_for 15 sh -c "[ \$(grep -c ' Login: user=<joe>' '$T/dovecot.log') -gt $n ]"
check "the watcher refreshes the known address" wait_for 15 grep -q 'refreshed 127\.0\.0\.5 for a dovecot login' "$T/log"
check_eq "without a rebuild" 0 "$(grep -c ': rebuilt ' "$T/log")"
done_testing

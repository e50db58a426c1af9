# t-postfix-smtpd.sh: end to end with a real Postfix smtpd and the restrictions of examples/postfix-main.cf: a login through roaming-checkpassword lets 127.0.0.5 relay and not 127.0.0.6; clearopensmtp closes it again; smtpd notices each new map without a reload; a missing map means 451.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	ok "# SKIP a private Postfix master needs root"
	exit 0
fi
sandbox
ROAMING_POSTFIX_MAP=$T/roaming
export ROAMING_POSTFIX_MAP
umask 022

for p in toy-checkpassword roaming-checkpassword clearopensmtp roamingctl postconf; do
	command -v $p >/dev/null || { not_ok "$p is there (make check; tools/deps)"; exit 1; }
done
. "$TOP/tests/postfix.sh"
[ -x "$PF_DAEMONS/master" ] || { not_ok "Postfix's master is installed"; exit 1; }

RCPT=user@remote.example
# login IP: a successful login behind roaming-checkpassword, as qmail-popup runs it.
login() {
	printf 'joe\0right\0\0' > "$T/pw"
	TCPREMOTEIP=$1 timeout 20 roaming-checkpassword toy-checkpassword true 3<"$T/pw" >/dev/null 2>&1
}
# code SRC: the first three characters of smtpd's answer to RCPT TO from SRC.
code() { smtp_rcpt "$1" "$RCPT" 2>&1 | cut -c1-3; }
restarts() { postfix_log_count "has changed -- restarting"; }
# restarted_since N: more than N such lines (postlogd may write a moment later).
restarted_since() { [ "$(restarts)" -gt "$1" ]; }

# The site's tcp.smtp plays no part in Postfix's decision; it is empty here.
: > "$T/tcp.smtp"
check "roamingctl postfix-init creates the map before Postfix first needs it" roamingctl postfix-init
postfix_setup "$TOP/examples/postfix-main.cf" "$T/roaming" || { not_ok "Postfix instance configured"; exit 1; }
check_eq "the instance uses the example's restrictions, in that order" \
	"permit_mynetworks, permit_sasl_authenticated, check_client_access cdb:$T/roaming, reject_unauth_destination" \
	"$(postconf -c "$PF_ETC" -h smtpd_relay_restrictions | tr -s ' \n' ' ' | sed 's/ *$//')"
check "postconf has nothing to warn about in the instance" sh -c '! postconf -c "$1" -n 2>&1 >/dev/null | grep .' x "$PF_ETC"
postfix_start || { not_ok "Postfix smtpd listens on 127.0.0.1:$PF_PORT"; sed 's/^/# /' "$PF_LOG" 2>/dev/null | tail; exit 1; }
ok "Postfix smtpd listens on 127.0.0.1:$PF_PORT"

r=$(smtp_rcpt 127.0.0.5 "$RCPT" 2>&1)
case $r in
"554 5.7.1 <$RCPT>: Relay access denied") ok "before any login 127.0.0.5 gets 554 Relay access denied" ;;
*) not_ok "before any login 127.0.0.5 gets 554 Relay access denied"; echo "# got: $r" ;;
esac
check_eq "a local recipient is still accepted from 127.0.0.5 (the map only decides relaying)" 250 \
	"$(smtp_rcpt 127.0.0.5 postmaster@localhost 2>&1 | cut -c1-3)"
r0=$(restarts)

check "joe logs in over POP from 127.0.0.5" login 127.0.0.5
check_eq "now 127.0.0.5 may relay: 250 for RCPT TO $RCPT" 250 "$(code 127.0.0.5)"
check "... without a reload: the running smtpd noticed the new map and restarted itself" wait_for 10 restarted_since "$r0"
r=$(smtp_rcpt 127.0.0.6 "$RCPT" 2>&1)
case $r in
"554 5.7.1 <$RCPT>: Relay access denied") ok "127.0.0.6, which did not log in, gets 554 Relay access denied" ;;
*) not_ok "127.0.0.6, which did not log in, gets 554 Relay access denied"; echo "# got: $r" ;;
esac
check_eq "a wrong password from 127.0.0.6 opens nothing" 1 \
	"$(printf 'joe\0wrong\0\0' > "$T/pw"; TCPREMOTEIP=127.0.0.6 timeout 20 roaming-checkpassword toy-checkpassword true 3<"$T/pw" >/dev/null 2>&1; echo $?)"
check_eq "... 127.0.0.6 is still denied" 554 "$(code 127.0.0.6)"
check_eq "127.0.0.5 still relays" 250 "$(code 127.0.0.5)"
# Postfix takes an all-numeric value as OK: the login time, and 0 for a
# persistent entry, both let the client relay.
roamingctl add -p 127.0.0.9 >/dev/null
ROAMING_POSTFIX_ACTION=TIME roamingctl rebuild >/dev/null
check_eq "ROAMING_POSTFIX_ACTION=TIME (value: the login time): 127.0.0.5 relays" 250 "$(code 127.0.0.5)"
check_eq "... and a persistent 127.0.0.9 (value: 0) relays" 250 "$(code 127.0.0.9)"
roamingctl rebuild >/dev/null

# Time passes: the entry becomes older than the expiry; cron runs clearopensmtp.
python3 - "$T/open-smtp" <<'EOF'
import os, sys, time
p = sys.argv[1]
old = int(time.time()) - 86400
lines = [l if l.rstrip("\n").endswith("\t0") else l.rsplit("\t", 1)[0] + "\t%d\n" % old for l in open(p)]
open(p + ".new", "w").writelines(lines)
os.rename(p + ".new", p)
EOF
r1=$(restarts)
check_eq "clearopensmtp removes the stale entry" "removed 1; rebuilt" "$(clearopensmtp -v 2>&1)"
check_eq "after clearopensmtp 127.0.0.5 is denied again" 554 "$(code 127.0.0.5)"
check_eq "... while the persistent 127.0.0.9 still relays" 250 "$(code 127.0.0.9)"
check "... again without a reload" wait_for 10 restarted_since "$r1"

# The map must never be missing: smtpd then answers 451 4.3.5 to everyone.
rm -f "$T/roaming.cdb"
r=$(smtp_rcpt 127.0.0.6 "$RCPT" 2>&1)
case $r in
"451 4.3.5 "*"Server configuration error") ok "with the map missing smtpd answers 451 4.3.5 Server configuration error" ;;
*) not_ok "with the map missing smtpd answers 451 4.3.5 Server configuration error"; echo "# got: $r" ;;
esac
check_eq "... even for a local recipient" 451 "$(smtp_rcpt 127.0.0.6 postmaster@localhost 2>&1 | cut -c1-3)"
check "roamingctl postfix-init puts an empty map back" roamingctl postfix-init
# An smtpd that started while the map was missing has no file to watch: it
# goes on answering 451 until it is restarted, hence postfix-init before
# Postfix is pointed at the map (the install order the docs give).
check_eq "an smtpd that started without the map still answers 451" 451 "$(code 127.0.0.6)"
kill -HUP "$(sed -n 1p "$PF_QUEUE/pid/master.pid" | tr -d ' ')"
denied6() { [ "$(code 127.0.0.6)" = 554 ]; }
check "after one postfix reload 127.0.0.6 gets 554 again, not 451" wait_for 20 denied6
check "the next login from 127.0.0.5 fills the map again" login 127.0.0.5
check_eq "127.0.0.5 relays again" 250 "$(code 127.0.0.5)"

check_eq "no smtpd fatal or panic in the mail log" 0 "$(grep -c -E 'fatal:|panic:' "$PF_LOG")"
done_testing

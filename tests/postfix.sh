# tests/postfix.sh: a private Postfix for one test (sourced after tests/lib.sh).
# Its own config_directory and queue_directory under $T, the master in the
# foreground (started with bg, so lib.sh's cleanup stops it and its
# children), smtpd on 127.0.0.1:$PF_PORT. Nothing is ever delivered: only
# smtpd and what it needs to answer RCPT TO run (trivial-rewrite, cleanup,
# anvil, postlogd for the log file). Needs root: master starts as root and
# its daemons drop to the postfix user, as in a real installation.
#
#   postfix_setup FRAGMENT MAP   main.cf = FRAGMENT with /etc/postfix/roaming
#                                replaced by MAP, plus the sandbox settings
#   postfix_start                starts master; 0 once smtpd accepts
#   smtp_rcpt SRC RCPT           "CODE TEXT": the reply to RCPT TO:<RCPT> for a
#                                client connecting from address SRC
#   postfix_log_count TEXT       how many lines of the mail log contain TEXT

PF=$T/pf
PF_ETC=$PF/etc
PF_QUEUE=$PF/queue
PF_LOG=$PF/maillog
PF_DAEMONS=$(postconf -h daemon_directory 2>/dev/null)
PF_PORT=

postfix_setup() {
	PF_PORT=$(free_port)
	mkdir -p "$PF_ETC" "$PF/data" || return 1
	sed "s|/etc/postfix/roaming|$2|g" "$1" > "$PF_ETC/main.cf" || return 1
	# The sandbox. mynetworks holds only a TEST-NET address, so loopback
	# clients are not trusted by permit_mynetworks and the roaming map
	# alone decides for them.
	postconf -c "$PF_ETC" -e \
		"compatibility_level = 3.6" \
		"queue_directory = $PF_QUEUE" \
		"data_directory = $PF/data" \
		"mail_owner = postfix" \
		"setgid_group = postdrop" \
		"myhostname = roaming-test.example" \
		"mydomain = roaming-test.example" \
		"mydestination = localhost" \
		"relay_domains =" \
		"mynetworks = 192.0.2.1/32" \
		"inet_interfaces = 127.0.0.1" \
		"inet_protocols = ipv4" \
		"alias_maps =" \
		"alias_database =" \
		"local_recipient_maps =" \
		"smtpd_peername_lookup = no" \
		"in_flow_delay = 0" \
		"smtpd_error_sleep_time = 0" \
		"maillog_file = $PF_LOG" \
		"maillog_file_prefixes = $T" \
		"biff = no" || return 1
	# One smtpd process at most: the one that has the old map open is the
	# one that must notice the new map. Chrooted, as Debian's master.cf
	# ships it: smtpd opens its tables before it enters the jail, so the
	# map lives outside it.
	cat > "$PF_ETC/master.cf" <<EOF
127.0.0.1:$PF_PORT inet n - y - 1 smtpd
rewrite unix - - n - - trivial-rewrite
cleanup unix n - n - 0 cleanup
anvil unix - - n - 1 anvil
postlog unix-dgram n - n - 1 postlogd
EOF
	mkdir -p "$PF_QUEUE" || return 1
	for d in pid private public incoming active deferred defer bounce hold corrupt flush saved trace maildrop; do
		mkdir -p "$PF_QUEUE/$d" || return 1
	done
	chown postfix "$PF_QUEUE"/* "$PF/data" && chown root "$PF_QUEUE/pid" \
	    && chgrp postdrop "$PF_QUEUE/public" "$PF_QUEUE/maildrop" \
	    && chmod 700 "$PF_QUEUE"/* "$PF/data" && chmod 755 "$PF_QUEUE/pid" \
	    && chmod 710 "$PF_QUEUE/public" && chmod 730 "$PF_QUEUE/maildrop"
}

postfix_start() {
	bg timeout 600 "$PF_DAEMONS/master" -s -c "$PF_ETC"
	wait_for 20 port_open "$PF_PORT"
}

smtp_rcpt() {
	timeout 30 python3 - "$PF_PORT" "$1" "$2" <<'EOF'
import smtplib, sys
port, src, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=20,
                 source_address=(src, 0))
s.ehlo()
s.mail("sender@client.example")
code, text = s.rcpt(rcpt)
print(code, text.decode(errors="replace").replace("\n", " "))
s.rset()
s.quit()
EOF
}

postfix_log_count() {
	[ -f "$PF_LOG" ] || { echo 0; return; }
	grep -c -F -- "$1" "$PF_LOG"
}

# tests/lib.sh: shared helpers for the shell scenarios (sourced, POSIX sh).
# Each scenario prints "ok - ..." / "not ok - ..." lines; tests/run counts them.

TOP=$(cd "$(dirname "$0")/.." && pwd)
PATH=$TOP/tcprules:$TOP/roaming:$TOP/tests:$PATH
export PATH TOP
T=$(mktemp -d "${TMPDIR:-/tmp}/roaming-test.XXXXXX") || exit 111
chmod 755 "$T"
PIDS=
failures=0
# Postfix's tools (postmap, postconf) read main.cf: a private empty one gives
# Postfix's built-in defaults, also where Postfix was installed unconfigured
# and there is no /etc/postfix/main.cf.
mkdir "$T/.postfix" && : > "$T/.postfix/main.cf"
MAIL_CONFIG=$T/.postfix
export MAIL_CONFIG

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$p" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 111' INT TERM HUP

# bg CMD...: starts CMD in the background and stops it at exit.
bg() {
	"$@" &
	PIDS="$PIDS $!"
	LASTPID=$!
}

ok() { printf "ok - %s\n" "$*"; }
not_ok() { printf "not ok - %s\n" "$*"; failures=$((failures + 1)); }

# check DESC CMD...: ok if CMD exits 0.
check() {
	d=$1; shift
	if "$@" >"$T/.out" 2>&1; then ok "$d"; else not_ok "$d"; sed 's/^/# /' "$T/.out" | head -20; fi
}
# check_fail DESC CMD...: ok if CMD exits non-zero.
check_fail() {
	d=$1; shift
	if "$@" >"$T/.out" 2>&1; then not_ok "$d"; sed 's/^/# /' "$T/.out" | head -20; else ok "$d"; fi
}
# check_eq DESC EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "# expected: $2"; echo "#      got: $3"; fi
}
# check_rc DESC EXPECTED-EXIT CMD...
check_rc() {
	d=$1; want=$2; shift 2
	"$@" >"$T/.out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then ok "$d"; else not_ok "$d (exit $got, wanted $want)"; sed 's/^/# /' "$T/.out" | head -20; fi
}
# wait_for SECONDS CMD...: polls CMD every 0.05 s; 0 once it succeeds.
wait_for() {
	limit=$(($1 * 20)); shift
	i=0
	while [ $i -lt $limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# port_open PORT [ADDR]: something accepts on ADDR:PORT.
port_open() {
	python3 -c 'import socket,sys; socket.create_connection((sys.argv[2],int(sys.argv[1])),1).close()' "$1" "${2:-127.0.0.1}"
}
# sandbox [DIR]: a roaming instance configured only through the environment,
# its files in DIR (default $T), its log to $T/log.sock (see log_listen);
# nothing from the caller's environment leaks in. Sets CDB.
sandbox() {
	unset ROAMING_CLEAR_MINUTES ROAMING_RELAY_ENV ROAMING_POSTFIX_MAP ROAMING_POSTFIX_ACTION \
		ROAMING_LOGFILE NORELAY AUTHENTICATED IP TCPREMOTEIP TOY_USERS TOY_UID TOY_GID
	ROAMING_CONF=/dev/null ROAMING_TCP_RULES=${1:-$T}/tcp.smtp ROAMING_DB=file:${1:-$T}/open-smtp
	ROAMING_LOGSOCKET=$T/log.sock
	export ROAMING_CONF ROAMING_TCP_RULES ROAMING_DB ROAMING_LOGSOCKET
	CDB=${1:-$T}/tcp.smtp.cdb
}
# need PROG...: ends the script unless every PROG is built.
need() {
	for p; do
		command -v "$p" >/dev/null || { not_ok "$p is built (run make check)"; exit 1; }
	done
}
# log_listen [SOCKET [FILE]]: collects what roaming logs to the unix datagram
# socket SOCKET (give it to roaming as ROAMING_LOGSOCKET; default
# $T/log.sock) in FILE (default $T/log), a message a line.
log_listen() {
	bg python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)  # bursts of logins
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
f = open(sys.argv[2], "ab", buffering=0)
while True:
    f.write(s.recv(8192).replace(b"\n", b"?") + b"\n")
' "${1:-$T/log.sock}" "${2:-$T/log}"
	wait_for 10 test -S "${1:-$T/log.sock}"
}
# login_servers: a POP side and an SMTP side on 127.0.0.1, each a real
# tcpserver (stopped at exit). The POP side reads "USER PASS", runs
# roaming-checkpassword toy-checkpassword as qmail-popup would (the
# password on fd 3, stderr to $T/pop.err) and prints "exit CODE"; the SMTP
# side, under tcpserver -x $CDB, prints what the cdb set. Then:
#   pop FROM-IP "USER PASS"   a login from FROM-IP: the session's output
#   smtp FROM-IP              the SMTP side's environment for FROM-IP:
#                             "$OPEN", "$CLOSED", or what else the cdb set
login_servers() {
	P1=$(free_port)
	P2=$(free_port)
	while [ "$P2" = "$P1" ]; do P2=$(free_port); done
	cat > "$T/pop.sh" <<EOF
#!/bin/sh
IFS=' ' read -r user pass || exit 2
exec 5<&0
printf '%s\\0%s\\0\\0' "\$user" "\$pass" |
	roaming-checkpassword toy-checkpassword sh -c 'echo "+OK \$USER in"' 3<&0 0<&5 5<&- 2>>"$T/pop.err"
echo "exit \$?"
EOF
	: > "$T/pop.err"
	bg tcpserver -H -R -l 0 127.0.0.1 "$P1" sh "$T/pop.sh"
	bg tcpserver -x "$CDB" -H -R -l 0 127.0.0.1 "$P2" \
		sh -c 'echo "RELAYCLIENT=${RELAYCLIENT-unset} RBLSMTPD=${RBLSMTPD-unset}"'
	wait_for 10 port_open "$P1" && wait_for 10 port_open "$P2"
}
pop() { timeout 20 tcpclient -RH -i "$1" 127.0.0.1 "$P1" sh -c 'printf "%s\n" "$1" >&7; cat <&6' x "$2" 2>&1; }
smtp() { timeout 20 tcpclient -RH -i "$1" 127.0.0.1 "$P2" sh -c 'cat <&6' 2>&1; }
OPEN="RELAYCLIENT= RBLSMTPD="
CLOSED="RELAYCLIENT=unset RBLSMTPD=unset"
# local_user (as root): RU and RG become the ids of a system user
# "roamingtest", created if missing (nobody's if it cannot be); as_user
# CMD... runs CMD as that user, with no supplementary groups.
local_user() {
	if ! id -u roamingtest >/dev/null 2>&1; then
		useradd -r -M -U -d /nonexistent -s /usr/sbin/nologin roamingtest >/dev/null 2>&1
	fi
	if id -u roamingtest >/dev/null 2>&1; then
		RU=$(id -u roamingtest) RG=$(id -g roamingtest)
	else
		RU=65534 RG=65534
	fi
}
as_user() { setpriv --reuid="$RU" --regid="$RG" --clear-groups "$@"; }
# relays ADDR [CDB]: tcpserver -x CDB (default $CDB) would set RELAYCLIENT
# for a client at ADDR. relay ADDR [CDB] says it: "open" or "closed".
relays() { roaming-tcprulescheck "${2:-$CDB}" "$1" | grep -q '^set environment variable RELAYCLIENT='; }
relay() { if relays "$@"; then echo open; else echo closed; fi; }
# done_testing: exits 1 if anything failed.
done_testing() {
	[ "$failures" -eq 0 ]
}

# t-docs.sh: man pages, examples, the cron file, README's Quick start and make install: present, clean, and true to the code.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 111

# Sandboxed settings for the programs this test runs; logs go nowhere.
export ROAMING_CONF=/dev/null ROAMING_TCP_RULES=$T/tcp.smtp ROAMING_DB=file:$T/open-smtp
export ROAMING_LOGSOCKET=$T/no-such-log.sock ROAMING_LOGFILE=$T/mail.log
unset ROAMING_CLEAR_MINUTES ROAMING_RELAY_ENV ROAMING_POSTFIX_MAP ROAMING_POSTFIX_ACTION
unset TCPREMOTEIP TCPREMOTEHOST TCPREMOTEINFO IP AUTHENTICATED NORELAY

# make's own idea of PROGS, bindir and mandir (config.mk exists: the programs are built).
vars=$(make -s --no-print-directory -f Makefile -f - print-docs-vars <<'EOF'
print-docs-vars:
	@echo "$(PROGS)|$(bindir)|$(mandir)"
EOF
)
progs=${vars%%|*}
rest=${vars#*|}
bindir=${rest%%|*}
mandir=${rest#*|}
if [ -n "$progs" ] && [ -n "$bindir" ] && [ -n "$mandir" ]; then ok "Makefile names PROGS ($progs)"; else not_ok "Makefile names PROGS, bindir, mandir: '$vars'"; fi

# The text of section SEC ("EXIT STATUS") of a page's roff source.
section() { awk -v s=".SH $2" '$0 == s || $0 == s "\"" { on = 1; next } /^\.SH / { on = 0 } on' "$1"; }
# A page rendered as plain text.
render() { groff -man -Tutf8 -P-cbou -ww "$1" 2>/dev/null; }

# --- every program has a page, and the page knows its exit codes and environment
for p in $progs; do
	b=$(basename "$p")
	m=man/$b.8
	if [ ! -f "$m" ]; then not_ok "$b has a man page ($m)"; continue; fi
	ok "$b has a man page"
	# What the program does with no arguments, in a sandbox: that exit code is documented.
	# (clearopensmtp runs; the others print usage; the roaming-logwatch daemon runs --once.)
	a=; [ "$b" = roaming-logwatch ] && a=--once
	timeout 20 "$p" $a </dev/null >/dev/null 2>&1
	rc=$?
	codes=$(section "$m" "EXIT STATUS" | sed -n 's/^\.B \([0-9][0-9]*\)$/\1/p' | tr '\n' ' ')
	case " $codes " in
	*" $rc "*) ok "$b: exit $rc without arguments is documented (EXIT STATUS: $codes)" ;;
	*) not_ok "$b: exit $rc without arguments is not in EXIT STATUS ($codes)" ;;
	esac
	# Every variable the program's own source reads is in its page.
	src=$p.c
	missing=
	for v in $(grep -o 'getenv("[A-Z_]*")' "$src" | sed 's/getenv("\(.*\)")/\1/' | sort -u); do
		grep -q "$v" "$m" || missing="$missing $v"
	done
	# Programs on roaming's library also read the settings and the log socket.
	case $p in roaming/*)
		for v in ROAMING_CONF ROAMING_LOGSOCKET ROAMING_TCP_RULES ROAMING_DB; do
			grep -q "$v" "$m" || missing="$missing $v"
		done ;;
	esac
	if [ -z "$missing" ]; then ok "$b: its page names every variable it reads"; else not_ok "$b: page misses$missing"; fi
done

# --- every page renders cleanly and has the sections and header it should
pages=$(ls man/*.[1-8] 2>/dev/null)
[ -n "$pages" ] && ok "there are man pages" || not_ok "there are man pages"
for m in $pages; do
	b=$(basename "$m")
	name=${b%.*}
	sec=${b##*.}
	w=$(groff -man -ww -z "$m" 2>&1)
	if [ $? -eq 0 ] && [ -z "$w" ]; then ok "$b renders without warnings"; else not_ok "$b renders without warnings"; printf '%s\n' "$w" | head -5 | sed 's/^/# /'; fi
	if command -v man >/dev/null 2>&1; then
		w=$(MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
		if [ -z "$w" ]; then ok "$b: man -l is silent"; else not_ok "$b: man -l warns"; printf '%s\n' "$w" | head -5 | sed 's/^/# /'; fi
	fi
	head -n 1 "$m" | grep -q "^\.\\\\\" $b: " && ok "$b opens with a comment naming it" || not_ok "$b opens with a comment naming it"
	th=$(sed -n 's/^\.TH \([^ ]*\) \([0-9]\) .*/\1 \2/p' "$m" | head -n 1 | sed 's/\\-/-/g' | tr 'A-Z' 'a-z')
	check_eq "$b: .TH names it" "$name $sec" "$th"
	nm=$(section "$m" NAME | head -n 1 | sed 's/\\-/-/g')
	case $nm in "$name "*) ok "$b: NAME starts with $name" ;; *) not_ok "$b: NAME starts with $name: $nm" ;; esac
	want="NAME SYNOPSIS DESCRIPTION ENVIRONMENT FILES EXAMPLES SEE_ALSO"
	[ "$sec" = 8 ] && want="$want EXIT_STATUS"
	missing=
	for s in $want; do
		s=$(echo "$s" | tr _ ' ')
		grep -q "^\.SH \"\{0,1\}$s\"\{0,1\}\$" "$m" || missing="$missing [$s]"
	done
	[ -z "$missing" ] && ok "$b has its sections" || not_ok "$b lacks sections:$missing"
	# References to roaming's own pages point at pages that exist.
	bad=
	for ref in $(grep -o '^\.BR [a-z.\\-]* ([0-9])' "$m" | sed 's/^\.BR //; s/\\-/-/g; s/ (\([0-9]\))/.\1/'); do
		case $ref in roaming*|clearopensmtp*) [ -f "man/$ref" ] || bad="$bad $ref" ;; esac
	done
	[ -z "$bad" ] && ok "$b: its roaming cross-references exist" || not_ok "$b: references missing pages:$bad"
done

# --- the settings page matches the code and configure
conf=man/roaming.conf.5
if roamingctl config > "$T/config.out" 2>&1; then
	missing=
	for k in $(sed -n 's/^\(ROAMING_[A-Z_]*\)=.*/\1/p' "$T/config.out"); do
		grep -q "^\.BI $k=" "$conf" || missing="$missing $k"
	done
	n=$(grep -c '^ROAMING_' "$T/config.out")
	[ -z "$missing" ] && [ "$n" -gt 5 ] && ok "roaming.conf.5 describes all $n keys roamingctl config shows" || not_ok "roaming.conf.5 misses keys:$missing"
else
	not_ok "roamingctl config runs"; sed 's/^/# /' "$T/config.out"
fi
rc5=$(render "$conf")
missing=
for o in $(sed -n 's/^  \(--enable-[a-z-]*\)=.*/\1/p' configure); do
	printf '%s\n' "$rc5" | grep -q -- "$o=" || missing="$missing $o"
done
for d in "$(sed -n 's/^tcpserver_file=//p' configure)" "$(sed -n 's/^open_smtp_file=//p' configure)" \
	"$(sed -n 's/^clear_minutes=//p' configure)"; do
	[ -n "$d" ] && printf '%s\n' "$rc5" | grep -q -- "$d" || missing="$missing default:$d"
done
[ -z "$missing" ] && ok "roaming.conf.5 names configure's options and defaults" || not_ok "roaming.conf.5 misses:$missing"

# roamingctl's subcommands (from its usage message) are in its SYNOPSIS; clearopensmtp's -v is documented.
roamingctl > "$T/usage" 2>&1
syn=$(render man/roamingctl.8 | awk '/^SYNOPSIS/ { on = 1; next } /^[A-Z]/ { on = 0 } on')
missing=
for c in $(sed 's/.*usage: roamingctl //; s/|/\n/g' "$T/usage" | awk '{ print $1 }'); do
	printf '%s\n' "$syn" | grep -q "roamingctl $c" || missing="$missing $c"
done
n=$(sed 's/|/\n/g' "$T/usage" | wc -l)
[ -z "$missing" ] && [ "$n" -ge 5 ] && ok "roamingctl.8 lists every subcommand of its usage ($n)" || not_ok "roamingctl.8 misses subcommands:$missing"
render man/clearopensmtp.8 | grep -q '^ *-v' && ok "clearopensmtp.8 documents -v" || not_ok "clearopensmtp.8 documents -v"

# --- examples: shell scripts parse, files say what they are
for f in examples/* cron/*; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	case $(head -n 1 "$f") in
	'#!/bin/sh'*) check "$f passes sh -n" sh -n "$f" ;;
	'#!/bin/bash'*) check "$f passes bash -n" bash -n "$f" ;;
	esac
	sed -n '1,2p' "$f" | grep -q "^# \(.*/\)\{0,1\}$b: " && ok "$f opens with a comment naming it" || not_ok "$f opens with a comment naming it"
done
for f in qmail-pop3d.run qmail-smtpd.run vpopmail-pop3d.run courier-imapd.run dovecot-postlogin.sh roaming.conf tcp.smtp; do
	[ -f "examples/$f" ] && ok "examples/$f exists" || not_ok "examples/$f exists"
done
grep -q 'roaming-checkpassword /bin/checkpassword' examples/qmail-pop3d.run && grep -q 'qmail-popup' examples/qmail-pop3d.run \
	&& ok "qmail-pop3d.run chains qmail-popup, roaming-checkpassword, /bin/checkpassword" || not_ok "qmail-pop3d.run chain"
grep -q -- '-x /etc/tcp.smtp.cdb' examples/qmail-smtpd.run && ok "qmail-smtpd.run reads /etc/tcp.smtp.cdb" || not_ok "qmail-smtpd.run reads /etc/tcp.smtp.cdb"

# The sample tcp.smtp compiles; its IPv4 lines exactly as the real tcprules compiles them.
check "examples/tcp.smtp compiles" roaming-tcprules "$T/ex.cdb" "$T/ex.tmp" < examples/tcp.smtp
if command -v tcprules >/dev/null 2>&1; then
	grep -v '::' examples/tcp.smtp > "$T/ex4"
	roaming-tcprules "$T/ours.cdb" "$T/ours.tmp" < "$T/ex4" && tcprules "$T/theirs.cdb" "$T/theirs.tmp" < "$T/ex4" \
		&& cmp -s "$T/ours.cdb" "$T/theirs.cdb" && ok "examples/tcp.smtp (IPv4 lines) byte-identical to tcprules" \
		|| not_ok "examples/tcp.smtp (IPv4 lines) byte-identical to tcprules"
fi
# ...and does what its comments say, with roaming entries merged in.
cp examples/tcp.smtp "$T/tcp.smtp"
for a in 203.0.113.7 192.0.2.4 198.51.100.12 203.0.113.201; do
	roamingctl add "$a" >/dev/null || not_ok "roamingctl add $a on the sample"
done
relay() { roamingctl check "$1" 2>/dev/null | sed -n 's/^relay: //p'; }
check_eq "sample: localhost relays" open "$(relay 127.0.0.1)"
check_eq "sample: ::1 relays" open "$(relay ::1)"
check_eq "sample: a logged-in address relays" open "$(relay 203.0.113.7)"
check_eq "sample: a logged-in address in a denied network stays closed" closed "$(relay 192.0.2.4)"
check_eq "sample: a logged-in partner host relays" open "$(relay 198.51.100.12)"
check_eq "sample: a logged-in kiosk (exact line from a range) stays closed" closed "$(relay 203.0.113.201)"
check_eq "sample: anyone else does not relay" closed "$(relay 8.8.8.8)"
roaming-tcprulescheck "$T/tcp.smtp.cdb" 198.51.100.12 > "$T/rc.out"
grep -q 'RBLSMTPD=' "$T/rc.out" && grep -q 'RELAYCLIENT=' "$T/rc.out" && ok "sample: the partner's entry keeps RBLSMTPD and adds RELAYCLIENT" \
	|| not_ok "sample: the partner's entry keeps RBLSMTPD and adds RELAYCLIENT"

# The sample roaming.conf is valid as shipped and with every example line switched on.
check "examples/roaming.conf is accepted" env ROAMING_CONF="$TOP/examples/roaming.conf" roamingctl config
mysql=$(sed -n 's/^#define ROAMING_HAVE_MYSQL //p' config.h)
sed 's/^#\(ROAMING_[A-Z_]*=\)/\1/' examples/roaming.conf > "$T/all.conf"
[ "$mysql" = 1 ] || sed -i '/^ROAMING_DB=mysql:/d' "$T/all.conf"
n=$(grep -c '^ROAMING_' "$T/all.conf")
env -u ROAMING_TCP_RULES -u ROAMING_DB -u ROAMING_LOGFILE ROAMING_CONF="$T/all.conf" roamingctl config > "$T/all.out" 2>&1
rc=$?
missing=
for k in $(sed -n 's/^\(ROAMING_[A-Z_]*\)=.*/\1/p' "$T/all.conf" | sort -u); do
	grep "^$k=" "$T/all.conf" | tail -n 1 > "$T/want"
	grep -qxF -f "$T/want" "$T/all.out" || missing="$missing $k"
done
[ $rc -eq 0 ] && [ -z "$missing" ] && [ "$n" -ge 7 ] && ok "examples/roaming.conf: all $n sample lines are valid and take effect" \
	|| { not_ok "examples/roaming.conf sample lines (exit $rc; not in effect:$missing)"; sed 's/^/# /' "$T/all.out" | head; }

# The Dovecot post-login script, run as Dovecot would run it (installed paths pointed at the build).
sed "s|/usr/local/bin/|$TOP/roaming/|" examples/dovecot-postlogin.sh > "$T/postlogin.sh"
out=$(IP=127.0.0.5 USER=joe sh "$T/postlogin.sh" sh -c 'echo "session goes on"' 2>&1)
check_eq "dovecot-postlogin.sh execs the session, writing nothing else" "session goes on" "$out"
roamingctl list | grep -q '^127\.0\.0\.5 ' && ok "dovecot-postlogin.sh recorded \$IP" || not_ok "dovecot-postlogin.sh recorded \$IP"
check_eq "dovecot-postlogin.sh: the relay is open for 127.0.0.5" open "$(relay 127.0.0.5)"

# --- the cron file
c=cron/roaming
if [ -f "$c" ]; then
	ok "$c exists"
	case $(basename "$c") in *.*) not_ok "$c: cron.d ignores names with a dot" ;; *) ok "$c: a name cron.d accepts" ;; esac
	[ -z "$(tail -c 1 "$c")" ] && ok "$c ends with a newline" || not_ok "$c ends with a newline"
	# Each line: blank, comment, NAME=value, or "m h dom mon dow user command"; commented-out
	# jobs ("#* * * * * ...") must be valid once uncommented.
	if python3 - "$c" > "$T/cron.out" 2>&1 <<'EOF'
import re, sys
ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
def field_ok(f, lo, hi):
    for part in f.split(','):
        m = re.fullmatch(r'(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?', part)
        if not m:
            return False
        nums = [int(x) for x in (m.group(2), m.group(3)) if x is not None]
        if any(n < lo or n > hi for n in nums) or (m.group(4) is not None and int(m.group(4)) == 0):
            return False
    return True
bad = jobs = 0
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip('\n')
    body = line
    if re.match(r'#\s*[\d*@]', line):
        body = line.lstrip('#').lstrip()
    elif line.strip() == '' or line.lstrip().startswith('#'):
        continue
    elif re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*=.*', line):
        continue
    f = body.split(None, 6)
    if len(f) < 7 or not all(field_ok(f[i], *ranges[i]) for i in range(5)):
        print('line %d is not a cron job: %s' % (n, line)); bad += 1
        continue
    jobs += 1
    print('job', f[5], f[6])
sys.exit(1 if bad or not jobs else 0)
EOF
	then ok "$c: every line has the cron.d format"; else not_ok "$c: every line has the cron.d format"; sed 's/^/# /' "$T/cron.out"; fi
	grep -q '^job root clearopensmtp' "$T/cron.out" && ok "$c runs clearopensmtp as root" || not_ok "$c runs clearopensmtp as root"
	grep -q '^job [a-z]* roamingctl sync' "$T/cron.out" && ok "$c has the roamingctl sync line for MySQL" || not_ok "$c has the roamingctl sync line for MySQL"
else
	not_ok "$c exists"
fi

# --- README's Quick start: exactly two commands, and what they name exists
qs=$(awk '/^Quick start$/ { on = 1; next } on && /^---/ { next } on && /^[A-Z][A-Za-z ]*$/ { exit } on' README)
cmds=$(printf '%s\n' "$qs" | grep '^    [^ ]')
check_eq "README Quick start has exactly two commands" 2 "$(printf '%s\n' "$cmds" | grep -c .)"
missing=
for w in $(printf '%s\n' "$cmds" | awk '$1 == "sh" { print $2 }'); do [ -f "$w" ] || missing="$missing $w"; done
[ -z "$missing" ] && ok "README Quick start scripts exist" || not_ok "README Quick start names missing scripts:$missing"

# --- make install puts every program and every page where it belongs
if make -s -o all install DESTDIR="$T/inst" > "$T/install.out" 2>&1; then
	missing=
	for p in $progs; do [ -x "$T/inst$bindir/$(basename "$p")" ] || missing="$missing $p"; done
	for m in $pages; do b=$(basename "$m"); [ -f "$T/inst$mandir/man${b##*.}/$b" ] || missing="$missing $b"; done
	[ -z "$missing" ] && ok "make install: programs to bindir, pages to man5/man7/man8" || not_ok "make install misses:$missing"
else
	not_ok "make install DESTDIR=..."; sed 's/^/# /' "$T/install.out" | head
fi

done_testing

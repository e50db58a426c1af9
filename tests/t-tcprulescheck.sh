# t-tcprulescheck.sh: roaming-tcprulescheck against the real tcprulescheck, byte for byte, on hand-written and generated rules and many client tuples.
. "$(dirname "$0")/lib.sh"

# Both programs read these when no argument gives the value.
unset TCPREMOTEIP TCPREMOTEHOST TCPREMOTEINFO

CLIENTS=${CLIENTS:-120}

# Every key form tcpserver looks up, with a variable saying which matched.
cat > "$T/hand.rules" <<'EOF'
joe@1.2.3.4:allow,WHO="joe@ip"
joe@=mail.example.com:allow,WHO="joe@=host"
1.2.3.4:allow,RELAYCLIENT="",WHO="ip"
=mail.example.com:allow,WHO="=host"
1.2.3.:deny
10.0.:allow,WHO="10.0."
10.:allow,WHO="10.",RBLSMTPD="-go away"
=.example.com:allow,WHO="=.example.com"
=.net:deny
5.6.7.8:allow,A="1",A="2"
5.6.7.8:deny
7.7.7.7:allow,="",X=''
=:allow,WHO="="
:allow,WHO="empty key"
EOF
# No '=' and no empty key: unmatched clients get "default:".
cat > "$T/nodefault.rules" <<'EOF'
1.2.3.4:deny
=mail.example.com:allow,RELAYCLIENT=""
ann@=mail.example.com:deny
127.0.0.:allow
EOF
: > "$T/empty.rules"

for r in hand nodefault empty; do
	roaming-tcprules "$T/$r.cdb" "$T/$r.tmp" < "$T/$r.rules" || not_ok "compile $r.rules"
done
for s in 1 2 3; do
	gen-rules valid "$s" 300 > "$T/gen$s.rules"
	roaming-tcprules "$T/gen$s.cdb" "$T/gen$s.tmp" < "$T/gen$s.rules" || not_ok "compile gen$s.rules"
done

# Clients: IP HOST INFO, "-" for absent, '""' for the empty string.
cat > "$T/hand.clients" <<'EOF'
1.2.3.4 - -
1.2.3.4 - joe
1.2.3.4 mail.example.com joe
1.2.3.4 mail.example.com ann
1.2.3.4 other.example.com -
1.2.3.5 mail.example.com joe
1.2.3.5 - -
10.0.0.1 - -
10.1.0.1 x.net -
10.1.0.1 "" -
9.9.9.9 x.example.com -
9.9.9.9 MAIL.EXAMPLE.COM -
9.9.9.9 x.org -
9.9.9.9 "" -
9.9.9.9 - -
9.9.9.9 . -
5.6.7.8 - -
7.7.7.7 - joe
127.0.0.1 localhost -
0.0.0.0 - -
1.2.3.4. - -
EOF

# run PROG CDB IP HOST INFO MODE: MODE env passes the client in the
# environment (all tcprulescheck reads), args as arguments.
run() {
	(
		if [ "$6" = env ]; then
			TCPREMOTEIP=$3
			export TCPREMOTEIP
			[ "$4" != - ] && TCPREMOTEHOST=$4 && export TCPREMOTEHOST
			[ "$5" != - ] && TCPREMOTEINFO=$5 && export TCPREMOTEINFO
			exec "$1" "$2"
		fi
		if [ "$5" != - ]; then exec "$1" "$2" "$3" "$4" "$5"; fi
		if [ "$4" != - ]; then exec "$1" "$2" "$3" "$4"; fi
		exec "$1" "$2" "$3"
	)
}

n=0 bad=0
: > "$T/seen"
: > "$T/all"
# compare CDB IP HOST INFO: real tcprulescheck (environment) against
# roaming-tcprulescheck given the same client as arguments and in the
# environment. Arguments cannot say "info but no host": environment only.
compare() {
	run tcprulescheck "$@" env > "$T/a.out" 2>&1; ra=$?
	modes="args env"
	[ "$3" = - ] && [ "$4" != - ] && modes=env
	for mode in $modes; do
		n=$((n + 1))
		run roaming-tcprulescheck "$@" "$mode" > "$T/b.out" 2>&1; rb=$?
		if [ "$ra" != "$rb" ] || ! cmp -s "$T/a.out" "$T/b.out"; then
			bad=$((bad + 1))
			if [ $bad -le 3 ]; then
				echo "# $(basename "$1") ip=$2 host=$3 info=$4 ($mode): tcprulescheck exit $ra, roaming $rb"
				cat -v "$T/a.out" | sed 's/^/#   tcprulescheck: /'
				cat -v "$T/b.out" | sed 's/^/#   roaming:       /'
			fi
		fi
	done
	head -1 "$T/a.out" >> "$T/seen"
	cat "$T/a.out" >> "$T/all"
}

# each CDB: the three forms of every client: ip; ip+host; ip+host+info.
each() {
	while read -r ip host info; do
		[ "$host" = '""' ] && host=
		[ "$info" = '""' ] && info=
		compare "$1" "$ip" - -
		[ "$host" != - ] && compare "$1" "$ip" "$host" -
		[ "$info" != - ] && compare "$1" "$ip" "$host" "$info"
		[ "$info" != - ] && [ "$host" != - ] && compare "$1" "$ip" - "$info"
	done
}

for c in hand nodefault empty; do
	each "$T/$c.cdb" < "$T/hand.clients"
done
if [ $bad = 0 ]; then ok "hand-written rules: $n checks agree"; else not_ok "hand-written rules: $bad of $n checks differ"; fi

n=0 bad=0
for s in 1 2 3; do
	gen-rules clients "$s" "$CLIENTS" > "$T/gen$s.clients"
	each "$T/gen$s.cdb" < "$T/gen$s.clients"
	each "$T/gen$s.cdb" < "$T/hand.clients"
done
if [ $bad = 0 ]; then ok "generated rules: $n checks agree"; else not_ok "generated rules: $bad of $n checks differ"; fi

# The clients must have reached every kind of rule, or agreement means little.
for kind in 'rule joe@1' 'rule joe@=' 'rule [0-9.]*[0-9]:' 'rule =[a-zA-Z]' 'rule [0-9.]*\.:' \
	'rule =\.' 'rule =:' 'rule :' 'default:'; do
	check "some client matched '$kind'" grep -q "^$kind" "$T/seen"
done
check "some rule denied" grep -q '^deny connection' "$T/all"
check "some rule set a variable" grep -q '^set environment variable' "$T/all"

# A few outputs spelled out, in case both programs went wrong the same way.
check_eq "info@ip wins over everything" "$(printf 'rule joe@1.2.3.4:\nset environment variable WHO=joe@ip\nallow connection')" \
	"$(roaming-tcprulescheck "$T/hand.cdb" 1.2.3.4 mail.example.com joe)"
check_eq "the first of duplicate keys wins, all its variables listed" \
	"$(printf 'rule 5.6.7.8:\nset environment variable A=1\nset environment variable A=2\nallow connection')" \
	"$(roaming-tcprulescheck "$T/hand.cdb" 5.6.7.8)"
check_eq "host names are not lowercased by the check" \
	"$(printf 'rule =:\nset environment variable WHO==\nallow connection')" \
	"$(roaming-tcprulescheck "$T/hand.cdb" 9.9.9.9 MAIL.EXAMPLE.COM)"
check_eq "nothing matched: default" "$(printf 'default:\nallow connection')" \
	"$(roaming-tcprulescheck "$T/nodefault.cdb" 9.9.9.9 x.org)"
tcprulescheck "$T/hand.cdb" > "$T/a.out" 2>&1
roaming-tcprulescheck "$T/hand.cdb" > "$T/b.out" 2>&1
check "no client at all (0.0.0.0 for both)" cmp "$T/a.out" "$T/b.out"
check_rc "a missing cdb is exit 111" 111 roaming-tcprulescheck "$T/missing.cdb" 1.2.3.4
check_rc "no arguments is usage, exit 100" 100 roaming-tcprulescheck
done_testing

# t-logwatch-parse.sh: the log watcher's patterns (roaming-logwatch --test): a sample of every supported format is recognised with its address, failures and other programs' lines are not, hostile user names and quoted lines never yield a forged address, and a generated mixed log gives exactly the logins it holds.
. "$(dirname "$0")/lib.sh"

L=$TOP/tests/logs
command -v roaming-logwatch >/dev/null || { not_ok "roaming-logwatch is built (run make check)"; exit 1; }
[ -x "$TOP/tests/gen-maillog" ] || { not_ok "tests/gen-maillog is built (run make check)"; exit 1; }

# lw FILE: what the patterns make of each line ("N: login|refused FORMAT TAG ADDRESS user=USER").
lw() { roaming-logwatch --test "$1"; }

# ---- one sample per format, as each server logs it ----
lw "$L/formats.log" > "$T/formats.out"
check "formats.log: output as expected (tests/logs/formats.expected)" cmp "$L/formats.expected" "$T/formats.out"
# The same, spelled out: line number, format, address.
got() { sed -n "s/^$1: login \([^ ]*\) [^ ]* \([^ ]*\) .*/\1 \2/p" "$T/formats.out"; }
while read -r n want; do
	check_eq "formats.log line $n: ${want% *} login from ${want#* }" "$want" "$(got "$n")"
done <<'EOF'
1 dovecot 192.0.2.10
2 dovecot 2001:db8::10
3 dovecot 192.0.2.11
4 dovecot 192.0.2.12
7 courier 192.0.2.20
8 courier 192.0.2.21
9 courier 192.0.2.22
10 courier 2001:db8::22
13 uw 192.0.2.30
14 uw 192.0.2.31
15 uw 192.0.2.32
16 uw 192.0.2.33
17 uw 192.0.2.34
20 vm-pop3d 192.0.2.40
22 qpopper 192.0.2.50
23 qpopper 192.0.2.51
25 cyrus 192.0.2.60
26 cyrus 192.0.2.61
27 cyrus 192.0.2.62
29 vchkpw 192.0.2.70
30 vchkpw 192.0.2.71
31 vchkpw 192.0.2.72
36 dovecot 192.0.2.80
37 dovecot 192.0.2.81
38 dovecot 192.0.2.82
39 dovecot 192.0.2.83
EOF
# Failed logins, SMTP AUTH, logouts and other programs: nothing.
for n in 5 6 11 12 18 19 21 24 28 32 33 34 35 40 41 42; do
	if grep -q "^$n: " "$T/formats.out"; then not_ok "formats.log line $n is not a login: $(grep "^$n: " "$T/formats.out")"; else ok "formats.log line $n (failure or other) is not a login"; fi
done
check_eq "formats.log totals" "42 lines, 26 logins, 0 refused addresses" "$(tail -n 1 "$T/formats.out")"

# ---- hostile lines: 203.0.113.66 is the address an attacker wants recorded ----
lw "$L/hostile.log" > "$T/hostile.out"
check "hostile.log: output as expected (tests/logs/hostile.expected)" cmp "$L/hostile.expected" "$T/hostile.out"
if grep -q ' login .* 203\.0\.113\.' "$T/hostile.out"; then
	not_ok "no hostile line yields a login from 203.0.113.x"; grep ' 203\.0\.113\.' "$T/hostile.out" | sed 's/^/# /'
else
	ok "no hostile line yields a login from 203.0.113.x"
fi
check_eq "a user name holding ' rip=ADDR' records the real address" \
	"1: login dovecot dovecot 192.0.2.100 user=joe rip=203.0.113.66" "$(grep '^1: ' "$T/hostile.out")"
for n in 2 3 15 17 18 21 22; do
	if grep -q "^$n: " "$T/hostile.out"; then not_ok "hostile.log line $n (user name repeating the separator) matches nothing"; else ok "hostile.log line $n (user name repeating the separator) matches nothing"; fi
done
for n in 4 5 6 7 8 9 10 11 12 13 14 16 19 20 23; do
	if grep -q "^$n: " "$T/hostile.out"; then not_ok "hostile.log line $n (failure, quote, wrong tag) matches nothing"; else ok "hostile.log line $n (failure, quote, wrong tag) matches nothing"; fi
done
for n in 25 26 27 32 33 34 35; do
	if grep -q "^$n: login" "$T/hostile.out"; then not_ok "hostile.log line $n (SMTP port, bad address field, overlong user) records nothing"; else ok "hostile.log line $n (SMTP port, bad address field, overlong user) records nothing"; fi
done
for n in 29 30 31; do
	check "hostile.log line $n: a bad address is refused, not recorded" grep -q "^$n: refused " "$T/hostile.out"
done
check "a carriage return before the newline is ignored" grep -q '^37: login dovecot dovecot 192.0.2.111 ' "$T/hostile.out"
if grep -q '^38: ' "$T/hostile.out"; then not_ok "a carriage return inside a line does not start a new line"; else ok "a carriage return inside a line does not start a new line"; fi

# ---- a generated mixed log: exactly the logins it holds, nothing from hostile lines ----
"$TOP/tests/gen-maillog" 30000 42 "$T/expected" > "$T/mixed.log"
roaming-logwatch --test "$T/mixed.log" > "$T/mixed.out"
awk '$2 == "login" { print $5 }' "$T/mixed.out" | sort -u > "$T/got.set"
sort -u "$T/expected" > "$T/want.set"
n=$(wc -l < "$T/want.set")
if [ "$n" -gt 500 ] && cmp -s "$T/want.set" "$T/got.set"; then
	ok "mixed log (30000 lines): the $n addresses of successful logins, no others"
else
	not_ok "mixed log: recognised addresses differ from the generator's ($n expected)"; diff "$T/want.set" "$T/got.set" | head | sed 's/^/# /'
fi
check_eq "mixed log: no address from a hostile line" 0 "$(grep -c '^203\.0\.113\.\|^172\.' "$T/got.set")"
check_eq "--count gives the same totals as --test" "$(tail -n 1 "$T/mixed.out")" "$(roaming-logwatch --count "$T/mixed.log")"
check_eq "--test reads standard input too" "$(tail -n 1 "$T/mixed.out")" "$(roaming-logwatch --count < "$T/mixed.log")"

# ---- usage ----
check_rc "--test with --once is a usage error" 100 roaming-logwatch --test --once "$L/formats.log"
check_rc "an unknown option is a usage error" 100 roaming-logwatch --bogus
check_rc "two log files are a usage error" 100 roaming-logwatch a b
check_rc "--test of a missing file is exit 111" 111 roaming-logwatch --test "$T/nonexistent"
done_testing

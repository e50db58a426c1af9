# t-tcprules-edge.sh: hand-written edge cases: roaming-tcprules against the real tcprules (exit code and bytes).
. "$(dirname "$0")/lib.sh"

# Each case is a printf format, so bytes like \r, \t and \0 can be written.
n=0
while IFS= read -r fmt; do
	case $fmt in '#'*|'') continue ;; esac
	n=$((n + 1))
	printf "$fmt" > "$T/in"
	tcprules "$T/a.cdb" "$T/a.tmp" < "$T/in" > /dev/null 2>&1; ra=$?
	roaming-tcprules "$T/b.cdb" "$T/b.tmp" < "$T/in" > /dev/null 2>&1; rb=$?
	if [ "$ra" != "$rb" ]; then
		not_ok "case $n exit codes differ (tcprules $ra, roaming $rb): $fmt"
	elif [ "$ra" = 0 ] && ! cmp -s "$T/a.cdb" "$T/b.cdb"; then
		not_ok "case $n output differs: $fmt"
	elif [ "$rb" != 0 ] && [ -e "$T/b.tmp" ]; then
		not_ok "case $n left its temp file behind: $fmt"
	else
		ok "case $n (exit $ra): $fmt"
	fi
	rm -f "$T/a.cdb" "$T/b.cdb" "$T/a.tmp" "$T/b.tmp"
done <<'CASES'
# empty input, comments, blank and space-only lines
# (the empty case is the one line below with nothing after the format)
\n
#only a comment\n
\n\n   \n\t\n
1.2.3.4:allow\n
1.2.3.4:allow
1.2.3.4:deny\n
1.2.3.4:allow,RELAYCLIENT=""\n
1.2.3.4:allow,RELAYCLIENT="",RBLSMTPD=""\n
1.2.3.4:deny,A="1",B='2',C=/3/,D=x4x\n
1.2.3.4:allow,A=""\n1.2.3.4:deny\n
1.2.3.4:allow  \t \n
1.2.3.4:allow\r\n
1.2.3.4 :allow\n
 1.2.3.4:allow\n
#1.2.3.4:allow\n
 #1.2.3.4:allow\n
no colon at all\n
:allow\n
:deny\n
=:allow\n
=host.example.com:allow,X="y"\n
=.example.com:deny\n
joe@1.2.3.4:allow\n
joe@=host.example.com:deny\n
1.2.3.:allow\n
1.2.:deny\n
1.2.3.4-7:allow\n
1.2.3.7-4:allow\n
10.0-2.:allow,RELAYCLIENT=""\n
1-3.:allow\n
1.2.3.0-300:deny\n
1.2.3.-5:allow\n
1.2.3.4-:allow\n
1.2.3.a-5:allow\n
1.2.3.4-5x:allow\n
1.2.3.4-5.6-7:allow\n
joe@1.2.3.4-5:allow\n
=a-b:allow\n
1.2.3.4:allowed\n
1.2.3.4:Allow\n
1.2.3.4:denyx\n
1.2.3.4:allow,\n
1.2.3.4:allow,A\n
1.2.3.4:allow,A=\n
1.2.3.4:allow,A="\n
1.2.3.4:allow,A="x"y\n
1.2.3.4:allow,A="x",\n
1.2.3.4:allow,=""\n
1.2.3.4:allow,A B="x y"\n
1.2.3.4:allow,A,B="x"\n
1.2.3.4:allow,A="x=y"\n
1.2.3.4:allow,A=""",B=""\n
1.2.3.4:allow,A=,,B=""\n
1.2.3.4:allow:deny\n
1.2.3.4:allow\n1.2.3.4:deny\n5.6.7.8:allow\n
a\0b:allow\n
1.2.3.4:allow,A="\0"\n
1.2.3.4:allow,A="x"\nbad line:here\n5.6.7.8:allow\n
1.2.3.4-\0:allow\n
99999999999999999999-3.:allow\n
18446744073709551616-3.:allow\n
18446744073709551617-3.:allow\n
CASES

# The empty input.
: > "$T/in"
tcprules "$T/a.cdb" "$T/a.tmp" < "$T/in"; roaming-tcprules "$T/b.cdb" "$T/b.tmp" < "$T/in"
check "empty input gives the same empty cdb" cmp "$T/a.cdb" "$T/b.cdb"

# Usage and I/O errors.
check_rc "no arguments is usage, exit 100" 100 roaming-tcprules
check_rc "one argument is usage, exit 100" 100 roaming-tcprules "$T/x.cdb"
check_rc "unwritable temp is exit 111" 111 sh -c "echo 1.2.3.4:allow | roaming-tcprules '$T/x.cdb' '$T/nodir/x.tmp'"
printf '1.2.3.4:allow\nbad:line\n' > "$T/in"
roaming-tcprules "$T/c.cdb" "$T/c.tmp" < "$T/in" 2> "$T/err"
check "parse error names the line number" grep -q 'line 2' "$T/err"
printf '1.2.3.4:allow\n' | roaming-tcprules "$T/c.cdb" "$T/c.tmp"
cp "$T/c.cdb" "$T/c.before"
roaming-tcprules "$T/c.cdb" "$T/c.tmp" < "$T/in" 2>/dev/null
check "a failed compile leaves the target untouched" cmp "$T/c.cdb" "$T/c.before"
check_fail "a failed compile removes its temp file" test -e "$T/c.tmp"
old=$(umask); umask 027
printf '1.2.3.4:allow\n' | roaming-tcprules "$T/m.cdb" "$T/m.tmp"
printf '1.2.3.4:allow\n' | tcprules "$T/n.cdb" "$T/n.tmp"
umask "$old"
check_eq "output mode follows the umask as tcprules' does" "$(stat -c %a "$T/n.cdb")" "$(stat -c %a "$T/m.cdb")"

# IPv6: tcprules rejects these lines; roaming splits them as ucspi-tcp-ipv6
# does and stores complete addresses in the form tcpserver-ipv6 looks up.
v6key() { # v6key RULE: the keys roaming-tcprules writes for RULE, one per line
	printf '%s\n' "$1" | roaming-tcprules "$T/v6.cdb" "$T/v6.tmp" || return
	cdb -l "$T/v6.cdb" | sed 's/^+[0-9]*://'
}
check_eq "IPv6 ::1" "::1" "$(v6key '::1:allow')"
check_eq "IPv6 upper case and zeros are normalized" "2001:db8::1" "$(v6key '2001:DB8:0:0:0:0:0:1:allow,RELAYCLIENT=""')"
check_eq "IPv6 single zero group compressed as tcpserver-ipv6 prints it" "2001:db8::1:1:1:1:1" "$(v6key '2001:db8:0:1:1:1:1:1:deny')"
check_eq "IPv6 v4-mapped is stored dotted" "1.2.3.4" "$(v6key '::ffff:1.2.3.4:allow')"
check_eq "IPv6 prefix is stored as written" "2001:DB8:" "$(v6key '2001:DB8::allow')"
check_eq "IPv6 info@address" "joe@2001:db8::1" "$(v6key 'joe@2001:0db8::1:deny')"
for bad in '2001:db8::1' 'fe80::1%eth0:allow' '=host:x:allow' '1:2:allow' '2001:db8::1:allowed' 'g::1:allow'; do
	check_rc "IPv6 refuses '$bad' with exit 100 (and does not hang)" 100 timeout 5 sh -c "printf '%s\\n' '$bad' | roaming-tcprules '$T/v6.cdb' '$T/v6.tmp'"
done
done_testing

# t-postfix-map.sh: the Postfix cdb: map as Postfix's own postmap reads it: every live login (IPv4, IPv6, v4-mapped) found in smtpd's key form and no expired one, byte-identical to postmap's output; postfix-init (empty map, takes the rebuild lock, leaves a map alone); a deleted map rewritten; a new address that tcp.smtp already lets relay still reaches the map.
. "$(dirname "$0")/lib.sh"

sandbox
ROAMING_POSTFIX_MAP=$T/pf/roaming ROAMING_CLEAR_MINUTES=60
export ROAMING_POSTFIX_MAP ROAMING_CLEAR_MINUTES
MAP=$T/pf/roaming.cdb
umask 022

for p in toy-checkpassword roaming-checkpassword clearopensmtp roamingctl postmap cdb; do
	command -v $p >/dev/null || { not_ok "$p is there (make check; tools/deps)"; exit 1; }
done
postconf -m 2>/dev/null | grep -qx cdb || { not_ok "Postfix has cdb: maps (postfix-cdb)"; exit 1; }

log_listen || { not_ok "log listener started"; exit 1; }
logged() { wait_for 5 grep -q -- "$1" "$T/log"; }

# login IP: a successful login behind roaming-checkpassword, as qmail-popup runs it.
login() {
	printf 'joe\0right\0\0' > "$T/pw"
	TCPREMOTEIP=$1 timeout 20 roaming-checkpassword toy-checkpassword true 3<"$T/pw" >/dev/null 2>&1
}
# q ADDRESS: what Postfix finds for ADDRESS in the map ("" when nothing).
q() { postmap -q "$1" "cdb:$T/pf/roaming" 2>&1; }
# pfaddr ADDRESS: the text smtpd looks up for a client at ADDRESS (getnameinfo
# NI_NUMERICHOST, as Postfix's smtpd_peer.c gets it; v4-mapped as IPv4).
pfaddr() {
	python3 -c '
import socket, sys
a = socket.getnameinfo((sys.argv[1], 0), socket.NI_NUMERICHOST)[0].lower()
print(a[7:] if a.startswith("::ffff:") and "." in a else a)' "$1"
}
# expected VALUEKIND: "KEY VALUE" lines for the live open-smtp entries, in
# file order, the address in smtpd's form (the postmap source for the map).
expected() {
	python3 - "$T/open-smtp" "$1" "$ROAMING_CLEAR_MINUTES" <<'EOF'
import socket, sys, time
path, kind, minutes = sys.argv[1], sys.argv[2], int(sys.argv[3])
cut = int(time.time()) - minutes * 60
seen = {}
order = []
for line in open(path, encoding="latin-1"):
    line = line.rstrip("\n")
    if "\t" not in line or ":allow" not in line:
        continue
    addr = line[:line.index(":allow")]
    ts = int(line.rsplit("\t", 1)[1])
    if ts != 0 and ts <= cut:
        continue
    key = socket.getnameinfo((addr, 0), socket.NI_NUMERICHOST)[0].lower()
    if key.startswith("::ffff:") and "." in key:
        key = key[7:]
    if key not in seen:
        order.append(key)
        seen[key] = ts
    elif seen[key] != 0 and (ts == 0 or ts > seen[key]):
        seen[key] = ts
for k in order:
    print(k, seen[k] if kind == "TIME" else kind)
EOF
}
# stale ADDRESS...: backdates these entries by two hours (clearopensmtp then
# removes them), the way time would.
stale() {
	python3 - "$T/open-smtp" "$@" <<'EOF'
import os, sys, time
path, addrs = sys.argv[1], sys.argv[2:]
old = int(time.time()) - 7200
out = []
for line in open(path, encoding="latin-1"):
    if any(line.startswith(a + ":allow") for a in addrs):
        line = line.rsplit("\t", 1)[0] + "\t%d\n" % old
    out.append(line)
open(path + ".new", "w", encoding="latin-1").writelines(out)
os.rename(path + ".new", path)
EOF
}

mkdir -p "$T/pf"
: > "$T/tcp.smtp"

# ---- postfix-init ----
check_rc "postfix-init without ROAMING_POSTFIX_MAP is a usage error (100)" 100 \
	env ROAMING_POSTFIX_MAP= roamingctl postfix-init
check_eq "postfix-init with no map: creates one" "$MAP: created (empty)" "$(roamingctl postfix-init 2>&1)"
: > "$T/empty"
postmap "cdb:$T/empty"
check "the empty map is byte-identical to postmap's of an empty source" cmp "$MAP" "$T/empty.cdb"
check_eq "the map is mode 0644 under umask 022 (smtpd and postmap -q can read it)" 644 "$(stat -c %a "$MAP")"
check_eq "postmap finds nothing in it" "" "$(q 10.1.2.3)"
printf '192.0.2.99 OK\n' > "$T/other"
postmap "cdb:$T/other"
cp "$T/other.cdb" "$MAP"
ino0=$(stat -c %i "$MAP")
check_eq "postfix-init with a map: says it exists" "$MAP: exists" "$(roamingctl postfix-init 2>&1)"
check "... and leaves it alone (same bytes)" cmp "$MAP" "$T/other.cdb"
check_eq "... and the same file" "$ino0" "$(stat -c %i "$MAP")"
rm -f "$MAP"
# It takes the rebuild lock: while another process holds tcp.smtp.lock (as a
# rebuild would), it writes nothing.
bg python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o640)
fcntl.lockf(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(600)
' "$T/tcp.smtp.lock" "$T/locked"
holder=$LASTPID
wait_for 10 test -e "$T/locked" || not_ok "lock holder started"
timeout 2 roamingctl postfix-init >/dev/null 2>&1
check_fail "postfix-init waits for the rebuild lock (no map while it is held)" test -e "$MAP"
kill "$holder"
wait "$holder" 2>/dev/null
check_eq "postfix-init once the lock is free: creates the map" "$MAP: created (empty)" "$(roamingctl postfix-init 2>&1)"

# ---- logins: IPv4, IPv6, v4-mapped ----
now=$(date +%s)
# A vpopmail site's file: a persistent entry, one old enough to be stale,
# one recent; then the logins append.
printf '198.51.100.1:allow,RELAYCLIENT="",RBLSMTPD=""\t0\n' > "$T/open-smtp"
printf '198.51.100.2:allow,RELAYCLIENT="",RBLSMTPD=""\t%s\n' $((now - 7200)) >> "$T/open-smtp"
printf '198.51.100.3:allow,RELAYCLIENT="",RBLSMTPD=""\t%s\n' $((now - 600)) >> "$T/open-smtp"
printf '2001:db8::dead:allow,RELAYCLIENT="",RBLSMTPD=""\t%s\n' $((now - 7200)) >> "$T/open-smtp"
check "roamingctl rebuild writes the map" roamingctl rebuild
check_eq "persistent entry found (OK)" OK "$(q 198.51.100.1)"
check_eq "recent entry found" OK "$(q 198.51.100.3)"
check_eq "expired IPv4 entry not in the map (not yet removed from the store)" "" "$(q 198.51.100.2)"
check_eq "expired IPv6 entry not in the map" "" "$(q 2001:db8::dead)"

check "login from 10.1.2.3" login 10.1.2.3
check "login from 2001:DB8:0:0:0:0:0:1 (upper case, uncompressed)" login 2001:DB8:0:0:0:0:0:1
check "login from 2001:db8:0:1:1:1:1:1 (one zero group)" login 2001:db8:0:1:1:1:1:1
check "login from ::ffff:192.0.2.7 (v4-mapped)" login ::ffff:192.0.2.7
check "login from ::1" login ::1
check_eq "IPv4 login found" OK "$(q 10.1.2.3)"
check_eq "IPv6 login stored as smtpd looks it up: $(pfaddr 2001:DB8:0:0:0:0:0:1)" OK "$(q "$(pfaddr 2001:DB8:0:0:0:0:0:1)")"
check_eq "... which is 2001:db8::1" "2001:db8::1" "$(pfaddr 2001:DB8:0:0:0:0:0:1)"
check_eq "one zero group stays uncompressed, as smtpd prints it: $(pfaddr 2001:db8:0:1:1:1:1:1)" OK "$(q "$(pfaddr 2001:db8:0:1:1:1:1:1)")"
check_eq "... not in tcpserver's form 2001:db8::1:1:1:1:1" "" "$(q 2001:db8::1:1:1:1:1)"
check_eq "v4-mapped login found as IPv4, as smtpd looks it up" OK "$(q "$(pfaddr ::ffff:192.0.2.7)")"
check_eq "... which is 192.0.2.7" "192.0.2.7" "$(pfaddr ::ffff:192.0.2.7)"
check_eq "::1 found" OK "$(q ::1)"
check_eq "an address that never logged in is not found" "" "$(q 10.1.2.4)"
check "no trailing NUL on key or value (as postmap writes): +8,2:10.1.2.3->OK" \
	sh -c 'cdb -d "$1" | grep -qxF "+8,2:10.1.2.3->OK"' x "$MAP"

expected OK > "$T/src"
postmap "cdb:$T/src"
check "the map is byte-identical to postmap's of the same entries" cmp "$MAP" "$T/src.cdb"
check_eq "no temp file left beside the map" "roaming.cdb" "$(ls "$T/pf")"

# ---- ROAMING_POSTFIX_ACTION ----
ROAMING_POSTFIX_ACTION=TIME roamingctl rebuild >/dev/null
ts=$(awk -F '\t' 'index($0, "10.1.2.3:allow") == 1 { print $2 }' "$T/open-smtp")
check_eq "TIME: the value is the login time" "$ts" "$(q 10.1.2.3)"
check_eq "TIME: a persistent entry's value is 0 (all-numeric: OK to Postfix)" 0 "$(q 198.51.100.1)"
expected TIME > "$T/src"
postmap "cdb:$T/src"
check "TIME map is byte-identical to postmap's" cmp "$MAP" "$T/src.cdb"
ROAMING_POSTFIX_ACTION=DUNNO roamingctl rebuild >/dev/null
check_eq "another action is written as it is" DUNNO "$(q 10.1.2.3)"
roamingctl rebuild >/dev/null

# ---- expiry ----
stale 2001:db8::1 192.0.2.7
check "clearopensmtp removes the backdated entries" clearopensmtp
check_eq "expired IPv6 login gone from the map" "" "$(q 2001:db8::1)"
check_eq "expired v4-mapped login gone from the map" "" "$(q 192.0.2.7)"
check_eq "expired IPv4 entry from the old file gone" "" "$(q 198.51.100.2)"
check_eq "live IPv4 login still found" OK "$(q 10.1.2.3)"
check_eq "live IPv6 login still found" OK "$(q 2001:db8:0:1:1:1:1:1)"
check_eq "persistent entry still found" OK "$(q 198.51.100.1)"
expected OK > "$T/src"
postmap "cdb:$T/src"
check "after expiry the map is byte-identical to postmap's of the live entries" cmp "$MAP" "$T/src.cdb"

# ---- a deleted map comes back ----
rm -f "$MAP"
check "a known address logs in again (10.1.2.3)" login 10.1.2.3
check_eq "... and the deleted map is back, whole" OK "$(q 2001:db8:0:1:1:1:1:1)"
rm -f "$MAP"
check "clearopensmtp with nothing to expire" clearopensmtp
check_eq "... puts a deleted map back too" OK "$(q 10.1.2.3)"
rm -f "$MAP"
check_eq "postfix-init puts an empty map in place of a lost one" "$MAP: created (empty)" "$(roamingctl postfix-init 2>&1)"
check_eq "... empty" "" "$(q 10.1.2.3)"
check "a known address logs in again" login 10.1.2.3
check_eq "... which fills the empty map with every live entry" OK "$(q 198.51.100.1)"
expected OK > "$T/src"
postmap "cdb:$T/src"
check "... byte-identical to postmap's" cmp "$MAP" "$T/src.cdb"

# ---- a new address that tcp.smtp already lets relay ----
# Without a Postfix map such a login settles without a rebuild (nothing in
# tcp.smtp.cdb would change); with one it must still reach the map.
printf '127.0.0.:allow,RELAYCLIENT=""\n:allow\n' > "$T/tcp.smtp"
roamingctl rebuild >/dev/null
check "login from 127.0.0.7, covered by tcp.smtp's 127.0.0. rule" login 127.0.0.7
check "... logged as new and rebuilt" logged "recorded 127.0.0.7 (new, rebuilt"
check_eq "... and in the Postfix map" OK "$(q 127.0.0.7)"
check_eq "... while tcp.smtp.cdb has no record of its own for it" "" \
	"$(cdb -q "$T/tcp.smtp.cdb" 127.0.0.7 2>/dev/null && echo record)"
# The control: the same without a map takes the shortcut.
mkdir -p "$T/ctl"
cp "$T/tcp.smtp" "$T/ctl/tcp.smtp"
ctl() { env ROAMING_POSTFIX_MAP= ROAMING_TCP_RULES=$T/ctl/tcp.smtp ROAMING_DB=file:$T/ctl/open-smtp "$@"; }
ctl roamingctl add 10.0.0.1 >/dev/null
ctl roamingctl rebuild >/dev/null
printf 'joe\0right\0\0' > "$T/pw"
ctl env TCPREMOTEIP=127.0.0.8 timeout 20 roaming-checkpassword toy-checkpassword true 3<"$T/pw" >/dev/null 2>&1
check "control without a map: logged as new, no rebuild" logged "recorded 127.0.0.8 (new)"

# ---- a map that cannot be written does not break the login ----
ROAMING_POSTFIX_MAP=$T/nodir/roaming
check "login with the map's directory missing still succeeds" login 10.9.9.9
check "... the failure is logged" logged "unable to create a temp file for $T/nodir/roaming.cdb"
check_eq "... tcp.smtp.cdb got the entry anyway" "+RELAYCLIENT=" \
	"$(cdb -q "$T/tcp.smtp.cdb" 10.9.9.9 2>/dev/null | tr '\0' '\n' | head -n 1)"
mkdir "$T/nodir"
check "clearopensmtp repairs what the failed rebuild left" clearopensmtp
check_eq "... the map now has the entry" OK "$(postmap -q 10.9.9.9 "cdb:$T/nodir/roaming" 2>&1)"

done_testing

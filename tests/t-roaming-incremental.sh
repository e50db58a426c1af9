# t-roaming-incremental.sh: a new address adds its records to the outputs without a full build, and the
# result is byte for byte what a full build writes; a tcp.smtp edit, a stale entry or a replaced file forces the full build.
. "$(dirname "$0")/lib.sh"

sandbox
ROAMING_POSTFIX_MAP=$T/roaming
export ROAMING_POSTFIX_MAP
MAP=$T/roaming.cdb

log_listen || { not_ok "log listener started"; exit 1; }

printf 'joe\0right\0\0' > "$T/pw"
# login IP: a successful login; prints the log line it caused
login() {
	n=$(wc -l < "$T/log")
	TCPREMOTEIP=$1 timeout 20 roaming-checkpassword toy-checkpassword true 3<"$T/pw" 2>>"$T/err"
	wait_for 10 sh -c "[ \$(wc -l < '$T/log') -gt $n ]"
	tail -n 1 "$T/log"
}
# same_as_full DESC: the outputs now equal what a forced full build writes
same_as_full() {
	cp "$CDB" "$T/inc.cdb" && cp "$MAP" "$T/inc.map"
	roamingctl rebuild > /dev/null
	if cmp -s "$CDB" "$T/inc.cdb" && cmp -s "$MAP" "$T/inc.map"; then ok "$1"; else not_ok "$1"; fi
}

cat > "$T/tcp.smtp" <<'TCP'
127.0.0.1:allow,RELAYCLIENT=""
10.2.:allow,DATABYTES="1000",RBLSMTPD="-go away"
10.4.:deny
10.5.:allow,RELAYCLIENT=""
:allow
TCP
check "first build" roamingctl rebuild

case $(login 10.9.0.1) in *"new, rebuilt"*) ok "the first address (the store file is new) is a build" ;;
	*) not_ok "the first address (the store file is new) is a build"; tail -n 3 "$T/log" | sed 's/^/# /' ;; esac
same_as_full "outputs equal a full build's bytes (one entry)"
for ip in 10.2.0.7 10.4.0.1 10.5.0.1 2001:DB8::7 ::ffff:10.9.0.8 10.9.0.3; do
	line=$(login "$ip")
	case $line in *incrementally*) ok "login from $ip: incremental" ;; *) not_ok "login from $ip: incremental"; echo "# $line" ;; esac
	same_as_full "after $ip the outputs equal a full build's bytes"
done
check "10.2.0.7 relays, keeping its prefix settings" sh -c "roaming-tcprulescheck '$CDB' 10.2.0.7 | grep -q DATABYTES=1000"
check_fail "10.4.0.1 stays denied" relays 10.4.0.1
check "2001:db8::7 relays" relays 2001:db8::7
check "the map has 2001:db8::7 for Postfix" sh -c "postmap -q 2001:db8::7 cdb:'$T/roaming' | grep -qx OK"

# A duplicate line for a known address, appended by hand (same inode): still equal to a full build.
python3 -c 'import sys; f=open(sys.argv[1],"a"); f.write("10.9.0.1:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"\t%d\n" % int(__import__("time").time())); f.close()' "$T/open-smtp"
case $(login 10.9.0.20) in *incrementally*) ok "with a duplicate appended by hand: incremental" ;; *) not_ok "with a duplicate appended by hand: incremental" ;; esac
same_as_full "a duplicate appended by hand: still a full build's bytes"

# tcp.smtp edited: the next new address needs the full build, and gets the edit.
printf '10.30.:allow,EDITED="yes"\n' >> "$T/tcp.smtp"
line=$(login 10.30.0.1)
case $line in *incrementally*) not_ok "after a tcp.smtp edit: a full build"; echo "# $line" ;; *", rebuilt)"*) ok "after a tcp.smtp edit: a full build" ;; *) not_ok "after a tcp.smtp edit: a full build"; echo "# $line" ;; esac
check "the edit is in the cdb" sh -c "roaming-tcprulescheck '$CDB' 10.30.0.9 | grep -q EDITED=yes"

# Time passes: the oldest entry in the outputs goes stale (its time, and the state's record of the
# oldest time, set back four hours; same inode). The next new address needs the full build, which drops it.
python3 - "$T/open-smtp" "$T/tcp.smtp.state" <<'PY'
import sys, time
p, state = sys.argv[1], sys.argv[2]
old = str(int(time.time()) - 4 * 3600)
lines = open(p).read().split("\n")
for i, l in enumerate(lines):
    if l.startswith("10.9.0.3:"):
        head, ts = l.rsplit("\t", 1)
        lines[i] = head + "\t" + old
with open(p, "r+") as f:
    f.write("\n".join(lines))
s = open(state).read().split("\n")
open(state, "w").write(s[0] + "\noldest " + old + "\n")
PY
check "10.9.0.3 still relays before the next build" relays 10.9.0.3
line=$(login 10.9.0.40)
case $line in *incrementally*) not_ok "after an entry went stale: a full build"; echo "# $line" ;; *) ok "after an entry went stale: a full build" ;; esac
check_fail "the stale 10.9.0.3 is gone from the cdb" relays 10.9.0.3
check "10.9.0.40 relays" relays 10.9.0.40

# The cdb replaced behind roaming's back (tcprules by hand): a known-address login restores everything.
printf '127.0.0.1:allow,RELAYCLIENT=""\n' | tcprules "$CDB" "$T/x.tmp"
check_fail "after tcprules by hand 10.9.0.40 no longer relays" relays 10.9.0.40
login 10.9.0.40 > /dev/null
check "a known-address login puts the roaming records back" relays 10.9.0.40
line=$(login 10.9.0.41)
case $line in *incrementally*) ok "then new addresses are incremental again" ;; *) not_ok "then new addresses are incremental again"; echo "# $line" ;; esac
same_as_full "and still a full build's bytes"
check_eq "nothing on stderr" "" "$(cat "$T/err")"
done_testing

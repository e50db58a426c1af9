# t-tcpserver.sh: end to end on loopback: rules compiled by roaming-tcprules, read by the real tcpserver -x, seen by real tcpclient connections.
. "$(dirname "$0")/lib.sh"

printf '127.0.0.5:allow,RELAYCLIENT=""\n127.0.0.7:deny\n:allow\n' > "$T/rules"
check "roaming-tcprules compiles the rules" roaming-tcprules "$T/rules.cdb" "$T/rules.tmp" < "$T/rules"

# The served program says whether tcpserver set RELAYCLIENT, and for whom.
cat > "$T/prog" <<'EOF'
#!/bin/sh
if [ "${RELAYCLIENT+set}" = set ]; then r=set; else r=unset; fi
echo "RELAYCLIENT $r for $TCPREMOTEIP"
EOF
chmod 755 "$T/prog"

port=$(free_port)
# -H -R -l 0: no DNS and no ident lookups; -v logs each decision.
bg sh -c 'exec tcpserver -v -x "$1" -H -R -l 0 127.0.0.1 "$2" "$3" 2> "$4"' sh "$T/rules.cdb" "$port" "$T/prog" "$T/log"
if wait_for 10 port_open "$port"; then ok "tcpserver listens on 127.0.0.1:$port"; else not_ok "tcpserver listens on 127.0.0.1:$port"; sed 's/^/# /' "$T/log"; fi

# client LOCALIP: what the served program wrote, as seen by tcpclient
# (it hands its program the connection as fd 6 for reading).
client() {
	timeout 10 tcpclient -H -R -l 0 -i "$1" 127.0.0.1 "$port" sh -c 'cat <&6' 2>> "$T/client.err"
}

check_eq "127.0.0.5 gets RELAYCLIENT" "RELAYCLIENT set for 127.0.0.5" "$(client 127.0.0.5)"
check_eq "127.0.0.6 falls to :allow without RELAYCLIENT" "RELAYCLIENT unset for 127.0.0.6" "$(client 127.0.0.6)"
check_eq "127.0.0.7 is dropped before the program runs" "" "$(client 127.0.0.7)"
check "tcpserver logged the deny for 127.0.0.7" grep -q 'deny .*127\.0\.0\.7' "$T/log"

# tcpserver opens the cdb on every connection: a new compile, renamed into
# place, applies to the next client without a restart.
printf '127.0.0.6:allow,RELAYCLIENT=""\n127.0.0.5:deny\n:allow\n' > "$T/rules2"
check "recompile over the live cdb" roaming-tcprules "$T/rules.cdb" "$T/rules.tmp" < "$T/rules2"
check_eq "after the recompile 127.0.0.6 gets RELAYCLIENT" "RELAYCLIENT set for 127.0.0.6" "$(client 127.0.0.6)"
check_eq "after the recompile 127.0.0.5 is dropped" "" "$(client 127.0.0.5)"
check_eq "after the recompile 127.0.0.7 falls to :allow" "RELAYCLIENT unset for 127.0.0.7" "$(client 127.0.0.7)"
# A rejected compile leaves the live rules alone.
printf '127.0.0.6:deny\nbad line:here\n' | roaming-tcprules "$T/rules.cdb" "$T/rules.tmp" 2> /dev/null
check_eq "a failed compile does not change what tcpserver does" "RELAYCLIENT set for 127.0.0.6" "$(client 127.0.0.6)"

# Stop the server now and make sure it is gone (cleanup would too).
kill "$LASTPID" 2> /dev/null
if wait_for 5 sh -c "! kill -0 $LASTPID 2>/dev/null"; then ok "tcpserver stopped"; else not_ok "tcpserver stopped"; fi
check_fail "nothing listens on the port afterwards" port_open "$port"
done_testing

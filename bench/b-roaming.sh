#!/bin/sh
# bench/b-roaming.sh: issue 3's speed: roaming's login paths, a burst of new
# logins and clearopensmtp, each beside a vpopmail-style baseline
# (bench/vpop-baseline.c: whole-file rewrite under an fcntl lock, a forked
# real tcprules for a new IP) in the same run, as medians over alternating
# repetitions, with ratios and the issue's goals.
#
# sh bench/b-roaming.sh   (after make bench; about 2-3 minutes on 2 cores)
# Environment: BENCH_ENTRIES (100000), BENCH_RULES (10000), BENCH_BURST (500),
# BENCH_QUICK=1 (fewer repetitions, for a smoke run), KEEP=1 (keep the work
# directory).
cd "$(dirname "$0")/.." || exit 111
TOP=$(pwd)
B=$TOP/bench/bench-roaming
VPOP=$TOP/bench/vpop-baseline
ALLOW=$TOP/roaming/roaming-allow
CKPW=$TOP/roaming/roaming-checkpassword
TOY=$TOP/tests/toy-checkpassword
for p in "$B" "$VPOP" "$ALLOW" "$CKPW" "$TOY" roaming/clearopensmtp roaming/roamingctl \
	tcprules/roaming-tcprules tests/gen-rules; do
	[ -x "$p" ] || { echo "b-roaming: $p is missing: run make bench" >&2; exit 111; }
done
# a SANITIZE=1 build measures AddressSanitizer, not roaming
for p in "$B" "$ALLOW" "$TOY" tcprules/roaming-tcprules; do
	ldd "$p" 2>/dev/null | grep -q libasan && { echo "b-roaming: $p is a SANITIZE=1 build: run make bench" >&2; exit 111; }
done
TCPRULES=$(command -v tcprules) || { echo "b-roaming: tcprules (ucspi-tcp) is missing" >&2; exit 111; }
ENTRIES=${BENCH_ENTRIES:-100000}
RULES=${BENCH_RULES:-10000}
BURST=${BENCH_BURST:-500}
if [ -n "${BENCH_QUICK:-}" ]; then
	KNOWN_RUNS=40 KNOWN_BASE=8 REC_ROUNDS=30 NEW_RUNS=4 NEW_BASE=2 BURST_REPS=1 CLEAR_RUNS=2
else
	KNOWN_RUNS=300 KNOWN_BASE=30 REC_ROUNDS=200 NEW_RUNS=12 NEW_BASE=6 BURST_REPS=3 CLEAR_RUNS=5
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/b-roaming.XXXXXX") || exit 111
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
trap 'exit 111' INT TERM HUP
R=$W/r V=$W/v C=$W/c
mkdir "$R" "$V" "$C"

fail() { echo "b-roaming: fatal: $*" >&2; exit 111; }
# result NAME FIELD: a field of the driver's "result NAME MEDIAN P10 P90 N FAILED" line
field() { awk -v n="$2" -v f="$3" '$1 == "result" && $2 == n { print $f }' "$1"; }
ms() { awk -v u="$1" 'BEGIN { printf "%8.2f ms", u / 1000 }'; }
msf() { awk -v m="$1" 'BEGIN { printf "%.0f ms", m }'; }
us() { awk -v u="$1" 'BEGIN { printf "%8.1f us", u }'; }
# faster BASELINE ROAMING: "roaming Nx faster", or "Nx slower" when it is
faster() { awk -v b="$1" -v r="$2" 'BEGIN { if (b >= r) printf "roaming %.2fx faster", b / r; else printf "roaming %.2fx SLOWER", r / b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# goal OK-IF-AWK-EXPR: "goal met" or "GOAL MISSED"
goal() { awk "BEGIN { exit !($1) }" && echo "goal met" || echo "GOAL MISSED"; }
# spread P10..P90 of a result, for the reader to judge the noise
spread() { printf '[p10 %s, p90 %s, n=%s]' "$(field "$1" "$2" 4)" "$(field "$1" "$2" 5)" "$(field "$1" "$2" 6)"; }
bad=0
failures() {
	f=$(field "$1" "$2" 7)
	[ "$f" = 0 ] || { echo "   !! $2: $f runs failed"; bad=1; }
}

# ---- the data: tcp.smtp, 100,000 roaming entries, addresses to log in from ----
echo "# roaming (issue 3) vs a vpopmail-style baseline: $ENTRIES entries, $RULES tcp.smtp rules"
tests/gen-rules bench 3 $((RULES - 1)) > "$W/tcp.smtp" || fail "gen-rules"
[ "$(wc -l < "$W/tcp.smtp")" -eq "$RULES" ] || fail "tcp.smtp is not $RULES lines"
tcprules/roaming-tcprules "$W/rules-only.cdb" "$W/rules-only.tmp" < "$W/tcp.smtp" || fail "compile tcp.smtp"
NEWN=$((NEW_RUNS + 2))
# addresses that only tcp.smtp's catch-all matches: every one gets a record
"$B" gen "$W/rules-only.cdb" 7 $((ENTRIES + NEWN + BURST * (BURST_REPS + 1))) > "$W/all.addrs" || fail "gen"
head -n "$ENTRIES" "$W/all.addrs" > "$W/entries.addrs"
tail -n +$((ENTRIES + 1)) "$W/all.addrs" | head -n "$NEWN" > "$W/new.addrs"
tail -n +$((ENTRIES + NEWN + 1)) "$W/all.addrs" > "$W/burst.addrs"
awk 'NR % 100 == 1' "$W/entries.addrs" > "$W/known.addrs"
now=$(date +%s)
# fresh: logged in within the last 50 minutes; half: every other one 4 hours ago
awk -v now="$now" '{ printf "%s:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"\t%d\n", $1, now - NR % 3000 }' \
	"$W/entries.addrs" > "$W/open-smtp.fresh"
awk -v now="$now" '{ printf "%s:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"\t%d\n", $1, now - NR % 3000 - (NR % 2 ? 0 : 14400) }' \
	"$W/entries.addrs" > "$W/open-smtp.half"
awk 'NR % 2' "$W/entries.addrs" > "$W/half-live.addrs"
awk 'NR % 2 == 0' "$W/entries.addrs" > "$W/half-stale.addrs"
{ cat "$W/tcp.smtp"; cut -f1 "$W/open-smtp.fresh"; } > "$W/merged"
MERGED=$(wc -l < "$W/merged")

for d in "$R" "$V"; do
	cp "$W/tcp.smtp" "$d/tcp.smtp"
	cp "$W/open-smtp.fresh" "$d/open-smtp"
done
ROAMING_CONF=/dev/null ROAMING_TCP_RULES=$R/tcp.smtp ROAMING_DB=file:$R/open-smtp
ROAMING_LOGSOCKET=$W/log.sock VPOP_ETC=$V VPOP_TCPRULES=$TCPRULES
export ROAMING_CONF ROAMING_TCP_RULES ROAMING_DB ROAMING_LOGSOCKET VPOP_ETC VPOP_TCPRULES
unset ROAMING_CLEAR_MINUTES ROAMING_RELAY_ENV ROAMING_POSTFIX_MAP NORELAY AUTHENTICATED IP TCPREMOTEIP
roaming/roamingctl rebuild > /dev/null || fail "roamingctl rebuild"
"$TCPRULES" "$V/tcp.smtp.cdb" "$V/tcp.smtp.tmp" < "$W/merged" || fail "baseline tcprules"
n=$("$B" check "$R/tcp.smtp.cdb" "$W/entries.addrs")
[ "$n" -eq "$ENTRIES" ] || fail "roaming's cdb has $n of $ENTRIES entries"
n=$("$B" check "$V/tcp.smtp.cdb" "$W/entries.addrs")
[ "$n" -eq "$ENTRIES" ] || fail "the baseline's cdb has $n of $ENTRIES entries"
echo "# merged rules text: $MERGED lines; both cdbs hold all $ENTRIES entries"
echo

# ---- 1. known-IP login, whole process ----
printf 'joe\0right\0\0' > "$W/pw"
"$B" spawn $KNOWN_RUNS "$W/known.addrs" \
	floor $KNOWN_RUNS - - /bin/true -- \
	chain $KNOWN_RUNS - - "$B" exec /bin/true -- \
	roaming $KNOWN_RUNS - - "$ALLOW" /bin/true -- \
	toy $KNOWN_RUNS - "3<$W/pw" "$TOY" /bin/true -- \
	roaming-cp $KNOWN_RUNS - "3<$W/pw" "$CKPW" "$TOY" /bin/true -- \
	baseline $KNOWN_BASE - - "$VPOP" login /bin/true > "$W/r1" || fail "spawn (known)"
libs="$(ldd "$ALLOW" 2>/dev/null | grep -c '=>') shared libraries"
ldd "$ALLOW" 2>/dev/null | grep -q libmariadb && libs="$libs, libmariadb among them"
f=$(field "$W/r1" floor 3) c=$(field "$W/r1" chain 3) r=$(field "$W/r1" roaming 3)
b=$(field "$W/r1" baseline 3) t=$(field "$W/r1" toy 3) rc=$(field "$W/r1" roaming-cp 3)
echo "1. known-IP login as a whole process (median of alternating runs)"
echo "   floor: /bin/true                      $(ms "$f")  $(spread "$W/r1" floor)"
echo "   no-op chain linked as roaming-allow   $(ms "$c")  $(ratio "$c" "$f")x floor ($libs)"
echo "   roaming-allow, then /bin/true         $(ms "$r")  $(ratio "$r" "$f")x floor: $(goal "$r <= 2 * $f") (<= 2x)  $(spread "$W/r1" roaming)"
echo "   baseline login, then /bin/true        $(ms "$b")  $(faster "$b" "$r"): $(goal "$b >= 10 * $r") (>= 10x)  $(spread "$W/r1" baseline)"
echo "   toy-checkpassword, then /bin/true     $(ms "$t")"
echo "   roaming-checkpassword around it       $(ms "$rc")  $(ratio "$rc" "$t")x the toy alone"
for v in floor chain roaming toy roaming-cp baseline; do failures "$W/r1" $v; done
echo

# ---- 2. known-IP bookkeeping in-process ----
"$B" record $REC_ROUNDS 50 "$W/known.addrs" "$V" > "$W/r2" || fail "record"
r=$(field "$W/r2" roaming-record 3) b=$(field "$W/r2" vpop-record 3)
echo "2. known-IP bookkeeping in-process, per login"
echo "   roaming record_login()                $(us "$r")  $(spread "$W/r2" roaming-record)"
echo "   baseline open_smtp_relay()            $(us "$b")  $(faster "$b" "$r"): $(goal "$b >= 100 * $r") (>= 100x)"
for v in roaming-record vpop-record; do failures "$W/r2" $v; done
echo

# ---- 3. new-IP login, whole process ----
"$B" spawn $NEW_RUNS "$W/new.addrs" \
	compile $NEW_RUNS - "$W/merged" "$TOP/tcprules/roaming-tcprules" "$C/tcp.smtp.cdb" "$C/tcp.smtp.tmp" -- \
	roaming $NEW_RUNS - - "$ALLOW" /bin/true -- \
	tcprules $NEW_RUNS - "$W/merged" "$TCPRULES" "$C/t.cdb" "$C/t.tmp" -- \
	baseline $NEW_BASE - - "$VPOP" login /bin/true > "$W/r3" || fail "spawn (new)"
head -n $NEW_RUNS "$W/new.addrs" > "$W/new-used.addrs"
head -n $NEW_BASE "$W/new.addrs" > "$W/new-used-base.addrs"
rn=$("$B" check "$R/tcp.smtp.cdb" "$W/new-used.addrs")
bn=$("$B" check "$V/tcp.smtp.cdb" "$W/new-used-base.addrs")
k=$(field "$W/r3" compile 3) r=$(field "$W/r3" roaming 3) t=$(field "$W/r3" tcprules 3) b=$(field "$W/r3" baseline 3)
echo "3. new-IP login as a whole process (each run a new address: append + rebuild of $((ENTRIES + RULES)) records)"
echo "   bare compile: roaming-tcprules        $(ms "$k")  ($MERGED lines)  $(spread "$W/r3" compile)"
echo "   bare compile: real tcprules           $(ms "$t")"
echo "   roaming-allow, new IP                 $(ms "$r")  $(ratio "$r" "$k")x the bare compile: $(goal "$r <= 1.3 * $k") (<= 1.3x)  $(spread "$W/r3" roaming)"
echo "   baseline login, new IP                $(ms "$b")  $(faster "$b" "$r")"
echo "   in the cdb afterwards: roaming $rn of $NEW_RUNS, baseline $bn of $NEW_BASE"
[ "$rn" -eq "$NEW_RUNS" ] || { echo "   !! roaming lost a new address"; bad=1; }
for v in compile roaming tcprules baseline; do failures "$W/r3" $v; done
echo

# ---- 4. a burst of concurrent logins from new IPs ----
# Each repetition uses addresses nobody has logged in from; roaming first,
# then the baseline, then roaming again (the baseline runs once: it takes
# tens of seconds).
echo "4. a burst of $BURST concurrent logins from new IPs (all released at once)"
i=0 burstbad=0
while [ $i -lt "$BURST_REPS" ]; do
	sync # the baseline's gigabytes of writes must not slow the next run
	sed -n "$((i * BURST + 1)),$(((i + 1) * BURST))p" "$W/burst.addrs" > "$W/b$i.addrs"
	"$B" burst "$BURST" "$W/b$i.addrs" "$W/b$i.err" 60 "$ALLOW" /bin/true > "$W/rb$i" || fail "burst"
	read -r _ rms _ rfail rreb rkill < "$W/rb$i"
	rin=$("$B" check "$R/tcp.smtp.cdb" "$W/b$i.addrs")
	echo "   roaming #$((i + 1)): $(msf "$rms"), failed $rfail, killed $rkill, rebuilds $rreb for $BURST logins, in the cdb $rin of $BURST"
	echo "$rms" >> "$W/rburst.ms"
	[ "$rin" -eq "$BURST" ] && [ "$rfail" -eq 0 ] && [ "$rkill" -eq 0 ] || { echo "   !! roaming lost or failed logins in the burst"; bad=1 burstbad=1; }
	if [ $i -eq 0 ]; then
		sed -n "$((BURST_REPS * BURST + 1)),$(((BURST_REPS + 1) * BURST))p" "$W/burst.addrs" > "$W/bv.addrs"
		sync
		env -u ROAMING_LOGSOCKET "$B" burst "$BURST" "$W/bv.addrs" "$W/bv.err" 100 "$VPOP" login /bin/true > "$W/rbv" \
			|| fail "burst (baseline)"
		read -r _ bms _ bfail _ bkill < "$W/rbv"
		bin=$("$B" check "$V/tcp.smtp.cdb" "$W/bv.addrs")
		bfile=$(cut -d: -f1 "$V/open-smtp" | grep -cxFf "$W/bv.addrs")
		busy=$(grep -c 'File busy' "$W/bv.err")
		echo "   baseline: $(msf "$bms"), failed $bfail, killed $bkill, went on unlocked $busy, in open-smtp $bfile of $BURST, in the cdb $bin of $BURST"
	fi
	i=$((i + 1))
done
rmed=$(sort -n "$W/rburst.ms" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
[ "$bkill" -eq 0 ] || atleast="at least "
echo "   roaming median $(msf "$rmed"); the baseline took ${atleast:-}$(ratio "$bms" "$rmed")x as long: $(goal "$bms >= 20 * $rmed && $burstbad == 0") (>= 20x, and no failures)"
echo

# ---- 5. clearopensmtp with half the entries stale ----
# Before each run the store is put back to $ENTRIES entries, half of them
# older than 180 minutes (a new file, as a rewrite leaves it).
sync
"$B" spawn $CLEAR_RUNS - \
	roaming $CLEAR_RUNS "cp $W/open-smtp.half $R/open-smtp.new && mv $R/open-smtp.new $R/open-smtp" - \
		"$TOP/roaming/clearopensmtp" -- \
	baseline $CLEAR_RUNS "cp $W/open-smtp.half $V/open-smtp.new && mv $V/open-smtp.new $V/open-smtp" - \
		"$VPOP" clear > "$W/r5" || fail "spawn (clear)"
r=$(field "$W/r5" roaming 3) b=$(field "$W/r5" baseline 3)
rl=$("$B" check "$R/tcp.smtp.cdb" "$W/half-live.addrs") rs=$("$B" check "$R/tcp.smtp.cdb" "$W/half-stale.addrs")
bl=$("$B" check "$V/tcp.smtp.cdb" "$W/half-live.addrs") bs=$("$B" check "$V/tcp.smtp.cdb" "$W/half-stale.addrs")
echo "5. clearopensmtp, $ENTRIES entries of which half are stale"
echo "   roaming clearopensmtp                 $(ms "$r")  $(spread "$W/r5" roaming)"
echo "   baseline clearopensmtp                $(ms "$b")  $(faster "$b" "$r")"
echo "   in the cdb afterwards (live/stale of $((ENTRIES / 2)) each): roaming $rl/$rs, baseline $bl/$bs"
[ "$rl" -eq "$(wc -l < "$W/half-live.addrs")" ] && [ "$rs" -eq 0 ] || { echo "   !! roaming's cdb is wrong after clearopensmtp"; bad=1; }
for v in roaming baseline; do failures "$W/r5" $v; done
exit $bad

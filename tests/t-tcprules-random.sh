# t-tcprules-random.sh: generated rules files through the real tcprules and roaming-tcprules: same exit code, same cdb bytes, target untouched and no temp file on failure.
. "$(dirname "$0")/lib.sh"

# MIXED=n, VALID=n change the number of files; SEED0=n explores other seeds.
MIXED=${MIXED:-600}
VALID=${VALID:-80}
SEED0=${SEED0:-0}

# run_both MODE SEED COUNT: generates the file and runs both compilers on it
# over a sentinel target. Sets ra (tcprules' exit code) and why (empty when
# they agree). tcprules leaves its temp file behind on failure; roaming must not.
run_both() {
	why=
	if ! gen-rules "$1" "$2" "$3" > "$T/in" 2> "$T/gen.err"; then
		why="gen-rules failed: $(cat "$T/gen.err")"
		ra=
		return
	fi
	rm -f "$T/a.tmp" "$T/b.tmp"
	echo sentinel > "$T/a.cdb"
	echo sentinel > "$T/b.cdb"
	tcprules "$T/a.cdb" "$T/a.tmp" < "$T/in" > /dev/null 2> "$T/a.err"; ra=$?
	roaming-tcprules "$T/b.cdb" "$T/b.tmp" < "$T/in" > /dev/null 2> "$T/b.err"; rb=$?
	if [ "$ra" != "$rb" ]; then
		why="exit codes differ: tcprules $ra, roaming $rb"
	elif [ "$ra" != 0 ] && [ "$ra" != 100 ]; then
		why="unexpected exit code $ra from both"
	elif [ "$ra" = 0 ] && ! cmp -s "$T/a.cdb" "$T/b.cdb"; then
		why="the cdb files differ"
	elif [ "$rb" != 0 ] && [ -e "$T/b.tmp" ]; then
		why="roaming-tcprules left its temp file behind"
	elif [ "$rb" != 0 ] && [ "$(cat "$T/b.cdb")" != sentinel ]; then
		why="roaming-tcprules changed the target although it failed"
	fi
}

# details MODE SEED COUNT: what the first mismatch of a group looked like.
details() {
	echo "#   input: gen-rules $1 $2 $3 ($(wc -l < "$T/in") lines, $(wc -c < "$T/in") bytes): $why"
	sed 's/^/#   tcprules: /' "$T/a.err" | head -3
	sed 's/^/#   roaming:  /' "$T/b.err" | head -3
	if [ "$why" = "the cdb files differ" ]; then
		# One record a line (keys and data never hold a newline), bytes
		# made visible, so the first differing record shows.
		cdb -d "$T/a.cdb" | cat -v > "$T/a.dump"
		cdb -d "$T/b.cdb" | cat -v > "$T/b.dump"
		diff "$T/a.dump" "$T/b.dump" | head -10 | sed 's/^/#   /'
	fi
	if [ -n "${KEEP:-}" ]; then
		cp "$T/in" "$T/fail-$1-$2-$3.in"
		echo "#   kept: $T/fail-$1-$2-$3.in"
	else
		echo "#   (KEEP=1 keeps the input under \$T)"
	fi
}

# group NAME: runs "MODE SEED COUNT" lines from stdin; one ok/not ok line.
# Counts how many files each compiler accepted (acc) and rejected (rej).
group() {
	name=$1
	n=0 bad=0 acc=0 rej=0
	while read -r mode seed count; do
		n=$((n + 1))
		run_both "$mode" "$seed" "$count"
		case $ra in 0) acc=$((acc + 1)) ;; 100) rej=$((rej + 1)) ;; esac
		if [ -n "$why" ]; then
			bad=$((bad + 1))
			[ $bad = 1 ] && details "$mode" "$seed" "$count" > "$T/first"
		fi
	done
	if [ $bad = 0 ] && [ $n -gt 0 ]; then
		ok "$name: $n files agree ($acc accepted, $rej rejected)"
	else
		not_ok "$name: $bad of $n files differ ($acc accepted, $rej rejected); first:"
		cat "$T/first" 2>/dev/null
	fi
}

# The generator is deterministic and its seeds matter.
gen-rules mixed 7 50 > "$T/g1" && gen-rules mixed 7 50 > "$T/g2"
check "gen-rules: the same arguments give the same bytes" cmp "$T/g1" "$T/g2"
gen-rules mixed 8 50 > "$T/g2"
check_fail "gen-rules: another seed gives other bytes" cmp -s "$T/g1" "$T/g2"
check_rc "gen-rules: an unknown mode is a usage error" 100 gen-rules nonsense 1 1

# Small mixed files: tcprules stops at the first bad line, so a bad line
# early hides the rest; many short files see every kind of line often.
i=0
while [ $i -lt "$MIXED" ]; do
	s=$((SEED0 + i))
	echo "mixed $s $((s * 7 % 30 + 1))"
	i=$((i + 1))
done > "$T/list"
group "mixed valid and invalid lines, 1-30 per file" < "$T/list"
mixed_acc=$acc mixed_rej=$rej
# Both outcomes must be common, or the comparison above proves little.
check "mixed files: over a fifth accepted ($mixed_acc) and over a fifth rejected ($mixed_rej)" \
	test $((mixed_acc * 5)) -gt "$MIXED" -a $((mixed_rej * 5)) -gt "$MIXED"

# Valid files: every one must be accepted by tcprules itself.
i=0
while [ $i -lt "$VALID" ]; do
	s=$((SEED0 + 1000 + i))
	echo "valid $s $((s * 13 % 200 + 1))"
	i=$((i + 1))
done > "$T/list"
group "valid files of 1-200 lines" < "$T/list"
check_eq "valid files: tcprules accepted all $VALID" "$VALID" "$acc"

# Large valid files (thousands of lines, many keys, long values, duplicates)
# and a benchmark-shaped file: the cdb hash tables are compared as well.
printf '%s\n' "valid $((SEED0 + 1)) 2000" "valid $((SEED0 + 2)) 4000" "valid $((SEED0 + 3)) 6000" \
	"valid $((SEED0 + 4)) 8000" "valid $((SEED0 + 5)) 3000" "bench $((SEED0 + 6)) 22000" > "$T/list"
group "large valid files (2000-8000 lines) and a 22000-rule bench file" < "$T/list"
check_eq "large files: tcprules accepted all 6" 6 "$acc"
done_testing

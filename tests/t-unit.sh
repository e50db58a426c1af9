# t-unit.sh: the C unit driver tests/unit-lib: lib/ (buf, addr, hmap, atomic) and the rules lookup, data and parse helpers.
. "$(dirname "$0")/lib.sh"

if [ ! -x "$TOP/tests/unit-lib" ]; then
	not_ok "tests/unit-lib is built (run make check, or make tests/unit-lib)"
	exit 1
fi
# The driver makes its scratch directory under $T, which cleanup removes.
T=$T "$TOP/tests/unit-lib" > "$T/unit.out" 2>&1
rc=$?
cat "$T/unit.out"
check "unit-lib printed its results" grep -q '^ok - ' "$T/unit.out"
check_eq "unit-lib exits 0 (no failures, no crash)" 0 "$rc"
done_testing

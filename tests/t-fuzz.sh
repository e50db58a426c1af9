# t-fuzz.sh: a short run of the rules fuzzer (tests/fuzz/run) inside make check: no invariant broken, no sanitizer report.
. "$(dirname "$0")/lib.sh"

secs=${FUZZ_SECONDS:-20}
sh "$TOP/tests/fuzz/run" "$secs" > "$T/fuzz.out" 2>&1
rc=$?
if [ $rc = 0 ]; then
	ok "fuzz-rules ran for $secs s without a finding"
else
	not_ok "fuzz-rules exited $rc (a finding is saved under tests/fuzz/crashes/)"
	grep -v '^#[0-9]' "$T/fuzz.out" | tail -30 | sed 's/^/# /'
fi
check "the seed corpus was loaded" grep -q 'files found in tests/fuzz/corpus$' "$T/fuzz.out"
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/fuzz.out")
check "fuzz-rules tried many inputs (${runs:-none})" test "${runs:-0}" -gt 10000
done_testing

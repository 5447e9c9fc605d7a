#!/usr/bin/env bash
# Runs libFuzzer targets for a time each and reports, per target, the executions, the coverage
# and what was found:  run.sh SECONDS TARGET...   (TARGET: config ctlproto header cm stream)
# With FUZZ_RUNS=N each target runs exactly N executions instead (SECONDS is then ignored):
# the smoke test's mode, whose work does not shrink on a loaded machine.
# Used by the smoke test (tests/fuzz/smoke.sh) and by `make fuzz-long`.
# Environment: top_builddir, top_srcdir (as make check sets them); FUZZ_JOBS targets at a time
# (default 1); FUZZ_WORKDIR keeps the inputs each run adds to its corpus (default: a temporary
# directory, removed). The committed seeds in tests/fuzz/corpus/TARGET are only read.
# A crash, leak, timeout or failed check is written to tests/fuzz/TARGET-crash-... in the build
# directory; the exit code is then 1.
set -u

seconds=${1:?usage: run.sh SECONDS TARGET...}
shift
b=${top_builddir:-.}
s=${top_srcdir:-..}
jobs=${FUZZ_JOBS:-1}
work=${FUZZ_WORKDIR:-}
if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/ipv4opt-fuzz.XXXXXX") || exit 99
	trap 'rm -rf "$work"' EXIT
fi

run_one() {
	local t=$1 bin=$b/tests/fuzz/fuzz_$1
	mkdir -p "$work/$t"
	# -timeout: one input taking seconds is a defect (the daemon reads these inline);
	# -rss_limit_mb: 2 GB; -max_len: libFuzzer's default, or the largest seed.
	local bound=-max_total_time="$seconds"
	# A fixed count also runs from a fixed seed (FUZZ_SEED, 1): the same inputs every time,
	# so the smoke run of make check passes or fails by the code alone. (A timed run takes a
	# seed of its own each time, to explore.)
	[ -n "${FUZZ_RUNS:-}" ] && bound="-runs=$FUZZ_RUNS -seed=${FUZZ_SEED:-1}"
	# shellcheck disable=SC2086
	"$bin" $bound -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$b/tests/fuzz/$t-" "$work/$t" "$s/tests/fuzz/corpus/$t" \
		>"$work/$t.log" 2>&1
	echo $? >"$work/$t.rc"
}

summary() {
	local t=$1 log=$work/$1.log rc execs cov ft corp
	rc=$(cat "$work/$t.rc")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	# the last status line: "#N ... cov: C ft: F corp: K/SIZE ..."
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -n 1 | cut -d' ' -f2)
	if [ "$rc" -eq 0 ]; then
		printf 'fuzz_%s: %s executions, cov: %s ft: %s corpus: %s, no defect\n' \
			"$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
		return 0
	fi
	printf 'fuzz_%s: FAILED (exit %s) after %s executions, cov: %s\n' "$t" "$rc" \
		"${execs:-?}" "${cov:-?}"
	grep -E '^(SUMMARY|==[0-9]+==ERROR|.*fuzz check failed|.*runtime error)' "$log" | head -n 5
	grep -E 'Test unit written to|^artifact_prefix' "$log" | sed 's/^/    /'
	echo "--- last lines of the log:"
	tail -n 40 "$log"
	return 1
}

for t in "$@"; do
	if [ ! -x "$b/tests/fuzz/fuzz_$t" ]; then
		echo "run.sh: $b/tests/fuzz/fuzz_$t is missing: run make fuzz" >&2
		exit 99
	fi
done

running=0
for t in "$@"; do
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

rc=0
for t in "$@"; do
	summary "$t" || rc=1
done
exit $rc

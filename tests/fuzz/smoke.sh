#!/usr/bin/env bash
# The fuzz smoke run of `make check`. First every committed input (tests/fuzz/corpus/TARGET:
# seeds and the inputs of every defect found so far) goes through the targets built by the
# normal compiler (tests/fuzz/replay_TARGET), then, where clang has libFuzzer (decided by
# `make check`, recorded in tests/fuzz/fuzz-mode), each libFuzzer target runs, one at a time,
# for a fixed number of executions (FUZZ_SMOKE_RUNS, 200,000): the same work however loaded the
# machine is. The libconfig leak suppression (fuzz_config.c) names functions, so LeakSanitizer
# needs llvm-symbolizer (Debian package llvm, installed by tests/bootstrap).
# Never skipped: nothing here needs or avoids root.
# test-deadline: 900
set -u

b=${top_builddir:-.}
s=${top_srcdir:-..}
targets="config ctlproto header cm stream"
rc=0

for t in $targets; do
	"$b/tests/fuzz/replay_$t" "$s/tests/fuzz/corpus/$t" || { echo "replay_$t: FAILED"; rc=1; }
done

mode=$(cat "$b/tests/fuzz/fuzz-mode" 2>/dev/null)
case "$mode" in
libfuzzer)
	if ! command -v llvm-symbolizer >/dev/null; then
		echo "smoke: llvm-symbolizer is missing (Debian package llvm): LeakSanitizer could" \
			"not apply the libconfig suppression" >&2
		exit 99
	fi
	FUZZ_JOBS=1 FUZZ_RUNS=${FUZZ_SMOKE_RUNS:-200000} bash "$s/tests/fuzz/run.sh" 0 $targets ||
		rc=1
	;;
replay)
	echo "smoke: no libFuzzer (clang and its runtime, libclang-rt-dev): the corpora were replayed"
	;;
*)
	echo "smoke: $b/tests/fuzz/fuzz-mode is missing: make check writes it" >&2
	exit 99
	;;
esac
exit $rc

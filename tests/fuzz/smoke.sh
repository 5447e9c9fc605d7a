#!/usr/bin/env bash
# The fuzz smoke run of `make check`. First every committed input (tests/fuzz/corpus/TARGET:
# seeds and the inputs of every defect found so far) goes through the targets built by the
# normal compiler (tests/fuzz/replay_TARGET), then, where clang has libFuzzer (decided by
# `make check`, recorded in tests/fuzz/fuzz-mode), each libFuzzer target runs for
# FUZZ_SMOKE_SECONDS (15 s, two at a time). Never skipped: nothing here needs or avoids root.
set -u

b=${top_builddir:-.}
s=${top_srcdir:-..}
targets="config ctlproto header cm"
rc=0

for t in $targets; do
	"$b/tests/fuzz/replay_$t" "$s/tests/fuzz/corpus/$t" || { echo "replay_$t: FAILED"; rc=1; }
done

mode=$(cat "$b/tests/fuzz/fuzz-mode" 2>/dev/null)
case "$mode" in
libfuzzer)
	FUZZ_JOBS=${FUZZ_JOBS:-2} bash "$s/tests/fuzz/run.sh" "${FUZZ_SMOKE_SECONDS:-15}" $targets ||
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

#!/bin/sh
# Replay every fuzz harness's seed corpus once (make check).  In a normal
# build the harnesses are linked with replay.c; in an --enable-fuzzing build
# they are libFuzzer binaries, which -runs=0 makes run the corpus and stop.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
rc=0
for h in fuzz-frame fuzz-rpc fuzz-totp fuzz-envelope fuzz-server fuzz-agent \
    fuzz-config fuzz-files; do
	corpus="$top_srcdir/tests/fuzz/corpus/$h"
	n=$(find "$corpus" -type f | wc -l)
	if [ "$n" -lt 5 ]; then
		echo "FAIL: $h: only $n seed inputs in $corpus"
		rc=1
		continue
	fi
	if "$top_builddir/tests/fuzz/$h" -runs=0 "$corpus" >"$top_builddir/tests/fuzz/$h.replay.log" 2>&1; then
		echo "ok: $h replayed $n inputs"
	else
		echo "FAIL: $h crashed on its corpus:"
		tail -n 30 "$top_builddir/tests/fuzz/$h.replay.log"
		rc=1
	fi
done
exit $rc

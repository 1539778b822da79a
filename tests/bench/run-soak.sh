#!/bin/bash
# chatsec — the soak test (make soak).  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# usage: tests/bench/run-soak.sh [--clients N] [--duration SECS]
#
# A fresh chatsecd on a temp data dir and a free loopback port, N accounts
# (default 200) made by `chatsecd --create-accounts`, and chatsec-bench's
# soak scenario for SECS seconds (default 600): clients connecting,
# resuming, joining and leaving rooms, chatting and hanging up, over and
# over, with the server's RSS and open files printed every 10 s.  Fails on
# any refused request or dropped connection, on RSS or open files growing
# after warm-up, and unless the server then stops cleanly on SIGTERM (exit
# 0: under AddressSanitizer that includes no leaks) with no sanitizer
# report in its log.  Run it from a sanitizer build (setup.sh test --asan
# makes build-asan/) to soak under ASan and UBSan:
#   make -C build-asan soak SOAK_TIME=600

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

BENCH=${CHATSEC_BENCH:-$top_builddir/tests/bench/chatsec-bench}
[ -x "$BENCH" ] || fail "$BENCH is not built (make tests/bench/chatsec-bench)"

CLIENTS=200
DURATION=600
while [ $# -gt 0 ]; do
	case $1 in
	--clients) CLIENTS=$2; shift ;;
	--duration) DURATION=$2; shift ;;
	-h|--help) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) fail "unknown option $1 (see --help)" ;;
	esac
	shift
done

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
printf 'soak password %s\n' "$$" >"$T/password"
chmod 600 "$T/password"
"$CHATSECD" "${CHATSECD_USER[@]}" -d "$SERVER_DIR" --create-accounts "$CLIENTS" \
	--password-file "$T/password" --tokens "$T/tokens" \
	>>"$SERVER_LOG" 2>&1 || fail "chatsecd --create-accounts failed"
# A small ASan quarantine, so RSS says what the server holds.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4" \
	start_server --max-clients $((CLIENTS + 100)) --max-per-addr $((CLIENTS + 100))

rc=0
"$BENCH" -s soak -p "$PORT" -t "$T/tokens" -P "$SERVER_PID" -c "$CLIENTS" -d "$DURATION" || rc=$?
[ "$rc" -eq 0 ] || fail "the soak failed (see above)"

pid=$SERVER_PID
kill -TERM "$pid"
src=0
wait "$pid" || src=$?
SERVER_PID=
[ "$src" -eq 0 ] || fail "chatsecd exited $src on SIGTERM after the soak"
if grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$SERVER_LOG"; then
	fail "a sanitizer report in the server's log"
fi
grep -q 'stopped' "$SERVER_LOG" || fail "chatsecd did not log a clean stop"
echo "soak: passed: the server stopped cleanly"

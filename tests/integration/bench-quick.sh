#!/bin/bash
# chatsec — integration: the benchmark still works.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Runs tests/bench/run-bench.sh --quick (every scenario, tiny sizes, a
# second or so each) and checks that each one completed and printed its
# row with sane figures.  No timing is asserted: on a loaded machine the
# figures are whatever they are.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

out=$(bash "$top_srcdir/tests/bench/run-bench.sh" --quick 2>"$T/run-bench.log") ||
	fail "run-bench.sh --quick failed: $(tail -n 30 "$T/run-bench.log")"
printf '%s\n' "$out" >"$T/run-bench.out"

# field SCENARIO KEY: the value of KEY in that scenario's BENCH line.
field()
{
	local line kv
	line=$(grep -E "^BENCH scenario=$1 " <<<"$out") || fail "no BENCH line for $1"
	for kv in $line; do
		if [ "${kv%%=*}" = "$2" ]; then
			echo "${kv#*=}"
			return 0
		fi
	done
	fail "BENCH line for $1 has no $2: $line"
}

# positive SCENARIO KEY: the figure is a number above zero.
positive()
{
	local v
	v=$(field "$1" "$2")
	awk -v v="$v" 'BEGIN { exit !(v ~ /^[0-9.]+$/ && v + 0 > 0) }' ||
		fail "$1: $2=$v is not a positive number"
}

for s in fanout rate; do
	positive $s deliveries_per_s
	positive $s p50_ms
	positive $s p99_ms
	assert_eq "$(field $s errors)" 0 "$s errors"
	assert_eq "$(field $s failed_conns)" 0 "$s failed connections"
done
positive fanout deliveries_per_cpu_s
assert_eq "$(field idle connected)" "$(field idle clients)" "idle connections made"
positive idle conns_per_s
positive idle cpu_per_conn_ms
field idle rss_per_conn_kib >/dev/null
assert_eq "$(field backlog delivered)" "$(field backlog messages)" "backlog delivered"
positive backlog delivered_msgs_per_s
assert_eq "$(field storm logins_ok)" "$(field storm logins)" "storm logins"
positive storm logins_per_s
positive storm storm_p99_ms
positive agent-rtt p99_ms
assert_eq "$(field agent-tx errors)" 0 "agent-tx errors"
positive agent-tx msgs_per_s
positive agent-rx messages
assert_eq "$(field agent-rx errors)" 0 "agent-rx undecryptable"

# The table a person reads has a row per scenario.
for s in fanout rate idle backlog storm agent; do
	grep -qE "^$s " <<<"$out" || fail "no table row for $s"
done

# The soak (make soak) in miniature: sessions come and go without failures
# and the server stops cleanly.
out=$(bash "$top_srcdir/tests/bench/run-soak.sh" --clients 6 --duration 10 2>"$T/run-soak.log") ||
	fail "run-soak.sh --clients 6 --duration 10 failed: $out $(tail -n 30 "$T/run-soak.log")"
assert_eq "$(field soak failures)" 0 "soak failures"
positive soak sessions
positive soak messages
assert_contains "$out" "soak: passed" "the soak's verdict"

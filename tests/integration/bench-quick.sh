#!/bin/bash
# chatsec — integration: the benchmark still works.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Runs tests/bench/run-bench.sh --quick --relay (every scenario, tiny
# sizes, a second or so each, and the bare relay through fanout, rate and
# idle) and checks that each one completed and printed its row with sane
# figures.  No timing is asserted: on a loaded machine the figures are
# whatever they are.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

out=$(bash "$top_srcdir/tests/bench/run-bench.sh" --quick --relay 2>"$T/run-bench.log") ||
	fail "run-bench.sh --quick --relay failed: $(tail -n 30 "$T/run-bench.log")"
printf '%s\n' "$out" >"$T/run-bench.out"

# field SCENARIO KEY [PROTO]: the value of KEY in that scenario's BENCH
# line, chatsecd's unless PROTO (relay) says whose.
field()
{
	local line kv
	if [ $# -gt 2 ]; then
		line=$(grep -E "^BENCH scenario=$1 proto=$3 " <<<"$out") || fail "no BENCH line for $1 ($3)"
	else
		line=$(grep -E "^BENCH scenario=$1 " <<<"$out" | grep -vE "^BENCH scenario=$1 proto=(irc|relay) ") ||
			fail "no BENCH line for $1"
	fi
	for kv in $line; do
		if [ "${kv%%=*}" = "$2" ]; then
			echo "${kv#*=}"
			return 0
		fi
	done
	fail "BENCH line for $1 has no $2: $line"
}

# positive SCENARIO KEY [PROTO]: the figure is a number above zero.
positive()
{
	local v
	v=$(field "$@")
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
assert_eq "$(field agent-rx messages)" "$(field agent-rx expected)" "messages the agent's subscriber got of those sent"
assert_eq "$(field agent-rx errors)" 0 "agent-rx undecryptable"

# The bare relay went through the same scenarios.
for s in fanout rate; do
	positive $s deliveries_per_s relay
	positive $s p99_ms relay
	assert_eq "$(field $s errors relay)" 0 "$s errors (relay)"
	assert_eq "$(field $s failed_conns relay)" 0 "$s failed connections (relay)"
done
assert_eq "$(field idle connected relay)" "$(field idle clients relay)" "idle connections made (relay)"
positive idle rss_per_conn_kib relay
# Side by side: chatsecd's figure, InspIRCd's (not run), the relay's, ratios.
assert_match "$(grep -E '^fan-out: deliveries/s ' <<<"$out")" \
	'^fan-out: deliveries/s +[0-9]+ +- +[0-9]+ +- +[0-9.]+$' "the side-by-side row"

# The table a person reads has a row per scenario.
for s in fanout rate idle backlog storm agent fanout/relay rate/relay idle/relay; do
	grep -qE "^$s " <<<"$out" || fail "no table row for $s"
done

# --runs: three runs of a scenario, one row (the median), marked runs=3;
# a count out of range is refused.
out=$(bash "$top_srcdir/tests/bench/run-bench.sh" --quick --runs 3 --only backlog 2>"$T/run-bench-runs.log") ||
	fail "run-bench.sh --quick --runs 3 failed: $(tail -n 30 "$T/run-bench-runs.log")"
assert_eq "$(grep -c '^BENCH scenario=backlog ' <<<"$out")" 1 "backlog BENCH lines kept of 3 runs"
assert_eq "$(field backlog runs)" 3 "runs= of the kept line"
assert_eq "$(grep -c '^BENCH scenario=backlog ' "$T/run-bench-runs.log")" 3 "backlog runs made"
if err=$(bash "$top_srcdir/tests/bench/run-bench.sh" --quick --runs 0 --only backlog 2>&1); then
	fail "--runs 0 was accepted"
fi
assert_contains "$err" "--runs takes 1 to 99" "--runs 0 refused"

# The soak (make soak) in miniature: sessions come and go without failures
# and the server stops cleanly.
out=$(bash "$top_srcdir/tests/bench/run-soak.sh" --clients 6 --duration 10 2>"$T/run-soak.log") ||
	fail "run-soak.sh --clients 6 --duration 10 failed: $out $(tail -n 30 "$T/run-soak.log")"
assert_eq "$(field soak failures)" 0 "soak failures"
positive soak sessions
positive soak messages
assert_contains "$out" "soak: passed" "the soak's verdict"

#!/bin/bash
# chatsec — integration: the first messages of a peer never seen before.
# Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# bob registers and at once sends a pipelined burst to #general.  alice's
# agent has no keys of bob's: the first message waits while it fetches
# them, the rest keep arriving live meanwhile, and the sync that follows
# must bring every one of them.  Her subscriber sees all 30 messages, in
# order, once each (this lost the first few, when live messages that came
# in during the catch-up moved the cursor past them).

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

N=30
start_server
start_agent alice
register_user alice alice 'alice password' >/dev/null
wait_ready alice
sub_start s alice
S=$(sub_out s)
start_agent bob
register_user bob bob 'bob password' >/dev/null
wait_ready bob

for ((i = 1; i <= N; i++)); do
	rpc_req send "$(jq -cn --arg t "first contact $i" '{to:"#general",text:$t}')" "$i"
done >"$T/burst.in"
rpc_raw bob "$N" 60 <"$T/burst.in" >"$T/burst.out"
assert_eq "$(jq -s 'map(select(.result.id)) | length' "$T/burst.out")" "$N" "bob's $N sends acknowledged"
last=$(jq -s 'map(.result.id) | max' "$T/burst.out")
wait_for_event "$S" ".type == \"message\" and .id == $last" 30 >/dev/null
assert_eq "$(events_in "$S" '.type == "message" and .from == "bob"' | jq -sc 'map(.text)')" \
	"$(for ((i = 1; i <= N; i++)); do echo "first contact $i"; done | jq -Rsc 'split("\n")[:-1]')" \
	"alice's subscriber: all of bob's first messages, in order, once"
assert_eq "$(events_in "$S" '.type == "undecryptable" or .type == "forged"' | jq -s length)" 0 \
	"none of them flagged"

echo "PASS: $TEST_NAME"

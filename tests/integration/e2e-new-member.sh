#!/bin/bash
# chatsec — integration: a new member reads at once, with nobody online.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 4, property 5.  Each message is sealed for the members the server
# lists at send time, so joining needs no key exchange with anyone: bob
# joins #club while alice (its only member) is offline; alice comes back
# and writes, and bob, offline by then, reads it when he returns.  And bob
# can write to the room at once, for alice to read when she is back.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$top_srcdir/tests/integration/e2e-lib.sh"

start_server
start_agent alice
register_user alice alice 'alice password' >/dev/null
wait_ready alice
rpc_ok alice room_create '{"room":"#club"}' >/dev/null
stop_agent alice

start_agent bob
register_user bob bob 'bob password' >/dev/null
wait_ready bob
assert_eq "$(rpc_ok bob who | jq -c .online)" '["bob"]' "nobody else is online"
rpc_ok bob room_join '{"room":"#club"}' >/dev/null
hi=$(send_msg bob '#club' 'hello, anyone?' | jq .id)
stop_agent bob

start_agent alice
wait_ready alice
sub_start alice alice '{"since":0}'
ev=$(wait_for_event "$(sub_out alice)" ".id == $hi")
assert_jq "$ev" '.type == "message" and .text == "hello, anyone?" and .from == "bob"' \
	"alice reads what bob wrote right after joining"
w=$(send_msg alice '#club' 'welcome, bob' | jq .id)

start_agent bob
wait_ready bob
sub_start bob bob '{"since":0}'
ev=$(wait_for_event "$(sub_out bob)" ".id == $w")
assert_jq "$ev" '.type == "message" and .text == "welcome, bob" and .from == "alice"' \
	"bob reads alice's message, sent while he was offline"
assert_eq "$(count_events "$(sub_out bob)" '.type == "undecryptable"')" 0 "no undecryptable event"
echo "PASS: $TEST_NAME"

#!/bin/bash
# chatsec — integration: typing notifications.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# alice says she is typing in #general, in a DM to bob and in #dev: bob's
# subscriber gets a `typing` event for each (no seq), alice's own does
# not.  A non-member, a muted member, an unknown room or user get the
# errors a send would, over the agent API and the wire alike.  Five
# typings in a burst reach bob once.  Nothing of it is in the server's
# database or the agent's event log, and an agent without a link says
# 1009.  In the curses UI, alice typing text without Enter shows "alice
# is typing" on bob's status line, and sending the message clears it.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(dirname "$0")/../wire-lib.sh"
. "$(dirname "$0")/ui-lib.sh"


start_server
for u in alice bob carol; do
	start_agent $u
	register_user $u $u "$u password" >/dev/null
done
for u in alice bob carol; do
	wait_ready $u
done
rpc_ok alice room_create '{"room":"#dev"}' >/dev/null
rpc_ok bob room_join '{"room":"#dev"}' >/dev/null
msgs_before=$(server_sql 'SELECT count(*) FROM messages')

sub_start bob bob '{"types":["typing","message"]}'
BOBEV=$(sub_out bob)
sub_start alice alice '{"types":["typing"]}'
ALICEEV=$(sub_out alice)

# --- relayed to the room's other members and to the DM peer ----------------------
r=$(rpc_ok alice typing '{"to":"#general"}')
assert_jq "$r" '.to == "#general" and .relayed == true' "typing's result"
ev=$(wait_for_event "$BOBEV" '.type == "typing" and .conv == "#general"')
assert_jq "$ev" '.from == "alice" and (has("seq") | not)' "bob's typing event in #general"
rpc_ok alice typing '{"to":"BOB"}' >/dev/null
ev=$(wait_for_event "$BOBEV" '.type == "typing" and .conv == "alice"')
assert_jq "$ev" '.from == "alice"' "bob's typing event in the DM"
rpc_ok alice typing '{"to":"#dev"}' >/dev/null
wait_for_event "$BOBEV" '.type == "typing" and .conv == "#dev" and .from == "alice"' >/dev/null

# --- refused as a send would be ----------------------------------------------------
e=$(expect_err 1026 carol typing '{"to":"#dev"}')
assert_contains "$e" "#dev" "a non-member's error"
expect_err 1008 alice typing '{"to":"#nosuchroom"}' >/dev/null
expect_err 1007 alice typing '{"to":"nobody"}' >/dev/null
expect_err -32602 alice typing '{"to":"not a name"}' >/dev/null
expect_err -32602 alice typing '{}' >/dev/null
rpc_ok alice room_mute '{"room":"#dev","user":"bob"}' >/dev/null
expect_err 1023 bob typing '{"to":"#dev"}' >/dev/null
# The server checks whatever the client: dave speaks the wire.
wire_register dw dave
wire_err dw typing '{"to":"#dev"}' 1026 >/dev/null
wire_err dw typing '{"to":"nobody"}' 1007 >/dev/null
wire_err dw typing '{"to":7}' -32602 >/dev/null
wire_ok dw sync '{}' >/dev/null
r=$(wire_ok dw typing '{"to":"bob"}')
assert_jq "$r" '.relayed == true and .to == "bob"' "a wire typing to bob"
wait_for_event "$BOBEV" '.type == "typing" and .conv == "dave"' >/dev/null
conn_close dw

# --- a burst is relayed once ---------------------------------------------------------
conn_open burst "UNIX-CONNECT:$(agent_sock carol)"
for i in 1 2 3 4 5; do
	conn_send burst "$(rpc_req typing '{"to":"#general"}' $((700 + i)))"
done
relayed=0
for i in 1 2 3 4 5; do
	r=$(wait_for_reply "$(conn_out burst)" $((700 + i)))
	jq -e '.result.to == "#general"' >/dev/null <<<"$r" || fail "burst typing $i: $r"
	[ "$(jq -r .result.relayed <<<"$r")" = true ] && relayed=$((relayed + 1))
done
conn_close burst
assert_eq "$relayed" 1 "typings relayed of a burst of 5"
# carol's message comes after her typings: by then bob has all of them.
send_msg carol '#general' 'after the burst' >/dev/null
wait_for_event "$BOBEV" '.type == "message" and .text == "after the burst"' >/dev/null
assert_eq "$(count_events "$BOBEV" '.type == "typing" and .from == "carol"')" 1 \
	"bob's typing events from carol's burst of 5"

# --- never back to the sender, never stored ------------------------------------------
assert_eq "$(count_events "$ALICEEV" '.type == "typing" and .from == "alice"')" 0 \
	"typing events alice got about herself"
wait_for_event "$ALICEEV" '.type == "typing" and .from == "carol"' >/dev/null
assert_eq "$(server_sql 'SELECT count(*) FROM messages')" "$((msgs_before + 1))" \
	"messages in the server's database (only carol's one message added)"
dump=$(server_sql '.dump')
assert_not_contains "$dump" "typing" "the server's database"
ev=$(rpc_ok bob events '{"since":0,"limit":1000}')
assert_jq "$ev" '[.events[] | select(.type == "typing")] | length == 0' "bob's event log"
sub_start bob2 bob '{"since":0,"types":["typing"]}'
assert_eq "$(count_events "$(sub_out bob2)" 'true')" 0 "typing events replayed from 0"
conn_close bob2
conn_close alice
conn_close bob

# --- no link, no typing: 1009 at once --------------------------------------------------
stop_server
wait_status alice '.link != "ready"' 15 >/dev/null
e=$(expect_err 1009 alice typing '{"to":"bob"}')
assert_contains "$e" "not connected" "typing without a link"
restart_server
wait_ready alice 30
wait_ready bob 30

# --- the curses UI -----------------------------------------------------------------------
ui_start alice
ui_start bob
ui_wait alice "[alice]"
ui_wait bob "[bob]"
ui_wait bob ":#general]"
ui_type alice "/not a message yet"
ui_keys alice C-u
ui_type alice "hello there"
wait_until 15 "bob's status line to show alice typing" eval \
	'[[ $(ui_row bob 38) == *":#general] alice is typing"* ]]'
ui_keys alice Enter
ui_wait bob "<alice> hello there"
wait_until 10 "bob's status line to lose alice typing" eval \
	'[[ $(ui_row bob 38) != *"is typing"* && $(ui_row bob 38) == *":#general]"* ]]'

# /set typing off: alice's typing is her own business.
ui_line alice "/set typing off"
ui_wait alice "typing off"
ui_type alice "a secret draft"
sleep 4		# the indicator showed within a few seconds above
[[ $(ui_row bob 38) != *"is typing"* ]] || fail "bob saw alice typing after /set typing off: $(ui_row bob 38)"
ui_keys alice C-u

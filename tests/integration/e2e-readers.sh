#!/bin/bash
# chatsec — integration: only the parties and members read.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 4, property 3.  A DM is readable by its two parties only and a room
# message by the room's members at send time only: carol, given the very
# ciphertexts (copied to her by a malicious server, and as a ghost member
# the server adds to the room), gets `undecryptable` (not_for_me) events
# and reads nothing.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$top_srcdir/tests/integration/e2e-lib.sh"

start_server
for u in alice bob carol; do
	start_agent $u
	register_user $u $u "$u password" >/dev/null
done
for u in alice bob carol; do wait_ready $u; done
rpc_ok alice room_create '{"room":"#team","invite_only":true}' >/dev/null
rpc_ok alice room_invite '{"room":"#team","user":"bob"}' >/dev/null
rpc_ok bob room_join '{"room":"#team"}' >/dev/null

sub_start bob bob
sub_start carol carol
d=$(send_msg alice bob 'for bob only' | jq .id)
r=$(send_msg alice '#team' 'for the team only' | jq .id)
g=$(send_msg alice '#general' 'for everyone' | jq .id)
wait_for_event "$(sub_out bob)" ".type == \"message\" and .id == $d and .text == \"for bob only\"" >/dev/null
wait_for_event "$(sub_out bob)" ".type == \"message\" and .id == $r and .text == \"for the team only\"" >/dev/null
wait_for_event "$(sub_out carol)" ".type == \"message\" and .id == $g" >/dev/null
conn_close carol

# The server hands carol the ciphertexts of the DM and the room message,
# and makes her a member of #team behind alice's back.
stop_server
cd1=$(copy_msg_to "$d" carol)
cr1=$(copy_msg_to "$r" carol)
server_sql "INSERT INTO members (room_id, account_id, role, joined)
     SELECT r.id, a.id, 1, 0 FROM rooms r, accounts a WHERE r.name_folded = '#team' AND a.name_folded = 'carol'"
restart_server
wait_ready carol 30
sub_start carol2 carol '{"since":0}'
CEV=$(sub_out carol2)
ev=$(wait_for_event "$CEV" ".id == $cd1 and .type != \"message\"")
assert_jq "$ev" '.type == "undecryptable" and .reason == "not_for_me"' "alice's DM to bob, given to carol: not for her"
ev=$(wait_for_event "$CEV" ".id == $cr1 and .type != \"message\"")
assert_jq "$ev" '.type == "undecryptable" and .reason == "not_for_me"' "the #team message, given to carol: not for her"
assert_eq "$(count_events "$CEV" ".type == \"message\" and (.id == $cd1 or .id == $cr1 or .id == $d or .id == $r)")" 0 \
	"carol never sees those texts as messages"
# As a ghost member she can fetch #team's history, and reads none of it.
h=$(rpc_ok carol history '{"conv":"#team"}')
assert_jq "$h" '.messages == []' "carol reads nothing of #team's history"
assert_not_contains "$(cat "$(agent_dir carol)"/* 2>/dev/null | tr -d '\0')" "for bob only" "the DM text in carol's profile"
assert_not_contains "$(cat "$(agent_dir carol)"/* 2>/dev/null | tr -d '\0')" "for the team only" "the room text in carol's profile"

# The parties still read theirs.
assert_jq "$(rpc_ok bob history '{"conv":"alice"}')" "[.messages[] | select(.id == $d) | .text] == [\"for bob only\"]" "bob reads alice's DM"
assert_jq "$(rpc_ok alice history '{"conv":"bob"}')" "[.messages[] | select(.id == $d) | .text] == [\"for bob only\"]" "alice reads her own DM"
assert_jq "$(rpc_ok bob history '{"conv":"#team"}')" "[.messages[] | select(.id == $r) | .text] == [\"for the team only\"]" "bob reads #team"
echo "PASS: $TEST_NAME"

#!/bin/bash
# chatsec — integration: named rooms.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# alice, bob and carol on three agents: create public and invite-only rooms
# (name rules, case-insensitive uniqueness), list, join, leave, topics,
# messages only to members, invitations, room events live and after an
# agent was offline (through sync), ownership transfer, deletion with the
# room's history, and #general that can't be left or deleted.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

# room_of JSON ROOM: the room_list entry of ROOM, or null.
room_of()
{
	jq -c --arg r "$2" '[.rooms[] | select(.room == $r)] | first // null' <<<"$1"
}

start_server
start_agent alice
start_agent bob
start_agent carol
register_user alice alice 'alice password' >/dev/null
register_user bob bob 'bob password' >/dev/null
register_user carol carol 'carol password' >/dev/null
wait_ready alice
wait_ready bob
wait_ready carol
sub_start ab bob '{"types":["room","message"]}'
BOBEV=$(sub_out ab)
sub_start ac carol '{"types":["room","message"]}'
CAROLEV=$(sub_out ac)

# --- create: names, uniqueness ------------------------------------------------------
r=$(rpc_ok alice room_create '{"room":"#Dev","topic":"the dev room"}')
assert_jq "$r" '.room == "#Dev" and .invite_only == false and .topic == "the dev room" and .role == "owner"' "room_create result"
e=$(expect_err 1024 bob room_create '{"room":"#dev"}')
assert_contains "$e" "taken" "1024 sentence"
expect_err 1024 bob room_create '{"room":"#GENERAL"}' >/dev/null
e=$(expect_err 1025 bob room_create '{"room":"#a b"}')
assert_contains "$e" "only" "1025 sentence"
expect_err 1025 bob room_create '{"room":"dev2"}' >/dev/null
expect_err 1025 bob room_create '{"room":"#x"}' >/dev/null
expect_err 1025 bob room_create "$(printf '{"room":"#d\\u0435v"}')" >/dev/null

# --- list, join -------------------------------------------------------------------------
l=$(rpc_ok bob room_list)
assert_jq "$(room_of "$l" '#Dev')" '.role == null and .members == 1 and .online == 1 and .topic == "the dev room"' "bob sees #Dev before joining"
assert_jq "$(room_of "$l" '#general')" '.role == "member" and .members == 3' "#general in room_list"
j=$(rpc_ok bob room_join '{"room":"#DEV"}')
assert_jq "$j" '.room == "#Dev" and .role == "member" and .topic == "the dev room"' "room_join by another case"
expect_err 1027 bob room_join '{"room":"#dev"}' >/dev/null
ev=$(wait_for_event "$BOBEV" '.type == "room" and .action == "join"')
assert_jq "$ev" '.room == "#Dev" and .actor == "bob" and (.ts | type == "number")' "bob's own join event"
expect_err 1021 bob room_join '{"room":"#nosuch"}' >/dev/null

# --- messages go to members only -----------------------------------------------------------
m=$(send_msg alice '#dev' 'hello devs')
assert_jq "$m" '.conv == "#Dev"' "send to a room by another case: conv as created"
mid=$(jq .id <<<"$m")
ev=$(wait_for_event "$BOBEV" ".type == \"message\" and .id == $mid")
assert_jq "$ev" '.conv == "#Dev" and .from == "alice" and .text == "hello devs"' "bob got the room message"
e=$(expect_err 1026 carol send '{"to":"#Dev","text":"let me in"}')
assert_contains "$e" "member of #Dev" "1026 sentence for a non-member's send"
# A public room's history is open to everyone (the server lets carol fetch
# it), but end-to-end each message is sealed for the members at send time:
# carol, not a member then, can't read it (e2e-*.sh test this in depth).
h=$(rpc_ok carol history '{"conv":"#Dev"}')
assert_jq "$h" "[.messages[].id] == []" "carol can't read what was sealed before she was a member"
mem=$(rpc_ok carol room_members '{"room":"#Dev"}')
assert_jq "$mem" '[.members[] | [.user, .role]] == [["alice","owner"],["bob","member"]]' "room_members of #Dev"

# --- topics -------------------------------------------------------------------------------------
t=$(rpc_ok alice room_topic '{"room":"#Dev","topic":"release on friday"}')
assert_jq "$t" '.topic == "release on friday"' "room_topic set"
ev=$(wait_for_event "$BOBEV" '.type == "room" and .action == "topic"')
assert_jq "$ev" '.actor == "alice" and .topic == "release on friday" and .room == "#Dev"' "topic event"
assert_jq "$(rpc_ok carol room_topic '{"room":"#Dev"}')" '.topic == "release on friday"' "room_topic read"
e=$(expect_err 1020 bob room_topic '{"room":"#Dev","topic":"mine now"}')
assert_contains "$e" "operator of #Dev" "member can't set the topic"

# --- invite-only rooms --------------------------------------------------------------------------
rpc_ok alice room_create '{"room":"#secret","invite_only":true}' >/dev/null
assert_jq "$(room_of "$(rpc_ok carol room_list)" '#secret')" '. == null' "an invite-only room is hidden from non-members"
e=$(expect_err 1020 carol room_join '{"room":"#secret"}')
assert_contains "$e" "invite-only" "join without invitation"
expect_err 1026 carol history '{"conv":"#secret"}' >/dev/null
expect_err 1026 carol room_members '{"room":"#secret"}' >/dev/null
s1=$(send_msg alice '#secret' 'before carol' | jq .id)
rpc_ok alice room_invite '{"room":"#secret","user":"Carol"}' | jq -e '.user == "carol"' >/dev/null
ev=$(wait_for_event "$CAROLEV" '.type == "room" and .action == "invite"')
assert_jq "$ev" '.room == "#secret" and .actor == "alice" and .target == "carol"' "carol's invite event"
assert_jq "$(room_of "$(rpc_ok carol room_list)" '#secret')" '.invited == true and .role == null and .invite_only == true' "room_list shows the invitation"
rpc_ok carol room_join '{"room":"#secret"}' >/dev/null
# The server serves a member the room's whole history, from before they
# joined too, but what was sealed before carol joined is not for her
# (end-to-end: members at send time only), so she reads none of it.
assert_jq "$(rpc_ok carol history '{"conv":"#secret"}')" '.messages == []' "history of #secret after joining: nothing readable from before"
s2=$(send_msg alice '#secret' 'welcome carol' | jq .id)
wait_for_event "$CAROLEV" ".type == \"message\" and .id == $s2" >/dev/null
assert_eq "$(count_events "$BOBEV" ".type == \"message\" and .conv == \"#secret\"")" 0 "bob gets nothing of #secret"

# --- leave ---------------------------------------------------------------------------------------
rpc_ok bob room_leave '{"room":"#Dev"}' >/dev/null
ev=$(wait_for_event "$BOBEV" '.type == "room" and .action == "leave"')
assert_jq "$ev" '.actor == "bob" and .room == "#Dev"' "leave event"
expect_err 1026 bob room_leave '{"room":"#Dev"}' >/dev/null
m2=$(send_msg alice '#Dev' 'after bob left' | jq .id)
wait_for_event "$CAROLEV" ".type == \"message\" and .id == $s2" >/dev/null
e=$(expect_err 1020 alice room_leave '{"room":"#Dev"}')
assert_contains "$e" "owner" "the owner can't leave"

# --- room events and messages reach an agent that was offline, through sync ------------------
stop_agent carol
rpc_ok alice room_kick '{"room":"#secret","user":"carol","reason":"spoilers"}' >/dev/null
send_msg alice '#secret' 'carol is gone' >/dev/null
rpc_ok alice room_topic '{"room":"#Dev","topic":"while carol was away"}' >/dev/null
start_agent carol
wait_ready carol
wait_until 15 "carol's agent to get the kick through sync" \
	eval '[ -n "$(rpc_ok carol events "{\"since\":0,\"types\":[\"room\"]}" | jq -c ".events[] | select(.action == \"kick\")")" ]'
k=$(rpc_ok carol events '{"since":0,"types":["room"]}' | jq -c '.events[] | select(.action == "kick")')
assert_jq "$k" '.room == "#secret" and .actor == "alice" and .target == "carol" and .reason == "spoilers"' "the kick, delivered after carol's agent was offline"
assert_jq "$(rpc_ok carol events '{"since":0,"types":["room"]}')" '[.events[] | select(.action == "topic")] | length == 0' \
	"carol isn't told about rooms she isn't in"
assert_jq "$(rpc_ok carol events '{"since":0,"types":["message"]}')" '[.events[] | select(.conv == "#secret" and .text == "carol is gone")] | length == 0' \
	"carol doesn't get #secret messages after the kick"
expect_err 1026 carol history '{"conv":"#secret"}' >/dev/null
# Restarting an agent does not replay room events twice.
n=$(rpc_ok carol events '{"since":0,"types":["room"]}' | jq '.events | length')
stop_agent carol
start_agent carol
wait_ready carol
assert_eq "$(rpc_ok carol events '{"since":0,"types":["room"]}' | jq '.events | length')" "$n" "room events after a restart"
conn_close ac
sub_start ac carol '{"types":["room","message"]}'
CAROLEV=$(sub_out ac)

# --- transfer --------------------------------------------------------------------------------------
rpc_ok bob room_join '{"room":"#Dev"}' >/dev/null
rpc_ok alice room_transfer '{"room":"#Dev","user":"bob"}' | jq -e '.user == "bob"' >/dev/null
mem=$(rpc_ok alice room_members '{"room":"#Dev"}')
assert_jq "$mem" '[.members[] | [.user, .role]] == [["alice","operator"],["bob","owner"]]' "roles after transfer"
ev=$(wait_for_event "$BOBEV" '.type == "room" and .action == "transfer"')
assert_jq "$ev" '.actor == "alice" and .target == "bob"' "transfer event"
expect_err 1020 alice room_transfer '{"room":"#Dev","user":"alice"}' >/dev/null
rpc_ok alice room_leave '{"room":"#Dev"}' >/dev/null

# --- delete: the room and its history go ------------------------------------------------------------
rpc_ok carol room_join '{"room":"#Dev"}' >/dev/null
e=$(expect_err 1020 carol room_delete '{"room":"#Dev"}')
assert_contains "$e" "the owner of #Dev" "a member can't delete"
rpc_ok bob room_delete '{"room":"#Dev"}' | jq -e '.room == "#Dev"' >/dev/null
ev=$(wait_for_event "$CAROLEV" '.type == "room" and .action == "delete"')
assert_jq "$ev" '.room == "#Dev" and .actor == "bob"' "delete event to a member"
expect_err 1008 alice history '{"conv":"#Dev"}' >/dev/null
expect_err 1021 bob room_topic '{"room":"#Dev"}' >/dev/null
assert_jq "$(room_of "$(rpc_ok bob room_list)" '#Dev')" '. == null' "deleted room not listed"
# The name is free again, and the new room starts empty.
rpc_ok carol room_create '{"room":"#dev"}' >/dev/null
assert_jq "$(rpc_ok carol history '{"conv":"#dev"}')" '.messages == []' "a new room of the same name has no history"
assert_eq "$(sqlite3 "$SERVER_DIR/chatsecd.db" "SELECT count(*) FROM messages WHERE id = $mid OR id = $m2" 2>/dev/null || echo 0)" 0 \
	"the deleted room's messages are gone from the database"

# --- #general stays as it is -------------------------------------------------------------------------
e=$(expect_err 1028 bob room_leave '{"room":"#general"}')
assert_contains "$e" "#general" "leaving #general"
expect_err 1028 alice room_delete '{"room":"#general"}' >/dev/null
expect_err 1028 alice room_kick '{"room":"#general","user":"bob"}' >/dev/null
g=$(send_msg bob '#general' 'still here' | jq .id)
wait_for_event "$CAROLEV" ".type == \"message\" and .id == $g" >/dev/null

echo "PASS: $TEST_NAME"

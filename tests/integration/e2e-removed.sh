#!/bin/bash
# chatsec — integration: who leaves, is kicked or banned reads nothing after.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 4, property 4.  bob is kicked from #team, carol leaves it, dave is
# banned; alice then writes to the room.  Each of them, handed the new
# ciphertexts (copied to them by the server), gets an `undecryptable`
# (not_for_me) event and no text; erin, still a member, reads them all.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$top_srcdir/tests/integration/e2e-lib.sh"

start_server
for u in alice bob carol dave erin; do
	start_agent $u
	register_user $u $u "$u password" >/dev/null
done
for u in alice bob carol dave erin; do wait_ready $u; done
rpc_ok alice room_create '{"room":"#team"}' >/dev/null
for u in bob carol dave erin; do rpc_ok $u room_join '{"room":"#team"}' >/dev/null; done
sub_start erin erin
EEV=$(sub_out erin)
for u in bob carol dave; do sub_start $u $u; done

before=$(send_msg alice '#team' 'while all of you are here' | jq .id)
for u in bob carol dave; do
	wait_for_event "$(sub_out $u)" ".type == \"message\" and .id == $before and .text == \"while all of you are here\"" >/dev/null
done

rpc_ok alice room_kick '{"room":"#team","user":"bob"}' >/dev/null
k=$(send_msg alice '#team' 'after the kick' | jq .id)
rpc_ok carol room_leave '{"room":"#team"}' >/dev/null
l=$(send_msg alice '#team' 'after the leave' | jq .id)
rpc_ok alice room_ban '{"room":"#team","user":"dave"}' >/dev/null
b=$(send_msg alice '#team' 'after the ban' | jq .id)
for id in $k $l $b; do
	wait_for_event "$EEV" ".type == \"message\" and .id == $id" >/dev/null
done
assert_eq "$(events_in "$EEV" ".type == \"message\" and .id >= $k" | jq -r .text | paste -sd, -)" \
	"after the kick,after the leave,after the ban" "erin, still a member, reads them all"

stop_server
ck=$(copy_msg_to "$k" bob)
cl1=$(copy_msg_to "$l" bob)
cl=$(copy_msg_to "$l" carol)
cb=$(copy_msg_to "$b" carol)
cd=$(copy_msg_to "$b" dave)
restart_server
for u in bob carol dave; do wait_ready $u 30; done

check_unreadable()	# NAME COPY_ID WHAT
{
	local ev
	ev=$(wait_for_event "$(sub_out "$1")" ".id == $2 and .type != \"message\"" 30)
	assert_jq "$ev" '.type == "undecryptable" and .reason == "not_for_me"' "$3"
}
check_unreadable bob "$ck" "bob, kicked, can't read what followed the kick"
check_unreadable bob "$cl1" "bob can't read later messages either"
check_unreadable carol "$cl" "carol, who left, can't read what followed"
check_unreadable carol "$cb" "carol can't read later messages either"
check_unreadable dave "$cd" "dave, banned, can't read what followed the ban"
for u_after in "bob $before" "carol $k" "dave $l"; do
	set -- $u_after
	assert_eq "$(count_events "$(sub_out "$1")" ".type == \"message\" and .id > $2")" 0 "$1 got no message after leaving"
	assert_not_contains "$(cat "$(agent_dir "$1")"/* 2>/dev/null | tr -d '\0')" "after the ban" "the last text in $1's profile"
done
echo "PASS: $TEST_NAME"

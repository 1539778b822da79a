#!/bin/bash
# chatsec — integration: who may do what in a room.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# One room, #ops, with alice its owner (and the server's admin, as the
# first account), bob an operator, carol a member, dave not a member and
# erin banned: each right allowed to whom it belongs and refused to the
# others with its stable code, a sentence naming the missing right, and
# nothing changed.  Mute refuses sends with 1023; a timed ban expires;
# admins are operators of #general and may delete any room.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

# members ROOM: "user:role[:muted]" of every member, as alice sees them.
members()
{
	rpc_ok alice room_members "{\"room\":\"$1\"}" |
		jq -r '[.members[] | .user + ":" + .role + (if .muted then ":muted" else "" end)] | join(" ")'
}

# refused CODE WHAT AGENT METHOD PARAMS: fails with CODE, the sentence
# contains WHAT, and #ops is unchanged.
refused()
{
	local code=$1 what=$2 before e
	shift 2
	before=$(members '#ops')
	e=$(expect_err "$code" "$@")
	assert_contains "$e" "$what" "$2 $3 by $1: sentence"
	assert_eq "$(members '#ops')" "$before" "$2 $3 by $1 changed nothing"
}

start_server
for u in alice bob carol dave erin; do
	start_agent "$u"
	register_user "$u" "$u" "$u password" >/dev/null
done
for u in alice bob carol dave erin; do
	wait_ready "$u"
done

rpc_ok alice room_create '{"room":"#ops","invite_only":true,"topic":"operations"}' >/dev/null
for u in bob carol erin; do
	rpc_ok alice room_invite "{\"room\":\"#ops\",\"user\":\"$u\"}" >/dev/null
	rpc_ok "$u" room_join '{"room":"#ops"}' >/dev/null
done

# --- op/deop: the owner only ------------------------------------------------------------------------
refused 1020 "the owner of #ops to make operators" carol room_op '{"room":"#ops","user":"carol"}'
rpc_ok alice room_op '{"room":"#ops","user":"bob"}' >/dev/null
refused 1020 "the owner of #ops" bob room_op '{"room":"#ops","user":"carol"}'
refused 1020 "the owner of #ops" bob room_deop '{"room":"#ops","user":"bob"}'
refused 1027 "already" alice room_op '{"room":"#ops","user":"bob"}'
assert_eq "$(members '#ops')" "alice:owner bob:operator carol:member erin:member" "roles"

# --- ban: operators; with a reason and an expiry --------------------------------------------------
refused 1020 "an operator of #ops to ban" carol room_ban '{"room":"#ops","user":"erin"}'
refused 1026 "member of #ops" dave room_ban '{"room":"#ops","user":"erin"}'
refused 1020 "outrank alice" bob room_ban '{"room":"#ops","user":"alice"}'
b=$(rpc_ok bob room_ban '{"room":"#ops","user":"erin","reason":"flooding","expires_in":600}')
assert_jq "$b" '.user == "erin" and (.expires | type == "number")' "ban result"
assert_eq "$(members '#ops')" "alice:owner bob:operator carol:member" "erin is out"
e=$(expect_err 1022 erin room_join '{"room":"#ops"}')
assert_contains "$e" "banned from #ops" "banned join sentence"
expect_err 1026 erin send '{"to":"#ops","text":"let me back"}' >/dev/null
expect_err 1026 erin history '{"conv":"#ops"}' >/dev/null
# An invitation doesn't lift a ban.
rpc_ok bob room_invite '{"room":"#ops","user":"erin"}' >/dev/null
expect_err 1022 erin room_join '{"room":"#ops"}' >/dev/null
# A ban with an expiry ends by itself (a short one here, set only now so a
# slow machine can't let it run out before the refusals above).  A ban
# uses up an invitation, so erin is invited again.
rpc_ok bob room_unban '{"room":"#ops","user":"erin"}' >/dev/null
rpc_ok bob room_ban '{"room":"#ops","user":"erin","reason":"flooding","expires_in":2}' >/dev/null
rpc_ok bob room_invite '{"room":"#ops","user":"erin"}' >/dev/null
erin_joined() { rpc "$@" | jq -e 'has("result")' >/dev/null; }
wait_until 15 "erin's ban to expire" erin_joined erin room_join '{"room":"#ops"}'
ev=$(rpc_ok erin events '{"since":0,"types":["room"]}')
assert_jq "$ev" '[.events[] | select(.action == "ban")] | first | .actor == "bob" and .target == "erin" and .reason == "flooding" and (.expires | type == "number")' \
	"erin's ban event"
# A ban without expiry lasts, until unbanned.
rpc_ok alice room_ban '{"room":"#ops","user":"erin"}' >/dev/null
refused 1020 "an operator of #ops to lift bans" carol room_unban '{"room":"#ops","user":"erin"}'
rpc_ok bob room_unban '{"room":"#ops","user":"erin"}' >/dev/null
expect_err 1027 bob room_unban '{"room":"#ops","user":"erin"}' >/dev/null
expect_err 1020 erin room_join '{"room":"#ops"}' >/dev/null

# --- kick ---------------------------------------------------------------------------------------------
refused 1020 "an operator of #ops to kick" carol room_kick '{"room":"#ops","user":"bob"}'
refused 1020 "outrank bob" bob room_kick '{"room":"#ops","user":"bob"}'
refused 1026 "dave is not a member" bob room_kick '{"room":"#ops","user":"dave"}'
refused 1007 "no such user" bob room_kick '{"room":"#ops","user":"nobody"}'
rpc_ok bob room_kick '{"room":"#ops","user":"carol","reason":"testing"}' >/dev/null
assert_eq "$(members '#ops')" "alice:owner bob:operator" "carol kicked"
expect_err 1020 carol room_join '{"room":"#ops"}' >/dev/null
rpc_ok bob room_invite '{"room":"#ops","user":"carol"}' >/dev/null
rpc_ok carol room_join '{"room":"#ops"}' >/dev/null

# --- mute ------------------------------------------------------------------------------------------------
send_msg carol '#ops' 'before mute' >/dev/null
refused 1020 "an operator of #ops to mute" carol room_mute '{"room":"#ops","user":"bob"}'
refused 1020 "outrank alice" bob room_mute '{"room":"#ops","user":"alice"}'
rpc_ok bob room_mute '{"room":"#ops","user":"carol"}' >/dev/null
e=$(expect_err 1023 carol send '{"to":"#ops","text":"muted?"}')
assert_contains "$e" "muted in #ops" "muted send sentence"
assert_jq "$(rpc_ok carol history '{"conv":"#ops"}')" '[.messages[] | select(.text == "muted?")] | length == 0' "a refused send stores nothing"
rpc_ok carol room_members '{"room":"#ops"}' >/dev/null
expect_err 1027 bob room_mute '{"room":"#ops","user":"carol"}' >/dev/null
rpc_ok bob room_unmute '{"room":"#ops","user":"carol"}' >/dev/null
send_msg carol '#ops' 'after unmute' >/dev/null

# --- topic, invite -------------------------------------------------------------------------------------
refused 1020 "an operator of #ops to set its topic" carol room_topic '{"room":"#ops","topic":"x"}'
rpc_ok bob room_topic '{"room":"#ops","topic":"set by an operator"}' >/dev/null
refused 1020 "an operator of #ops to invite" carol room_invite '{"room":"#ops","user":"dave"}'
refused 1026 "member of #ops" dave room_invite '{"room":"#ops","user":"dave"}'

# --- a non-member of an invite-only room --------------------------------------------------------------
for m in 'room_members {"room":"#ops"}' 'history {"conv":"#ops"}' 'send {"to":"#ops","text":"hi"}' 'room_topic {"room":"#ops"}'; do
	e=$(expect_err 1026 dave ${m%% *} "${m#* }")
	assert_contains "$e" "you need to be a member of #ops" "dave ${m%% *}"
done
refused 1020 "invite-only" dave room_join '{"room":"#ops"}'

# --- transfer, delete: the owner (and admins may delete) -------------------------------------------
refused 1020 "the owner of #ops to hand it over" bob room_transfer '{"room":"#ops","user":"bob"}'
refused 1020 "the owner of #ops to delete" bob room_delete '{"room":"#ops"}'
rpc_ok alice room_transfer '{"room":"#ops","user":"bob"}' >/dev/null
assert_eq "$(members '#ops')" "alice:operator bob:owner carol:member" "after transfer"
refused 1020 "the owner of #ops to remove operators" alice room_deop '{"room":"#ops","user":"alice"}'
rpc_ok bob room_deop '{"room":"#ops","user":"alice"}' >/dev/null

# dave's room: alice, an admin but not a member, may delete it; bob may not.
rpc_ok dave room_create '{"room":"#daves"}' >/dev/null
rpc_ok bob room_join '{"room":"#daves"}' >/dev/null
refused 1020 "the owner of #daves to delete" bob room_delete '{"room":"#daves"}'
rpc_ok alice room_delete '{"room":"#daves"}' >/dev/null
expect_err 1021 dave room_members '{"room":"#daves"}' >/dev/null

# --- #general: admins are its operators -------------------------------------------------------------
refused 1020 "an operator of #general to mute" bob room_mute '{"room":"#general","user":"carol"}'
rpc_ok alice room_mute '{"room":"#general","user":"carol"}' >/dev/null
expect_err 1023 carol send '{"to":"#general","text":"muted in general"}' >/dev/null
rpc_ok alice room_unmute '{"room":"#general","user":"carol"}' >/dev/null
send_msg carol '#general' 'unmuted in general' >/dev/null
refused 1020 "an operator of #general to set its topic" bob room_topic '{"room":"#general","topic":"x"}'
rpc_ok alice room_topic '{"room":"#general","topic":"everyone"}' >/dev/null
expect_err 1028 alice room_ban '{"room":"#general","user":"bob"}' >/dev/null
expect_err 1028 bob room_join '{"room":"#general"}' >/dev/null

# --- the audit log has the moderation, with who did it ----------------------------------------------
a=$(rpc_ok alice admin_audit '{"kind":"room-ban"}')
assert_jq "$a" '[.entries[] | .account] | unique == ["alice","bob"] and length == 3' "room-ban audit rows name the actor"
assert_jq "$a" '[.entries[] | .detail] | any(. == "#ops erin: flooding")' "room-ban audit detail"

echo "PASS: $TEST_NAME"

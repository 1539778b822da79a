#!/bin/bash
# chatsec — integration: forged and altered messages are flagged, never shown.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 4, property 2.  With the server's database in hand (sqlite3), an
# attacker flips one byte of a stored body, makes a message claim another
# sender (carol "sends" alice's envelope), moves a DM into a room, and
# stores garbage.  bob's agent reports each as a `forged` or
# `undecryptable` event with its reason, and never as a `message`: not
# live, not in history.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$top_srcdir/tests/integration/e2e-lib.sh"

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

# A genuine DM first: bob reads it (and pins alice's keys).
sub_start bob bob
BOBEV=$(sub_out bob)
ok=$(send_msg alice bob 'genuine' | jq .id)
wait_for_event "$BOBEV" ".type == \"message\" and .id == $ok" >/dev/null
conn_close bob

# bob's agent goes away; alice sends two more DMs and one to #general.
stop_agent bob
m1=$(send_msg alice bob 'pay 10 euros to carol' | jq .id)
m2=$(send_msg alice bob 'second' | jq .id)
m3=$(send_msg alice '#general' 'for everyone' | jq .id)
stop_server

# 1. Flip one byte inside the ciphertext of m1.
server_sql "UPDATE messages SET body = substr(body, 1, length(body) - 101) ||
       CASE WHEN substr(body, length(body) - 100, 1) = X'00' THEN X'01' ELSE X'00' END ||
       substr(body, length(body) - 99) WHERE id = $m1"
# 2. carol claims alice's envelope m2 as her own DM to bob.
claimed=$(server_sql "INSERT INTO messages (ts, sender_id, room_id, rcpt_id, cid, body)
	SELECT ts, (SELECT id FROM accounts WHERE name_folded = 'carol'), NULL, rcpt_id, cid, body
	FROM messages WHERE id = $m2; SELECT last_insert_rowid();")
# 3. alice's DM m2 moved into #general (same sender and cid).
moved=$(server_sql "INSERT INTO messages (ts, sender_id, room_id, rcpt_id, cid, body)
	SELECT ts, sender_id, 1, NULL, cid || 'x', body FROM messages WHERE id = $m2;
	UPDATE messages SET cid = substr(cid, 1, length(cid) - 1) || 'y' WHERE id = last_insert_rowid();
	SELECT max(id) FROM messages;")
# 4. Garbage where an envelope should be.
garbage=$(server_sql "INSERT INTO messages (ts, sender_id, room_id, rcpt_id, cid, body)
	SELECT ts, sender_id, NULL, rcpt_id, 'garbage-1', X'01000a' FROM messages WHERE id = $m2;
	SELECT last_insert_rowid();")
# 5. The old plaintext JSON body of API version 1.
plain=$(server_sql "INSERT INTO messages (ts, sender_id, room_id, rcpt_id, cid, body)
	SELECT ts, sender_id, NULL, rcpt_id, 'plain-1',
	CAST('{\"v\":1,\"type\":\"text\",\"text\":\"trust me\"}' AS BLOB) FROM messages WHERE id = $m2;
	SELECT last_insert_rowid();")
# 6. A replay: the genuine message bob read, deleted and stored again: the
# same envelope under a new id.
replayed=$(server_sql "CREATE TEMP TABLE r AS SELECT * FROM messages WHERE id = $ok;
	DELETE FROM messages WHERE id = $ok;
	INSERT INTO messages (ts, sender_id, room_id, rcpt_id, cid, body)
	SELECT ts, sender_id, room_id, rcpt_id, cid, body FROM r;
	SELECT last_insert_rowid();")
restart_server

# bob comes back after a reboot (the session unlock in the runtime dir is
# gone): his session resumes, his keys wait for his password.
rm -f "$(agent_sock bob).keys"
start_agent bob
wait_ready bob
st=$(wait_status bob '.keys == "locked"' 10)
assert_jq "$st" '.logged_in == true' "bob resumed his session with his keys locked"
expect_err 1040 bob send '{"to":"alice","text":"locked"}' >/dev/null
sub_start bob2 bob '{"since":0}'
BOBEV=$(sub_out bob2)
unlock bob bob

ev=$(wait_for_event "$BOBEV" ".type == \"forged\" and .id == $m1")
assert_jq "$ev" '.reason == "signature" and .from == "alice" and .conv == "alice"' "a flipped byte is a forged message (signature)"
ev=$(wait_for_event "$BOBEV" ".type == \"forged\" and .id == $claimed")
assert_jq "$ev" '.reason == "sender_mismatch" and .from == "carol"' "alice's envelope claimed by carol: forged (sender_mismatch)"
ev=$(wait_for_event "$BOBEV" ".type == \"message\" and .id == $m2")
assert_jq "$ev" '.text == "second" and .from == "alice"' "the untouched DM is read"

ev=$(wait_for_event "$BOBEV" ".type == \"forged\" and .id == $moved")
assert_jq "$ev" '.reason == "conversation_mismatch" or .reason == "cid_mismatch"' "a DM moved into #general: forged"
ev=$(wait_for_event "$BOBEV" ".type == \"undecryptable\" and .id == $garbage")
assert_jq "$ev" '.reason == "malformed"' "garbage: undecryptable (malformed)"
ev=$(wait_for_event "$BOBEV" ".type == \"undecryptable\" and .id == $plain")
assert_jq "$ev" '.reason == "unencrypted"' "an unencrypted body: undecryptable (unencrypted)"

ev=$(wait_for_event "$BOBEV" ".type == \"message\" and .id == $m3")
assert_jq "$ev" '.text == "for everyone"' "the #general message is read"
ev=$(wait_for_event "$BOBEV" ".type == \"forged\" and .id == $replayed")
assert_jq "$ev" '.reason == "replay"' "the genuine message again under a new id: forged (replay)"
# None of them was ever a message event, nor is in history.
for id in $m1 $claimed $moved $garbage $plain $replayed; do
	n=$(count_events "$BOBEV" ".type == \"message\" and .id == $id")
	assert_eq "$n" 0 "no message event for bad message $id"
done
h=$(rpc_ok bob history '{"conv":"alice"}')
assert_jq "$h" "[.messages[].id] == [$m2]" "bob's history with alice from the server: only the genuine message it still has"
assert_jq "$(rpc_ok bob history '{"conv":"carol"}')" '.messages == []' "nothing from carol in history"
# The security events can be asked for by type.
e=$(rpc_ok bob events '{"since":0,"types":["forged","undecryptable"]}')
assert_jq "$e" '[.events[].type] | sort == ["forged","forged","forged","forged","undecryptable","undecryptable"]' "events filtered by the security types"
echo "PASS: $TEST_NAME"

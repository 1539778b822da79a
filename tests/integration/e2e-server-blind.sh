#!/bin/bash
# chatsec — integration: the server never holds a plaintext.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 4, property 1.  Messages with unique canary words go through a DM,
# a named room and #general, and are read by their recipients; then none
# of the canaries appears in chatsecd's database file, its WAL, its log, or
# in the frames it received (captured server-side with --dump-frames).

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$top_srcdir/tests/integration/e2e-lib.sh"

FRAMES=$T/frames.jsonl
start_server --dump-frames "$FRAMES"
start_agent alice
start_agent bob
register_user alice alice 'alice password' >/dev/null
register_user bob bob 'bob password' >/dev/null
wait_ready alice
wait_ready bob
rpc_ok alice room_create '{"room":"#vault"}' >/dev/null
rpc_ok bob room_join '{"room":"#vault"}' >/dev/null

sub_start bob bob
BOBEV=$(sub_out bob)
sub_start alice alice
ALEV=$(sub_out alice)

rnd=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
CANARY_DM="dmcanary$rnd"
CANARY_ROOM="roomcanary$rnd"
CANARY_GEN="generalcanary$rnd"
CANARY_REPLY="replycanary$rnd"

d=$(send_msg alice bob "the word is $CANARY_DM")
r=$(send_msg alice '#vault' "the room word is $CANARY_ROOM")
g=$(send_msg alice '#general' "everyone: $CANARY_GEN")
b=$(send_msg bob alice "got it: $CANARY_REPLY")

# The recipients read them: the words went somewhere.
for id_text in "$(jq .id <<<"$d") $CANARY_DM" "$(jq .id <<<"$r") $CANARY_ROOM" "$(jq .id <<<"$g") $CANARY_GEN"; do
	set -- $id_text
	ev=$(wait_for_event "$BOBEV" ".type == \"message\" and .id == $1")
	assert_contains "$(jq -r .text <<<"$ev")" "$2" "bob reads message $1"
done
ev=$(wait_for_event "$ALEV" ".type == \"message\" and .id == $(jq .id <<<"$b")")
assert_contains "$(jq -r .text <<<"$ev")" "$CANARY_REPLY" "alice reads bob's DM"

# The frames the server received are there and carry the sends, sealed.
[ -s "$FRAMES" ] || fail "--dump-frames wrote nothing"
nsend=$(jq -c 'select(.method == "send")' "$FRAMES" | wc -l)
[ "$nsend" -ge 4 ] || fail "the frame dump has $nsend send frames, want at least 4"
assert_eq "$(jq -r 'select(.method == "send") | .params.body' "$FRAMES" | head -n1 | base64 -d 2>/dev/null | head -c1 | od -An -tx1 | tr -d ' ')" \
	"01" "a sent body is an envelope (version byte 01), not JSON"

# While the server runs (WAL not yet checkpointed) and after it stops.
check_blind()
{
	local f w
	for f in "$SERVER_DIR"/chatsecd.db "$SERVER_DIR"/chatsecd.db-wal "$SERVER_LOG" "$FRAMES"; do
		[ -e "$f" ] || continue
		for w in "$CANARY_DM" "$CANARY_ROOM" "$CANARY_GEN" "$CANARY_REPLY"; do
			if grep -aq "$w" "$f"; then
				fail "canary $w found in ${f##*/} ($1)"
			fi
			# Nor base64-encoded as a whole body would be (JSON bodies were).
		done
	done
}
[ -e "$SERVER_DIR/chatsecd.db-wal" ] || fail "no WAL file while the server runs"
check_blind "server running"
# The bodies in the database are envelopes, never the old JSON.
assert_eq "$(server_sql "SELECT count(*) FROM messages WHERE substr(body, 1, 1) <> X'01'")" 0 "every stored body is an envelope"
stop_server
check_blind "server stopped"
# And plain text is where it belongs: in the recipients' agents.
grep -aq "$CANARY_DM" "$(agent_dir bob)"/* || fail "the canary is not in bob's local store either: was it sent?"
echo "PASS: $TEST_NAME"

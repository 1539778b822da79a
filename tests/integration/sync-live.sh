#!/bin/bash
# chatsec — integration: connections that sync while messages stream in.
# Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# The server commits a batch, syncs its log in the background, and only
# then acks the sends and sends the events.  On a slow disk (every fsync
# takes 500 ms here, tests/shim/slow-fsync.c):
# * the server answers others while a send or a file chunk waits for the
#   disk, and a history read meanwhile does not show the message not yet
#   on disk;
# * a sync arriving meanwhile must not return what will come as an event a
#   moment later.  Alice streams 450 sends in bursts while eight fresh
#   connections of bob's sync at staggered moments: each must get every one
#   of alice's messages exactly once, in id order, from its sync page and
#   then its events;
# * sync returns the messages of the rooms one is a member of now and one's
#   DMs: not one's own messages in a room one has left.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/wire-lib.sh"

# has_message FILE ID: FILE holds the message event ID.
has_message()
{
	jq -e --argjson id "$2" 'select(.method == "message" and .params.id == $id)' \
		"$1" 2>/dev/null | grep -q .
}

K=8
BURSTS=18
PER=25
N=$((BURSTS * PER))

slow_disk 500

# Batches of 16 at most: the stream fills them while the disk syncs, so
# the server stops reading senders until there is room (CLIENT_WAITING);
# the acks' commit times show the bound held.
start_server --batch-max 16
wire_register a alice
wire_register b0 bob
for ((k = 1; k <= K; k++)); do
	wire_resume "b$k" bob
done

# A send waits for the disk; bob's `who` and `history` meanwhile are
# answered at once, and the history does not have it yet.
conn_send a '{"jsonrpc":"2.0","id":999,"method":"send","params":{"to":"#general","cid":"probe","body":"cHJvYmU="}}'
wire_ok b0 who '{}' >/dev/null
h=$(wire_ok b0 history '{"conv":"#general"}')
[ -z "$(jq -c 'select(.id == 999)' "$(conn_out a)")" ] ||
	fail "the send was acked before bob's who and history were answered: the loop waited for the disk"
assert_eq "$(jq -c '[.messages[] | select(.cid == "probe")] | length' <<<"$h")" 0 \
	"history shows no message that is not yet on disk"
wait_for_reply "$(conn_out a)" 999 30 | jq -e .result.id >/dev/null ||
	fail "the probe send was not acked"

# A file chunk waits for the disk the same way, and nothing else does.
fid=$(wire_ok a file_begin '{"to":"#general","size":100,"chunks":1}' | jq -r .file)
chunk=$(head -c 100 /dev/urandom | base64 -w0)
conn_send a "{\"jsonrpc\":\"2.0\",\"id\":998,\"method\":\"file_put\",\"params\":{\"file\":\"$fid\",\"seq\":0,\"data\":\"$chunk\"}}"
wire_ok b0 who '{}' >/dev/null
[ -z "$(jq -c 'select(.id == 998)' "$(conn_out a)")" ] ||
	fail "the chunk was acknowledged before bob's who was answered: the loop waited for the disk"
assert_eq "$(wait_for_reply "$(conn_out a)" 998 30 | jq -c .result)" '{"have":1}' \
	"the chunk is acknowledged once on disk"
wire_ok a file_end "{\"file\":\"$fid\"}" >/dev/null

# Alice's bursts, without waiting for the acks (ids 1001..).
(
	for ((j = 0; j < BURSTS; j++)); do
		for ((i = 1; i <= PER; i++)); do
			n=$((j * PER + i))
			conn_send a "{\"jsonrpc\":\"2.0\",\"id\":$((1000 + n)),\"method\":\"send\",\"params\":{\"to\":\"#general\",\"cid\":\"s$n\",\"body\":\"c3RyZWFt\"}}"
		done
		sleep 0.05
	done
) &
streamer=$!
lib_track "$streamer"

# Bob's connections sync one after another while the stream runs.
for ((k = 1; k <= K; k++)); do
	sleep 0.1
	conn_send "b$k" "{\"jsonrpc\":\"2.0\",\"id\":$((9000 + k)),\"method\":\"sync\",\"params\":{\"since\":0}}"
done
wait "$streamer"

# Every send acked; the ids alice was given, in order.
last=$(wait_for_reply "$(conn_out a)" $((1000 + N)) 60 | jq .result.id)
[ "$last" -gt 0 ] || fail "the last send was not acked with an id"
acked=$(jq -cs '[.[] | select(.id != null and .id >= 999) | .result.id] | sort' "$(conn_out a)")
assert_eq "$(jq length <<<"$acked")" "$((N + 1))" "alice's $N sends and the probe are all acked"
# A batch's messages share its commit time, and batches are a sync (500 ms)
# apart: no more than --batch-max of them share a ts, however fast the
# stream came while the disk was busy.
biggest=$(jq -s '[.[] | select(.id != null and .id > 1000) | .result.ts] |
	group_by(.) | map(length) | max' "$(conn_out a)")
[ "$biggest" -le 16 ] || fail "a batch held $biggest sends (--batch-max 16)"
[ "$biggest" -ge 2 ] || fail "no batch held two sends: the stream never waited for the disk"

for ((k = 1; k <= K; k++)); do
	out=$(conn_out "b$k")
	wait_for_reply "$out" $((9000 + k)) 30 >/dev/null
	wait_until 30 "b$k to receive message $last" has_message "$out" "$last"
	# What this connection was given: its sync page, then the events.
	got=$(jq -cs --argjson sid $((9000 + k)) '
		[.[] | if .id == $sid then (.result.more | if . then error("sync page not complete") else empty end), .result.messages[]
		       elif .method == "message" then .params else empty end
		     | select(.from == "alice") | .id]' "$out")
	assert_eq "$(jq -c 'sort' <<<"$got")" "$acked" \
		"b$k got each of alice's messages (sync, then events)"
	assert_eq "$(jq -c 'length == (unique | length)' <<<"$got")" true \
		"b$k got no message twice"
	assert_eq "$(jq -c '. == sort' <<<"$got")" true "b$k got them in id order"
done

# Bob's own message in a room he has left is not synced; his DM is.
wire_ok a room_create '{"room":"#side","invite_only":false}' >/dev/null
wire_ok b0 room_join '{"room":"#side"}' >/dev/null
side=$(wire_ok b0 send '{"to":"#side","cid":"side1","body":"c2lkZQ=="}' | jq .id)
dm=$(wire_ok b0 send '{"to":"alice","cid":"dm1","body":"ZG0="}' | jq .id)
got=$(wire_ok b0 sync "{\"since\":$last}" | jq -c '[.messages[].id]')
assert_eq "$got" "[$side,$dm]" "bob syncs his #side message and his DM while a member"
wire_ok b0 room_leave '{"room":"#side"}' >/dev/null
got=$(wire_ok b0 sync "{\"since\":$last}" | jq -c '[.messages[].id]')
assert_eq "$got" "[$dm]" "after leaving #side bob syncs only his DM"

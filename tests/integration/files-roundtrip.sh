#!/bin/bash
# chatsec — integration: files to a DM and a room, end to end.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 6 (doc/files.md): an empty file, a 1-byte file and a binary file of
# several chunks go from alice to bob (a DM) and to #dev, arrive byte for
# byte (SHA-256 and size), with the BLAKE2b-256 digest the message
# announced; progress, sent and saved events in both directions; a file
# message in history without its key; a member removed from the room can't
# fetch its files; deleting a message deletes its file; and the server's
# data dir never holds a byte of plaintext.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$top_srcdir/tests/integration/files-lib.sh"

start_server
for u in alice bob carol; do
	start_agent $u
	register_user $u $u "$u password" >/dev/null
done
for u in alice bob carol; do wait_ready $u; done
rpc_ok alice room_create '{"room":"#dev"}' >/dev/null
rpc_ok bob room_join '{"room":"#dev"}' >/dev/null
rpc_ok carol room_join '{"room":"#dev"}' >/dev/null

sub_start alice alice
sub_start bob bob
AEV=$(sub_out alice)
BEV=$(sub_out bob)
mkdir -p "$T/bob-dl" "$T/carol-dl"

EMPTY=$(mkfile empty.bin 0)
ONE=$(mkfile one.bin 1)
BIG=$(mkfile big.bin $((3 * 65536 + 4321)))	# 4 chunks

# roundtrip TO FILE: alice sends FILE to TO, bob fetches it; checks both
# sides' events and the bytes.
roundtrip()
{
	local to=$1 f=$2 size r id t ev got
	size=$(stat -c %s "$f")
	r=$(send_file alice "$to" "$f" '{"text":"see attached"}')
	assert_jq "$r" ".size == $size and .name == \"${f##*/}\" and (.id | type) == \"number\" and (.transfer | startswith(\"t\"))" "file_send $to ${f##*/}"
	id=$(jq .id <<<"$r")
	t=$(jq -r .transfer <<<"$r")
	wait_for_event "$AEV" ".type == \"file_sent\" and .transfer == \"$t\" and .id == $id and .size == $size" >/dev/null
	wait_for_event "$AEV" ".type == \"file_progress\" and .transfer == \"$t\" and .direction == \"up\" and .done == $size and .total == $size" >/dev/null
	assert_eq "$(events_in "$AEV" ".type == \"file_progress\" and .transfer == \"$t\"" | head -n 1 | jq .done)" 0 "upload progress starts at 0"

	ev=$(wait_for_event "$BEV" ".type == \"message\" and .id == $id")
	assert_jq "$ev" ".file.name == \"${f##*/}\" and .file.size == $size and .file.digest == \"$(b2 "$f")\" and .text == \"see attached\" and (.file | has(\"key\") | not)" "bob's message event for ${f##*/}"
	assert_jq "$ev" '.file.type == "application/octet-stream"' "type guessed from .bin"

	r=$(fetch_file bob "$id" "$T/bob-dl")
	got=$(jq -r .path <<<"$r")
	assert_eq "$(dirname "$got")" "$T/bob-dl" "saved in the folder bob chose"
	assert_eq "$(stat -c %s "$got")" "$size" "size of ${f##*/} as received"
	assert_eq "$(sha "$got")" "$(sha "$f")" "SHA-256 of ${f##*/} as received"
	assert_jq "$r" ".digest == \"$(b2 "$f")\"" "file_fetch reports the digest"
	t=$(jq -r .transfer <<<"$r")
	wait_for_event "$BEV" ".type == \"file_saved\" and .transfer == \"$t\" and .id == $id and .path == \"$got\"" >/dev/null
	wait_for_event "$BEV" ".type == \"file_progress\" and .transfer == \"$t\" and .direction == \"down\" and .done == $size and .total == $size" >/dev/null
	printf '%s\n' "$id"
}

rm -f "$T/bob-dl"/*
d0=$(roundtrip bob "$EMPTY")
d1=$(roundtrip bob "$ONE")
# Several chunks: progress after each of the 4.
d2=$(roundtrip bob "$BIG")
t=$(events_in "$BEV" ".type == \"file_saved\" and .id == $d2" | jq -r .transfer)
assert_eq "$(events_in "$BEV" ".type == \"file_progress\" and .transfer == \"$t\"" | jq -c .done | tr '\n' ' ')" \
	"0 65536 131072 196608 200929 " "download progress, chunk by chunk"
# The same file fetched again: a second copy, never replacing the first.
r=$(fetch_file bob "$d2" "$T/bob-dl")
assert_eq "$(jq -r .path <<<"$r")" "$T/bob-dl/big (1).bin" "a second fetch gets ' (1)'"
assert_eq "$(ls -A "$T/bob-dl" | sort | tr '\n' '|')" "big (1).bin|big.bin|empty.bin|one.bin|" "bob's folder: the files and no leftovers"

# To a room: bob fetches; alice's own agent can fetch what it sent.
r1=$(roundtrip '#dev' "$BIG")
r=$(fetch_file alice "$r1" "$T/src")
assert_eq "$(sha "$(jq -r .path <<<"$r")")" "$(sha "$BIG")" "the sender fetches its own file"

# History shows the file, not the key.
h=$(rpc_ok bob history '{"conv":"#dev"}')
assert_jq "$h" "[.messages[] | select(.id == $r1) | .file.name] == [\"big.bin\"]" "history has the file"
assert_not_contains "$h" '"key"' "history never shows the key"

# carol, a member when it was sent, is kicked: the server refuses her.
wait_status carol '.link == "ready"' >/dev/null
rpc_ok alice room_kick '{"room":"#dev","user":"carol"}' >/dev/null
e=$(rpc_error carol file_fetch "$(jq -cn --argjson id "$r1" --arg d "$T/carol-dl" '{id:$id,dir:$d,wait:true}')")
assert_jq "$e" '.code == 1062 and .data.reason == "not_found"' "a removed member can't fetch the room's file"
assert_eq "$(ls -A "$T/carol-dl")" "" "nothing left in carol's folder, not even a .part"
# A message that is not a file message.
m=$(send_msg alice bob 'just text' | jq .id)
wait_for_event "$BEV" ".type == \"message\" and .id == $m" >/dev/null
e=$(expect_err 1066 bob file_fetch "{\"id\":$m,\"dir\":\"$T/bob-dl\"}")

# Deleting the message deletes the file; bob's agent forgets it.
rpc_ok alice delete "{\"id\":$d2}" >/dev/null
wait_for_event "$BEV" ".type == \"message_deleted\" and .id == $d2 and .by == \"alice\" and .conv == \"alice\"" >/dev/null
expect_err 1066 bob file_fetch "{\"id\":$d2,\"dir\":\"$T/bob-dl\"}" >/dev/null
assert_jq "$(rpc_ok bob history '{"conv":"alice"}')" "[.messages[] | select(.id == $d2)] == []" "the deleted message left bob's history"
assert_eq "$(server_sql "select count(*) from files f join messages m on m.id = f.msg_id where m.id = $d2")" 0 "the server dropped the file"

# contrib/scripts/chatsec-sendfile: a relative path, a caption, the id.
id=$(cd "$T/src" && "$top_srcdir/contrib/scripts/chatsec-sendfile" -S "$(agent_sock alice)" -m 'from a script' bob one.bin)
[[ $id =~ ^[0-9]+$ ]] || fail "chatsec-sendfile printed '$id', not a message id"
wait_for_event "$BEV" ".type == \"message\" and .id == $id and .text == \"from a script\" and .file.name == \"one.bin\"" >/dev/null
assert_eq "$(sha "$(fetch_file bob "$id" "$T/carol-dl" | jq -r .path)")" "$(sha "$ONE")" "the file chatsec-sendfile sent"
rm -f "$T/carol-dl/one.bin"
if "$top_srcdir/contrib/scripts/chatsec-sendfile" -S "$(agent_sock alice)" bob "$T/src/missing" 2>"$T/sendfile.err"; then
	fail "chatsec-sendfile of a missing file succeeded"
fi
assert_contains "$(cat "$T/sendfile.err")" "no such file or directory (1067)" "chatsec-sendfile says why"

assert_eq "$(count_events "$AEV" '.type == "file_failed"') $(count_events "$BEV" '.type == "file_failed"')" "0 0" "no transfer failed"
assert_eq "$(rpc_ok alice file_transfers | jq -c .transfers)" "[]" "no transfer left running"
no_plaintext_on_server
echo "PASS: $TEST_NAME"

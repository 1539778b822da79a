#!/bin/bash
# chatsec — integration: file limits, tampering, hostile names, bad paths.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 6 (doc/files.md): the server's per-file size limit and per-account
# quota refuse what is over with a clear error; a chunk altered or moved on
# the server's disk is detected, and nothing is left in the target folder,
# not even the partial file; names from the sender never escape the folder
# or replace a file; paths the agent can't use are refused (1067) saying
# why; at most 8 transfers at once (1068), and file_cancel.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$top_srcdir/tests/integration/files-lib.sh"

MAXF=300000
QUOTA=600000
start_server --max-file-size "$MAXF" --file-quota "$QUOTA"
for u in alice bob; do
	start_agent $u
	register_user $u $u "$u password" >/dev/null
done
for u in alice bob; do wait_ready $u; done
sub_start alice alice
sub_start bob bob
AEV=$(sub_out alice)
BEV=$(sub_out bob)
mkdir -p "$T/dl" "$T/names"

# --- hostile names ------------------------------------------------------------
SMALL=$(mkfile small.txt 100)
echo precious >"$T/names/report.pdf"
long=$(printf 'n%.0s' {1..296}).pdf
# name sent | name saved
while IFS='|' read -r sent want; do
	r=$(send_file alice bob "$SMALL" "$(jq -cn --arg n "$sent" '{name:$n}')")
	id=$(jq .id <<<"$r")
	wait_for_event "$BEV" ".type == \"message\" and .id == $id" >/dev/null
	r=$(fetch_file bob "$id" "$T/names")
	assert_eq "$(jq -r .path <<<"$r")" "$T/names/$want" "name $(jq -cn --arg n "$sent" '$n') is saved as"
	assert_eq "$(sha "$T/names/$want")" "$(sha "$SMALL")" "contents of $want"
done <<EOF
../../etc/passwd|_.._etc_passwd
a/b|a_b
.hidden|hidden
..|file
report.pdf|report (1).pdf
report.pdf|report (2).pdf
$(printf 'bell\001\033[31mred\177.txt')|bell[31mred.txt
$long|$(printf 'n%.0s' {1..196}).pdf
EOF
assert_eq "$(cat "$T/names/report.pdf")" "precious" "an existing file is never replaced"
assert_eq "$(ls -A "$T" | grep -c passwd || true)" 0 "nothing escaped the folder"
assert_eq "$(ls -A "$T/names" | wc -l)" 9 "every file in the folder, no leftovers"
e=$(expect_err -32602 alice file_send "$(jq -cn --arg p "$SMALL" '{to:"bob",path:$p,name:""}')")
# 1000 control characters are 6000 bytes of JSON: refused before uploading.
e=$(expect_err -32602 alice file_send "$(jq -cn --arg p "$SMALL" '{to:"bob",path:$p,name:([range(1000)] | map("\u0001") | join(""))}')")
assert_contains "$e" "too long" "a file message over 4096 bytes"

# --- paths the agent can't use ----------------------------------------------
for p in relative/x.txt "$T/src/missing" "$T/src"; do
	e=$(expect_err 1067 alice file_send "$(jq -cn --arg p "$p" '{to:"bob",path:$p}')")
	case $p in
	relative/*) assert_contains "$e" "absolute" "a relative path";;
	*missing) assert_contains "$e" "no such file" "a missing file";;
	*) assert_contains "$e" "not a regular file" "a directory";;
	esac
done
e=$(expect_err 1067 bob file_fetch "{\"id\":$id,\"dir\":\"$T/nowhere\"}")
assert_contains "$e" "no such file or directory" "a missing folder"
e=$(expect_err 1067 bob file_fetch "{\"id\":$id,\"dir\":\"$SMALL\"}")
assert_contains "$e" "not a directory" "a file as the folder"
expect_err 1067 bob file_fetch "{\"id\":$id,\"dir\":\"dl\"}" >/dev/null
if [ "$(id -u)" != 0 ]; then
	mkdir -m 500 "$T/ro"
	e=$(expect_err 1067 bob file_fetch "{\"id\":$id,\"dir\":\"$T/ro\"}")
	assert_contains "$e" "permission denied" "a read-only folder"
fi
expect_err 1066 bob file_cancel '{"transfer":"t999"}' >/dev/null
# A DM to nobody: the server's refusal, passed through.
e=$(expect_err 1007 alice file_send "$(jq -cn --arg p "$SMALL" '{to:"nobody",path:$p,wait:true}')")
assert_jq "$e" '.data.reason == "refused"' "why the upload failed"

# --- the size limit and the quota -------------------------------------------
TOOBIG=$(mkfile toobig.bin $((MAXF - 17 * 5 + 1)))
e=$(expect_err 1060 alice file_send "$(jq -cn --arg p "$TOOBIG" '{to:"bob",path:$p,wait:true}')")
assert_jq "$e" ".data.reason == \"too_big\"" "over the size limit"
wait_for_event "$AEV" '.type == "file_failed" and .reason == "too_big" and .name == "toobig.bin" and .code == 1060' >/dev/null
F1=$(mkfile f1.bin 250000)
F2=$(mkfile f2.bin 250000)
id1=$(send_file alice bob "$F1" | jq .id)
id2=$(send_file alice bob "$F2" | jq .id)
e=$(expect_err 1061 alice file_send "$(jq -cn --arg p "$F1" '{to:"bob",path:$p,wait:true}')")
assert_jq "$e" '.data.reason == "quota"' "over the quota"
wait_for_event "$AEV" '.type == "file_failed" and .reason == "quota"' >/dev/null

# --- chunks altered on the server's disk ------------------------------------
wait_for_event "$BEV" ".type == \"message\" and .id == $id2" >/dev/null
stop_server
server_sql "UPDATE file_chunks SET data = randomblob(length(data))
     WHERE seq = 1 AND file_id = (SELECT id FROM files WHERE msg_id = $id1)"
server_sql "UPDATE file_chunks SET seq = -1 WHERE seq = 0 AND file_id = (SELECT id FROM files WHERE msg_id = $id2);
     UPDATE file_chunks SET seq = 0 WHERE seq = 1 AND file_id = (SELECT id FROM files WHERE msg_id = $id2);
     UPDATE file_chunks SET seq = 1 WHERE seq = -1 AND file_id = (SELECT id FROM files WHERE msg_id = $id2)"
restart_server
wait_ready bob 30
for id in $id1 $id2; do
	e=$(expect_err 1044 bob file_fetch "{\"id\":$id,\"dir\":\"$T/dl\",\"wait\":true}")
	assert_jq "$e" '.data.reason == "integrity"' "a tampered file (message $id)"
	assert_eq "$(ls -A "$T/dl")" "" "nothing left in the folder, not even a .part"
done
assert_eq "$(count_events "$BEV" '.type == "file_failed" and .reason == "integrity" and .direction == "down"')" 2 "file_failed integrity, twice"
assert_eq "$(count_events "$BEV" '.type == "file_saved" and (.name == "f1.bin" or .name == "f2.bin")')" 0 "never saved"

# --- at most 8 transfers; file_cancel ---------------------------------------
stop_server
wait_status alice '.link != "ready"' >/dev/null
for i in 1 2 3 4 5 6 7 8; do
	rpc_ok alice file_send "$(jq -cn --arg p "$SMALL" '{to:"bob",path:$p}')" >/dev/null
done
expect_err 1068 alice file_send "$(jq -cn --arg p "$SMALL" '{to:"bob",path:$p}')" >/dev/null
expect_err 1068 alice file_fetch "{\"id\":$id1,\"dir\":\"$T/dl\"}" >/dev/null
x=$(rpc_ok alice file_transfers)
assert_jq "$x" '(.transfers | length) == 8 and all(.transfers[]; .state == "paused" and .direction == "up" and .to == "bob" and .done == 0 and .total == 100)' "eight paused uploads"
for t in $(jq -r '.transfers[].transfer' <<<"$x"); do
	assert_jq "$(rpc_ok alice file_cancel "{\"transfer\":\"$t\"}")" ".transfer == \"$t\" and .cancelled == true" "file_cancel $t"
	wait_for_event "$AEV" ".type == \"file_failed\" and .transfer == \"$t\" and .reason == \"cancelled\"" >/dev/null
done
assert_eq "$(rpc_ok alice file_transfers | jq -c .transfers)" "[]" "none left"
restart_server
no_plaintext_on_server
echo "PASS: $TEST_NAME"

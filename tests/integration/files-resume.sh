#!/bin/bash
# chatsec — integration: transfers resume after the server dies.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 6 (doc/files.md, "Resume"): an upload of 16 MiB is caught midway
# (the server frozen, then killed with SIGKILL and started again on the
# same port and data dir); the agent asks file_status and goes on from the
# server's count, so the server ends up with one file, not two, and the
# bytes arrive intact.  A download is caught the same way and goes on from
# the next chunk it needs, keeping its partial file meanwhile.  An agent
# restarted during a download reports it failed (`restarted`) and removes
# the partial file.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$top_srcdir/tests/integration/files-lib.sh"

start_server
for u in alice bob; do
	start_agent $u
	register_user $u $u "$u password" >/dev/null
done
for u in alice bob; do wait_ready $u; done
sub_start alice alice
sub_start bob bob
AEV=$(sub_out alice)
BEV=$(sub_out bob)
BIG=$(mkfile big.bin $((16 * 1024 * 1024 + 77)))
SIZE=$(stat -c %s "$BIG")
mkdir -p "$T/dl"

# freeze_on FILE PATTERN: poll FILE (tightly) until PATTERN (an extended
# regex) is in it, then SIGSTOP the server.
freeze_on()
{
	local deadline=$(($(lib_now_us) + 20000000))
	until grep -qE -- "$2" "$1"; do
		[ "$(lib_now_us)" -lt "$deadline" ] || fail "never saw $2 in ${1##*/}"
		sleep 0.005
	done
	kill -STOP "$SERVER_PID"
}

# --- an upload, interrupted -------------------------------------------------
r=$(rpc_ok alice file_send "$(jq -cn --arg p "$BIG" '{to:"bob",path:$p}')")
t=$(jq -r .transfer <<<"$r")
freeze_on "$AEV" '"type":"file_progress","transfer":"'"$t"'","direction":"up","name":"big.bin","done":[1-9]'
kill9_server
assert_eq "$(count_events "$AEV" ".type == \"file_sent\" and .transfer == \"$t\"")" 0 "the upload was caught midway"
done_before=$(events_in "$AEV" ".type == \"file_progress\" and .transfer == \"$t\"" | tail -n 1 | jq .done)
[ "$done_before" -lt "$SIZE" ] || fail "the upload had finished before the kill"
assert_jq "$(rpc_ok alice file_transfers)" ".transfers[0].transfer == \"$t\" and .transfers[0].direction == \"up\"" "the upload waits"
restart_server
ev=$(wait_for_event "$AEV" ".type == \"file_sent\" and .transfer == \"$t\"" 60)
id=$(jq .id <<<"$ev")
assert_eq "$(server_sql 'select count(*) from files')" 1 "the upload resumed: one file on the server, not a second upload"
p=$(events_in "$AEV" ".type == \"file_progress\" and .transfer == \"$t\"" | jq -s '[.[].done]')
assert_jq "$p" '. == sort' "upload progress never went back"
assert_jq "$p" "length >= 50 and length <= 102 and .[0] == 0 and .[-1] == $SIZE" "upload progress: about every 1% of 16 MiB, from 0 to the end"
assert_eq "$(count_events "$AEV" '.type == "file_failed"')" 0 "nothing failed"

# --- a download, interrupted ------------------------------------------------
wait_for_event "$BEV" ".type == \"message\" and .id == $id" 30 >/dev/null
r=$(rpc_ok bob file_fetch "{\"id\":$id,\"dir\":\"$T/dl\"}")
t=$(jq -r .transfer <<<"$r")
freeze_on "$BEV" '"type":"file_progress","transfer":"'"$t"'","direction":"down","name":"big.bin","done":[1-9]'
kill9_server
assert_eq "$(count_events "$BEV" ".type == \"file_saved\" and .transfer == \"$t\"")" 0 "the download was caught midway"
assert_match "$(ls -A "$T/dl")" '^\.chatsec-.*\.part$' "the partial file is kept while the link is down"
restart_server
ev=$(wait_for_event "$BEV" ".type == \"file_saved\" and .transfer == \"$t\"" 60)
assert_eq "$(jq -r .path <<<"$ev")" "$T/dl/big.bin" "saved under its name"
assert_eq "$(sha "$T/dl/big.bin")" "$(sha "$BIG")" "the resumed download is byte for byte the file"
assert_eq "$(events_in "$BEV" ".type == \"file_progress\" and .transfer == \"$t\"" | jq -s '[.[].done] | (. == sort) and (map(select(. == 0)) | length) == 1')" true \
	"download progress went on from where it stopped"
assert_eq "$(ls -A "$T/dl")" "big.bin" "no partial file left"

# --- an agent restarted during a download -----------------------------------
rm -f "$T/dl/big.bin"
r=$(rpc_ok bob file_fetch "{\"id\":$id,\"dir\":\"$T/dl\"}")
t=$(jq -r .transfer <<<"$r")
freeze_on "$BEV" '"type":"file_progress","transfer":"'"$t"'","direction":"down","name":"big.bin","done":[1-9]'
conn_close bob
stop_agent bob
kill9_server
restart_server
start_agent bob
sub_start bob2 bob "{\"since\":0}"
ev=$(wait_for_event "$(sub_out bob2)" ".type == \"file_failed\" and .transfer == \"$t\"")
assert_jq "$ev" '.reason == "restarted" and .direction == "down" and .name == "big.bin"' "the interrupted download is reported"
assert_eq "$(ls -A "$T/dl")" "" "its partial file is gone"
assert_eq "$(rpc_ok bob file_transfers | jq -c .transfers)" "[]" "nothing runs after the restart"
no_plaintext_on_server
echo "PASS: $TEST_NAME"

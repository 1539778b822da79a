#!/bin/bash
# chatsec — integration: file transfer, server half, on the wire.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 6 (doc/files.md, doc/protocol.md "Files", "Deleting messages"),
# spoken directly on the wire over TLS (socat), since the server stores
# opaque chunks whatever an agent would put in them: uploads of 1 and 3
# chunks, resends, order and size checks, the size limit, the quota and
# the unfinished-upload cap, who may read, send with a file, message
# deletion (live, sync, history) with its file, room deletion, a kill -9
# mid-upload then resume, the 24 h cleanup (clock shifted), and that the
# server keeps chunks exactly as given and nothing else.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(cd "$(dirname "$0")/.." && pwd)/wire-lib.sh"

command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: $TEST_NAME needs sqlite3" >&2; exit 77; }

MAXF=300000
QUOTA=600000
# -v: the log says when a connection is paused (output backpressure).
start_server -v --max-file-size "$MAXF" --file-quota "$QUOTA" --output-max 524288

# put TAG FILE SEQ CHUNKFILE: the reply line of a file_put.
put()
{
	local id
	id=$(wire_next_id)
	conn_send "$1" "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"file_put\",\"params\":{\"file\":\"$2\",\"seq\":$3,\"data\":\"$(base64 -w0 "$4")\"}}"
	wait_for_reply "$(conn_out "$1")" "$id"
}

put_ok()
{
	local r
	r=$(put "$@")
	assert_eq "$(jq -c .result <<<"$r")" "{\"have\":$(($3 + 1))}" "file_put $2 seq $3"
}

# begin TAG TO SIZE CHUNKS: the new file's id.
begin()
{
	wire_ok "$1" file_begin "{\"to\":\"$2\",\"size\":$3,\"chunks\":$4}" | jq -r .file
}

chunk()
{
	head -c "$2" /dev/urandom >"$T/$1"
	echo "$T/$1"
}

# ---------------------------------------------------------------------------
# Accounts: root (the first: a server admin), alice (owns #dev), bob (a
# member of #dev), carol (not a member), dave (a member).

wire_register root root
wire_register al alice
wire_register bo bob
wire_register ca carol
wire_register da dave
wire_ok al room_create '{"room":"#dev"}' >/dev/null
wire_ok bo room_join '{"room":"#dev"}' >/dev/null
wire_ok da room_join '{"room":"#dev"}' >/dev/null
# alice watches #dev live (events flow after a sync with more=false).
wire_resume alw alice
wire_ok alw sync '{}' >/dev/null

# --- Parameters -----------------------------------------------------------
wire_err bo file_begin '{"to":"#dev","size":100,"chunks":0}' -32602 >/dev/null
wire_err bo file_begin '{"to":"#dev","size":40,"chunks":3}' -32602 >/dev/null
wire_err bo file_begin '{"to":"#dev","size":200000,"chunks":2}' -32602 >/dev/null
wire_err bo file_begin '{"to":"#nowhere","size":100,"chunks":1}' 1008 >/dev/null
wire_err bo file_begin '{"to":"nobody","size":100,"chunks":1}' 1007 >/dev/null
wire_err ca file_begin '{"to":"#dev","size":100,"chunks":1}' 1026 >/dev/null

# --- One chunk: a marker stored exactly as given --------------------------
# The marker's plaintext never goes to the server; an opaque transform of
# it (what an agent's encryption stands for here) does, and is kept as is.
MARK="plainmarker$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$MARK" | tr 'a-z' 'n-za-m' >"$T/mark.bin"
CMARK=$(cat "$T/mark.bin")
msize=$(stat -c %s "$T/mark.bin")
F1=$(begin bo '#dev' "$msize" 1)
[[ $F1 =~ ^[0-9a-f]{32}$ ]] || fail "file id $F1 is not 32 hex digits"
wire_err bo file_end "{\"file\":\"$F1\"}" 1063 >/dev/null
put_ok bo "$F1" 0 "$T/mark.bin"
r=$(wire_ok bo file_end "{\"file\":\"$F1\"}")
assert_eq "$r" "{\"file\":\"$F1\",\"size\":$msize}" "file_end"
assert_eq "$(wire_ok bo file_end "{\"file\":\"$F1\"}")" "$r" "file_end again (a lost reply) answers the same"
assert_eq "$(server_sql "select data from file_chunks where file_id = '$F1'")" "$CMARK" "the chunk is stored exactly as given"
wire_err bo file_put "{\"file\":\"$F1\",\"seq\":0,\"data\":\"AAAA\"}" 1062 >/dev/null

# --- Three chunks: resend, order, sizes ------------------------------------
c0=$(chunk c0 65553); c1=$(chunk c1 65553); c2=$(chunk c2 1000)
F3=$(begin bo '#dev' 132106 3)
put_ok bo "$F3" 0 "$c0"
r=$(put bo "$F3" 0 "$c0")
assert_eq "$(jq -c .result <<<"$r")" '{"have":1}' "a resent chunk is acknowledged"
assert_eq "$(server_sql "select count(*) from file_chunks where file_id = '$F3'")" 1 "a resent chunk is not stored twice"
r=$(put bo "$F3" 2 "$c2")
assert_eq "$(jq -c '[.error.code, .error.data]' <<<"$r")" '[1063,{"have":1}]' "a chunk out of order: 1063 with have"
r=$(put bo "$F3" 1 "$(chunk big 66000)")
assert_eq "$(jq -r .error.code <<<"$r")" -32602 "a chunk over 65553 bytes"
put_ok bo "$F3" 1 "$c1"
r=$(put bo "$F3" 2 "$(chunk short 999)")
assert_eq "$(jq -c '[.error.code, .error.data]' <<<"$r")" '[1063,{"have":2}]' "a last chunk short of the size: 1063"
r=$(put bo "$F3" 3 "$c2")
assert_eq "$(jq -r .error.code <<<"$r")" 1063 "seq past the chunk count: 1063"
wire_err al file_put "{\"file\":\"$F3\",\"seq\":2,\"data\":\"AAAA\"}" 1062 >/dev/null
r=$(wire_ok bo file_status "{\"file\":\"$F3\"}")
assert_eq "$r" "{\"file\":\"$F3\",\"from\":\"bob\",\"to\":\"#dev\",\"size\":132106,\"chunks\":3,\"have\":2,\"done\":false}" "file_status of an upload"
# Unfinished: its readers are told what strangers are.
e_unfinished=$(wire_err al file_get "{\"file\":\"$F3\",\"seq\":0}" 1062)
wire_err al file_status "{\"file\":\"$F3\"}" 1062 >/dev/null
put_ok bo "$F3" 2 "$c2"
wire_ok bo file_end "{\"file\":\"$F3\"}" >/dev/null

# --- Who may read ----------------------------------------------------------
e_stranger=$(wire_err ca file_get "{\"file\":\"$F3\",\"seq\":0}" 1062)
e_unknown=$(wire_err ca file_get "{\"file\":\"$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')\",\"seq\":0}" 1062)
e_bad=$(wire_err ca file_get '{"file":"not-an-id","seq":0}' 1062)
assert_eq "$e_stranger" "$e_unknown" "a non-member and an unknown file get the same reply"
assert_eq "$e_unfinished" "$e_unknown" "an unfinished file and an unknown file get the same reply"
assert_eq "$e_bad" "$e_unknown" "a malformed id and an unknown file get the same reply"
assert_eq "$(jq -r .message <<<"$e_unknown")" "no such file" "1062's message"
wire_err ca file_status "{\"file\":\"$F3\"}" 1062 >/dev/null
i=0
for c in "$c0" "$c1" "$c2"; do
	r=$(wire_ok da file_get "{\"file\":\"$F3\",\"seq\":$i}")
	assert_eq "$(jq -r .data <<<"$r")" "$(base64 -w0 "$c")" "dave (a member) fetches chunk $i back"
	assert_eq "$(jq -r .last <<<"$r")" "$([ $i = 2 ] && echo true || echo false)" "chunk $i last"
	i=$((i + 1))
done
wire_err da file_get "{\"file\":\"$F3\",\"seq\":3}" -32602 >/dev/null
assert_eq "$(wire_ok da file_status "{\"file\":\"$F3\"}" | jq -c '[.done, .have]')" '[true,3]' "a reader's file_status"

# --- A reader that streams requests and doesn't read the replies ------------
# 80 file_get (7 MB of replies) in one go, while nothing reads what comes
# back: the server stops reading the connection (it is paused), rather than
# queueing without bound or cutting it off; once the client reads, every
# reply arrives.
mkfifo "$T/stall.in" "$T/stall.out"
exec {stall_in}<>"$T/stall.in" {stall_out}<>"$T/stall.out"
socat -t 0.5 - "OPENSSL:127.0.0.1:$PORT,verify=0" <"$T/stall.in" >&"$stall_out" 2>"$T/stall.err" &
stall_pid=$!
lib_track "$stall_pid"
{
	printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"version":1}}\n'
	printf '{"jsonrpc":"2.0","id":2,"method":"resume","params":{"token":"%s"}}\n' "$(cat "$T/users/dave.token")"
	for ((i = 0; i < 80; i++)); do
		printf '{"jsonrpc":"2.0","id":%d,"method":"file_get","params":{"file":"%s","seq":0}}\n' $((1000 + i)) "$F3"
	done
} >&"$stall_in"
wait_until 30 "the server to pause the connection" grep -q "paused with" "$SERVER_LOG"
timeout 60 head -n 82 <&"$stall_out" >"$T/stall.got"
assert_eq "$(jq -r 'select(.id >= 1000) | .result.data' "$T/stall.got" | sort -u)" "$(base64 -w0 "$c0")" "every streamed file_get got chunk 0"
assert_eq "$(jq -c 'select(.id >= 1000)' "$T/stall.got" | wc -l)" 80 "all 80 replies came"
assert_not_contains "$(server_log)" "output queue over the limit" "the connection was paused, not cut off"
kill "$stall_pid"
wait "$stall_pid" 2>/dev/null || true
exec {stall_in}>&- {stall_out}>&-

# --- Size limit, quota, unfinished uploads ---------------------------------
r=$(wire_err bo file_begin "{\"to\":\"#dev\",\"size\":$((MAXF + 1)),\"chunks\":5}" 1060)
assert_eq "$(jq -c .data <<<"$r")" "{\"max\":$MAXF}" "1060 says the limit"
used=$((msize + 132106))
U1=$(begin bo '#dev' 200000 4)
U2=$(begin bo '#dev' 200000 4)
used=$((used + 400000))
r=$(wire_err bo file_begin '{"to":"#dev","size":100000,"chunks":2}' 1061)
assert_eq "$(jq -c .data <<<"$r")" "{\"quota\":$QUOTA,\"used\":$used}" "1061 counts the two unfinished uploads"
U3=$(begin bo alice 100 1)
U4=$(begin bo alice 100 1)
wire_err bo file_begin '{"to":"alice","size":100,"chunks":1}' 1064 >/dev/null
# Another account has its own quota.
A1=$(begin al '#dev' "$msize" 1)
put_ok al "$A1" 0 "$T/mark.bin"
wire_ok al file_end "{\"file\":\"$A1\"}" >/dev/null

# --- send with a file ------------------------------------------------------
body=$(printf 'opaque sealed message' | base64 -w0)
r=$(wire_ok bo send "{\"to\":\"#dev\",\"cid\":\"f3\",\"body\":\"$body\",\"file\":\"$F3\"}")
M3=$(jq .id <<<"$r")
wait_until 10 "alice's live file message" grep -q "\"file\":\"$F3\"" "$(conn_out alw)"
n=$(jq -cRn --argjson id "$M3" '[inputs | fromjson? | select(.method == "message" and .params.id == $id) | .params.file] | .[0]' "$(conn_out alw)")
assert_eq "$n" "\"$F3\"" "the message event names the file"
assert_eq "$(wire_ok bo send "{\"to\":\"#dev\",\"cid\":\"f3\",\"body\":\"$body\",\"file\":\"$F3\"}" | jq -c '[.id, .dup]')" "[$M3,true]" "a resent send with its file is a dup"
wire_err bo send "{\"to\":\"#dev\",\"cid\":\"f3b\",\"body\":\"$body\",\"file\":\"$F3\"}" 1065 >/dev/null
wire_err bo send "{\"to\":\"#dev\",\"cid\":\"f3c\",\"body\":\"$body\",\"file\":\"$A1\"}" 1065 >/dev/null
wire_err bo send "{\"to\":\"alice\",\"cid\":\"f3d\",\"body\":\"$body\",\"file\":\"$F1\"}" 1065 >/dev/null
wire_err bo send "{\"to\":\"alice\",\"cid\":\"f3e\",\"body\":\"$body\",\"file\":\"$U3\"}" 1065 >/dev/null
wire_err bo send "{\"to\":\"#dev\",\"cid\":\"f3f\",\"body\":\"$body\",\"file\":\"XYZ\"}" -32602 >/dev/null
assert_eq "$(server_sql "select count(*) from messages where cid like 'f3%'")" 1 "refused sends stored nothing"
# Two sends announcing one file in one write (so one batch): one wins.
printf '%s\n' "{\"jsonrpc\":\"2.0\",\"id\":91,\"method\":\"send\",\"params\":{\"to\":\"#dev\",\"cid\":\"f1\",\"body\":\"$body\",\"file\":\"$F1\"}}
{\"jsonrpc\":\"2.0\",\"id\":92,\"method\":\"send\",\"params\":{\"to\":\"#dev\",\"cid\":\"f1x\",\"body\":\"$body\",\"file\":\"$F1\"}}" >"$T/two-sends"
cat "$T/two-sends" >&"${CONN_FD[bo]}"
r=$(wait_for_reply "$(conn_out bo)" 91)
r2=$(wait_for_reply "$(conn_out bo)" 92)
assert_eq "$(jq -r .error.code <<<"$r2")" 1065 "the second send announcing the same file"
M1=$(jq .result.id <<<"$r")
assert_eq "$(server_sql "select msg_id from files where id = '$F1'") $(server_sql "select count(*) from messages where cid = 'f1x'")" "$M1 0" "the first send announced it, the second stored nothing"
r=$(wire_ok da send "{\"to\":\"#dev\",\"cid\":\"d1\",\"body\":\"$body\"}")
MD=$(jq .id <<<"$r")
r=$(wire_ok bo send "{\"to\":\"alice\",\"cid\":\"dm1\",\"body\":\"$body\"}")
MDM=$(jq .id <<<"$r")

# --- delete ----------------------------------------------------------------
wire_err da delete "{\"id\":$M3}" 1020 >/dev/null
wire_err ca delete "{\"id\":$M3}" 1030 >/dev/null
e1=$(wire_err ca delete '{"id":999999}' 1030)
wire_err ca delete "{\"id\":$MDM}" 1030 >/dev/null
wire_err al delete "{\"id\":$MDM}" 1020 >/dev/null
r=$(wire_ok bo delete "{\"id\":$M3}")
R3=$(jq .id <<<"$r")
assert_eq "$r" "{\"id\":$R3,\"deletes\":$M3}" "bob deletes his message"
[ "$R3" -gt "$MDM" ] || fail "the deletion record $R3 is not after message $MDM"
wire_err bo delete "{\"id\":$M3}" 1030 >/dev/null
wire_err bo delete "{\"id\":$R3}" 1030 >/dev/null
wait_until 10 "alice's live deletion record" grep -q "\"deletes\":$M3" "$(conn_out alw)"
ev=$(jq -cRn --argjson id "$R3" 'first(inputs | fromjson? | select(.method == "message" and .params.id == $id) | .params | del(.ts))' "$(conn_out alw)")
assert_eq "$ev" "{\"id\":$R3,\"from\":\"bob\",\"to\":\"#dev\",\"deletes\":$M3}" "the live deletion record (no body, no cid)"
wire_err da file_get "{\"file\":\"$F3\",\"seq\":0}" 1062 >/dev/null
wire_err bo file_status "{\"file\":\"$F3\"}" 1062 >/dev/null
assert_eq "$(server_sql "select count(*) from file_chunks where file_id = '$F3'") $(server_sql "select count(*) from files where id = '$F3'")" "0 0" "the deleted message's file and chunks are gone"
assert_eq "$(server_sql "select length(body) from messages where id = $M3")" 0 "the deleted message's body is gone"
r=$(wire_ok al delete "{\"id\":$MD}")
RD=$(jq .id <<<"$r")
r=$(wire_ok root delete "{\"id\":$MDM}")
RDM=$(jq .id <<<"$r")
# Offline readers: sync from before, and history.
r=$(wire_ok da sync "{\"since\":$((M3 - 1))}")
assert_eq "$(jq -c '[.messages[] | [.id, .deletes // null, has("body")]]' <<<"$r")" \
	"[[$M1,null,true],[$R3,$M3,false],[$RD,$MD,false]]" "sync skips deleted messages and carries the records"
r=$(wire_ok bo history '{"conv":"#dev"}')
assert_eq "$(jq -c '[.messages[] | .id]' <<<"$r")" "[$M1,$R3,$RD]" "history omits deleted messages, shows records"
assert_eq "$(jq -r --argjson id "$M1" '.messages[] | select(.id == $id) | .file' <<<"$r")" "$F1" "history names a message's file"
r=$(wire_ok al history '{"conv":"bob"}')
assert_eq "$(jq -c '[.messages[] | [.id, .from, .deletes]]' <<<"$r")" "[[$RDM,\"root\",$MDM]]" "an admin deleted a DM: both parties see the record"

# --- Kill -9 mid-upload, resume --------------------------------------------
K0=$(chunk k0 65553); K1=$(chunk k1 65553); K2=$(chunk k2 17)
FK=$(wire_ok al file_begin '{"to":"bob","size":131123,"chunks":3}' | jq -r .file)
put_ok al "$FK" 0 "$K0"
kill9_server
for t in root al bo ca da alw; do conn_close "$t"; done
restart_server
wire_resume al alice
wire_resume bo bob
r=$(wire_ok al file_status "{\"file\":\"$FK\"}")
assert_eq "$(jq -c '[.have, .done]' <<<"$r")" '[1,false]' "after kill -9 the committed chunk is there"
put_ok al "$FK" 1 "$K1"
put_ok al "$FK" 2 "$K2"
wire_ok al file_end "{\"file\":\"$FK\"}" >/dev/null
i=0
for c in "$K0" "$K1" "$K2"; do
	assert_eq "$(wire_ok bo file_get "{\"file\":\"$FK\",\"seq\":$i}" | jq -r .data)" "$(base64 -w0 "$c")" "bob fetches resumed chunk $i"
	i=$((i + 1))
done

# --- Room deletion removes its files ---------------------------------------
nroom=$(server_sql "select count(*) from files f join rooms r on r.id = f.room_id where r.name = '#dev'")
[ "$nroom" -ge 3 ] || fail "#dev should have files before it is deleted ($nroom)"
wire_ok al room_delete '{"room":"#dev"}' >/dev/null
assert_eq "$(server_sql "select count(*) from files where room_id is not null") $(server_sql "select count(*) from file_chunks c join files f on f.id = c.file_id where f.room_id is not null")" "0 0" "room_delete removed every file sent to it"
wire_err al file_status "{\"file\":\"$A1\"}" 1062 >/dev/null

# --- The 24 h cleanup (the server's clock a day and an hour ahead) ----------
# Left: bob's DM uploads U3 (unfinished) and U4 (unfinished), alice's FK
# (finished, never announced); an announced DM file survives.
c5=$(chunk c5 100)
F5=$(begin bo alice 100 1)
put_ok bo "$F5" 0 "$c5"
wire_ok bo file_end "{\"file\":\"$F5\"}" >/dev/null
wire_ok bo send "{\"to\":\"alice\",\"cid\":\"f5\",\"body\":\"$body\",\"file\":\"$F5\"}" >/dev/null
assert_eq "$(server_sql "select count(*) from files")" 4 "files before the cleanup"
conn_close al; conn_close bo
stop_server
export CHATSEC_TEST_CLOCK_OFFSET=90000
restart_server
unset CHATSEC_TEST_CLOCK_OFFSET
assert_eq "$(server_sql "select id from files")" "$F5" "after 24 h only the announced file is left"
assert_eq "$(server_sql "select count(*) from file_chunks where file_id <> '$F5'")" 0 "their chunks went with them"
assert_contains "$(server_log)" "3 unfinished or unannounced files removed" "the cleanup is logged"

# --- Nothing but what was given --------------------------------------------
# The marker's plaintext was never sent, so it is nowhere; the bytes that
# were uploaded (twice, to #dev) went with the room: secure_delete leaves
# no copy in the database once the server closed it.
stop_server
for f in "$SERVER_DIR"/* "$SERVER_LOG"; do
	[ -f "$f" ] || continue
	if grep -aq "$MARK" "$f"; then
		fail "the plaintext marker is in ${f##*/}"
	fi
	if grep -aq "$CMARK" "$f"; then
		fail "the deleted chunk's bytes are still in ${f##*/}"
	fi
done
echo "PASS: $TEST_NAME"

#!/bin/bash
# chatsec — integration: clients that never read.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# On the wire: a logged-in connection that stops reading while its room is
# flooded is cut off once its output passes output_max; the server's memory
# stays flat and a reader in the same room gets every message.  One that
# only stops for a while (its socket full in the middle of a TLS record)
# gets every message, in order, once it reads again.  On the
# agent's socket: a client that pipelines thousands of requests without
# reading is paused (the agent's memory stays bounded, others are served),
# and gets every reply, in order, once it reads.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/wire-lib.sh"

rss_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# A small ASan quarantine, so RSS says what the server holds.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1" start_server --output-max 524288
wire_register s alice
wire_register r bob
wire_register c0 carol
wire_ok r sync '{"since":0}' >/dev/null

# carol's second connection: TLS to the server, its output to a pipe that
# nobody reads once the first replies are in.
mkfifo "$T/stuck.in" "$T/stuck.out"
exec {stuck_in}<>"$T/stuck.in" {stuck_out}<>"$T/stuck.out"
socat -t 0.5 - "OPENSSL:127.0.0.1:$PORT,verify=0" <"$T/stuck.in" >"$T/stuck.out" 2>/dev/null &
lib_track $!
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"version":1}}' \
	"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resume\",\"params\":{\"token\":\"$(cat "$T/users/carol.token")\"}}" \
	'{"jsonrpc":"2.0","id":3,"method":"sync","params":{"since":0}}' >&"$stuck_in"
for i in 1 2 3; do
	read -r -t 10 -u "$stuck_out" line || fail "no reply $i on the stuck connection"
	jq -e 'has("result")' >/dev/null <<<"$line" || fail "stuck connection, reply $i: $line"
done

# Warm up (TLS buffers, the statement cache), then measure.
body=$(head -c 65536 /dev/urandom | base64 -w0)
for ((i = 1; i <= 10; i++)); do
	wire_ok s send "{\"to\":\"#general\",\"cid\":\"w$i\",\"body\":\"$body\"}" >/dev/null
done
before=$(rss_of "$SERVER_PID")

# Flood #general (87 KiB frames) until carol's connection is cut off: the
# kernel's socket buffers take the first few MiB.
n=0
for ((i = 1; i <= 400; i++)); do
	wire_ok s send "{\"to\":\"#general\",\"cid\":\"f$i\",\"body\":\"$body\"}" >/dev/null
	n=$i
	if grep -q "carol@127.0.0.1): closed: output queue over the limit" "$SERVER_LOG"; then
		break
	fi
done
grep -q "carol@127.0.0.1): closed: output queue over the limit" "$SERVER_LOG" ||
	fail "400 messages of 64 KiB and carol's unread connection was not cut off"
# Then as much again, with nobody stuck.
for ((i = 1; i <= n; i++)); do
	wire_ok s send "{\"to\":\"#general\",\"cid\":\"g$i\",\"body\":\"$body\"}" >/dev/null
done
last=$(wire_ok s send '{"to":"#general","cid":"last","body":"aGk="}' | jq -r .id)
after=$(rss_of "$SERVER_PID")
echo "server RSS: $before KiB before, $after KiB after $((2 * n)) messages of 64 KiB and a cut-off reader"
[ $((after - before)) -lt 16384 ] || fail "server RSS grew by $((after - before)) KiB"

# bob read along and has every message; carol's first connection too.
wait_until 60 "bob to get the last message" grep -q "\"id\":$last," "$(conn_out r)"
assert_eq "$(grep -c '"method":"message"' "$(conn_out r)")" $((10 + 2 * n + 1)) "messages bob got while carol's other connection was stuck"
wire_ok c0 who '{}' >/dev/null
lib_alive "$SERVER_PID" || fail "chatsecd died"

# A reader that stops for a while and catches up.  Alice pipelines small
# sends, so each turn gives the reader several events, gathered into one
# TLS record; its socket fills in the middle of them.  Once it reads again
# it gets every message, in order, and is still connected.
WIRE_OPTS=,rcvbuf=4096,mss=536 wire_resume lag bob
wire_ok lag sync "{\"since\":$last}" >/dev/null
kill -STOP "${CONN_PID[lag]}"
M=800
for ((i = 1; i <= M; i++)); do
	printf '{"jsonrpc":"2.0","id":%d,"method":"send","params":{"to":"#general","cid":"lag%d","body":"bGFnZ2luZw=="}}\n' $((20000 + i)) "$i"
done >&"${CONN_FD[s]}"
wait_for_reply "$(conn_out s)" $((20000 + M)) 60 >/dev/null
got=$(grep -c '"cid":"lag' "$(conn_out lag)" || :)
echo "the stopped reader had $got of the $M messages when the last was stored"
[ "$got" -lt $((M / 2)) ] || fail "the stopped reader had $got of $M messages already: its socket never filled, nothing tested"
kill -CONT "${CONN_PID[lag]}"
lagout=$(conn_out lag)
wait_until 60 "the reader to catch up" grep -q '"cid":"lag'"$M"'"' "$lagout"
assert_eq "$(jq -r 'select(.method == "message" and (.params.cid | startswith("lag"))) | .params.cid' "$lagout" | tr -d lag | awk '$1 != NR { bad++ } END { print NR, bad + 0 }')" "$M 0" \
	"messages the reader got after catching up (count, out of order)"
wire_ok lag who '{}' >/dev/null

# --- the agent: a client pipelining requests without reading -----------------------
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1" start_agent dave
register_user dave dave 'dave password' >/dev/null
wait_ready dave
apid=${AGENT_PID[dave]}
a_before=$(rss_of "$apid")
mkfifo "$T/pipe.in" "$T/pipe.out"
exec {pipe_in}<>"$T/pipe.in" {pipe_out}<>"$T/pipe.out"
socat -t 0.5 - "UNIX-CONNECT:$(agent_sock dave)" <"$T/pipe.in" >"$T/pipe.out" 2>/dev/null &
lib_track $!
N=20000
for ((i = 1; i <= N; i++)); do
	printf '{"jsonrpc":"2.0","id":%d,"method":"status"}\n' "$i"
done >"$T/pipe.reqs"
# Written from the background: the agent stops reading, so this blocks.
cat "$T/pipe.reqs" >&"$pipe_in" &
writer=$!
lib_track $writer
sleep 3
lib_alive "$writer" || fail "$N pipelined requests (~$(($(wc -c <"$T/pipe.reqs") / 1024)) KiB) were all taken in while no reply was read: no back-pressure"
a_mid=$(rss_of "$apid")
RPC_TIMEOUT=10 rpc_ok dave hello >/dev/null
echo "agent RSS: $a_before KiB before, $a_mid KiB while $N requests wait unread"
[ $((a_mid - a_before)) -lt 32768 ] || fail "the agent grew by $((a_mid - a_before)) KiB for a client that doesn't read"
# Now read: every reply, in order.
got=$(timeout 60 head -n "$N" <&"$pipe_out" | jq -r .id | awk -v n="$N" '$1 != NR { bad++ } END { print NR, bad + 0 }')
assert_eq "$got" "$N 0" "replies read afterwards (count, out of order)"
wait_exit "$writer" 10 || fail "the writer of the pipelined requests never finished"

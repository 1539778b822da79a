#!/bin/bash
# chatsec — integration: connection limits and deadlines.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Per-address connection cap, the pre-login deadline, the pre-login byte
# budget, junk, plain HTTP and a TLS 1.2-only client refused with an audit
# line each, and a flood of requests slowed to the request rate (not cut
# off, the connection's others served meanwhile); through all of it a
# logged-in user keeps chatting.  A login waiting for the hash pool is
# answered however long it waited, and the connection closed after.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/wire-lib.sh"

start_server --max-per-addr 4 --login-timeout 3 --prelogin-bytes 2048 \
	--request-rate 20 --request-burst 10
wire_register a alice		# one connection from 127.0.0.1, kept

# --- per-address cap: 4 in all from 127.0.0.1 ---------------------------------------
for t in p1 p2 p3; do
	wire_open "$t"
done
conn_open p4 "OPENSSL:127.0.0.1:$PORT,verify=0"
conn_closed_within p4 5 || fail "a 5th connection from one address was not refused (cap 4)"
assert_contains "$(server_log)" "audit: refused user=- addr=127.0.0.1: too many connections from this address" \
	"the refusal is in the audit log"

# --- the pre-login deadline (3 s) closes the three that never logged in -----------
for t in p1 p2 p3; do
	conn_closed_within "$t" 10 || fail "connection $t, never logged in, still open after the 3 s login deadline"
done
assert_match "$(server_log)" "clos(ed|ing): login timeout" "the deadline is logged"
wire_ok a who '{}' >/dev/null	# the logged-in one is untouched

# --- the pre-login byte budget: 2 KiB ---------------------------------------------
wire_open b
pad=$(head -c 1500 /dev/zero | tr '\0' x)
conn_send b "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"pad\":\"$pad\"}}"
conn_send b "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"params\":{\"pad\":\"$pad\"}}"
conn_closed_within b 5 || fail "3 KiB before login (budget 2 KiB) did not close the connection"
assert_match "$(server_log)" "clos(ed|ing): pre-login byte budget spent" "the budget is logged"

# --- junk, plain HTTP and TLS 1.2 are refused, and each is in the audit log -------
# refused_handshakes: audit lines of connections that never got to TLS 1.3.
refused_handshakes() { grep 'audit: connect user=- addr=127.0.0.1: ' "$SERVER_LOG" | grep -vc ': TLSv1\.3 ' || true; }
n0=$(refused_handshakes)
conn_open http "TCP:127.0.0.1:$PORT"
conn_send_raw http 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
conn_closed_within http 5 || fail "plain HTTP was not refused within 5 s"
conn_open junk "TCP:127.0.0.1:$PORT"
conn_send_raw junk '\0\1\2\3 random bytes \377\376'
conn_closed_within junk 5 || fail "random bytes were not refused within 5 s"
rc=0
timeout 15 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 </dev/null >"$T/tls12.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "a TLS 1.2-only client was not refused (rc $rc)"
sleep 0.5
n1=$(refused_handshakes)
assert_eq "$((n1 - n0))" 3 "audit lines for HTTP, random bytes and TLS 1.2 ($(grep 'audit: connect' "$SERVER_LOG" | tail -n 3))"
assert_contains "$(server_log)" "addr=127.0.0.1: http request" "plain HTTP is named as such"

# --- the request rate: 20/s over a burst of 10, a flood slowed, not cut --------------
wire_resume f alice
wire_resume g alice
t0=$(lib_now_us)
for ((i = 1; i <= 60; i++)); do
	printf '{"jsonrpc":"2.0","id":%d,"method":"ping","params":{}}\n' $((5000 + i))
done >"$T/flood"
conn_send f "$(cat "$T/flood")"
# While f waits its turn, g is served at once.
wire_ok g ping '{}' >/dev/null
[ "$(grep -c '"id":50[0-9][0-9]' "$(conn_out f)")" -lt 60 ] ||
	fail "all 60 pipelined requests were answered before another connection's one: no throttle"
wait_for_reply "$(conn_out f)" 5060 30 >/dev/null
elapsed_ms=$((($(lib_now_us) - t0) / 1000))
assert_eq "$(grep -c '"result"' "$(conn_out f)")" 62 "every request of the flood answered (and hello and resume)"
# 50 requests beyond the burst at 20 a second can't take less than 2.5 s.
[ "$elapsed_ms" -ge 2000 ] || fail "60 requests at 20/s (burst 10) answered in $elapsed_ms ms: not throttled"
conn_closed_within f 0 && fail "the flooding connection was cut off"

# Through all of it alice chats.
wire_ok a send '{"to":"#general","cid":"still","body":"aGk="}' >/dev/null
lib_alive "$SERVER_PID" || fail "chatsecd died"

# --- a login queued for the hash pool is answered past the deadline, then cut -------
# One hashing thread and 512 MiB hashes: four logins sent at once wait
# their turn for longer than the 1 s login deadline.  The wait is the
# server's, not the client's: each gets its reply (here the failure),
# and only then is the connection closed.  A register is the same.
stop_server
start_server --login-timeout 1 --hash-threads 1 --argon2-opslimit 3 --argon2-memlimit-kib 524288
t0=$(lib_now_us)
wire_register h hana
for i in 1 2 3 4; do
	wire_open "q$i"
done
for i in 1 2 3 4; do
	conn_send "q$i" "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"login\",\"params\":{\"user\":\"nobody$i\",\"password\":\"not a password\",\"code\":\"123456\"}}"
done
for i in 1 2 3 4; do
	r=$(wait_for_reply "$(conn_out "q$i")" 7 60)
	assert_jq "$r" '.error.code == 1002' "login $i, queued past the deadline, is answered"
	conn_closed_within "q$i" 5 || fail "connection q$i still open after its overdue login was answered"
done
elapsed_ms=$((($(lib_now_us) - t0) / 1000))
[ "$elapsed_ms" -ge 1500 ] || fail "a register and 4 logins of 512 MiB hashes took only $elapsed_ms ms: nothing was overdue"
wire_ok h who '{}' >/dev/null	# hana, registered past the deadline, is in

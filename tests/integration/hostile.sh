#!/bin/bash
# chatsec — integration: hostile bytes on the wire.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 9, hostile bytes, on a real TLS connection: the same requests sent
# one byte per TLS record and as 2000 frames in one write parse the same;
# deep nesting, huge numbers, bad UTF-8, a NUL byte, trailing garbage, a
# JSON array and a line over the limit each get one error with a null id
# (saying what was wrong), nothing after it on that connection is answered;
# the server's memory stays flat over 60 such connections and it keeps
# serving the others.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(cd "$(dirname "$0")/.." && pwd)/wire-lib.sh"

# Under AddressSanitizer freed memory waits in a quarantine: keep it small
# so the server's RSS says what it holds.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1" start_server
wire_register al alice

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }

# --- 1-byte TLS records and 2000 frames in one write parse the same ------------
reqs=$T/reqs.in
{
	printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"version":1}}\n'
	for ((i = 2; i <= 21; i++)); do
		printf '{"jsonrpc":"2.0","id":%d,"method":"ping","params":{}}\n' "$i"
	done
} >"$reqs"
# socat -b 1 reads and forwards one byte at a time: one TLS record each.
timeout 60 socat -b 1 -t 3 - "OPENSSL:127.0.0.1:$PORT,verify=0" <"$reqs" >"$T/bytewise.out" 2>/dev/null || true
timeout 60 socat -t 3 - "OPENSSL:127.0.0.1:$PORT,verify=0" <"$reqs" >"$T/whole.out" 2>/dev/null || true
assert_eq "$(jq -c .id "$T/bytewise.out" | tr '\n' ' ')" "$(seq 1 21 | tr '\n' ' ')" \
	"replies to 21 requests sent one byte per TLS record"
assert_eq "$(cat "$T/bytewise.out")" "$(cat "$T/whole.out")" "byte by byte and whole give the same replies"

N=2000
for ((i = 1; i <= N; i++)); do
	printf '{"jsonrpc":"2.0","id":%d,"method":"ping","params":{}}\n' $((10000 + i))
done >"$T/burst.in"
conn_send_raw al "$(sed 's/%/%%/g' "$T/burst.in" | sed ':a;N;$!ba;s/\n/\\n/g')\\n"
wait_for_reply "$(conn_out al)" $((10000 + N)) 30 >/dev/null
assert_eq "$(jq -c 'select(.id > 10000 and .id <= 10000 + '"$N"') | .id' "$(conn_out al)" | jq -s 'length, (. == sort)' | tr '\n' ' ')" \
	"$N true " "$N pings in one write: $N replies, in order"

# --- each hostile line: one error, then the connection is closed ---------------
deep=$(printf '{"a":%.0s' {1..20})1$(printf '}%.0s' {1..20})
big=$(head -c 300000 /dev/zero | tr '\0' 'x')
i=0
hostile()	# NAME CODE REGEX PRINTF_FORMAT
{
	local f=$T/hostile-$((i++)) r
	{
		printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"version":1}}\n'
		# shellcheck disable=SC2059
		printf "$4"
	} >"$f.in"
	timeout 20 socat -t 10 - "OPENSSL:127.0.0.1:$PORT,verify=0" <"$f.in" >"$f.out" 2>/dev/null || true
	assert_jq "$(jq -c 'select(.id == 1)' "$f.out")" '.result.version == 1' "$1: hello answered first"
	r=$(jq -c 'select(.id == null)' "$f.out" 2>/dev/null || true)
	assert_jq "$r" ".error.code == $2 and (.error.message | test(\"$3\"))" "$1: one error with a null id"
	assert_eq "$(jq -c 'select(.id != 1 and .id != null)' "$f.out")" "" "$1: nothing after the offending line is answered"
}
hostile "nesting 20 deep" -32700 'nested too deeply' "$deep\\n"
hostile "bad UTF-8" -32700 'UTF-8' '{"jsonrpc":"2.0","id":2,"method":"ping","params":{"x":"\303\050"}}\n'
hostile "a NUL byte" -32700 'NUL' '{"jsonrpc":"2.0","id":2,"method":"ping",\000"params":{}}\n'
hostile "trailing garbage" -32700 'trailing|unexpected character' '{"jsonrpc":"2.0","id":2,"method":"ping","params":{}} xyz\n'
hostile "a JSON array" -32700 'not a JSON object' '[1,2,3]\n{"jsonrpc":"2.0","id":3,"method":"ping","params":{}}\n'
hostile "plain HTTP" -32700 'not a JSON object|invalid JSON' 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
hostile "a line over 256 KiB" -32000 'longer than' "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"params\":{\"x\":\"$big\"}}\\n"

# A huge number is valid JSON: it is refused as a bad id, and the
# connection carries on.
conn_send al '{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"ping","params":{}}'
conn_send al '{"jsonrpc":"2.0","id":7,"method":"ping","params":{"n":1e999999}}'
conn_send al '{"jsonrpc":"2.0","id":8,"method":"ping","params":{}}'
wait_for_reply "$(conn_out al)" 8 >/dev/null
assert_jq "$(jq -c 'select(.id == 7)' "$(conn_out al)")" '.error.code == -32602' "a huge number in params: bad parameters"
assert_jq "$(jq -c 'select(.id == null)' "$(conn_out al)" | head -n 1)" '.error.code == -32600' "a huge id: invalid request"

# --- memory stays flat; the server keeps serving ---------------------------------
junk()
{
	local k
	for ((k = 0; k < $1; k++)); do
		head -c 200000 /dev/urandom | timeout 10 socat -t 2 - "OPENSSL:127.0.0.1:$PORT,verify=0" >/dev/null 2>&1 || true
		printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"version":1}}\n{"x":"%s\n' "$big" |
			timeout 10 socat -t 2 - "OPENSSL:127.0.0.1:$PORT,verify=0" >/dev/null 2>&1 || true
	done
}
junk 10		# warm-up
before=$(rss_kib)
junk 30
after=$(rss_kib)
echo "server RSS: $before KiB after a warm-up, $after KiB after 60 more junk connections"
[ $((after - before)) -lt 8192 ] || fail "server RSS grew by $((after - before)) KiB over 60 junk connections"
r=$(wire_ok al ping '{}')
assert_eq "$r" '{}' "alice's connection still answers"
assert_contains "$(server_log)" "nested too deeply" "the server logs why it hung up"

echo "PASS: $TEST_NAME"

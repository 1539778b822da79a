#!/bin/bash
# chatsec — integration: TLS and trust.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# chatsecd serves TLS 1.3 only, with the certificate whose fingerprint it
# logged; junk, plain HTTP, silence and a half handshake are cut off and the
# server carries on; the agent pins the fingerprint on first use and
# refuses a changed certificate.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

command -v openssl >/dev/null 2>&1 || { echo "SKIP: $TEST_NAME needs openssl" >&2; exit 77; }

start_server
fp=$(server_fingerprint)
hex=${fp#SHA256:}
hex=${hex,,}
[ -f "$SERVER_DIR/server.crt" ] && [ -f "$SERVER_DIR/server.key" ] ||
	fail "chatsecd made no server.crt/server.key in its data dir: $(ls -l "$SERVER_DIR")"
assert_eq "$(stat -c %a "$SERVER_DIR/server.key")" 600 "mode of the server's private key"

# --- what a TLS client sees --------------------------------------------------------
out=$(timeout 15 openssl s_client -connect "127.0.0.1:$PORT" -tls1_3 -showcerts </dev/null 2>&1) ||
	fail "a TLS 1.3 handshake with chatsecd failed: $out"
assert_contains "$out" "TLSv1.3" "openssl s_client -tls1_3"
served=$(openssl x509 -noout -fingerprint -sha256 <<<"$out" | sed 's/.*=//; s/://g')
assert_eq "${served,,}" "$hex" "the fingerprint of the served certificate is the one logged"
text=$(openssl x509 -noout -text <<<"$out")
assert_match "$text" '(prime256v1|P-256)' "the server key is ECDSA P-256"

rc=0
out=$(timeout 15 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 </dev/null 2>&1) || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "a TLS 1.2-only client must fail the handshake (rc $rc): $out"
assert_not_contains "$out" "BEGIN CERTIFICATE" "TLS 1.2 client (must not get as far as the certificate)"

# --- the agent pins the server on first use --------------------------------------------
start_agent alice
register_user alice alice 'alice password' >/dev/null
wait_ready alice
st=$(rpc_ok alice status)
assert_jq "$st" "(.fingerprint | ascii_downcase) == \"${fp,,}\"" "status.fingerprint is the one chatsecd logged"
[ -f "$T/alice/known_servers" ] || fail "no known_servers in the profile: $(ls -l "$T/alice")"
known=$(cat "$T/alice/known_servers")
assert_contains "${known,,}" "$hex" "known_servers holds the logged fingerprint"

# --- junk on the port is cut off; the server carries on ---------------------------------
conn_open http "TCP:127.0.0.1:$PORT"
conn_send_raw http 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'
conn_open junk "TCP:127.0.0.1:$PORT"
conn_send_raw junk 'hello chatsecd, this is not TLS\n\0\1\2\3'
conn_open bigrec "TCP:127.0.0.1:$PORT"
conn_send_raw bigrec '\26\3\1\377\377'	# a handshake record header claiming 64 KiB
conn_open silent "TCP:127.0.0.1:$PORT"
conn_closed_within http 5 || fail "plain HTTP: chatsecd did not close the connection within 5 s"
conn_closed_within junk 5 || fail "junk bytes: chatsecd did not close the connection within 5 s"
# The handshake deadline is 10 s: silence and a stalled record are cut then.
conn_closed_within bigrec 15 || fail "a stalled TLS record: not cut off by the 10 s handshake deadline"
conn_closed_within silent 15 || fail "a silent connection: not cut off by the 10 s handshake deadline"
lib_alive "$SERVER_PID" || fail "chatsecd died"
assert_jq "$(rpc_ok alice status)" '.link == "ready"' "alice's link after the junk connections"
send_msg alice '#general' 'still serving' >/dev/null
out=$(timeout 15 openssl s_client -connect "127.0.0.1:$PORT" -tls1_3 </dev/null 2>&1) ||
	fail "a TLS 1.3 handshake after the junk failed: $out"

# --- a changed certificate is refused ----------------------------------------------------
stop_server
rm -f "$SERVER_DIR/server.crt" "$SERVER_DIR/server.key"
restart_server
fp2=$(server_fingerprint)
hex2=${fp2#SHA256:}
hex2=${hex2,,}
assert_ne "$hex2" "$hex" "fingerprint after making a new certificate"
st=$(wait_status alice '.link == "untrusted"' 30)
assert_match "$(jq -r '.last_error // ""' <<<"$st")" '[Cc]ertificate' "last_error names the certificate"
known=$(cat "$T/alice/known_servers")
assert_contains "${known,,}" "$hex" "known_servers still holds the old fingerprint"
assert_not_contains "${known,,}" "$hex2" "known_servers was not changed to the new fingerprint"
ev=$(rpc_ok alice events '{"since":0,"types":["link"]}')
assert_jq "$ev" '[.events[] | select(.state == "untrusted")] | (length >= 1) and (.[-1].error | type == "string")' \
	"a link event with state untrusted and an error"
# and it stays refused: no resume, alice is not online on the impostor.
start_agent bob
register_user bob bob 'bob password' >/dev/null
assert_eq "$(rpc_ok bob who | jq -c .online)" '["bob"]' "who on the new server (alice's agent did not log in)"
# (It retries now and then, so the link may be between attempts: what
# matters is that it is not ready and still says why.)
assert_jq "$(rpc_ok alice status)" '.link != "ready" and (.last_error | test("changed"))' \
	"alice's link stays refused"

echo "PASS: $TEST_NAME"

#!/bin/bash
# chatsec — integration: the first minutes of a new user.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Register (otpauth URI, wrong then right code), hello and status, who,
# send to #general and read it back from history.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

start_server
fp=$(server_fingerprint)
start_agent alice

# hello before login: the documented fields, not logged in.
h=$(rpc_ok alice hello)
assert_jq "$h" '.api_version == 1' "hello.api_version"
assert_jq "$h" '.agent | type == "string" and startswith("chatsec-agent ")' "hello.agent"
assert_jq "$h" '[.capabilities[]] as $c | ["register","login","logout","send","history","who","subscribe","events","status"] | all(. as $m | $c | index($m))' \
	"hello.capabilities has every documented method"
assert_jq "$h" '.user == null' "hello.user before login"
st=$(rpc_ok alice status)
assert_jq "$st" '.logged_in == false and .user == null' "status before login"
expect_err 1001 alice send '{"to":"#general","text":"too early"}' >/dev/null

# register: step one hands out a 160-bit base32 secret and an otpauth URI.
r=$(register_start alice alice 'correct horse battery')
secret=$(jq -r .totp_secret <<<"$r")
uri=$(jq -r .totp_uri <<<"$r")
assert_jq "$r" '.user == "alice"' "register.user"
assert_match "$secret" '^[A-Z2-7]{32}$' "totp_secret (160 bits of base32)"
assert_match "$uri" '^otpauth://totp/chatsec:alice\?' "totp_uri prefix"
query=${uri#*\?}
for kv in "secret=$secret" issuer=chatsec algorithm=SHA1 digits=6 period=30; do
	[[ "&$query&" == *"&$kv&"* ]] || fail "totp_uri lacks $kv: $uri"
done

# a wrong code is refused with 1002 and does not complete registration ...
bad=$(wrong_code alice)
e=$(expect_err 1002 alice register_confirm "{\"code\":\"$bad\"}")
st=$(rpc_ok alice status)
assert_jq "$st" '.logged_in == false' "status after a wrong code"

# ... and a right one does, logging the agent in; the first account is admin.
code=$(user_code alice)
c=$(rpc_ok alice register_confirm "{\"code\":\"$code\"}")
assert_jq "$c" '.user == "alice" and .admin == true' "register_confirm result"

h=$(rpc_ok alice hello)
assert_jq "$h" '.user == "alice" and .link == "ready"' "hello after registration"
st=$(wait_status alice '.link == "ready"' 10)
assert_jq "$st" '.logged_in == true and .user == "alice"' "status.logged_in/user"
assert_jq "$st" ".server == \"127.0.0.1:$PORT\"" "status.server"
assert_jq "$st" "(.fingerprint | ascii_downcase) == \"${fp,,}\"" "status.fingerprint is the one chatsecd logged"
assert_jq "$st" '.last_error == null' "status.last_error"

# who lists alice.
w=$(rpc_ok alice who)
assert_jq "$w" '.online == ["alice"]' "who"

# send to #general, then read it back.
text='hello, world — «ünïcödé» "quotes" \back\slash'
s=$(send_msg alice '#general' "$text")
assert_jq "$s" '(.id | type == "number") and (.ts | type == "number") and .conv == "#general" and (.cid | type == "string" and length > 0)' \
	"send result"
id=$(jq .id <<<"$s")
ts=$(jq .ts <<<"$s")
now_ms=$((EPOCHSECONDS * 1000))
[ "$ts" -gt $((now_ms - 60000)) ] && [ "$ts" -lt $((now_ms + 60000)) ] ||
	fail "send.ts $ts is not the current time in ms ($now_ms)"

hist=$(rpc_ok alice history '{"conv":"#general"}')
assert_jq "$hist" '.source == "server" and .more == false' "history source/more"
assert_jq "$hist" '.messages | length == 1' "history has exactly the one message"
m=$(jq -c '.messages[0]' <<<"$hist")
assert_jq "$m" ".id == $id and .ts == $ts and .from == \"alice\" and .to == \"#general\" and .conv == \"#general\" and .self == true" \
	"history message fields"
assert_eq "$(jq -r .text <<<"$m")" "$text" "history text round-trips exactly"

# A second send is a new message with a higher id.
s2=$(send_msg alice '#general' 'second')
assert_jq "$s2" ".id > $id" "second message id grows"
hist=$(rpc_ok alice history '{"conv":"#general"}')
assert_eq "$(jq -c '[.messages[].text]' <<<"$hist")" "$(jq -cn --arg a "$text" '[$a, "second"]')" "history texts, oldest first"

echo "PASS: $TEST_NAME"

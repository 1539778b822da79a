#!/bin/bash
# chatsec — integration: logging in and out.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# A second profile logs in to an existing account; an agent restart
# resumes without a code; a replayed code is refused; five wrong codes lock
# the second factor (1003 with retry_after, also after a server restart);
# passwords are never truncated; logout revokes the session on the server.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

# login_params USER PASSWORD CODE: the login params as JSON.
login_params()
{
	jq -cn --arg u "$1" --arg p "$2" --arg c "$3" '{user:$u,password:$p,code:$c}'
}

start_server
start_agent alice
register_user alice alice 'alice password' >/dev/null

# --- a second profile for the same account ---------------------------------------
start_agent alice2
# user names are case-folded: ALICE is alice, shown as registered.
l=$(rpc_ok alice2 login "$(login_params ALICE 'alice password' "$(user_code alice)")")
assert_jq "$l" '.user == "alice" and .admin == true' "login result on a second profile (as ALICE)"
wait_ready alice2
st=$(rpc_ok alice2 status)
assert_jq "$st" '.logged_in == true and .user == "alice"' "alice2 status after login"
assert_eq "$(rpc_ok alice2 who | jq -c .online)" '["alice"]' "who lists a user with two agents once"
# The profile holds the session token: nothing in it is readable by others.
while IFS= read -r f; do
	case ${f##*/} in known_servers*) continue ;; esac
	mode=$(stat -c %a "$f")
	[ $((8#$mode & 8#077)) -eq 0 ] || fail "profile file ${f#"$T"/} has mode $mode (the token and keys must be 0600)"
done < <(find "$T/alice2" -type f)

# A second agent has no keys until the account's identity is moved to it
# (one identity per account, doc/crypto.md): an export blob from the
# first agent, imported under the account password.
assert_jq "$(rpc_ok alice2 status)" '.keys == "missing"' "alice2 has no keys before the import"
expect_err 1046 alice2 send '{"to":"#general","text":"no keys yet"}' >/dev/null
blob=$(rpc_ok alice keys_export '{"passphrase":"move my keys"}' | jq -r .blob)
expect_err 1047 alice2 keys_import "$(jq -cn --arg b "$blob" '{blob:$b,passphrase:"wrong passphrase",password:"alice password"}')" >/dev/null
rpc_ok alice2 keys_import "$(jq -cn --arg b "$blob" '{blob:$b,passphrase:"move my keys",password:"alice password"}')" >/dev/null
assert_jq "$(rpc_ok alice2 status)" '.keys == "ready"' "alice2 has the keys after the import"
assert_eq "$(rpc_ok alice2 keys_fingerprint | jq -r .fingerprint)" "$(rpc_ok alice keys_fingerprint | jq -r .fingerprint)" \
	"one identity per account: the same fingerprint on both agents"

# Each agent of alice sees what the other sends, marked self.
sub_start a1 alice
s=$(send_msg alice2 '#general' 'from my second machine')
ev=$(wait_for_event "$(sub_out a1)" ".type == \"message\" and .id == $(jq .id <<<"$s")")
assert_jq "$ev" '.self == true and .from == "alice"' "message from alice's other agent"

# --- a replayed code is refused -------------------------------------------------------
start_agent alice3
e=$(expect_err 1002 alice3 login "$(login_params alice 'alice password' "$(last_code alice)")")
assert_jq "$(rpc_ok alice3 status)" '.logged_in == false' "alice3 after a replayed code"

# --- five wrong codes lock the second factor --------------------------------------------
start_agent carol
register_user carol carol 'carol password' >/dev/null
start_agent carol2
for i in 1 2 3 4 5; do
	e=$(rpc_error carol2 login "$(login_params carol 'carol password' "$(wrong_code carol)")")
	assert_jq "$e" '.code == 1002' "wrong code $i"
done
e=$(expect_err 1003 carol2 login "$(login_params carol 'carol password' "$(user_code carol)")")
assert_jq "$e" '.data.retry_after | type == "number" and . > 0 and . <= 900' "1003 data.retry_after (seconds, at most 15 min)"
assert_jq "$(rpc_ok carol2 status)" '.logged_in == false' "carol2 after the lock"
# The lock is per account: carol's logged-in agent is unaffected.
send_msg carol '#general' 'still here' >/dev/null

# Counters survive a restart.
stop_server
restart_server
wait_ready alice 30
wait_until 30 "carol2 to reconnect" lib_link_settled carol2
e=$(expect_err 1003 carol2 login "$(login_params carol 'carol password' "$(last_code carol)")")

# --- the ±1 step window -------------------------------------------------------------------
start_agent frank
register_start frank frank 'frank password' >/dev/null
[ $((EPOCHSECONDS % 30)) -lt 25 ] || wait_next_step	# keep the next steps apart from a boundary
s=$(cur_step)
rpc_ok frank register_confirm "$(jq -cn --arg c "$(totp_step "$(user_secret frank)" $((s - 1)))" '{code:$c}')" >/dev/null
start_agent frank2
e=$(expect_err 1002 frank2 login "$(login_params frank 'frank password' "$(totp_step "$(user_secret frank)" $((s + 2)))")")
l=$(rpc_ok frank2 login "$(login_params frank 'frank password' "$(totp_step "$(user_secret frank)" "$s")")")
echo "$s" >"$T/users/frank.step"

# --- passwords are never truncated ------------------------------------------------------
start_agent dave
long=$(printf 'L%.0s' {1..1024})
register_user dave dave "$long" >/dev/null
start_agent dave2
e=$(expect_err 1002 dave2 login "$(login_params dave "${long:0:1023}" "$(user_code dave)")")
# A NUL inside a password is either refused or kept: never a cut-off point.
start_agent erin
r=$(rpc erin register '{"user":"erin","password":"abcdefgh\u0000ijklmn"}')
if jq -e '.result' >/dev/null <<<"$r"; then
	printf '%s\n' "$(jq -r .result.totp_secret <<<"$r")" >"$T/users/erin.secret"
	rpc_ok erin register_confirm "$(jq -cn --arg c "$(user_code erin)" '{code:$c}')" >/dev/null
	start_agent erin2
	e=$(expect_err 1002 erin2 login "$(login_params erin abcdefgh "$(user_code erin)")")
else
	assert_jq "$r" '.error.code == 1006 or .error.code == -32602' "register with a NUL in the password"
fi

# --- logout revokes the session ------------------------------------------------------
# An agent restart resumes without a code.
stop_agent alice2
# alice's other agent keeps her online.
m=$(send_msg alice '#general' 'marker' | jq .id)
wait_for_event "$(sub_out a1)" ".id == $m" >/dev/null
assert_jq "$(rpc_ok alice who)" '.online | index("alice")' "who lists alice after one of her two agents stopped"
assert_eq "$(count_events "$(sub_out a1)" '.type == "presence" and .user == "alice" and .online == false')" 0 \
	"presence offline events for alice while one of her agents is still on"
cp -a "$T/alice2" "$T/stolen"
start_agent alice2
wait_ready alice2 30
assert_jq "$(rpc_ok alice2 status)" '.user == "alice"' "alice2 resumed after an agent restart"

assert_eq "$(rpc_ok alice2 logout)" '{}' "logout"
st=$(rpc_ok alice2 status)
assert_jq "$st" '.logged_in == false and .user == null' "status after logout"
expect_err 1001 alice2 send '{"to":"#general","text":"after logout"}' >/dev/null
# The other profile of alice is still logged in.
send_msg alice '#general' 'alice is still in' >/dev/null

# After a restart the agent doesn't resume.
stop_agent alice2
start_agent alice2
e=$(rpc_error alice2 send '{"to":"#general","text":"after logout and restart"}')
assert_jq "$e" '.code == 1001' "send after logout and agent restart"
assert_jq "$(rpc_ok alice2 status)" '.logged_in == false and .user == null' "status after logout and agent restart"

# A copy of the profile taken before logout holds a token the server revoked.
start_agent stolen
e=$(rpc_error stolen send '{"to":"#general","text":"with a revoked token"}')
assert_jq "$e" '.code == 1001 or .code == 1012' "send with a revoked token"
st=$(wait_status stolen '.link | IN("connecting","handshake","authenticating","syncing") | not' 15)
assert_jq "$st" '.logged_in == false and .user == null' "status of an agent whose token was revoked"
hist=$(rpc_ok alice history '{"conv":"#general","limit":5}')
assert_jq "$hist" '[.messages[] | select(.text | test("after logout|revoked"))] | length == 0' \
	"nothing was sent without a session"

echo "PASS: $TEST_NAME"

#!/bin/bash
# chatsec — integration: server admins.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# The first account is the admin; admins list accounts, disable (logged out
# everywhere at once, logins refused with the generic 1002) and enable
# accounts, revoke a user's sessions, and read the audit log with filters;
# everyone else is refused with 1020.  `chatsecd --admin-grant` and
# `--admin-revoke` change a stopped server's data dir, and refuse to touch
# a running one's.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

# agent_logged_in AGENT: the agent holds a session.
agent_logged_in()
{
	[ "$(rpc_ok "$1" status | jq -r .logged_in)" = true ]
}
agent_logged_out()
{
	! agent_logged_in "$1"
}

start_server
t0=$(($(date +%s%3N) - 1))
start_agent alice
start_agent bob
start_agent bob2
start_agent carol
assert_jq "$(register_user alice alice 'alice password')" '.admin == true' "the first account is an admin"
assert_jq "$(register_user bob bob 'bob password')" '.admin == false' "the second is not"
register_user carol carol 'carol password' >/dev/null
login_user bob2 bob >/dev/null
for a in alice bob bob2 carol; do wait_ready "$a"; done

# --- refused to non-admins -------------------------------------------------------------------------
for m in 'admin_accounts {}' 'admin_audit {}' 'admin_disable {"user":"carol"}' 'admin_enable {"user":"carol"}' \
	'admin_revoke_sessions {"user":"carol"}'; do
	e=$(expect_err 1020 bob ${m%% *} "${m#* }")
	assert_contains "$e" "server admin" "bob ${m%% *}"
done
expect_err 1007 alice admin_disable '{"user":"nobody"}' >/dev/null

# --- accounts ---------------------------------------------------------------------------------------------
acc=$(rpc_ok alice admin_accounts)
assert_jq "$acc" '[.accounts[] | [.user, .admin, .disabled, .online]] == [["alice",true,false,true],["bob",false,false,true],["carol",false,false,true]]' \
	"admin_accounts"
assert_jq "$acc" '.accounts | all(.created | type == "number")' "created times"

# --- disable: out everywhere at once, login refused --------------------------------------------------
e=$(expect_err 1020 alice admin_disable '{"user":"alice"}')
assert_contains "$e" "your own account" "an admin can't disable herself"
rpc_ok alice admin_disable '{"user":"BOB"}' | jq -e '.user == "bob" and .disabled == true' >/dev/null
wait_until 20 "bob's first agent to lose its session" agent_logged_out bob
wait_until 20 "bob's second agent to lose its session" agent_logged_out bob2
expect_err 1027 alice admin_disable '{"user":"bob"}' >/dev/null
code=$(user_code bob)
e=$(expect_err 1002 bob login "$(jq -cn --arg c "$code" '{user:"bob",password:"bob password",code:$c}')")
assert_eq "$(jq -r .message <<<"$e")" "wrong username, password or code" \
	"a disabled account's login error is the generic one"
assert_jq "$(rpc_ok alice admin_accounts)" '[.accounts[] | select(.user == "bob")] | .[0].disabled == true and .[0].online == false' "bob disabled and offline"
rpc_ok alice admin_enable '{"user":"bob"}' | jq -e '.disabled == false' >/dev/null
login_user bob bob >/dev/null
wait_ready bob

# --- revoke sessions ----------------------------------------------------------------------------------------
r=$(rpc_ok alice admin_revoke_sessions '{"user":"carol"}')
assert_jq "$r" '.user == "carol" and .connections >= 1' "revoke result"
wait_until 20 "carol's agent to lose its session" agent_logged_out carol
login_user carol carol >/dev/null
wait_ready carol
send_msg carol '#general' 'back again' >/dev/null

# --- the audit log, with filters ------------------------------------------------------------------------------
a=$(rpc_ok alice admin_audit '{"kind":"admin-disable"}')
assert_jq "$a" '.entries | length == 1 and .[0].account == "alice" and .[0].detail == "disabled bob" and .[0].addr == "127.0.0.1"' "kind filter"
a=$(rpc_ok alice admin_audit '{"account":"BOB"}')
assert_jq "$a" '.entries | length > 0 and all(.account | ascii_downcase == "bob")' "account filter (any case)"
assert_jq "$a" '[.entries[].kind] | index("register") != null and index("login-failed") != null' "bob's register and refused login"
a=$(rpc_ok alice admin_audit '{"account":"bob","kind":"login-failed"}')
assert_jq "$a" '.entries | length >= 1' "account and kind together"
a=$(rpc_ok alice admin_audit '{"addr":"127.0.0.1","limit":3}')
assert_jq "$a" '.entries | length == 3 and all(.addr == "127.0.0.1")' "addr filter with limit"
assert_jq "$a" '.more == true' "more with limit"
assert_jq "$a" '[.entries[].id] == ([.entries[].id] | sort | reverse)' "newest first"
assert_jq "$(rpc_ok alice admin_audit '{"addr":"10.0.0.1"}')" '.entries == [] and .more == false' "addr that never connected"
mid=$(jq '.entries[-1].ts' <<<"$(rpc_ok alice admin_audit '{"kind":"admin-disable"}')")
a=$(rpc_ok alice admin_audit "{\"since\":$mid}")
assert_jq "$a" ".entries | length > 0 and all(.ts >= $mid) and any(.kind == \"admin-revoke-sessions\") and (any(.kind == \"register\") | not)" "since"
a=$(rpc_ok alice admin_audit "{\"since\":$t0,\"until\":$mid}")
assert_jq "$a" ".entries | length > 0 and all(.ts >= $t0 and .ts <= $mid) and any(.kind == \"register\") and (any(.kind == \"admin-revoke-sessions\") | not)" "since and until"
expect_err -32602 alice admin_audit '{"since":5,"until":4}' >/dev/null

# --- offline admin grant and revoke ------------------------------------------------------------------------
if "$CHATSECD" "${CHATSECD_USER[@]}" -d "$SERVER_DIR" --admin-grant bob >"$T/grant.out" 2>&1; then
	fail "--admin-grant worked on a running server's data dir"
fi
assert_contains "$(cat "$T/grant.out")" "in use" "--admin-grant on a running server"
stop_server
"$CHATSECD" "${CHATSECD_USER[@]}" -d "$SERVER_DIR" --admin-grant bob >"$T/grant.out" 2>&1 || fail "--admin-grant: $(cat "$T/grant.out")"
assert_contains "$(cat "$T/grant.out")" "bob is now an admin" "--admin-grant output"
if "$CHATSECD" "${CHATSECD_USER[@]}" -d "$SERVER_DIR" --admin-grant nobody >"$T/grant.out" 2>&1; then
	fail "--admin-grant of an unknown user worked"
fi
assert_contains "$(cat "$T/grant.out")" "no such user" "--admin-grant nobody"
"$CHATSECD" "${CHATSECD_USER[@]}" -d "$SERVER_DIR" --admin-revoke alice >"$T/grant.out" 2>&1 || fail "--admin-revoke: $(cat "$T/grant.out")"
restart_server
wait_ready bob
wait_ready alice
acc=$(rpc_ok bob admin_accounts)
assert_jq "$acc" '[.accounts[] | [.user, .admin]] == [["alice",false],["bob",true],["carol",false]]' "admins after the offline commands"
expect_err 1020 alice admin_accounts >/dev/null
a=$(rpc_ok bob admin_audit '{"kind":"admin-grant"}')
assert_jq "$a" '.entries | length == 1 and .[0].detail == "granted admin to bob (offline)" and .[0].addr == "local"' "offline grant in the audit log"

echo "PASS: $TEST_NAME"

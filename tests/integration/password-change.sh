#!/bin/bash
# chatsec — integration: changing the account password.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# alice has two agents (the second got the keys by keys_export and
# keys_import).  A bad new password and a wrong current one change
# nothing.  A change on agent 1 keeps it working (new token, key file
# re-sealed) and cuts agent 2 off: its resume is refused, like every old
# token on the wire; the old password no longer logs in, the new one does;
# agent 2's key file, still sealed with the old password, stays locked
# until keys_unlock with the old one re-seals it under the new one.  After
# a reboot both agents open their key files with the new password.  An
# --unattended agent rewrites its credentials file.  An account over the
# login limits is refused (1003).  No password is in a
# log, a frame dump, the server's database or a profile afterwards.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/wire-lib.sh"

command -v sqlite3 >/dev/null || fail "the sqlite3 CLI is needed (contrib/setup.sh deps installs it)"

OLD='pw-old Kestrel 4417'
NEW='pw-new Osprey 9923'
WRONG='pw-wrong Heron 5581'
ROBOT_OLD='robot-old Plover 3130'
ROBOT_NEW='robot-new Avocet 7702'

# change AGENT CURRENT NEW: the password_change params as JSON.
change()
{
	jq -cn --arg p "$1" --arg n "$2" '{password:$p,new_password:$n}'
}

# login_params USER PASSWORD CODE
login_params()
{
	jq -cn --arg u "$1" --arg p "$2" --arg c "$3" '{user:$u,password:$p,code:$c}'
}

# peek_code USER: a code the server would accept now, not recorded as used
# (for a login that must fail on its password before the code counts).
peek_code()
{
	local last s
	last=$(cat "$T/users/$1.step" 2>/dev/null || echo 0)
	s=$(cur_step)
	[ "$s" -gt "$last" ] || s=$((last + 1))
	totp_step "$(user_secret "$1")" "$s"
}


# agent_token NAME: the session token in the agent's profile.
agent_token()
{
	sqlite3 -cmd '.timeout 5000' "$(agent_dir "$1")/agent.db" "SELECT v FROM kv WHERE k = 'token'"
}

# reboot NAME [ARGS...]: restart NAME as after a reboot (no session unlock).
reboot()
{
	local name=$1
	stop_agent "$name"
	rm -f "$(agent_sock "$name").keys"
	start_agent "$@"
	wait_ready "$name"
}

start_server -vv --dump-frames "$T/frames.jsonl"
start_agent alice1
register_user alice1 alice "$OLD" >/dev/null
start_agent bob
register_user bob bob 'bob password' >/dev/null
start_agent alice2
login_user alice2 alice >/dev/null
wait_ready alice1
wait_ready alice2
blob=$(rpc_ok alice1 keys_export '{"passphrase":"move my keys"}' | jq -r .blob)
rpc_ok alice2 keys_import "$(jq -cn --arg b "$blob" --arg p "$OLD" '{blob:$b,passphrase:"move my keys",password:$p}')" >/dev/null
assert_jq "$(status_of alice2)" '.keys == "ready"' "alice2 has the keys"
tok2=$(agent_token alice2)
[ ${#tok2} = 64 ] || fail "no session token in alice2's profile"

# --- bad requests change nothing ---------------------------------------------------
e=$(expect_err 1006 alice1 password_change "$(change "$OLD" short)")
assert_contains "$e" "too short" "a too-short new password is refused, saying why"
# The server checks too, before hashing (a script speaking the wire).
wire_open w0
wire_ok w0 resume "{\"token\":\"$(agent_token alice1)\"}" >/dev/null
wire_err w0 password_change "$(change "$OLD" 'short')" 1006 >/dev/null
conn_close w0
e=$(expect_err 1019 alice1 password_change "$(change "$WRONG" "$NEW")")
assert_contains "$e" "current password is wrong" "a wrong current password"
assert_eq "$(server_sql "SELECT count(*) FROM failures WHERE kind = 'password' AND key = 'alice'")" 1 \
	"a wrong current password counts as a wrong password for login's limits"
wait_ready alice2 10
assert_eq "$(agent_token alice2)" "$tok2" "alice2 keeps its session after the refused changes"
# The old password still logs in (on the wire; this token is checked later).
wire_open w1
r=$(wire_ok w1 login "$(login_params alice "$OLD" "$(user_code alice)")")
wtok=$(jq -r .token <<<"$r")
conn_close w1
[ "$(resume_code "$wtok")" = 0 ] || fail "a wire session made with the old password does not resume"

# --- the change --------------------------------------------------------------------
sub_start b bob
r=$(rpc_ok alice1 password_change "$(change "$OLD" "$NEW")")
assert_jq "$r" '.keys_resealed == true' "agent 1 re-sealed its key file ($r)"
assert_ne "$(agent_token alice1)" "" "agent 1 keeps a session token"
assert_jq "$(status_of alice1)" '.logged_in == true and .keys == "ready"' "agent 1 still logged in, keys open"
s=$(send_msg alice1 bob 'after the change')
ev=$(wait_for_event "$(sub_out b)" ".type == \"message\" and .id == $(jq .id <<<"$s")")
assert_jq "$ev" '.text == "after the change" and .from == "alice"' "bob reads agent 1 after the change"
sub_start a1 alice1
s=$(send_msg bob alice 'to alice after the change')
ev=$(wait_for_event "$(sub_out a1)" ".type == \"message\" and .id == $(jq .id <<<"$s")")
assert_jq "$ev" '.text == "to alice after the change"' "agent 1 receives after the change"

# Agent 2 is cut off and can't resume.
st=$(wait_status alice2 '.logged_in == false' 20)
assert_contains "$(jq -r .last_error <<<"$st")" "revoked" "agent 2 says its session was revoked"
assert_eq "$(agent_token alice2)" "" "agent 2 forgot its dead token"
# Every old token is refused on the wire like any revoked token.
assert_eq "$(resume_code "$tok2")" 1012 "agent 2's old token"
assert_eq "$(resume_code "$wtok")" 1012 "the wire session's old token"
assert_eq "$(resume_code "$(agent_token alice1)")" 0 "agent 1's new token resumes"
assert_eq "$(rpc_ok alice1 admin_audit '{"kind":"password-change"}' | jq '.entries | length')" 1 "one password-change audit row"
assert_eq "$(rpc_ok alice1 admin_audit '{"kind":"password-change-failed"}' | jq -c '[.entries[].detail] | sort')" \
	'["bad password","new password breaks the rules"]' "password-change-failed audit rows (the wire's short one, the wrong current one)"

# --- agent 2: the old password no longer logs in, the new one does ---------------
expect_err 1002 alice2 login "$(login_params alice "$OLD" "$(peek_code alice)")" >/dev/null
rpc_ok alice2 login "$(login_params alice "$NEW" "$(user_code alice)")" >/dev/null
wait_ready alice2
st=$(wait_status alice2 '.keys == "locked"' 10)
assert_contains "$(jq -r .keys_detail <<<"$st")" "earlier password" "status says the key file is sealed with an earlier password"
e=$(expect_err 1040 alice2 send '{"to":"bob","text":"locked"}')
assert_contains "$e" "earlier password" "the error says so too"
e=$(expect_err 1002 alice2 keys_unlock "$(jq -cn --arg p "$NEW" '{password:$p}')")
assert_contains "$e" "earlier password" "the new password does not open the old key file"
r=$(rpc_ok alice2 keys_unlock "$(jq -cn --arg p "$OLD" '{password:$p}')")
assert_jq "$r" '.keys_resealed == true' "the old password opens it and re-seals it ($r)"
assert_jq "$(status_of alice2)" '.keys == "ready" and .keys_detail == null' "agent 2's keys open"
s=$(send_msg alice2 bob 'agent 2 again')
ev=$(wait_for_event "$(sub_out b)" ".type == \"message\" and .id == $(jq .id <<<"$s")")
assert_jq "$ev" '.text == "agent 2 again"' "bob reads agent 2"

# --- after a reboot both key files open with the new password ---------------------
conn_close a1
for a in alice2 alice1; do
	reboot "$a"
	wait_status "$a" '.keys == "locked"' 10 >/dev/null
	expect_err 1002 "$a" keys_unlock "$(jq -cn --arg p "$OLD" '{password:$p}')" >/dev/null
	r=$(rpc_ok "$a" keys_unlock "$(jq -cn --arg p "$NEW" '{password:$p}')")
	assert_jq "$r" '.keys_resealed == false' "$a: nothing left to re-seal"
	assert_jq "$(status_of "$a")" '.keys == "ready" and .logged_in == true' "$a resumed and opened its keys with the new password"
done
send_msg alice1 bob 'after the reboot' >/dev/null

# --- an --unattended agent rewrites its credentials file --------------------------
start_agent robot
register_user robot robot "$ROBOT_OLD" >/dev/null
wait_ready robot
stop_agent robot
creds=$(agent_dir robot)/credentials
printf '# the bot\nuser = robot\npassword = %s\ntotp_secret = %s\n' "$ROBOT_OLD" "$(user_secret robot)" >"$creds"
chmod 400 "$creds"
rm -f "$(agent_sock robot).keys"
start_agent robot --unattended
wait_ready robot
wait_status robot '.keys == "unattended"' 10 >/dev/null
expect_err 1006 robot password_change "$(change "$ROBOT_OLD" " $ROBOT_NEW")" >/dev/null
r=$(rpc_ok robot password_change "$(change "$ROBOT_OLD" "$ROBOT_NEW")")
assert_jq "$r" '.keys_resealed == true and .credentials_updated == true' "robot: $r"
assert_eq "$(stat -c %a "$creds")" 400 "the credentials file keeps its mode"
assert_eq "$(cat "$creds")" "$(printf '# the bot\nuser = robot\npassword = %s\ntotp_secret = %s' "$ROBOT_NEW" "$(user_secret robot)")" \
	"only the password line changed"
reboot robot --unattended
wait_status robot '.keys == "unattended"' 10 >/dev/null

# --- a locked account is refused like login ------------------------------------------
# Ten wrong passwords for bob (as ten failed logins would leave them).
server_sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
	INSERT INTO failures (kind, key, ts) SELECT 'password', 'bob', strftime('%s', 'now') FROM n"
e=$(expect_err 1003 bob password_change "$(change 'bob password' 'bob new password')")
assert_jq "$e" '.data.retry_after > 0' "1003 with retry_after"
assert_eq "$(rpc_ok alice1 admin_audit '{"kind":"limited","account":"bob"}' | jq -r '.entries[0].detail')" password_change \
	"the refusal is audited"

# --- no password anywhere ----------------------------------------------------------
stop_server
for w in Kestrel Osprey Heron; do
	hits=$(grep -ral -- "$w" "$T"/*.log "$T"/frames.jsonl "$SERVER_DIR" "$(agent_dir alice1)" "$(agent_dir alice2)" "$(agent_dir bob)" || true)
	[ -z "$hits" ] || fail "a password ($w) in: $hits"
done
for w in Plover Avocet; do
	hits=$(grep -ral -- "$w" "$T"/*.log "$T"/frames.jsonl "$SERVER_DIR" || true)
	[ -z "$hits" ] || fail "the robot's password ($w) in: $hits"
done
[ -s "$T/frames.jsonl" ] || fail "--dump-frames wrote nothing"
echo "PASS: $TEST_NAME"

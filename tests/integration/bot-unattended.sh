#!/bin/bash
# chatsec — integration: chatsec-agent --unattended logs in again by itself.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# A bot's agent with --unattended and a 0600 credentials file logs in on a
# fresh profile without a person, and logs in again after the server
# revoked its session (resume answered 1012).  A credentials file others
# can read, or a broken one, stops the agent at start-up.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/bot-lib.sh"

start_server
start_agent setup
register_user setup robot 'robot password' >/dev/null

mkdir -p -m 700 "$T/robot"
cred=$T/robot/credentials
printf '# chatsec bot credentials\nuser = robot\npassword = robot password\ntotp_secret = %s\n' \
	"$(user_secret robot)" >"$cred"

# refused START_ARGS... WANT: the agent must exit at start-up saying WANT.
refused()
{
	local want=${*: -1} off
	off=$(lib_size "$T/robot.log")
	launch_agent robot "${@:1:$#-1}"
	wait_exit "${AGENT_PID[robot]}" 10 || fail "agent started with a bad credentials file"
	assert_ne "$LIB_EXIT_STATUS" 0 "exit status"
	assert_contains "$(tail -c +"$((off + 1))" "$T/robot.log")" "$want" "start-up error"
}
chmod 644 "$cred"
refused --unattended "mode 0600"
chmod 600 "$cred"
refused --unattended --credentials nope "nope: No such file"
refused --credentials credentials "--credentials needs --unattended"
printf 'user = robot\npassword = x\n' >"$T/robot/partial"
chmod 600 "$T/robot/partial"
refused --unattended --credentials partial "needs user, password and totp_secret"

# A fresh profile with only the credentials file: it logs in by itself.
start_agent robot --unattended
wait_ready robot 70
assert_eq "$(status_of robot | jq -r .user)" robot "user after the unattended login"
assert_contains "$(cat "$T/robot.log")" "logged in again as robot without a person"
send_msg robot '#general' 'robot here' >/dev/null

# The session is revoked behind its back: a copy of the profile resumes
# the same session token elsewhere and logs out.
stop_agent robot
mkdir -p -m 700 "$T/clone"
cp "$T/robot/agent.db" "$T/clone/agent.db"
start_agent clone
wait_ready clone
rpc_ok clone logout >/dev/null
stop_agent clone

off=$(lib_size "$T/robot.log")
start_agent robot --unattended
wait_ready robot 70
log=$(tail -c +"$((off + 1))" "$T/robot.log")
assert_contains "$log" "session expired or revoked" "the old session was refused"
assert_contains "$log" "logged in again as robot without a person" "and it logged in again"
r=$(send_msg robot '#general' 'robot is back')
assert_jq "$r" '.id > 0' "send after logging in again"
assert_not_contains "$(cat "$T"/*.log)" "robot password" "the password in a log"

echo "PASS: $TEST_NAME"

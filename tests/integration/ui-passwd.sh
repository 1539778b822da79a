#!/bin/bash
# chatsec — integration: /passwd in the curses UI.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Under tmux, against a real chatsecd and agent: /passwd asks for the
# current password, the new one and the new one again, drawn as stars;
# Escape gives up, a mismatch and a too-short new password are refused
# before anything is sent, a wrong current password gets the server's
# refusal; then a real change says so in one line, the UI stays logged in
# and carol's other agent is logged out and logs in with the new password.
# No password is ever on the screen or in the input history.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(dirname "$0")/ui-lib.sh"

OLD='carol old Tern 6161'
NEW='carol new Gannet 8282'
OTHER='carol other Skua 9393'

# no_password: none of the test's passwords (nor a word of them) is shown.
no_password()
{
	local s w
	s=$(ui_screen carol)
	for w in Tern Gannet Skua short1; do
		[[ $s != *"$w"* ]] || fail "a password is on the screen ($1): $s"
	done
}

# ask PROMPT TEXT: wait for PROMPT, type TEXT (it must show as stars), Enter.
ask()
{
	ui_wait carol "$1"
	ui_type carol "$2"
	ui_wait carol "$1 $(printf '%*s' ${#2} '' | tr ' ' '*')"
	no_password "typing at '$1'"
	ui_keys carol Enter
}

start_server
start_agent carol
register_user carol carol "$OLD" >/dev/null
start_agent carol2
login_user carol2 carol >/dev/null
wait_ready carol2

ui_start carol
ui_wait carol "[carol]"
ui_line carol "/help"
ui_wait carol "/passwd"

# Escape gives up.
ui_line carol "/passwd"
ui_wait carol "current password (Esc cancels):"
ui_type carol "$OLD"
ui_keys carol Escape
ui_wait carol "/passwd: cancelled"
no_password "after Escape"

# The two new ones differ: refused here.
ui_line carol "/passwd"
ask "current password (Esc cancels):" "$OLD"
ask "new password:" "$NEW"
ask "new password again:" "$OTHER"
ui_wait carol "/passwd: the two new passwords differ; the password is unchanged"
no_password "after a mismatch"

# Too short: refused before the second time.
ui_line carol "/passwd"
ask "current password (Esc cancels):" "$OLD"
ask "new password:" "short1"
ui_wait carol "/passwd: new password is too short"
no_password "after a short one"

# A wrong current password: the server says no.
ui_line carol "/passwd"
ask "current password (Esc cancels):" "$OTHER"
ask "new password:" "$NEW"
ask "new password again:" "$NEW"
ui_wait carol "/passwd: the current password is wrong; the password is unchanged"
assert_jq "$(status_of carol2)" '.logged_in == true' "nothing changed: carol2 still logged in"

# The real change.
ui_line carol "/passwd"
ask "current password (Esc cancels):" "$OLD"
ask "new password:" "$NEW"
ask "new password again:" "$NEW"
ui_wait carol "password changed: your other sessions are logged out; the key file is sealed with the new"
no_password "after the change"
assert_jq "$(status_of carol)" '.logged_in == true and .keys == "ready"' "the UI's agent stays logged in"
wait_status carol2 '.logged_in == false' 20 >/dev/null
code=$(user_code carol)
rpc_ok carol2 login "$(jq -cn --arg p "$NEW" --arg c "$code" '{user:"carol",password:$p,code:$c}')" >/dev/null

# The history holds the commands only.
ui_keys carol Up
ui_wait carol "] /passwd"
no_password "browsing the history"
ui_keys carol Up Up Up Up Up
no_password "browsing the history further"
ui_keys carol C-u
ui_line carol "still here"
ui_wait carol "<carol> still here"
echo "PASS: $TEST_NAME"

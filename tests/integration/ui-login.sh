#!/bin/bash
# chatsec — integration: logging in with the curses UI, and starting the agent.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Under tmux, against a real chatsecd: the login path (a wrong code in the
# error line, then the right one), /logout back to the login screen;
# chatsec starting chatsec-agent itself when nothing answers on the socket
# (with the same -S, -d and -s), /quit leaving it running and logged in, a
# second chatsec attaching to it instead of starting another, and a UI that
# loses its agent saying so and attaching again when the agent is back.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(dirname "$0")/ui-lib.sh"

start_server
start_agent carol
register_user carol carol 'carol password 1' >/dev/null
rpc_ok carol logout >/dev/null
assert_jq "$(status_of carol)" '.logged_in == false' "logged out before the test"

# The login path.
ui_start carol
ui_wait carol "Username:"
ui_type carol carol
ui_keys carol Tab
ui_type carol 'carol password 1'
ui_keys carol Tab
ui_type carol "$(wrong_code carol)"
ui_keys carol Enter
ui_wait carol "error: login:"
assert_not_contains "$(ui_screen carol)" "carol password 1" "password not shown"
assert_jq "$(status_of carol)" '.logged_in == false' "a wrong code does not log in"
ui_type carol "$(user_code carol)"
ui_keys carol Enter
ui_wait carol "#general — everyone on this server"
ui_wait carol "[carol]"
assert_jq "$(status_of carol)" '.logged_in == true and .user == "carol"' "logged in through the UI"

# /logout: back to the login screen, the agent logged out.
ui_line carol "/logout"
ui_wait carol "Username:"
ui_wait carol "logged out"
assert_jq "$(status_of carol)" '.logged_in == false' "logged out through the UI"

# Nothing on the socket: chatsec starts the agent with -S/-d/-s.
name=dave-auto
sock=$(agent_sock $name)
dir=$(agent_dir $name)
UI_SPAWNED+=("$sock")
[ ! -e "$sock" ] || fail "$sock exists before the test"
ui_start $name -S "$sock" -d "$dir" -s "127.0.0.1:$PORT"
ui_wait $name "Username:"
ui_wait $name "link ready"
ui_wait $name "started chatsec-agent on $sock"
[ -S "$sock" ] || fail "no agent socket at $sock"
[ -f "$dir/agent.db" ] || fail "the agent did not use profile $dir"
pids=$(ui_agent_pids "$sock")
assert_eq "$(wc -w <<<"$pids")" 1 "one agent started"
assert_jq "$(status_of $name)" ".server == \"127.0.0.1:$PORT\"" "the agent got -s"

ui_register $name dave 'dave password 1'
ui_line $name "dave was here"
ui_wait $name "<dave> dave was here"

# /quit leaves the agent running and logged in; a new chatsec attaches.
ui_line $name "/quit"
wait_until 10 "the UI to exit" eval "! ui_alive $name"
ui_tmux kill-session -t $name
assert_eq "$(ui_agent_pids "$sock")" "$pids" "the agent survives /quit"
assert_jq "$(status_of $name)" '.logged_in == true and .user == "dave"' "still logged in"
ui_start $name -S "$sock" -d "$dir" -s "127.0.0.1:$PORT"
ui_wait $name "<dave> dave was here"
ui_wait $name "an agent was already running"
assert_eq "$(ui_agent_pids "$sock")" "$pids" "no second agent"

# The agent goes away: the UI says so and comes back when it returns.
lib_reap $pids
ui_wait $name "agent: detached, retrying"
ui_wait $name "the agent closed the connection"
start_agent $name
ui_wait_gone $name "agent: detached" 20
ui_wait $name "[dave]"
ui_line $name "back again"
ui_wait $name "<dave> back again"
hist=$(rpc_ok $name history '{"conv":"#general","limit":1}')
assert_jq "$hist" '.messages[0].text == "back again"' "sent after reattaching"

echo "ui-login: ok"

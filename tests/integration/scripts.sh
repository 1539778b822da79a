#!/bin/bash
# chatsec — integration: the socat + jq recipes in contrib/scripts.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# chatsec-send (args and stdin, errors), chatsec-tail (lines, cursor file:
# nothing missed or repeated across restarts), chatsec-log (appends,
# survives an agent restart), chatsec-notify (DMs and mentions only, with
# a fake notify-send), against real agents and server.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/bot-lib.sh"

S=$top_srcdir/contrib/scripts
start_server
start_agent alice
start_agent bob
register_user alice alice 'alice password' >/dev/null
register_user bob bob 'bob password' >/dev/null
wait_ready alice
wait_ready bob
AS=$(agent_sock alice)
BS=$(agent_sock bob)
declare -A GROUP=()

# bg NAME CMD...: run CMD in its own process group (a pipeline of sh,
# socat and jq); stop_bg NAME ends the whole group.
bg()
{
	local name=$1
	shift
	setsid "$@" 2>>"$T/$name.err" &
	GROUP[$name]=$!
	lib_track $!
}
stop_bg()
{
	kill -TERM -- "-${GROUP[$1]}" 2>/dev/null || true
	wait_exit "${GROUP[$1]}" 10 || fail "$1 did not stop"
}
# has FILE LINE: FILE has exactly this line.
has()
{
	grep -qxF -- "$2" "$1" 2>/dev/null
}

# --- chatsec-send --------------------------------------------------------
id=$("$S/chatsec-send" -S "$AS" '#general' hello world)
assert_match "$id" '^[0-9]+$' "chatsec-send prints the id"
printf 'line one\nline two\n' | "$S/chatsec-send" -S "$AS" bob >/dev/null
h=$(rpc_ok bob history '{"conv":"alice","limit":1}')
assert_jq "$h" '.messages[0].text == "line one\nline two"' "message from stdin"
rc=0
err=$("$S/chatsec-send" -S "$AS" nobody hi 2>&1 >/dev/null) || rc=$?
assert_eq "$rc" 1 "exit status for an unknown user"
assert_contains "$err" "(1007)" "error for an unknown user"
rc=0
err=$("$S/chatsec-send" 2>&1) || rc=$?
assert_eq "$rc" 2 "exit status without arguments"
assert_contains "$err" "usage: chatsec-send" "usage line"
rc=0
"$S/chatsec-send" -S "$T/nothing.sock" bob hi 2>/dev/null || rc=$?
assert_eq "$rc" 1 "exit status without an agent"

# --- chatsec-tail ------------------------------------------------------------
# The cursor starts at the newest event, as a script would set it up.
rpc_ok bob events '{"since":0,"limit":1000}' | jq .cursor >"$T/tail.cursor"
bg tail "$S/chatsec-tail" -S "$BS" -c "$T/tail.cursor" >"$T/tail.out"
send_msg alice '#general' t1 >/dev/null
wait_until 15 "chatsec-tail to print t1" grep -q '<alice> t1$' "$T/tail.out"
assert_match "$(cat "$T/tail.out")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8} #general <alice> t1$' "tail line"
send_msg alice bob $'two\nlines' >/dev/null
wait_until 15 "chatsec-tail to print the DM" grep -q '<alice> two' "$T/tail.out"
assert_match "$(tail -n 1 "$T/tail.out")" ' alice <alice> two\\nlines$' "DM line with an escaped newline"
stop_bg tail
send_msg alice '#general' t2 >/dev/null
send_msg alice '#general' t3 >/dev/null
wait_until 15 "bob's agent to get t3" eval '[ "$(rpc_ok bob events "{\"since\":$(cat "$T/tail.cursor")}" | jq "[.events[] | select(.type == \"message\")] | length")" = 2 ]'
bg tail2 "$S/chatsec-tail" -S "$BS" -c "$T/tail.cursor" '#general' >"$T/tail2.out"
wait_until 15 "chatsec-tail to catch up" grep -q '<alice> t3$' "$T/tail2.out"
assert_eq "$(sed 's/.*<alice> //' "$T/tail2.out")" $'t2\nt3' "after a restart: the missed ones, once"
stop_bg tail2

# --- chatsec-log -------------------------------------------------------------
bg log "$S/chatsec-log" -S "$BS" "$T/chat.log"
LOGPID=${GROUP[log]}
# chatsec-log starts from now; wait until it is subscribed.
n=0
until grep -q '<alice> warm' "$T/chat.log" 2>/dev/null; do
	n=$((n + 1))
	[ $n -le 50 ] || fail "chatsec-log never logged"
	send_msg alice '#general' "warm $n" >/dev/null
	sleep 0.3
done
send_msg alice '#general' l1 >/dev/null
wait_until 15 "l1 in the log" grep -q '<alice> l1$' "$T/chat.log"
stop_agent bob
send_msg alice '#general' l2 >/dev/null
start_agent bob
wait_ready bob
wait_until 40 "l2 in the log after the agent restart" grep -q '<alice> l2$' "$T/chat.log"
assert_eq "$(grep -c '<alice> l1$' "$T/chat.log")" 1 "l1 logged once"
lib_alive "$LOGPID" || fail "chatsec-log exited"
stop_bg log

# --- chatsec-notify ----------------------------------------------------------
mkdir -p "$T/bin"
cat >"$T/bin/notify-send" <<EOS
#!/bin/sh
printf '%s|%s|%s|%s|%s\n' "\$@" >>"$T/notify.out"
EOS
chmod +x "$T/bin/notify-send"
bg notify env PATH="$T/bin:$PATH" "$S/chatsec-notify" -S "$BS"
n=0
until grep -q '|alice|warm' "$T/notify.out" 2>/dev/null; do
	n=$((n + 1))
	[ $n -le 50 ] || fail "chatsec-notify never notified"
	send_msg alice bob "warm $n" >/dev/null
	sleep 0.3
done
: >"$T/notify.out"
send_msg alice '#general' 'hello everyone' >/dev/null
send_msg alice '#general' 'hey @bob, look' >/dev/null
send_msg alice '#general' 'bobby is not bob.' >/dev/null
send_msg alice '#general' 'BOB: ping' >/dev/null
send_msg bob '#general' 'bob talks to himself' >/dev/null
send_msg alice bob $'a secret\twith tab' >/dev/null
send_msg alice bob 'end' >/dev/null
wait_until 15 "the last notification" has "$T/notify.out" '-a|chatsec|--|alice|end'
want='-a|chatsec|--|alice in #general|hey @bob, look
-a|chatsec|--|alice in #general|bobby is not bob.
-a|chatsec|--|alice in #general|BOB: ping
-a|chatsec|--|alice|a secret\twith tab
-a|chatsec|--|alice|end'
assert_eq "$(cat "$T/notify.out")" "$want" "notifications"
stop_bg notify

echo "PASS: $TEST_NAME"

# chatsec — helpers for the bot and script integration tests.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Sourced after tests/lib.sh:
#
#	. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
#	. "$LIB_DIR/bot-lib.sh"
#
# start_bot runs an example bot against an agent and waits until the SDK
# says it is subscribed; bot_setup starts a server, an agent for a person
# (alice) and one for the bot account, registered and logged in.

BOT_EXAMPLES=${BOT_EXAMPLES:-$top_builddir/bot-sdk/examples}
declare -A BOT_PID=()

# start_bot NAME PROGRAM AGENT [ARGS...]: run bot-sdk/examples/PROGRAM with
# -v -S AGENT's socket; wait until it has connected and subscribed.
start_bot()
{
	local name=$1 prog=$2 agent=$3 off
	shift 3
	[ -x "$BOT_EXAMPLES/$prog" ] || fail "$BOT_EXAMPLES/$prog is not built"
	off=$(lib_size "$T/$name.log")
	echo "=== $(date +%T) $prog -v -S $(agent_sock "$agent") $*" >>"$T/$name.log"
	"$BOT_EXAMPLES/$prog" -v -S "$(agent_sock "$agent")" "$@" </dev/null >>"$T/$name.log" 2>&1 &
	BOT_PID[$name]=$!
	lib_track $!
	wait_until 15 "bot $name to subscribe" bot_log_has "$name" "$off" "-> ready"
}

# bot_log_has NAME OFFSET TEXT: the bot's log after OFFSET bytes has TEXT.
bot_log_has()
{
	lib_alive "${BOT_PID[$1]}" || fail "bot $1 exited: $(tail -n 5 "$T/$1.log")"
	[[ $(tail -c +"$(($2 + 1))" "$T/$1.log") == *"$3"* ]]
}

# bot_ready_count NAME: how many times the bot has become ready.
bot_ready_count()
{
	grep -c -- '-> ready' "$T/$1.log" || true
}

# stop_bot NAME: SIGTERM; it must exit 0 within 10 s.
stop_bot()
{
	kill -TERM "${BOT_PID[$1]}"
	wait_exit "${BOT_PID[$1]}" 10 || fail "bot $1 did not exit within 10 s of SIGTERM"
	assert_eq "$LIB_EXIT_STATUS" 0 "exit status of bot $1"
}

# bot_setup BOTUSER: server, agents alice and bot, accounts alice and
# BOTUSER, both logged in; a subscriber "a" on alice's agent.
bot_setup()
{
	start_server
	start_agent alice
	start_agent bot
	register_user alice alice 'alice password' >/dev/null
	register_user bot "$1" "$1 password" >/dev/null
	wait_ready alice
	wait_ready bot
	sub_start a alice '{"types":["message"]}'
	A=$(sub_out a)
}

# said_by FILE USER [JQ_BOOLEAN]: texts of USER's messages in FILE, one a line.
said_by()
{
	events_in "$1" ".type == \"message\" and .from == \"$2\" and (${3:-true})" | jq -r .text
}

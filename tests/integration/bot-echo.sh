#!/bin/bash
# chatsec — integration: the echo bot example on libchatsec-bot.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# The echo bot answers in the conversation a message came from (room and
# DM), greets whoever joins a room it is in, says so when a peer's keys
# change, never answers itself, reconnects by itself when its agent restarts
# without missing what arrived meanwhile, resumes from its cursor file
# after its own restart (nothing missed, nothing twice), and its sends are
# rate limited (burst 10, then 5 a second).  After the restart it runs its
# handlers on worker threads (-w 3): all of that still holds, a
# conversation's echoes in order.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/bot-lib.sh"

bot_setup echobot
start_bot echo echo-bot bot -c "$T/echo.cursor"

send_msg alice '#general' 'hello bot' >/dev/null
ev=$(wait_for_event "$A" '.from == "echobot" and .text == "alice said: hello bot"')
assert_jq "$ev" '.conv == "#general"' "echo in the room"

send_msg alice echobot 'psst' >/dev/null
ev=$(wait_for_event "$A" '.from == "echobot" and .text == "alice said: psst"')
assert_jq "$ev" '.conv == "echobot" and .to == "alice"' "echo in the DM"

# Someone joins a room the bot is in: the bot greets them there (not itself).
rpc_ok bot room_create '{"room":"#lobby"}' >/dev/null
rpc_ok alice room_join '{"room":"#lobby"}' >/dev/null
ev=$(wait_for_event "$A" '.from == "echobot" and .conv == "#lobby"')
assert_jq "$ev" '.text == "welcome to #lobby, alice"' "greeting on join"
assert_eq "$(said_by "$A" echobot '.text | contains("echobot")' | wc -l)" 0 "the bot greeted itself"

send_msg alice '#general' 'marker 1' >/dev/null
wait_for_event "$A" '.from == "echobot" and .text == "alice said: marker 1"' >/dev/null
assert_eq "$(said_by "$A" echobot | wc -l)" 4 "one echo per message and one greeting, none of its own"

# The bot's agent goes away and comes back: the bot reconnects by itself
# and gets what arrived while it was gone.
stop_agent bot
wait_until 10 "the bot to notice" bot_log_has echo 0 "disconnected"
send_msg alice '#general' 'while the agent was down' >/dev/null
start_agent bot
wait_ready bot
wait_for_event "$A" '.from == "echobot" and .text == "alice said: while the agent was down"' 30 >/dev/null
[ "$(bot_ready_count echo)" -ge 2 ] || fail "the bot did not report a second subscription"

# The bot restarts: its cursor file says where it was.
stop_bot echo
[ -s "$T/echo.cursor" ] || fail "no cursor file written"
send_msg alice '#general' 'while the bot was down' >/dev/null
start_bot echo echo-bot bot -c "$T/echo.cursor" -w 3
wait_for_event "$A" '.from == "echobot" and .text == "alice said: while the bot was down"' >/dev/null
send_msg alice '#general' 'marker 2' >/dev/null
wait_for_event "$A" '.from == "echobot" and .text == "alice said: marker 2"' >/dev/null
assert_eq "$(said_by "$A" echobot | sort | uniq -d)" "" "no message echoed twice"
assert_eq "$(said_by "$A" echobot | wc -l)" 7 "echoes after two restarts"

# A burst of 20: the first 10 go at once, the rest at 5 a second.
for ((i = 1; i <= 20; i++)); do
	rpc_req send "$(jq -cn --arg t "burst $i" '{to:"#general",text:$t}')" "$i"
done | rpc_raw alice 20 60 >/dev/null
wait_for_event "$A" '.from == "echobot" and .text == "alice said: burst 20"' 30 >/dev/null
span=$(events_in "$A" '.from == "echobot" and (.text | startswith("alice said: burst "))' |
	jq -s 'map(.ts) | max - min')
[ "$span" -ge 1500 ] || fail "20 echoes went out within ${span} ms: not rate limited"
assert_eq "$(said_by "$A" echobot '.text | startswith("alice said: burst ")' | wc -l)" 20 "all burst echoes arrive"
assert_eq "$(said_by "$A" echobot '.text | startswith("alice said: burst ")' | sed 's/.* //' | tr '\n' ' ')" \
	"$(seq -s ' ' 1 20) " "burst echoes in order, with workers"

# alice's keys change: the bot's agent warns it, and the bot says so.
rpc_ok alice keys_reset '{"password":"alice password","confirm":true}' >/dev/null
ev=$(wait_for_event "$A" '.from == "echobot" and (.text | startswith("note: "))' 30)
assert_jq "$ev" '.conv == "#general" and .text == "note: alice'"'"'s keys changed; compare safety numbers before trusting them"' \
	"the bot's key-change handler"

stop_bot echo
echo "PASS: $TEST_NAME"

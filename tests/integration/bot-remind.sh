#!/bin/bash
# chatsec — integration: the reminder bot example (!remind).  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# !remind DELAY TEXT acknowledges at once and reminds in the same
# conversation after the delay, from a timer (the bot keeps answering
# meanwhile); a bad delay gets the usage line.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/bot-lib.sh"

bot_setup remindbot
start_bot remind remind-bot bot

t0=$(lib_now_us)
send_msg alice '#general' '!remind 3s "tea is" ready' >/dev/null
wait_for_event "$A" '.from == "remindbot" and .text == "alice: I will remind you in 3s"' >/dev/null
# While the first waits, the bot answers others.
send_msg alice remindbot '!remind 1s stretch' >/dev/null
wait_for_event "$A" '.from == "remindbot" and .conv == "remindbot" and .text == "alice: I will remind you in 1s"' >/dev/null
ev=$(wait_for_event "$A" '.from == "remindbot" and .text == "alice: reminder: stretch"')
assert_jq "$ev" '.conv == "remindbot"' "reminder in the DM"
ev=$(wait_for_event "$A" '.from == "remindbot" and .text == "alice: reminder: tea is ready"')
assert_jq "$ev" '.conv == "#general"' "reminder in the room"
[ $(($(lib_now_us) - t0)) -ge 3000000 ] || fail "the reminder came before its time"
first=$(events_in "$A" '.from == "remindbot" and (.text | contains("reminder:"))' | jq -sc 'map(.text)')
assert_eq "$first" '["alice: reminder: stretch","alice: reminder: tea is ready"]' "reminders in time order"

for bad in '!remind' '!remind soon tea' '!remind 10s' '!remind 8d tea' '!remind 0s tea' '!remind 5x tea'; do
	n=$(said_by "$A" remindbot | wc -l)
	send_msg alice '#general' "$bad" >/dev/null
	wait_until 20 "an answer to $bad" eval '[ "$(said_by "$A" remindbot | wc -l)" -gt $n ]'
	assert_contains "$(said_by "$A" remindbot | tail -n 1)" "alice: usage: !remind DELAY TEXT" "answer to $bad"
done

stop_bot remind
echo "PASS: $TEST_NAME"

#!/bin/bash
# chatsec — integration: the reminder bot example (!remind).  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# !remind DELAY TEXT acknowledges at once and reminds in the same
# conversation after the delay, from a timer (the bot keeps answering
# meanwhile); a bad delay gets the usage line.  Reminders survive a restart
# of the bot (its state file, 0600): one that came due while it was down
# fires at start, late, saying so; one due later fires on time; a reminder
# leaves the file once sent.  At start the per-user bound holds and a file
# that is not a list of reminders stops the bot instead of being replaced.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/bot-lib.sh"

bot_setup remindbot
state=$T/remind-state
start_bot remind remind-bot bot -d "$state"

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

# Two reminders, then the bot goes down before either is due.
send_msg alice '#general' '!remind 1s "while away"' >/dev/null
wait_for_event "$A" '.from == "remindbot" and .text == "alice: I will remind you in 1s"' >/dev/null
send_msg alice remindbot '!remind 8s after restart' >/dev/null
wait_for_event "$A" '.from == "remindbot" and .text == "alice: I will remind you in 8s"' >/dev/null
stop_bot remind
assert_eq "$(stat -c %a "$state/reminders")" 600 "mode of the state file"
assert_eq "$(jq -c 'map(.text) | sort' "$state/reminders")" '["after restart","while away"]' "reminders saved"
due=$(jq '.[] | select(.text == "while away") | .due' "$state/reminders")
# The first comes due (and is late by 2 s) while the bot is down.
wait_until 10 "the first reminder to be overdue" eval '[ $(($(lib_now_us) / 1000)) -gt $((due + 2000)) ]'
assert_eq "$(said_by "$A" remindbot '.text | contains("while away")' | wc -l)" 0 "a reminder from a stopped bot"
start_bot remind remind-bot bot -d "$state"
ev=$(wait_for_event "$A" '.from == "remindbot" and (.text | contains("while away"))')
assert_jq "$ev" '.conv == "#general"' "the late reminder in the room"
assert_contains "$(jq -r .text <<<"$ev")" "alice: reminder (late: it was due at $(date -u -d "@$((due / 1000))" '+%Y-%m-%d %H:%M:%S') UTC, while I was away): while away" "the late reminder"
ev=$(wait_for_event "$A" '.from == "remindbot" and .text == "alice: reminder: after restart"' 20)
assert_jq "$ev" '.conv == "remindbot"' "the reminder due after the restart, on time, in the DM"
wait_until 10 "the state file to empty" eval '[ "$(jq length "$state/reminders")" = 0 ]'
assert_eq "$(said_by "$A" remindbot '.text | contains("while away")' | wc -l)" 1 "the late reminder fired once"
stop_bot remind

# Bounds at load: 20 per person (25 of alice's in the file, 1 of bob's).
mkdir -m 700 "$T/bounds"
jq -n --argjson due $(( ($(lib_now_us) / 1000) + 86400000 )) \
	'[range(25) | {due: $due, conv: "#general", user: "alice", text: "a\(.)"}] + [{due: $due, conv: "bob", user: "bob", text: "b"}]' \
	>"$T/bounds/reminders"
start_bot bounds remind-bot bot -d "$T/bounds"
assert_contains "$(cat "$T/bounds.log")" "reminders: 5 reminders over the limits skipped" "skipped at load"
assert_contains "$(cat "$T/bounds.log")" "remind-bot: 21 reminders loaded from" "loaded within the bounds"
send_msg alice '#general' '!remind 1d one more' >/dev/null
wait_for_event "$A" '.from == "remindbot" and .text == "alice: too many reminders waiting; try again later"' >/dev/null
stop_bot bounds
assert_eq "$(jq length "$T/bounds/reminders")" 26 "the file is left as it was"

# A file that is not a list of reminders stops the bot; the file stays.
mkdir -m 700 "$T/junk"
echo '{"due": "soon"}' >"$T/junk/reminders"
rc=0
timeout 10 "$BOT_EXAMPLES/remind-bot" -S "$(agent_sock bot)" -d "$T/junk" </dev/null >/dev/null 2>"$T/junk.err" || rc=$?
assert_eq "$rc" 1 "exit status with a bad state file"
assert_contains "$(cat "$T/junk.err")" "not a list of reminders; move it away to start afresh" "the error"
assert_eq "$(cat "$T/junk/reminders")" '{"due": "soon"}' "the bad file is untouched"

echo "PASS: $TEST_NAME"

#!/bin/bash
# chatsec — integration: the dice bot example (!roll).  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# !roll NdM[+K] answers with the dice and their sum within bounds; bad
# specs, too many dice or sides and unbalanced quotes get a clear error;
# other messages and unknown commands get nothing.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/bot-lib.sh"

bot_setup dicebot
start_bot dice dice-bot bot

# ask TEXT [TO]: alice says TEXT; prints the bot's next answer.
ask()
{
	local n
	n=$(said_by "$A" dicebot | wc -l)
	send_msg alice "${2:-#general}" "$1" >/dev/null
	wait_until 20 "an answer to $1 from the dice bot" eval '[ "$(said_by "$A" dicebot | wc -l)" -gt $n ]'
	said_by "$A" dicebot | sed -n "$((n + 1))p"
}

for ((k = 0; k < 5; k++)); do
	r=$(ask '!roll 2d6')
	assert_match "$r" '^alice rolled 2d6: ([1-6]) \+ ([1-6]) = ([0-9]+)$' "2d6"
	[ $((BASH_REMATCH[1] + BASH_REMATCH[2])) = "${BASH_REMATCH[3]}" ] || fail "wrong sum: $r"
done
r=$(ask '!roll')
assert_match "$r" '^alice rolled 1d6: [1-6] = [1-6]$' "default roll"
r=$(ask '!roll 1d20+3 d4')
assert_match "$r" '^alice rolled 1d20\+3: ([0-9]+) \+ 3 = ([0-9]+); d4: [1-4] = [1-4]$' "two specs"
[ $((BASH_REMATCH[1] + 3)) = "${BASH_REMATCH[2]}" ] || fail "wrong modifier sum: $r"
r=$(ask '!roll 100d1000')
assert_match "$r" '^alice rolled 100d1000: .* \+ \.\.\. = [0-9]+$' "100 dice shown in part"

for bad in '!roll 101d6' '!roll 2d1' '!roll 2d1001' '!roll abc' '!roll 2d6x' '!roll -1d6' '!roll 99999999999d6'; do
	r=$(ask "$bad")
	assert_contains "$r" "alice: cannot roll '" "error for $bad"
	assert_contains "$r" "want NdM like 2d6" "error for $bad"
done
r=$(ask "!roll '2d6")
assert_eq "$r" "alice: unbalanced quotes in that command" "unbalanced quote"
r=$(ask '!roll 1d6 1d6 1d6 1d6 1d6 1d6 1d6 1d6 1d6 1d6 1d6')
assert_eq "$r" "alice: at most 10 rolls at once" "too many rolls"

# In a DM the answer comes back in the DM.
r=$(ask '!roll "3d8"' dicebot)
assert_match "$r" '^alice rolled 3d8: [1-8] \+ [1-8] \+ [1-8] = [0-9]+$' "quoted spec in a DM"
assert_jq "$(events_in "$A" '.from == "dicebot"' | tail -n 1)" '.conv == "dicebot"' "DM answer"

# Chatter and unknown commands get nothing.
send_msg alice '#general' 'roll 2d6' >/dev/null
send_msg alice '#general' '!dance' >/dev/null
send_msg alice '#general' '! roll' >/dev/null
r=$(ask '!roll 1d2')
assert_match "$r" '^alice rolled 1d2: [12] = [12]$' "answer after the chatter"

stop_bot dice
echo "PASS: $TEST_NAME"

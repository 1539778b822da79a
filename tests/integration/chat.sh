#!/bin/bash
# chatsec — integration: two users chatting.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# alice and bob on two agents: room and DM messages reach bob's event
# stream with the right fields, who and presence follow users coming and
# going, a retried cid is stored once, history pages back exactly, and
# after logout nothing can be sent.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

start_server
start_agent alice
start_agent bob
register_user alice alice 'alice password' >/dev/null
register_user bob bob 'bob password' >/dev/null
wait_ready alice
wait_ready bob

sub_start bob bob
cursor0=$SUB_CURSOR
BOBEV=$(sub_out bob)

# --- a room message and a DM reach bob -----------------------------------------
g=$(send_msg alice '#general' 'hello everyone')
gid=$(jq .id <<<"$g")
assert_jq "$g" '.conv == "#general"' "send to #general: conv"
d=$(send_msg alice bob 'psst, bob')
did=$(jq .id <<<"$d")
assert_jq "$d" '.conv == "bob"' "DM send: conv is the other party"
[ "$did" -gt "$gid" ] || fail "message ids must grow: $gid then $did"

ev=$(wait_for_event "$BOBEV" ".type == \"message\" and .id == $gid")
assert_jq "$ev" '.from == "alice" and .to == "#general" and .conv == "#general" and .text == "hello everyone" and .self == false' \
	"bob's event for alice's room message"
assert_jq "$ev" ".ts == $(jq .ts <<<"$g") and .seq > $cursor0" "room event ts/seq"
ev2=$(wait_for_event "$BOBEV" ".type == \"message\" and .id == $did")
assert_jq "$ev2" '.from == "alice" and .to == "bob" and .conv == "alice" and .text == "psst, bob" and .self == false' \
	"bob's event for alice's DM"
[ "$(jq .seq <<<"$ev2")" -gt "$(jq .seq <<<"$ev")" ] || fail "event seqs must grow: $ev then $ev2"

# alice's own agent has the same messages, marked self, the DM under "bob".
wait_until 10 "alice's agent to have her DM as an event" \
	eval '[ -n "$(rpc_ok alice events "{\"since\":0}" | jq -c ".events[] | select(.type == \"message\" and .id == $did)")" ]'
ae=$(rpc_ok alice events '{"since":0}')
assert_jq "$ae" "[.events[] | select(.type == \"message\" and .id == $gid)] | length == 1 and .[0].self == true and .[0].conv == \"#general\"" \
	"alice's event for her room message"
assert_jq "$ae" "[.events[] | select(.type == \"message\" and .id == $did)] | length == 1 and .[0].self == true and .[0].conv == \"bob\" and .[0].to == \"bob\"" \
	"alice's event for her DM"

# bob answers; both see the DM conversation the same way.
b=$(send_msg bob alice 'hi alice')
bid=$(jq .id <<<"$b")
ha=$(rpc_ok alice history '{"conv":"bob"}')
assert_eq "$(jq -c '[.messages[] | [.id, .from, .to, .conv, .text, .self]]' <<<"$ha")" \
	"[[$did,\"alice\",\"bob\",\"bob\",\"psst, bob\",true],[$bid,\"bob\",\"alice\",\"bob\",\"hi alice\",false]]" \
	"alice's history of the DM with bob"
hb=$(rpc_ok bob history '{"conv":"alice"}')
assert_eq "$(jq -c '[.messages[] | [.id, .from, .conv, .self]]' <<<"$hb")" \
	"[[$did,\"alice\",\"alice\",false],[$bid,\"bob\",\"alice\",true]]" \
	"bob's history of the DM with alice"
ev3=$(wait_for_event "$BOBEV" ".type == \"message\" and .id == $bid")
assert_jq "$ev3" '.self == true and .conv == "alice" and .from == "bob"' "bob's event for his own DM"

# Texts travel exactly: newlines, tabs, quotes, backslashes, U+2028, emoji.
odd=$(printf 'two\nlines\ttab "quoted" \\ back \342\200\250 sep \360\237\230\200 end')
o=$(send_msg alice bob "$odd" | jq .id)
ev=$(wait_for_event "$BOBEV" ".type == \"message\" and .id == $o")
jq -e --arg t "$odd" '.text == $t' >/dev/null <<<"$ev" || fail "text with odd characters changed on the way: $ev"

# --- who and presence ------------------------------------------------------------
w=$(rpc_ok alice who)
assert_eq "$(jq -c '.online | sort' <<<"$w")" '["alice","bob"]' "who (alice's view)"
w=$(rpc_ok bob who)
assert_eq "$(jq -c '.online | sort' <<<"$w")" '["alice","bob"]' "who (bob's view)"

start_agent carol
register_user carol carol 'carol password' >/dev/null
wait_for_event "$BOBEV" '.type == "presence" and .user == "carol" and .online == true' >/dev/null
w=$(rpc_ok bob who)
assert_eq "$(jq -c '.online | sort' <<<"$w")" '["alice","bob","carol"]' "who after carol logged in"

stop_agent carol
wait_for_event "$BOBEV" '.type == "presence" and .user == "carol" and .online == false' >/dev/null
w=$(rpc_ok bob who)
assert_eq "$(jq -c '.online | sort' <<<"$w")" '["alice","bob"]' "who after carol's agent stopped"
# carol is offline, not gone: a DM to her is accepted.
send_msg alice carol 'see you later' >/dev/null

# --- a retried cid is stored once --------------------------------------------------
r1=$(send_msg alice '#general' 'sent twice' retry-cid-1)
r2=$(send_msg alice '#general' 'sent twice' retry-cid-1)
assert_jq "$r1" '.cid == "retry-cid-1"' "send echoes the given cid"
assert_eq "$(jq .id <<<"$r2")" "$(jq .id <<<"$r1")" "the same cid sent twice gets the same id"
rid=$(jq .id <<<"$r1")

# --- history paging ------------------------------------------------------------------
ids=("$gid" "$rid")
for i in 1 2 3 4 5 6; do
	s=$(send_msg alice '#general' "page $i")
	ids+=("$(jq .id <<<"$s")")
done
want=$(printf '%s\n' "${ids[@]}" | jq -sc .)	# all 8 #general messages, oldest first

got='[]'
before=
pages=0
while :; do
	p=$(rpc_ok bob history "$(jq -cn --argjson b "${before:-null}" '{conv:"#general",limit:2} + (if $b then {before:$b} else {} end)')")
	pages=$((pages + 1))
	[ "$pages" -le 10 ] || fail "history paging does not end: $p"
	assert_jq "$p" '.messages | length == 2' "history page $pages size (8 messages, limit 2)"
	assert_jq "$p" '[.messages[].id] | . == sort' "history page $pages is oldest first"
	assert_jq "$p" '.messages | all(.conv == "#general" and .to == "#general")' "history page $pages conv"
	got=$(jq -c --argjson page "$p" '[$page.messages[].id] + .' <<<"$got")
	before=$(jq '.messages[0].id' <<<"$p")
	if [ "$(jq .more <<<"$p")" = false ]; then
		break
	fi
	assert_jq "$p" '.more == true' "history page $pages: more"
done
assert_eq "$pages" 4 "history pages of 2 for 8 messages"
assert_eq "$got" "$want" "history pages put together"
assert_jq "$(rpc_ok bob history "{\"conv\":\"#general\",\"before\":${ids[0]}}")" '.messages == [] and .more == false' \
	"history before the first message"
p=$(rpc_ok bob history "{\"conv\":\"#general\",\"before\":${ids[5]},\"limit\":3}")
assert_eq "$(jq -c '[.messages[].id]' <<<"$p")" "[${ids[2]},${ids[3]},${ids[4]}]" "history before=${ids[5]} limit=3"
assert_jq "$p" '.more == true' "history before=${ids[5]} limit=3: more"
p=$(rpc_ok bob history '{"conv":"#general"}')
assert_jq "$p" '[.messages[] | select(.text == "sent twice")] | length == 1' "the retried message is in history once"
assert_jq "$p" '.messages | all(.self == (.from == "bob"))' "self flags in bob's history"

# Every message event bob got: ids grow, none twice, seqs grow.
assert_jq "$(events_in "$BOBEV" '.type == "message"' | jq -sc '[.[].id]')" '. == (sort | unique)' \
	"bob's message events: ids strictly increasing"
assert_jq "$(events_in "$BOBEV" | jq -sc '[.[].seq]')" '. == (sort | unique)' "bob's event seqs strictly increasing"
wait_for_event "$BOBEV" ".type == \"message\" and .id == ${ids[7]}" >/dev/null
assert_eq "$(count_events "$BOBEV" '.type == "message" and .conv == "#general"')" 8 \
	"bob got each #general message once"

# --- logout --------------------------------------------------------------------------
assert_eq "$(rpc_ok bob logout)" '{}' "logout result"
st=$(rpc_ok bob status)
assert_jq "$st" '.logged_in == false and .user == null' "status after logout"
expect_err 1001 bob send '{"to":"#general","text":"after logout"}' >/dev/null
wait_until 10 "who to drop bob after his logout" \
	eval '[ "$(rpc_ok alice who | jq -c ".online | sort")" = "[\"alice\"]" ]'
p=$(rpc_ok alice history '{"conv":"#general","limit":1}')
assert_jq "$p" '.messages[0].text == "page 6"' "nothing was sent after logout"

# A DM's conv is the other party's name as registered, whatever case the
# sender typed: the send result says the same as history and events.
c=$(send_msg alice BOB 'case of the name')
assert_jq "$c" '.conv == "bob"' "conv of a DM sent to BOB"

echo "PASS: $TEST_NAME"

#!/bin/bash
# chatsec — integration: crashes and offline delivery.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# kill -9 of chatsecd loses no acknowledged message; agents reconnect and
# resume by themselves, and a send made during the outage completes once;
# messages sent while bob's agent is stopped reach him when it comes back,
# in order, each exactly once.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

N=20

start_server
start_agent alice
start_agent bob
register_user alice alice 'alice password' >/dev/null
register_user bob bob 'bob password' >/dev/null
wait_ready alice
wait_ready bob

# --- kill -9 loses nothing acknowledged ------------------------------------------
acked=()
for ((i = 1; i <= N; i++)); do
	acked+=("$(send_msg alice '#general' "before crash $i" | jq .id)")
done
kill9_server

# The agents notice, and a send made now is held, not refused.
st=$(wait_status alice '.link != "ready"' 15)
assert_jq "$st" '.last_error | type == "string" and length > 0' "alice's last_error while the server is down"
conn_open pending "UNIX-CONNECT:$(agent_sock alice)"
conn_send pending "$(rpc_req send '{"to":"#general","text":"sent during the outage","cid":"outage-1"}' 41)"
conn_send pending "$(rpc_req status '{}' 42)"
wait_for_reply "$(conn_out pending)" 42 >/dev/null
early=$(jq -cRn 'first(inputs | fromjson? | select(.id == 41))' "$(conn_out pending)")
[ -z "$early" ] || fail "a send during the outage was answered before the server came back: $early"

restart_server
wait_ready alice 30
wait_ready bob 30
st=$(rpc_ok alice status)
assert_jq "$st" '.user == "alice" and .logged_in == true' "alice resumed without a new code"
pending=$(wait_for_reply "$(conn_out pending)" 41 70)
assert_jq "$pending" '(.result.id | type == "number") and .result.cid == "outage-1"' "the held send completed after the restart"
conn_close pending

hist=$(rpc_ok bob history '{"conv":"#general","limit":200}')
for id in "${acked[@]}"; do
	assert_jq "$hist" "[.messages[] | select(.id == $id)] | length == 1" "acknowledged message $id after kill -9"
done
assert_eq "$(jq -c '[.messages[] | select(.text | startswith("before crash")) | .text]' <<<"$hist")" \
	"$(for ((i = 1; i <= N; i++)); do echo "before crash $i"; done | jq -Rsc 'split("\n")[:-1]')" \
	"the $N messages, in order"
assert_jq "$hist" '[.messages[] | select(.text == "sent during the outage")] | length == 1' \
	"the message sent during the outage is stored once"
assert_jq "$hist" '[.messages[].id] | . == (sort | unique)' "history ids strictly increasing"
after=$(send_msg alice '#general' 'after restart')
assert_jq "$after" ".id > $(jq '[.messages[].id] | max' <<<"$hist")" "ids keep growing after a restart"

# --- offline delivery ------------------------------------------------------------------
wait_until 15 "bob's agent to have 'after restart'" \
	eval '[ -n "$(rpc_ok bob events "{\"since\":0,\"limit\":1000}" | jq -c ".events[] | select(.id == $(jq .id <<<"$after"))")" ]'
lastseq=$(rpc_ok bob events '{"since":0,"limit":1}' | jq .cursor)
stop_agent bob
wait_until 10 "who to drop bob" eval '[ "$(rpc_ok alice who | jq -c .online)" = "[\"alice\"]" ]'

offline=()
want_text=()
for m in 'room 1' 'dm 1' 'room 2' 'room 3' 'dm 2' 'room 4'; do
	case $m in
	room*) offline+=("$(send_msg alice '#general' "while away: $m" | jq .id)") ;;
	dm*) offline+=("$(send_msg alice bob "while away: $m" | jq .id)") ;;
	esac
	want_text+=("while away: $m")
done
want_ids=$(printf '%s\n' "${offline[@]}" | jq -sc .)

start_agent bob
wait_ready bob 30
sub_start back bob "{\"since\":$lastseq}"
BACK=$(sub_out back)
wait_for_event "$BACK" ".type == \"message\" and .id == ${offline[5]}" 30 >/dev/null
# a marker sent now proves everything before it was delivered
mark=$(send_msg alice bob 'marker' | jq .id)
wait_for_event "$BACK" ".type == \"message\" and .id == $mark" >/dev/null
got=$(events_in "$BACK" '.type == "message"' | jq -sc '[.[].id]')
assert_eq "$got" "$(jq -c ". + [$mark]" <<<"$want_ids")" "bob's events since seq $lastseq: exactly the missed messages, in order, once"
assert_eq "$(events_in "$BACK" '.type == "message" and .id != '"$mark" | jq -sc '[.[].text]')" \
	"$(printf '%s\n' "${want_text[@]}" | jq -Rsc 'split("\n")[:-1]')" "texts of the missed messages"
assert_jq "$(events_in "$BACK" '.type == "message" and (.text | startswith("while away: dm"))' | jq -sc .)" \
	'length == 2 and all(.conv == "alice" and .from == "alice" and .to == "bob" and .self == false)' \
	"missed DMs"
assert_jq "$(events_in "$BACK" | jq -sc '[.[].seq]')" ". == (sort | unique) and all(. > $lastseq)" "replayed seqs"

# --- bob's agent killed -9 while messages stream in ---------------------------------------
# Whatever bob's script saw before the crash plus what it is replayed
# after (since the last seq it saw) is every message once, in order.  The
# crash lands at a random point of the stream, so try it a few times.
conn_close back
B=120
for round in 1 2 3; do
	sub_start "live$round" bob
	LIVE=$(sub_out "live$round")
	for ((i = 1; i <= B; i++)); do
		rpc_req send "$(jq -cn --arg t "burst $round-$i" '{to:"#general",text:$t}')" "$i"
	done >"$T/burst.in"
	rpc_raw alice "$B" 60 <"$T/burst.in" >"$T/burst.out" &
	burst_pid=$!
	lib_track "$burst_pid"
	for ((i = 0; i < 3000; i++)); do	# a tight poll (at most 30 s), to crash mid-burst
		[ "$(grep -c '"text":"burst ' "$LIVE")" -lt $((5 * round)) ] || break
		sleep 0.01
	done
	kill9_agent bob
	wait_exit "$burst_pid" 70 || fail "alice's burst of $B sends did not finish"
	assert_eq "$(jq -s 'map(select(.result.id)) | length' "$T/burst.out")" "$B" "acknowledged sends of burst $round"
	burst_ids=$(jq -sc 'map(.result.id) | sort' "$T/burst.out")
	seen=$(events_in "$LIVE" '.type == "message" and (.text | startswith("burst "))' | jq -sc 'map(.id)')
	seen_last=$(events_in "$LIVE" | jq -s 'map(.seq) | max')
	conn_close "live$round"

	start_agent bob
	wait_ready bob 30
	sub_start "after$round" bob "{\"since\":$seen_last}"
	AFTER=$(sub_out "after$round")
	mark=$(send_msg alice '#general' "marker after burst $round" | jq .id)
	wait_for_event "$AFTER" ".type == \"message\" and .id == $mark" 30 >/dev/null
	replayed=$(events_in "$AFTER" '.type == "message" and (.text | startswith("burst "))' | jq -sc 'map(.id)')
	got=$(jq -c --argjson r "$replayed" '. + $r' <<<"$seen")
	[ "$got" = "$burst_ids" ] ||
		fail "burst $round: the $(jq length <<<"$seen") messages seen before bob's agent was killed + the $(jq length <<<"$replayed") replayed since seq $seen_last are not each message of the burst once, in order: missing $(jq -c --argjson g "$got" '. - $g' <<<"$burst_ids"), twice $(jq -c 'group_by(.) | map(select(length > 1) | .[0])' <<<"$got"); the agent's events: $(rpc_ok bob events "{\"since\":$((seen_last - 5)),\"limit\":20}" | jq -c '[.events[] | [.seq, .type, .id]]')"
	assert_jq "$(events_in "$AFTER" | jq -sc 'map(.seq)')" ". == (sort | unique) and all(. > $seen_last)" \
		"burst $round: seqs after the agent crash continue above the last one seen"
	conn_close "after$round"
done

echo "PASS: $TEST_NAME"

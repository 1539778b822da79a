#!/bin/bash
# chatsec — integration: the agent's event stream.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# subscribe with since replays what a disconnected script missed, in order
# and once, then carries on live; the events method pages the same store;
# the types/conv filters, a second subscribe and unsubscribe work.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

# ids_of FILE [JQ_BOOLEAN]: the ids of the message events in FILE, as a JSON array.
ids_of()
{
	events_in "$1" ".type == \"message\" and (${2:-true})" | jq -sc '[.[].id]'
}

start_server
start_agent alice
start_agent bob
register_user alice alice 'alice password' >/dev/null
register_user bob bob 'bob password' >/dev/null
wait_ready alice
wait_ready bob

# A live subscriber sees e1; remember its seq as a script would.
sub_start s1 bob
c1=$SUB_CURSOR
e1=$(send_msg alice '#general' e1 | jq .id)
ev=$(wait_for_event "$(sub_out s1)" ".type == \"message\" and .id == $e1")
last=$(jq .seq <<<"$ev")
[ "$last" -gt "$c1" ] || fail "e1's seq $last must be above the cursor $c1 returned before it"
assert_eq "$(ids_of "$(sub_out s1)")" "[$e1]" "without since, only new events are sent"
conn_close s1

# While no one listens, three more messages arrive at bob's agent.
e2=$(send_msg alice '#general' e2 | jq .id)
e3=$(send_msg alice bob e3 | jq .id)
e4=$(send_msg alice '#general' e4 | jq .id)
wait_until 15 "bob's agent to store e4 as an event" \
	eval '[ "$(rpc_ok bob events "{\"since\":$last}" | jq "[.events[] | select(.type == \"message\")] | length")" = 3 ]'

# Resubscribing with since replays exactly the missed ones, then goes live.
sub_start s2 bob "{\"since\":$last}"
S2=$(sub_out s2)
[ "$SUB_CURSOR" -ge "$last" ] || fail "subscribe cursor $SUB_CURSOR below the last seen seq $last"
wait_for_event "$S2" ".type == \"message\" and .id == $e4" >/dev/null
e5=$(send_msg alice '#general' e5 | jq .id)
wait_for_event "$S2" ".type == \"message\" and .id == $e5" >/dev/null
assert_eq "$(ids_of "$S2")" "[$e2,$e3,$e4,$e5]" "replay since $last, then live"
assert_eq "$(events_in "$S2" '.type == "message"' | jq -sc '[.[].text]')" '["e2","e3","e4","e5"]' "replayed texts"
assert_jq "$(events_in "$S2" | jq -sc '[.[].seq]')" ". == (sort | unique) and .[0] == $((last + 1))" \
	"replayed seqs start right after $last, grow, and none is sent twice"
ev=$(events_in "$S2" ".type == \"message\" and .id == $e3")
assert_jq "$ev" '.conv == "alice" and .from == "alice" and .to == "bob" and .self == false' "replayed DM"

# The events method sees the same store: since, limit, oldest first, cursor.
all=$(rpc_ok bob events "{\"since\":$last}")
assert_eq "$(jq -c '[.events[].seq]' <<<"$all")" "$(events_in "$S2" | jq -sc '[.[].seq]')" \
	"events since $last lists what the subscriber got"
assert_jq "$all" '.cursor == (.events | last | .seq)' "events cursor is the newest seq"
assert_jq "$all" '.events | all(has("seq") and has("type"))' "every event has seq and type"
two=$(rpc_ok bob events "{\"since\":$last,\"limit\":2}")
assert_eq "$(jq -c '[.events[].seq]' <<<"$two")" "$(jq -c '[.events[0:2][].seq]' <<<"$all")" "events limit 2 gives the oldest two"
assert_jq "$two" ".cursor >= $(jq .cursor <<<"$all")" "cursor with limit is still the newest seq"
none=$(rpc_ok bob events "{\"since\":$(jq .cursor <<<"$all")}")
assert_jq "$none" '.events == []' "events since the cursor"
ev0=$(rpc_ok bob events '{}')
assert_jq "$ev0" "[.events[] | select(.type == \"message\") | .id] == [$e1,$e2,$e3,$e4,$e5]" \
	"events without since starts from the oldest kept"

# Filters on the events method.
m=$(rpc_ok bob events '{"since":0,"conv":"alice"}')
assert_jq "$m" "[.events[] | .id] == [$e3] and (.events | all(.type == \"message\" and .conv == \"alice\"))" \
	"events conv=alice: only the DM"
m=$(rpc_ok bob events '{"since":0,"types":["message"],"conv":"#general"}')
assert_jq "$m" "[.events[] | .id] == [$e1,$e2,$e4,$e5]" "events types=message conv=#general"
p=$(rpc_ok alice events '{"since":0,"types":["presence"]}')
assert_jq "$p" '.events | length > 0 and all(.type == "presence")' "events types=presence (alice saw bob come online)"
assert_jq "$p" '[.events[] | select(.user == "bob" and .online == true)] | length >= 1' "presence event for bob"
l=$(rpc_ok alice events '{"since":0,"types":["link"]}')
assert_jq "$l" '.events | all(.type == "link" and (.state | type == "string"))' "events types=link"

# A second subscriber without since sees only what comes after it.
sub_start s3 bob
assert_jq "$SUB_CURSOR" ". >= $(jq .cursor <<<"$all")" "cursor of a new subscription"

# A filtered subscription: #general messages only.
sub_start s4 bob '{"types":["message"],"conv":"#general"}'
S4=$(sub_out s4)
f1=$(send_msg alice bob f1 | jq .id)
f2=$(send_msg alice '#general' f2 | jq .id)
wait_for_event "$S4" ".id == $f2" >/dev/null
wait_for_event "$S2" ".id == $f2" >/dev/null
assert_eq "$(ids_of "$S4")" "[$f2]" "subscriber with conv=#general skips the DM"
assert_eq "$(events_in "$S4" '.type != "message"')" "" "subscriber with types=[message] gets no other events"

# A second subscribe on the same connection replaces the filters.
conn_send s4 "$(rpc_req subscribe '{"types":["message"],"conv":"alice"}' 900002)"
wait_for_reply "$S4" 900002 >/dev/null
f3=$(send_msg alice '#general' f3 | jq .id)
f4=$(send_msg alice bob f4 | jq .id)
wait_for_event "$S4" ".id == $f4" >/dev/null
wait_for_event "$S2" ".id == $f4" >/dev/null
assert_eq "$(ids_of "$S4")" "[$f2,$f4]" "after re-subscribing with conv=alice"

# unsubscribe stops events; requests keep working on the connection.
conn_send s4 '{"jsonrpc":"2.0","id":900003,"method":"unsubscribe"}'
assert_jq "$(wait_for_reply "$S4" 900003)" '.result == {}' "unsubscribe result"
f5=$(send_msg alice bob f5 | jq .id)
wait_for_event "$S2" ".id == $f5" >/dev/null
conn_send s4 '{"jsonrpc":"2.0","id":900004,"method":"hello"}'
assert_jq "$(wait_for_reply "$S4" 900004)" '.result.api_version == 1' "a request after unsubscribe"
assert_eq "$(ids_of "$S4")" "[$f2,$f4]" "nothing after unsubscribe"

# The unfiltered live subscribers got everything, each once, in order.
want="[$e2,$e3,$e4,$e5,$f1,$f2,$f3,$f4,$f5]"
assert_eq "$(ids_of "$S2")" "$want" "long-lived subscriber s2"
assert_eq "$(ids_of "$(sub_out s3)")" "[$f1,$f2,$f3,$f4,$f5]" "subscriber s3 (no since)"

# --- a subscriber that never reads doesn't hold the agent up ------------------------------
mkfifo "$T/stuck.in" "$T/stuck.out"
exec {stuck_in}<>"$T/stuck.in" {stuck_out}<>"$T/stuck.out"
socat -t 0.5 - "UNIX-CONNECT:$(agent_sock bob)" <"$T/stuck.in" >"$T/stuck.out" 2>/dev/null &
lib_track $!
rpc_req subscribe '{}' 1 >&"$stuck_in"
big=$(head -c 16000 /dev/zero | tr '\0' x)
F=200
for ((i = 1; i <= F; i++)); do
	rpc_req send "$(jq -cn --arg t "flood $i $big" '{to:"#general",text:$t}')" "$i"
done >"$T/flood.in"
out=$(rpc_raw alice "$F" 120 <"$T/flood.in")
assert_eq "$(jq -s 'map(select(.result.id)) | length' <<<"$out")" "$F" "acknowledged sends of the flood"
last_flood=$(jq -s 'map(.result.id) | max' <<<"$out")
wait_for_event "$S2" ".type == \"message\" and .id == $last_flood" 60 >/dev/null
RPC_TIMEOUT=5 rpc_ok bob hello >/dev/null
assert_eq "$(count_events "$S2" '.type == "message" and (.text | startswith("flood "))')" "$F" \
	"a reading subscriber got the whole flood while another one did not read"
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/${AGENT_PID[bob]}/status")
[ "$rss" -lt 262144 ] || fail "bob's agent grew to $rss KiB with a client that doesn't read"

echo "PASS: $TEST_NAME"

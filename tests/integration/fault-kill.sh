#!/bin/bash
# chatsec — integration: SIGKILL of chatsecd at random moments while two
# agents send.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 9, faults: over several cycles the server is killed -9 at a random
# point of two concurrent bursts (a room and a DM), then restarted.  Every
# send is acknowledged in the end (the agents hold and resend what was not),
# every acknowledged message is stored exactly once with the id its sender
# was given, nothing else is stored, and the database passes
# PRAGMA integrity_check.  The disk takes 50 ms a sync (slow_disk): the
# bursts last long enough for a kill to land inside them, some between a
# batch's commit and its sync (committed, never acknowledged).

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
command -v sqlite3 >/dev/null || fail "the sqlite3 CLI is needed (contrib/setup.sh deps installs it)"

CYCLES=6
B=30

slow_disk 50
start_server
start_agent alice
start_agent bob
register_user alice alice 'alice password' >/dev/null
register_user bob bob 'bob password' >/dev/null
wait_ready alice
wait_ready bob

# burst NAME PROFILE TO ROUND: B pipelined sends with cids NAME-ROUND-i.
burst()
{
	local i
	for ((i = 1; i <= B; i++)); do
		rpc_req send "$(jq -cn --arg to "$3" --arg t "$1 $4-$i" --arg c "$1-$4-$i" \
			'{to:$to,text:$t,cid:$c}')" "$i"
	done >"$T/$1-$4.in"
	rpc_raw "$2" "$B" 90 <"$T/$1-$4.in" >"$T/$1-$4.out"
}

at_kill=()
stored=()
for ((round = 1; round <= CYCLES; round++)); do
	burst room alice '#general' "$round" &
	p1=$!
	burst dm bob alice "$round" &
	p2=$!
	lib_track "$p1"
	lib_track "$p2"
	# Kill once a random part of the two bursts is stored (at most 10 s).
	want=$((1 + RANDOM % (2 * B - 2)))
	q="SELECT count(*) FROM messages WHERE cid LIKE 'room-$round-%' OR cid LIKE 'dm-$round-%'"
	for ((i = 0; i < 1000; i++)); do
		[ "$(server_sql "$q")" -lt "$want" ] || break
		sleep 0.01
	done
	kill9_server
	stored+=("$(server_sql "$q")")
	sleep 0.2	# replies the agents had before the kill reach the files
	at_kill+=("$(cat "$T/room-$round.out" "$T/dm-$round.out" |
		jq -s 'map(select(.result.id | type == "number")) | length')")
	restart_server
	wait_exit "$p1" 100 || fail "round $round: alice's burst did not finish"
	wait_exit "$p2" 100 || fail "round $round: bob's burst did not finish"
	for f in room dm; do
		assert_eq "$(jq -s 'map(select(.result.id | type == "number")) | length' "$T/$f-$round.out")" "$B" \
			"round $round: every $f send acknowledged after the crash"
	done
done

echo "of $((2 * B)) per round when the server was killed: stored ${stored[*]}, acknowledged ${at_kill[*]}"
# The kills must have landed inside the bursts (sends still waiting for
# their acknowledgement), or this tested nothing.
mid=0
for n in "${at_kill[@]}"; do
	[ "$n" -lt $((2 * B)) ] && mid=$((mid + 1))
done
[ "$mid" -ge 1 ] || fail "no kill landed mid-burst (acknowledged at each kill: ${at_kill[*]})"

# Every acknowledged id with its cid, as the senders were told.
acked=$(for f in "$T"/room-*.out "$T"/dm-*.out; do cat "$f"; done |
	jq -sc 'map({id: .result.id, cid: .result.cid}) | sort_by(.id)')
assert_eq "$(jq length <<<"$acked")" $((2 * B * CYCLES)) "acknowledgements in all"
assert_jq "$acked" '[.[].cid] | (length == (unique | length)) and all(type == "string")' \
	"each acknowledgement names its own cid"
stored=$(server_sql "SELECT id, cid FROM messages WHERE cid LIKE 'room-%' OR cid LIKE 'dm-%' ORDER BY id" |
	jq -Rsc 'split("\n")[:-1] | map(split("|") | {id: (.[0] | tonumber), cid: .[1]})')
assert_eq "$stored" "$acked" "stored messages are exactly the acknowledged ones, once each, with their ids"
assert_eq "$(server_sql 'PRAGMA integrity_check')" ok "PRAGMA integrity_check after $CYCLES kills"

# And the readers see them: bob's agent has alice's room messages, in order.
wait_until 30 "bob's agent to have alice's last room message" \
	eval '[ "$(rpc_ok bob history "{\"conv\":\"#general\",\"limit\":1}" | jq -r ".messages[-1].text")" = "room $CYCLES-$B" ]'
hist=$(rpc_ok bob history '{"conv":"#general","limit":200}')
want=$(jq -c '[.[] | select(.cid | startswith("room-")) | .id]' <<<"$acked")
assert_eq "$(jq -c '[.messages[] | select(.text | startswith("room ")) | .id]' <<<"$hist")" "$want" \
	"bob's history of #general: every room message once, in id order"

echo "PASS: $TEST_NAME"

#!/bin/bash
# chatsec — integration: the away status.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# alice sets an away text: bob hears a presence event with it and sees it
# in who and room_members.  Texts over 256 bytes or with control
# characters are refused with a clear error, by the agent and by the
# server alike, and change nothing.  The server forgets the text with
# alice's last connection, and her agent sets it again: after the agent
# restarts and after the server restarts.  Clearing it reaches bob too.
# A second agent of alice's follows what the first one sets, and back.
# In the curses UI /away TEXT shows "(away)" in the status line, and
# bob's /who, /names, member pane and DM title show alice away; /away
# alone clears it.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(dirname "$0")/../wire-lib.sh"
. "$(dirname "$0")/ui-lib.sh"

start_server
start_agent alice
start_agent bob
register_user alice alice 'alice password' >/dev/null
register_user bob bob 'bob password' >/dev/null
wait_ready alice
wait_ready bob

sub_start bob bob '{"types":["presence"]}'
BOBEV=$(sub_out bob)

# bob_sees_away TEXT: bob's who lists alice online with TEXT as her away
# text ("" for none).
bob_sees_away()
{
	local w
	w=$(rpc_ok bob who)
	jq -e --arg t "$1" '(.online | index("alice")) != null and
		(.away | type == "object") and
		((.away.alice // "") == $t)' >/dev/null <<<"$w"
}

# --- not away at first ------------------------------------------------------------
st=$(status_of alice)
assert_jq "$st" '.away == null' "alice's status before /away"
w=$(rpc_ok bob who)
assert_jq "$w" '.away == {} and (.online | sort) == ["alice","bob"]' "bob's who before anyone is away"

# --- alice goes away ----------------------------------------------------------------
text='at lunch ☕ — back at 2'
r=$(rpc_ok alice away "$(jq -cn --arg t "$text" '{text:$t}')")
jq -e --arg t "$text" '.away == $t' >/dev/null <<<"$r" || fail "away's result: $r"
ev=$(wait_for_event "$BOBEV" '.type == "presence" and .user == "alice" and has("away")')
jq -e --arg t "$text" '.online == true and .away == $t' >/dev/null <<<"$ev" ||
	fail "bob's presence event for alice going away: $ev"
bob_sees_away "$text" || fail "bob's who does not show alice away: $(rpc_ok bob who)"
st=$(status_of alice)
jq -e --arg t "$text" '.away == $t' >/dev/null <<<"$st" || fail "alice's status while away: $st"
m=$(rpc_ok bob room_members '{"room":"#general"}')
jq -e --arg t "$text" '[.members[] | select(.user == "alice")][0].away == $t and
	([.members[] | select(.user == "bob")][0] | has("away") | not)' >/dev/null <<<"$m" ||
	fail "room_members does not mark alice (only) away: $m"

# --- bad texts are refused and change nothing ---------------------------------------
long=$(printf 'x%.0s' $(seq 1 257))
e=$(expect_err -32602 alice away "$(jq -cn --arg t "$long" '{text:$t}')")
assert_contains "$e" "too long" "error for a 257-byte away text"
e=$(expect_err -32602 alice away '{"text":"two\nlines"}')
assert_contains "$e" "control characters" "error for a newline in the away text"
e=$(expect_err -32602 alice away '{"text":"\u001b[2Jclear"}')
assert_contains "$e" "control characters" "error for an escape in the away text"
e=$(expect_err -32602 alice away '{"text":"a\u0000b"}')
assert_contains "$e" "NUL" "error for a NUL in the away text"
expect_err -32602 alice away '{"text":42}' >/dev/null
ok256=$(printf 'y%.0s' $(seq 1 256))
bob_sees_away "$text" || fail "a refused away text changed what bob sees: $(rpc_ok bob who)"
st=$(status_of alice)
jq -e --arg t "$text" '.away == $t' >/dev/null <<<"$st" || fail "a refused away text changed alice's status: $st"

# The server checks too, whatever the client: carol speaks the wire.
wire_register ca carol
e=$(wire_err ca away "$(jq -cn --arg t "$long" '{text:$t}')" -32602)
assert_contains "$e" "too long" "server's error for a 257-byte away text"
e=$(wire_err ca away '{"text":"bell\u0007"}' -32602)
assert_contains "$e" "control characters" "server's error for a control character"
e=$(wire_err ca away '{"text":"c1\u009b"}' -32602)
assert_contains "$e" "control characters" "server's error for a C1 control"
e=$(wire_err ca away '{"text":"nul\u0000"}' -32602)
assert_contains "$e" "NUL" "server's error for a NUL"
r=$(wire_ok ca away "$(jq -cn --arg t "$ok256" '{text:$t}')")
jq -e --arg t "$ok256" '.away == $t' >/dev/null <<<"$r" || fail "256 bytes are allowed: $r"
r=$(wire_ok ca who '{}')
jq -e --arg t "$ok256" --arg a "$text" '.away == {alice:$a, carol:$t}' >/dev/null <<<"$r" ||
	fail "the wire who's away object: $r"
r=$(wire_ok ca away '{"text":""}')
assert_jq "$r" '.away == null' "an empty text clears (wire)"
# 10 changes a minute (two made above): the 11th waits, and changes nothing.
for i in 1 2 3 4 5 6 7 8; do
	wire_ok ca away "{\"text\":\"t$i\"}" >/dev/null
done
wire_ok ca away '{"text":"t8"}' >/dev/null	# the same text: free
e=$(wire_err ca away '{"text":"t9"}' 1003)
assert_jq "$e" '.data.retry_after >= 1 and .data.retry_after <= 61' "retry_after of the 11th change"
assert_jq "$(wire_ok ca who '{}')" '.away.carol == "t8"' "the refused change changed nothing"
conn_close ca
wait_for_event "$BOBEV" '.type == "presence" and .user == "carol" and .online == false' >/dev/null

# --- the agent sets it again after it restarts ----------------------------------------
stop_agent alice
wait_for_event "$BOBEV" '.type == "presence" and .user == "alice" and .online == false' >/dev/null
w=$(rpc_ok bob who)
assert_jq "$w" '.away == {} and .online == ["bob"]' "the server forgot alice's away text with her last connection"
start_agent alice
wait_ready alice
wait_until 20 "bob to see alice away again after her agent restarted" bob_sees_away "$text"
st=$(status_of alice)
jq -e --arg t "$text" '.away == $t' >/dev/null <<<"$st" || fail "alice's status after her agent restarted: $st"

# --- and after the server restarts ------------------------------------------------------
stop_server
wait_status alice '.link != "ready"' 15 >/dev/null
restart_server
wait_ready alice 30
wait_ready bob 30
wait_until 20 "bob to see alice away again after the server restarted" bob_sees_away "$text"

# --- alice comes back -------------------------------------------------------------------
sub_start bob2 bob '{"types":["presence"]}'
BOBEV2=$(sub_out bob2)
r=$(rpc_ok alice away '{}')
assert_jq "$r" '.away == null' "away without text clears"
ev=$(wait_for_event "$BOBEV2" '.type == "presence" and .user == "alice"')
assert_jq "$ev" '.online == true and (has("away") | not)' "bob's presence event for alice coming back"
bob_sees_away "" || fail "bob's who still shows alice away: $(rpc_ok bob who)"
assert_jq "$(status_of alice)" '.away == null' "alice's status after coming back"
# ... and it stays cleared across an agent restart.
stop_agent alice
start_agent alice
wait_ready alice
assert_jq "$(status_of alice)" '.away == null' "alice's status after a restart once back"
bob_sees_away "" || fail "alice is away again after a restart once back: $(rpc_ok bob who)"
conn_close bob2
conn_close bob

# --- two agents of one account follow each other ----------------------------------------
start_agent alice2
login_user alice2 alice >/dev/null
wait_ready alice2
rpc_ok alice away '{"text":"in a meeting"}' >/dev/null
wait_status alice2 '.away == "in a meeting"' 10 >/dev/null
rpc_ok alice2 away '{}' >/dev/null
wait_status alice '.away == null' 10 >/dev/null
bob_sees_away "" || fail "alice is still away after her other agent cleared it: $(rpc_ok bob who)"
stop_agent alice2

# --- the curses UI ----------------------------------------------------------------------
ui_start alice
ui_start bob
ui_wait alice "[alice]"
ui_wait bob "[bob]"
ui_line alice "/away on a call"
ui_wait alice "You are away: on a call"
wait_until 10 "alice's status line to show (away)" eval \
	'[[ $(ui_row alice 38) == *"[alice] (away)"* ]]'
wait_until 10 "bob to see alice away" bob_sees_away "on a call"
ui_line bob "/who"
ui_wait bob "2 online: alice (away: on a call) bob"
ui_line bob "/set members on"
ui_wait bob "│alice (away)"
ui_line bob "/names"
ui_wait bob "#general: 3 members, 2 online: alice (away) bob carol"
ui_line bob "/query alice"
ui_wait bob "alice — direct messages (online, away: on a call)"
ui_line alice "/away $(printf 'z%.0s' $(seq 1 300))"
ui_wait alice "/away: away text is too long"
bob_sees_away "on a call" || fail "a refused /away changed what bob sees: $(rpc_ok bob who)"
ui_line alice "/away"
ui_wait alice "You are back"
wait_until 10 "alice's status line to lose (away)" eval \
	'[[ $(ui_row alice 38) != *"(away)"* && $(ui_row alice 38) == *"[alice]"* ]]'
ui_wait bob "alice is back"
ui_wait bob "alice — direct messages (online)"
bob_sees_away "" || fail "bob still sees alice away after /away: $(rpc_ok bob who)"

echo "away: ok"

#!/bin/bash
# chatsec — integration: rooms in the curses UI.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# alice and bob in two UIs under tmux against a real chatsecd and agents:
# joining an unknown room offers /create; alice creates #dev, bob joins
# it; messages both ways; the topic in the title and its change as a line;
# the member pane with roles (~ owner, @ operator) as they change; /names
# and /list; a member's /kick refused with the server's sentence; the
# owner's /kick seen by both; /part removes the window; a timed ban;
# /delete with its confirmation marks the window dead; /away sets and
# clears; a room window on a fresh UI from room_list.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(dirname "$0")/ui-lib.sh"

# ui_list_has NAME TEXT: the window list (left of the first │) of NAME
# has an entry TEXT.
ui_list_has()
{
	local line
	while IFS= read -r line; do
		[[ $line == *"│"* ]] || continue
		[[ ${line%%│*} != *"$2"* ]] || return 0
	done < <(ui_screen "$1" | sed -n '2,38p')
	return 1
}

start_server
start_agent alice
start_agent bob
register_user alice alice 'correct horse battery' >/dev/null
register_user bob bob 'battery staple horse' >/dev/null

ui_start alice
ui_start bob
ui_wait alice "[alice]"
ui_wait bob "[bob]"

# Joining a room that does not exist says so and offers /create.
ui_line bob "/join #dev"
ui_wait bob "/join: "
ui_wait bob "/create #dev makes it"

# alice creates #dev: a window, her own create line, the topic in the title.
ui_line alice "/create #dev builds and releases"
ui_wait alice "[2:#dev]"
ui_wait alice " #dev — builds and releases"
ui_wait alice "alice created #dev, topic: builds and releases"
assert_match "$(ui_row alice 0)" '^ #dev — builds and releases' "title of #dev"

# bob joins; both see it.
ui_line bob "/join #dev"
ui_wait bob "[2:#dev]"
ui_wait bob " #dev — builds and releases"
ui_wait alice "bob has joined #dev"
ui_wait bob "bob has joined #dev"

# Messages both ways, in the room only.
ui_line alice "hello devs"
ui_wait bob "<alice> hello devs"
ui_line bob "hi alice"
ui_wait alice "<bob> hi alice"
h=$(rpc_ok alice history '{"conv":"#general","limit":5}')
assert_jq "$h" '[.messages[].text] | index("hello devs") == null' "room message not in #general"

# The topic: read, set by the owner, shown in both titles.
ui_line bob "/topic"
ui_wait bob "topic of #dev: builds and releases"
ui_line alice "/topic release on friday"
ui_wait bob "alice changed the topic of #dev to: release on friday"
ui_wait bob " #dev — release on friday"
ui_wait alice " #dev — release on friday"

# A member may not set the topic or kick: the server's sentence shows.
ui_line bob "/kick alice"
ui_wait bob "/kick: you need to be an operator of #dev to"
ui_line bob "/topic mine now"
ui_wait bob "/topic: you need to be an operator of #dev to"
ui_wait_gone bob " #dev — mine now" 1

# The member pane: F7 on alice's side, /set members on bob's; roles move.
ui_keys alice F7
ui_wait alice "│~alice"
ui_wait alice "│bob"
ui_wait alice "2/2 online"
ui_line bob "/set members on"
ui_wait bob "│~alice"
ui_line alice "/op bob"
ui_wait bob "alice made bob an operator"
ui_wait alice "│@bob"
ui_wait bob "│@bob"
ui_line alice "/deop bob"
ui_wait alice "alice took operator rights from bob"
ui_wait alice "│bob"
ui_line alice "/mute bob"
ui_wait alice "bob was muted by alice"
ui_wait alice "│-bob"
ui_line bob "still here?"
ui_wait bob "you are muted in #dev"
ui_line alice "/unmute bob"
ui_wait bob "bob was unmuted by alice"
ui_wait alice "│bob"
ui_keys alice F7
ui_wait_gone alice "│~alice"
ui_line bob "/set members off"
ui_wait_gone bob "│~alice"

# /names with roles; /list in the status window, with counts.
ui_line alice "/names"
ui_wait alice "#dev: 2 members, 2 online: ~alice bob"
ui_line bob "/list"
ui_wait bob " status — /list shows the rooms"
ui_wait bob "2 members, 2 online — release on friday"
scr=$(ui_screen bob)
assert_match "$scr" '\+ #dev +2 members, 2 online — release on friday' "#dev in /list"
assert_match "$scr" '\+ #general +2 members, 2 online' "#general in /list"
ui_list_has bob "(status)" || fail "no status window in bob's list"
ui_line bob "/close"
ui_wait bob "[2:#dev]"

# The owner kicks bob: both see it; bob's window stays, marked.
ui_line alice "/kick bob off topic"
ui_wait alice "bob was kicked by alice (off topic)"
ui_wait bob "bob was kicked by alice (off topic)"
ui_wait bob "not a member (/join to come back)"
ui_list_has bob "(#dev)" || fail "bob's #dev window is not marked after the kick"
ui_line bob "/join #dev"
ui_wait alice "bob has joined #dev"
ui_wait_gone bob "not a member"

# /part leaves the room and removes the window.
ui_line bob "/part"
ui_wait alice "bob has left #dev"
ui_wait bob "[1:#general]"
ui_list_has bob "#dev" && fail "bob's #dev window is still listed after /part"
l=$(rpc_ok bob room_list)
assert_jq "$l" '[.rooms[] | select(.room == "#dev")][0].role == null' "bob left #dev on the server"

# A timed ban reaches bob (no #dev window: in his current window).
ui_line alice "/ban bob spam -expires 10m"
ui_wait alice "bob was banned by alice until"
ui_wait alice "(spam)"
ui_wait bob "bob was banned by alice until"
ui_line bob "/join #dev"
ui_wait bob "/join: you are banned from #dev"
ui_line alice "/ban bob -expires 10q"
ui_wait alice "/ban: -expires: a duration is a number"
ui_line alice "/unban bob"
ui_wait alice "bob was unbanned by alice"

# A fresh UI finds alice's rooms from room_list, with the topic.
ui_start alice2 -S "$(agent_sock alice)"
ui_wait alice2 "[alice]"
wait_until 15 "#dev in alice2's window list" ui_list_has alice2 "#dev"
ui_keys alice2 M-2
ui_wait alice2 " #dev — release on friday"
ui_wait alice2 "<bob> hi alice"

# /delete asks first; the second deletes; the window is marked dead.
ui_line alice "/delete"
ui_wait alice "seconds to confirm"
ui_line alice "/delete"
ui_wait alice "alice deleted #dev"
ui_wait alice " #dev — release on friday · deleted"
ui_wait alice2 "alice deleted #dev"
ui_list_has alice "(#dev)" || fail "the deleted room's window is not marked"
ui_line alice "anyone?"
ui_wait alice "not sent: #dev was deleted"

# /away (away.sh has the rest), then misuse.
ui_line alice "/away lunch"
ui_wait alice "You are away: lunch"
ui_line alice "/away"
ui_wait alice "You are back"
ui_line alice "/kick"
ui_wait alice "usage: /kick [#ROOM] NICK [REASON]"
ui_line alice "/create dev"
ui_wait alice "/create: dev:"
ui_line alice "/help ban"
ui_wait alice "/ban [#ROOM] NICK [REASON] [-expires 10m|2h|3d]"
ui_keys alice M-1
ui_wait alice "[1:#general]"
ui_line alice "/op bob"
ui_wait alice "/op: "
ui_line alice "/topic"
ui_wait alice "#general has no topic"

echo "ui-rooms: ok"

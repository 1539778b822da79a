#!/bin/bash
# chatsec — integration: clearing a topic, and a room deleted while the UI's agent was down.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# /topic shows the topic, /topic -clear clears it (everyone sees the line,
# the title says there is none), a member may not, and /help says how.
# Then alice's UI has a #ops window; her agent goes away (and with it the link
# to the server); bob deletes #ops meanwhile.  When the agent is back, the
# UI attaches again and the `room` event with action delete, delivered
# late, marks the window: its line, "(#ops)" in the window list,
# "· deleted" in its title, and sending there gives a clear error.

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
rpc_ok bob room_create '{"room":"#ops","topic":"on call"}' >/dev/null

ui_start alice
ui_start bob
ui_wait alice "[alice]"
ui_wait bob "[bob]"

# The topic: shown, cleared by its owner, not by a member.
ui_line bob "/join #ops"
ui_wait bob "[2:#ops]"
ui_line bob "/topic"
ui_wait bob "topic of #ops: on call"
ui_line bob "/topic -clear"
ui_wait bob "bob cleared the topic of #ops"
ui_wait bob " #ops — (no topic)"
ui_line bob "/topic"
ui_wait bob "#ops has no topic"
r=$(rpc_ok bob room_topic '{"room":"#ops"}')
assert_jq "$r" '.topic == ""' "the topic on the server"
rpc_ok bob room_topic '{"room":"#ops","topic":"on call"}' >/dev/null
ui_wait bob "bob changed the topic of #ops to: on call"
ui_line bob "/help topic"
ui_wait bob "/topic [#ROOM] [TEXT|-clear]"
ui_line alice "/join #ops"
ui_wait alice "[2:#ops]"
ui_wait alice " #ops — on call"
ui_line alice "here"
ui_wait alice "<alice> here"
ui_line alice "/topic -clear"
ui_wait alice "/topic: you need to be an operator of #ops to"
r=$(rpc_ok bob room_topic '{"room":"#ops"}')
assert_jq "$r" '.topic == "on call"' "the topic after a member's -clear"

stop_agent alice
ui_wait alice "attaching again when it is back"
rpc_ok bob room_delete '{"room":"#ops"}' >/dev/null
start_agent alice
wait_ready alice
ui_wait alice "bob deleted #ops" 20
ui_wait alice " #ops — on call · deleted"
ui_list_has alice "(#ops)" || fail "the deleted room's window is not marked in the list"
ui_line alice "anyone?"
ui_wait alice "not sent: #ops was deleted"
ui_line alice "/topic"
ui_wait alice "/topic: #ops was deleted"

echo "PASS: $TEST_NAME"

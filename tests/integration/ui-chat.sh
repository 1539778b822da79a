#!/bin/bash
# chatsec — integration: chatting in the curses UI.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Two users, three UIs (alice twice, bob once) under tmux against a real
# chatsecd and agents: history on attach and paging back past it with
# PgUp, sending and receiving, a wide-character line and a long CJK line
# that wraps without cutting a character, a DM with its unread mark, bell
# and window switching (Alt-2, Ctrl-N/P), Tab completion, /me and /who,
# error lines for misuse, and a resize that redraws the whole screen.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(dirname "$0")/ui-lib.sh"

start_server
start_agent alice
start_agent bob
register_user alice alice 'correct horse battery' >/dev/null
register_user bob bob 'battery staple horse' >/dev/null

# 120 old messages: the UI fetches the newest 50 on attach.
for i in $(seq -w 1 120); do
	send_msg bob '#general' "old $i" >/dev/null
done

ui_start alice
ui_start bob
ui_wait alice "<bob> old 120"
ui_wait bob "<bob> old 120"
ui_wait alice "[alice]"
assert_not_contains "$(ui_screen alice)" "old 070" "only the newest page at first"

# PgUp pages back through what the UI holds, then older history from the
# agent, until the very first message shows.
for ((i = 0; i < 40; i++)); do
	ui_has alice "<bob> old 001" && break
	ui_keys alice PPage
	sleep 0.2
done
ui_wait alice "<bob> old 001"
ui_wait alice "scrolled back"
for ((i = 0; i < 40; i++)); do
	ui_has alice "scrolled back" || break
	ui_keys alice NPage
	sleep 0.1
done
ui_wait_gone alice "scrolled back"
ui_wait alice "<bob> old 120"

# Send in one UI, see it in the other; wide characters keep their width.
ui_line alice "héllo 世界 🙂"
ui_wait bob "<alice> héllo 世界 🙂"
row=$(ui_screen bob | grep -F "<alice> héllo 世界 🙂")
assert_match "$row" '│[0-9]{2}:[0-9]{2} <alice> héllo 世界 🙂$' "wide-character line in bob's UI"
hist=$(rpc_ok bob history '{"conv":"#general","limit":1}')
assert_eq "$(jq -r '.messages[0].text' <<<"$hist")" "héllo 世界 🙂" "text as the server stored it"

# A long line of double-width characters wraps whole characters only.
cjk=$(printf '世%.0s' $(seq 1 150))
ui_line alice "$cjk"
ui_wait bob "<alice> 世世世"
n=$(ui_screen bob | grep -o '世' | wc -l)
assert_eq "$n" 151 "every 世 shown exactly once (150, and 1 in 世界)"
! ui_screen bob | grep -q '[^│ ]�' || fail "a character was cut"

# A second UI on alice's agent sees the same conversation.
ui_start alice2 -S "$(agent_sock alice)"
ui_wait alice2 "<alice> 世世世"
ui_wait alice2 "<alice> héllo 世界 🙂"

# A DM: window list mark and bell in alice's UI, not in bob's own.
ui_line bob "/msg alice psst alice"
ui_wait alice " 2 bob"
ui_wait alice "1!"
ui_wait alice2 "1!"
[ "$(ui_tmux display-message -p -t alice '#{window_bell_flag}')" = 1 ] ||
	echo "note: tmux did not flag a bell for alice (bell flag off in detached sessions)" >&2
ui_keys alice M-2
ui_wait alice "bob — direct messages (online)"
ui_wait alice "<bob> psst alice"
ui_wait_gone alice "1!"
ui_wait alice "[2:bob]"

# Ctrl-P / Ctrl-N switch windows.
ui_keys alice C-p
ui_wait alice "[1:#general]"
ui_keys alice C-n
ui_wait alice "[2:bob]"

# Reply in the DM; bob sees it in his DM window after /query.
ui_line alice "pssst back"
ui_line bob "/query alice"
ui_wait bob "alice — direct messages"
ui_wait bob "<alice> pssst back"

# A mention in #general marks that window while alice looks elsewhere.
ui_keys bob M-1
ui_wait bob "[1:#general]"
ui_line bob "hey alice, look"
ui_wait alice " 1 #general"
ui_wait alice "1!"

# Tab completes commands and nicks.
ui_keys alice M-1
ui_wait alice "[1:#general]"
ui_type alice "/que"
ui_keys alice Tab
ui_type alice "|"
ui_wait alice "[#general] /query |"
ui_keys alice BSpace
ui_type alice "bo"
ui_keys alice Tab
ui_type alice "|"
ui_wait alice "[#general] /query bob |"
ui_keys alice C-u
ui_type alice "bo"
ui_keys alice Tab
ui_type alice "|"
ui_wait alice "[#general] bob: |"
ui_keys alice C-u

# Line editing: words, Home/End, Ctrl-A/E/K/U/W, Delete, wide characters.
ui_type alice "hello world"
ui_keys alice C-w
ui_type alice "there"
ui_wait alice "[#general] hello there"
ui_keys alice Home
ui_type alice ">"
ui_keys alice End
ui_type alice "<"
ui_wait alice "[#general] >hello there<"
ui_keys alice C-a DC C-e BSpace
ui_wait alice "[#general] hello there"
ui_keys alice C-a Right Right Right Right Right C-k
ui_type alice "!"
ui_wait alice "[#general] hello!"
ui_keys alice C-u
ui_type alice "日本語é"
ui_keys alice Left Left
ui_type alice "x"
ui_keys alice End
ui_type alice "|"
ui_wait alice "[#general] 日本x語é|"
ui_keys alice C-u
ui_wait_gone alice "[#general] 日本"

# /me and /who.
ui_line alice "/me waves"
ui_wait bob "* alice waves"
ui_line alice "/who"
ui_wait alice "2 online: alice bob"

# Misuse gives an error line, and sends nothing.
ui_line alice "/frobnicate now"
ui_wait alice "unknown command /frobnicate: /help lists the commands"
ui_line alice "/msg bob"
ui_wait alice "usage: /msg NICK TEXT"
ui_line alice "/join #rust"
ui_wait alice "/create #rust makes it"
ui_line alice "/part"
ui_wait alice "#general is everyone's room and can't be left"
ui_line alice "/msg no!body hi"
ui_wait alice "/msg: no!body:"
hist=$(rpc_ok bob history '{"conv":"#general","limit":1}')
assert_jq "$hist" '.messages[0].text == "* alice waves" or (.messages[0].text | startswith("/me "))' \
	"nothing sent by the misused commands"

# /help for one command.
ui_line alice "/help msg"
ui_wait alice "/msg NICK TEXT"

# Up recalls the input history.
ui_keys alice Up
ui_wait alice "[#general] /help msg"
ui_keys alice Up
ui_wait alice "[#general] /msg no!body hi"
ui_keys alice Down Down
ui_wait_gone alice "[#general] /"

# Resize: everything is redrawn for the new size.
ui_tmux resize-window -t alice -x 80 -y 24
wait_until 10 "alice's pane to be 80x24" eval '[ "$(ui_tmux display-message -p -t alice "#{pane_width}x#{pane_height}")" = 80x24 ]'
ui_wait alice "[1:#general]"
scr=$(ui_screen alice)
assert_eq "$(wc -l <<<"$scr")" 24 "screen rows after resize"
assert_match "$(sed -n 23p <<<"$scr")" '^ \[[0-9]{2}:[0-9]{2}\] \[alice\]' "status line on row 23 of 24"
assert_match "$(sed -n 24p <<<"$scr")" '^\[#general\]' "input line on the last row"
assert_match "$(sed -n 1p <<<"$scr")" '^ #general — everyone' "title on the first row"
ui_tmux resize-window -t alice -x 50 -y 20
wait_until 10 "alice's pane to be 50x20" eval '[ "$(ui_tmux display-message -p -t alice "#{pane_width}x#{pane_height}")" = 50x20 ]'
ui_wait_gone alice "│"
scr=$(ui_screen alice)
assert_eq "$(wc -l <<<"$scr")" 20 "screen rows after the second resize"
assert_contains "$scr" "* alice waves" "conversation redrawn when narrow"
ui_tmux resize-window -t alice -x 120 -y 40
wait_until 10 "alice's pane to be 120x40" eval '[ "$(ui_tmux display-message -p -t alice "#{pane_width}x#{pane_height}")" = 120x40 ]'
ui_wait alice " 2 bob"

echo "ui-chat: ok"

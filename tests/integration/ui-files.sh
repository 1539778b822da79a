#!/bin/bash
# chatsec — integration: file transfer in the curses UI.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# alice and bob in two UIs under tmux against a real chatsecd and agents,
# in #dev: alice's /file of a binary file of several chunks (a path
# relative to her UI's folder) shows one progress line that becomes
# "sent"; bob sees the [file] line with name, size, caption and the /save
# that fetches it; /save into the -D folder and into a folder named on the
# line gives files with the sender's bytes; /file on a missing path, a
# folder, an unclosed quote: error lines, nothing sent; a file the
# server finds too big: a failure line; a hostile name (escape sequences,
# a bell, ../) shows made safe and is saved inside the chosen folder only;
# /files lists a transfer (held by a stopped server) and /cancel ends it.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(dirname "$0")/ui-lib.sh"

MAXF=$((1024 * 1024))
start_server --max-file-size "$MAXF"
start_agent alice
start_agent bob
register_user alice alice 'correct horse battery' >/dev/null
register_user bob bob 'battery staple horse' >/dev/null
rpc_ok alice room_create '{"room":"#dev"}' >/dev/null
rpc_ok bob room_join '{"room":"#dev"}' >/dev/null

mkdir -p "$T/src" "$T/bob-dl" "$T/other"
head -c $((3 * 65536 + 4321)) /dev/urandom >"$T/src/big.bin"	# 4 chunks
head -c $((MAXF + 65536)) /dev/urandom >"$T/src/huge.bin"
head -c 100000 /dev/urandom >"$T/src/held.bin"
SUM=$(sha256sum "$T/src/big.bin" | cut -d' ' -f1)

# alice's UI runs in $T/src, so a relative path is one there.
(cd "$T/src" && ui_start alice)
ui_start bob -S "$(agent_sock bob)" -D "$T/bob-dl"
ui_wait alice "[alice]"
ui_wait bob "[bob]"
ui_line alice "/join #dev"
ui_line bob "/join #dev"
ui_wait alice "[2:#dev]"
ui_wait bob "[2:#dev]"

# Bad paths: a clear error line each, nothing sent.
ui_line alice "/file ~/no-such-file-$$.bin"
ui_wait alice "/file: ~/no-such-file-$$.bin: no such file"
ui_line alice "/file $T/src"
ui_wait alice "/file: $T/src: not a regular file"
ui_line alice '/file "big.bin'
ui_wait alice '/file: a path, or a "quoted path" with spaces'
h=$(rpc_ok bob history '{"conv":"#dev","limit":10}')
assert_jq "$h" '[.messages[] | select(.file)] | length == 0' "no file message after the bad paths"

# A file of 4 chunks: one line that goes from "sending" to "sent".
ui_line alice "/file big.bin quarterly numbers"
ui_wait alice "sent big.bin (196.2 KiB) to #dev"
ui_wait alice "<alice> [file] big.bin (196.2 KiB) — quarterly numbers"
scr=$(ui_screen alice)
assert_not_contains "$scr" "sending big.bin" "the progress line became the sent line"
assert_eq "$(grep -c 'big.bin' <<<"$scr")" 2 "one transfer line and one file line for big.bin"

# bob sees the offer with the id /save takes.
h=$(rpc_ok bob history '{"conv":"#dev","limit":10}')
ID=$(jq -r '[.messages[] | select(.file)][-1].id' <<<"$h")
ui_wait bob "<alice> [file] big.bin (196.2 KiB) — quarterly numbers — /save $ID to fetch it"

# /save without arguments: the newest offer here, into the -D folder.
ui_line bob "/save"
ui_wait bob "saved big.bin (196.2 KiB) as $T/bob-dl/big.bin"
assert_not_contains "$(ui_screen bob)" "fetching big.bin" "the progress line became the saved line"
assert_eq "$(sha256sum "$T/bob-dl/big.bin" | cut -d' ' -f1)" "$SUM" "bytes saved by /save"

# /save ID DIR: into that folder.
ui_line bob "/save $ID $T/other"
ui_wait bob "saved big.bin (196.2 KiB) as $T/other/big.bin"
assert_eq "$(sha256sum "$T/other/big.bin" | cut -d' ' -f1)" "$SUM" "bytes saved by /save ID DIR"
ui_line bob "/save $ID $T/no-such-dir"
ui_wait bob "/save: $T/no-such-dir: no such folder"
ui_line bob "/save 999999"
ui_wait bob "/save 999999: "

# Too big for the server: a failure line on alice's side.
ui_line alice "/file $T/src/huge.bin"
ui_wait alice "sending huge.bin FAILED: too big for the server"

# A hostile name, as a modified client could send: shown made safe, saved
# inside bob's folder under the agent's safe name.
bad=$'../../\e[2J\e]0;pwned\aevil.txt'
p=$(jq -cn --arg path "$T/src/big.bin" --arg name "$bad" '{to:"#dev",path:$path,name:$name,wait:true}')
rpc_ok alice file_send "$p" >/dev/null
ui_wait bob "<alice> [file] ../../?[2J?]0;pwned?evil.txt (196.2 KiB)"
ui_line bob "/save"
ui_wait bob "pwnedevil.txt (196.2 KiB) as"
saved=$(find "$T" -name '*pwned*' -type f)
assert_eq "$(dirname "$saved")" "$T/bob-dl" "the hostile name was saved in bob's folder"
assert_eq "$(sha256sum "$saved" | cut -d' ' -f1)" "$SUM" "bytes saved under the hostile name"
ui_wait bob "$saved"
assert_not_contains "$(ui_tmux display-message -p -t bob '#{pane_title}')" "pwned" "no escape reached the terminal"

# /files and /cancel: with the server stopped the upload waits for its
# first reply, so it is still listed.
kill -STOP "$SERVER_PID"
ui_line alice "/file held.bin"
ui_wait alice "sending held.bin [....................]   0%"
ui_line alice "/files"
ui_wait alice "1 file transfer:"
row=$(ui_screen alice | grep -F ' to #dev held.bin — ') || { kill -CONT "$SERVER_PID"; fail "/files did not list held.bin"; }
assert_match "$row" 't[0-9]+ +up +to #dev held.bin — 0 B of 97.7 KiB \(0%\) [a-z]+' "the /files line of held.bin"
t=$(grep -oE 't[0-9]+ +up' <<<"$row" | cut -d' ' -f1)
ui_line alice "/cancel $t"
ui_wait alice "sending held.bin FAILED: cancelled"
kill -CONT "$SERVER_PID"
ui_line alice "/files"
ui_wait alice "no file transfers running"
ui_line alice "/cancel $t"
ui_wait alice "/cancel $t: no such transfer"
ui_line alice "/cancel x1"
ui_wait alice "/cancel: x1: not a transfer id"

# Tab completes the new commands; /help explains them.
ui_type alice "/canc"
ui_keys alice Tab
wait_until 5 "Tab to complete /cancel" eval '[[ $(ui_row alice 39) == *"/cancel"* ]]'
ui_keys alice C-u
ui_line alice "/help save"
ui_wait alice "/save [ID] [DIR]"

#!/bin/bash
# chatsec — integration: the curses UI under a flood.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# While bob's agent sends 5000 messages to #general as fast as it can,
# alice types in her UI: what she types must show at once (the UI handles
# agent lines in bounded batches and never waits for the agent), and once
# the flood is over the last message is on her screen, with the window
# holding no more lines than its limit.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(dirname "$0")/ui-lib.sh"

N=5000
start_server
start_agent alice
start_agent bob
register_user alice alice 'correct horse battery' >/dev/null
register_user bob bob 'battery staple horse' >/dev/null
ui_start alice
ui_wait alice "[alice]"
ui_line alice "/set lines 1000"
ui_wait alice "lines 1000"

for ((i = 1; i <= N; i++)); do
	printf '{"jsonrpc":"2.0","id":%d,"method":"send","params":{"to":"#general","text":"flood %05d"}}\n' "$i" "$i"
done >"$T/flood.in"
rpc_raw bob "$N" 120 <"$T/flood.in" >"$T/flood.out" &
flood=$!
ui_wait alice "<bob> flood 0" 20
lib_alive "$flood" || echo "note: the flood was over before alice typed" >&2
t0=$(lib_now_us)
ui_type alice "typing during the flood"
ui_wait alice "[#general] typing during the flood" 5
echo "typed text shown after $((($(lib_now_us) - t0) / 1000)) ms" >&2
wait "$flood" || true
assert_eq "$(wc -l <"$T/flood.out")" "$N" "replies to the flood"
ui_wait alice "<bob> flood $(printf %05d "$N")" 30
ui_keys alice C-u

# PgUp to the top of what the window holds: the limit kept it to 1000
# lines, so the oldest shown is not flood 00001.
for ((i = 0; i < 60; i++)); do
	ui_keys alice PPage
done
sleep 1
scr=$(ui_screen alice)
assert_contains "$scr" "scrolled back" "scrolled back after PgUp"
assert_not_contains "$scr" "flood 00001" "the window keeps at most 1000 lines"

echo "ui-flood: ok"

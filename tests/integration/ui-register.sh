#!/bin/bash
# chatsec — integration: the curses UI's first run.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Under tmux, against a real chatsecd and agent: the login screen, switching
# to registration, password fields that never show what is typed, the TOTP
# QR code in half blocks (read back from the screen and decoded with
# zbarimg when it is installed) with the secret beside it, a wrong code
# refused in the error line, the right one leading to the main screen;
# /quit detaches without logging out and a new UI shows the same state.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(dirname "$0")/ui-lib.sh"

pw='correct horse battery'
start_server
start_agent alice

ui_start alice
ui_wait alice "Username:"
ui_wait alice "log in"
assert_contains "$(ui_screen alice)" "link ready" "login screen shows the link state"

# Ctrl-R: register instead.
ui_keys alice C-r
ui_wait alice "register a new account"
ui_wait alice "Password again:"

# A short password is refused here, before the agent hears of it.
ui_type alice alice
ui_keys alice Tab
ui_type alice kiwi7
ui_keys alice Tab
ui_type alice kiwi7
ui_keys alice Enter
ui_wait alice "error: password:"
scr=$(ui_screen alice)
assert_not_contains "$scr" "kiwi7" "a password is never shown"
assert_contains "$scr" "*****" "password fields show one * per character"

# Different passwords are refused too (the focus is on the password now).
ui_keys alice C-u
ui_type alice "$pw"
ui_keys alice Tab C-u
ui_type alice "$pw x"
ui_keys alice Enter
ui_wait alice "the two passwords differ"
ui_type alice "$pw"
ui_keys alice Enter

# The QR code and the secret.
ui_wait alice "Secret key:"
ui_wait alice "set up two-factor authentication"
scr=$(ui_screen alice)
assert_not_contains "$scr" "$pw" "the password is not on the QR screen"
secret=$(grep -A1 'Secret key:' <<<"$scr" | tail -n 1 | grep -oE '([A-Z2-7]{4} ?){8}' | tr -d ' ') ||
	fail "no grouped base32 secret under 'Secret key:': $scr"
assert_match "$secret" '^[A-Z2-7]{32}$' "secret shown on the screen"
[ "$(grep -c '[▀▄█]' <<<"$scr")" -ge 21 ] || fail "fewer than 21 half-block rows: $scr"
grep -q '█▀▀▀▀▀█.*█▀▀▀▀▀█' <<<"$scr" || fail "no QR finder patterns (dark-on-light) on the screen"
assert_contains "$scr" "Account:  alice" "account named beside the QR code"

width=$(ui_qr_pbm alice "$T/qr.pbm")
if command -v zbarimg >/dev/null 2>&1; then
	uri=$(zbarimg --raw -q "$T/qr.pbm" 2>/dev/null) || fail "zbarimg could not read the QR code drawn on the screen"
	assert_match "$uri" '^otpauth://totp/chatsec:alice\?' "decoded QR code"
	assert_contains "&${uri#*\?}&" "&secret=$secret&" "the QR code carries the secret shown beside it"
else
	echo "note: zbarimg not installed; QR code ($width modules) not decoded" >&2
fi

mkdir -p "$T/users"
printf '%s\n' "$secret" >"$T/users/alice.secret"
printf '%s\n' "$pw" >"$T/users/alice.password"

# Not six digits: refused locally.  A wrong code: refused by the server.
ui_type alice 123
ui_keys alice Enter
ui_wait alice "error: the code is the 6 digits"
ui_keys alice C-u
ui_type alice "$(wrong_code alice)"
ui_keys alice Enter
ui_wait alice "error: confirm:"
assert_jq "$(status_of alice)" '.logged_in == false' "not logged in after a wrong code"

# The right code: the main screen.
ui_type alice "$(user_code alice)"
ui_keys alice Enter
ui_wait alice "#general — everyone on this server"
ui_wait alice "[alice]"
assert_jq "$(status_of alice)" '.logged_in == true and .user == "alice"' "logged in after confirming"

ui_line alice "first words"
ui_wait alice "<alice> first words"
hist=$(rpc_ok alice history '{"conv":"#general"}')
assert_jq "$hist" '[.messages[].text] == ["first words"]' "the UI's message reached the server"

# /quit detaches: the UI exits, the agent stays logged in.
ui_line alice "/quit"
wait_until 10 "the UI to exit" eval '! ui_alive alice'
assert_contains "$(cat "$T/ui-alice.err")" "detached" "chatsec says it detached"
assert_jq "$(status_of alice)" '.logged_in == true' "still logged in after /quit"

# Attaching again shows the same state, without a login.
ui_tmux kill-session -t alice
ui_start alice
ui_wait alice "<alice> first words"
assert_not_contains "$(ui_screen alice)" "Username:" "no login screen on reattach"

echo "ui-register: ok"

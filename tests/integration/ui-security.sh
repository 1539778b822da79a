#!/bin/bash
# chatsec — integration: security warnings and /unlock in the curses UI.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# The UI under tmux against a scripted agent (socat and jq speaking the
# agent API of doc/api.md), so that the events of end-to-end encryption
# come exactly when the test says: a locked agent shows on the status
# line, a send refused with 1040 points to /unlock, /unlock asks for the
# password without echoing it (a wrong one is refused with the agent's
# sentence); a key_change and a forged message give highlighted lines in
# the affected window and the current one, a mark in the window list and
# on the status line until the window is looked at; an undecryptable
# message gives an error line.  Then a real key change: a real agent
# warns carol's UI when bob makes new keys, and /verify and /accept work
# with the agent's fingerprints and safety numbers.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(dirname "$0")/ui-lib.sh"

SOCK=$T/fake.sock
EVENTS=$T/events.jsonl		# lines appended here go to the UI as events
STATUS=$T/status.json		# what status answers
: >"$EVENTS"
keys_status()
{
	printf '{"link":"ready","server":"fake:1","fingerprint":null,"user":"alice","logged_in":true,"last_error":null,"keys":"%s"}\n' "$1" >"$STATUS"
}
keys_status locked

# One connection of the scripted agent: answer each request by method;
# after subscribe, follow $EVENTS onto the connection.
cat >"$T/fake-agent.sh" <<'EOF'
#!/bin/bash
set -u
tailpid=
trap '[ -z "$tailpid" ] || kill "$tailpid" 2>/dev/null' EXIT
reply() { printf '{"jsonrpc":"2.0","id":%s,"result":%s}\n' "$1" "$2"; }
error() { printf '{"jsonrpc":"2.0","id":%s,"error":{"code":%s,"message":"%s"}}\n' "$1" "$2" "$3"; }
while IFS= read -r line; do
	id=$(jq -c '.id // null' <<<"$line")
	m=$(jq -r '.method' <<<"$line")
	printf '%s\n' "$m" >>"$T/requests.log"
	[ "$id" != null ] || continue
	case $m in
	hello) reply "$id" '{"api_version":1,"agent":"fake-agent","capabilities":["rooms","e2e"],"link":"ready","user":"alice"}' ;;
	status) reply "$id" "$(cat "$STATUS")" ;;
	subscribe)
		reply "$id" '{"cursor":0}'
		if [ -z "$tailpid" ]; then
			tail -n +1 -f "$EVENTS" &
			tailpid=$!
		fi ;;
	events) reply "$id" '{"events":[],"cursor":0}' ;;
	history) reply "$id" '{"messages":[],"more":false,"source":"local"}' ;;
	who) reply "$id" '{"online":["alice","bob"]}' ;;
	room_list) reply "$id" '{"rooms":[{"room":"#general","invite_only":false,"topic":"","members":2,"online":2,"role":"member","invited":false},{"room":"#team","invite_only":false,"topic":"the team","members":2,"online":2,"role":"member","invited":false}]}' ;;
	send)
		if grep -q '"locked"' "$STATUS"; then
			error "$id" 1040 "keys locked: call keys_unlock with the account password"
		else
			reply "$id" "$(jq -c '{id: 100, ts: 1763900000123, conv: .params.to, cid: .params.cid}' <<<"$line")"
		fi ;;
	keys_unlock)
		if [ "$(jq -r .params.password <<<"$line")" = "right password" ]; then
			sed -i 's/"locked"/"ready"/' "$STATUS"
			reply "$id" '{}'
		else
			error "$id" 1002 "wrong password"
		fi ;;
	*) reply "$id" '{}' ;;
	esac
done
EOF
export T STATUS EVENTS
socat UNIX-LISTEN:"$SOCK",fork,mode=600 EXEC:"bash $T/fake-agent.sh" 2>>"$T/socat.log" &
lib_track $!
wait_until 10 "the scripted agent to listen" test -S "$SOCK"

ui_start alice -S "$SOCK"
ui_wait alice "[alice]"
ui_wait alice "keys locked: /unlock"
wait_until 10 "#team in the window list" ui_has alice " 2 #team"

# A send while locked: the agent's refusal and the way out.
ui_line alice "hello"
ui_wait alice "not sent: keys locked"
ui_wait alice "type /unlock to open your keys"

# /unlock: the password is never shown; a wrong one is refused.
ui_line alice "/unlock"
ui_wait alice "account password (Esc cancels):"
ui_type alice "wrong password"
ui_wait alice "account password (Esc cancels): **************"
assert_not_contains "$(ui_screen alice)" "wrong password" "the password is not echoed"
ui_keys alice Enter
ui_wait alice "/unlock: wrong password"
ui_line alice "/unlock"
ui_line alice "right password"
ui_wait alice "keys unlocked"
ui_wait_gone alice "keys locked: /unlock"
assert_not_contains "$(ui_screen alice)" "right password" "the password is not echoed"
grep -c keys_unlock "$T/requests.log" | grep -qx 2 || fail "two keys_unlock requests"
ui_line alice "/help" >/dev/null
ui_keys alice Up Up
ui_wait alice "[#general] /unlock"
ui_keys alice C-u

# A verified peer's keys change: bob's window and the current one say so;
# the list and the status line keep a mark until bob's window is seen.
echo '{"jsonrpc":"2.0","method":"event","params":{"seq":1,"type":"key_change","user":"bob","old_fingerprint":"3f2a 0001","new_fingerprint":"9c41 0002","was_verified":true}}' >>"$EVENTS"
ui_wait alice "!!! KEY CHANGE: bob has new keys (9c41 0002, was 3f2a 0001)"
ui_wait alice "you had VERIFIED the old ones"
ui_wait alice "SECURITY WARNING: bob"
ui_wait alice "(in window 3, bob)"
ui_wait alice " 3 bob"
ui_has alice "bob         !!" || ui_wait alice "!!│"
ui_keys alice M-3
ui_wait alice "[3:bob]"
ui_wait_gone alice "SECURITY WARNING"
ui_wait alice "!!! KEY CHANGE: bob has new keys"

# A forged message in #team while alice looks at #general.
ui_keys alice M-1
ui_wait alice "[1:#general]"
echo '{"jsonrpc":"2.0","method":"event","params":{"seq":2,"type":"forged","id":57,"ts":1763900000123,"from":"bob","to":"#team","conv":"#team","reason":"signature"}}' >>"$EVENTS"
ui_wait alice "!!! FORGED MESSAGE: a message claiming to be from bob in #team (id 57)"
ui_wait alice "SECURITY WARNING: #team"
ui_keys alice M-2
ui_wait alice " #team — the team"
ui_wait_gone alice "SECURITY WARNING"
ui_wait alice "(signature) and was not shown"

# An undecryptable message: an error line in its window, no alarm.
echo '{"jsonrpc":"2.0","method":"event","params":{"seq":3,"type":"undecryptable","id":58,"ts":1763900000456,"from":"bob","to":"#team","conv":"#team","reason":"not_for_me"}}' >>"$EVENTS"
ui_wait alice "a message from bob (id 58) could not be decrypted (not_for_me)"
assert_not_contains "$(ui_screen alice)" "SECURITY WARNING" "no alarm for undecryptable"

# Our own keys served differently.
echo '{"jsonrpc":"2.0","method":"event","params":{"seq":4,"type":"key_change","user":"alice","self":true,"old_fingerprint":"aaaa","new_fingerprint":"bbbb","was_verified":false}}' >>"$EVENTS"
ui_wait alice "!!! KEY CHANGE: the server served other keys for YOUR account"

# The same from a real agent: bob makes new keys after alice saw his.
start_server
start_agent carol
start_agent bob
register_user carol carol 'carol password' >/dev/null
register_user bob bob 'bob password' >/dev/null
wait_ready carol
wait_ready bob
ui_start carol
ui_wait carol "[carol]"
send_msg carol bob 'hello bob' >/dev/null
ui_line carol "/query bob"
ui_wait carol "bob — direct messages"
ui_line carol "are you there?"
ui_wait carol "<carol> are you there?"
ui_keys carol M-1
ui_wait carol "[1:#general]"
rpc_ok bob keys_reset '{"password":"bob password","confirm":true}' >/dev/null
ui_wait carol "!!! KEY CHANGE: bob has new keys" 30
ui_wait carol "SECURITY WARNING: bob"
ui_wait carol "(in window 2, bob)"

# /verify and /accept against the real agent.
ui_line carol "/verify bob"
ui_wait carol "bob's fingerprint: "
ui_wait carol "(CHANGED since first seen)"
ui_wait carol "safety number with bob: "
ui_line carol "/accept bob"
ui_wait carol "bob's new keys accepted (not verified: /verify bob)"
ui_line carol "/verify bob 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000"
ui_wait carol "does not match: do not trust these keys"
sn=$(rpc_ok bob keys_safety_number '{"user":"carol"}' | jq -r .safety_number)
ui_line carol "/verify bob $sn"
ui_wait carol "you verified bob's keys"
ui_line carol "/verify"
ui_wait carol "your fingerprint: "

echo "ui-security: ok"

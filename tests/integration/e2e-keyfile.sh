#!/bin/bash
# chatsec — integration: private keys stay in the agent, encrypted at rest.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 4, property 7.  The key file is mode 0600 and encrypted under the
# account password (argon2id): no secret in clear, nothing readable in it,
# a wrong password does not open it; the secret keys (read with the
# test-only tool tests/e2e-keytool) appear nowhere in the server's
# database or in the frames it received.  After a reboot the agent's keys
# stay locked until keys_unlock.  A profile for an unattended bot opts out
# explicitly (--unattended) and is flagged as such.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$top_srcdir/tests/integration/e2e-lib.sh"

KEYTOOL=$top_builddir/tests/e2e-keytool
[ -x "$KEYTOOL" ] || fail "$KEYTOOL is not built (make check builds it)"
FRAMES=$T/frames.jsonl
start_server --dump-frames "$FRAMES"
start_agent alice
start_agent bob
register_user alice alice 'alice password' >/dev/null
register_user bob bob 'bob password' >/dev/null
wait_ready alice
wait_ready bob

kf=$(agent_dir alice)/identity
[ -f "$kf" ] || fail "no key file after registering"
assert_eq "$(stat -c %a "$kf")" 600 "key file mode"
assert_eq "$(head -c 6 "$kf" | od -An -tx1 | tr -d ' ')" "43534b590101" "CSKY, version 1, kind 1 (argon2id + XChaCha20-Poly1305)"
if grep -aqi alice "$kf"; then fail "the key file's secret part is not encrypted (the name is in clear)"; fi
for f in "$(agent_dir alice)"/* "$(agent_sock alice).keys"; do
	m=$(stat -c %a "$f")
	[ $((8#$m & 8#077)) -eq 0 ] || fail "${f##*/} has mode $m"
done

secret=$("$KEYTOOL" secret "$kf" 'alice password') || fail "the key file does not open with the password"
[ "$(wc -l <<<"$secret")" = 2 ] || fail "keytool output: $secret"
if "$KEYTOOL" secret "$kf" 'wrong password' >/dev/null 2>&1; then fail "the key file opened with a wrong password"; fi
seed=$(sed -n 1p <<<"$secret")
boxsk=$(sed -n 2p <<<"$secret")
assert_match "$seed" '^[0-9a-f]{64}$' "Ed25519 seed"
if grep -q "$seed\|$boxsk" <(od -An -v -tx1 "$kf" | tr -d ' \n'); then fail "a secret key in clear in the key file"; fi

# Some traffic, then look for the secrets on the server's side.
send_msg alice bob 'hello' >/dev/null
send_msg alice '#general' 'hello all' >/dev/null
send_msg bob alice 'hi' >/dev/null
wait_until 10 "alice's keys on the server" eval '[ "$(server_sql "SELECT count(*) FROM account_keys")" = 2 ]'
assert_eq "$(server_sql "SELECT length(sign_pk) || ',' || length(box_pk) || ',' || length(sig) FROM account_keys a JOIN accounts u ON u.id = a.account_id WHERE u.name_folded = 'alice'")" \
	"32,32,64" "the server stores public keys and a signature only"
p=$(jq -c 'select(.method == "keys_publish") | .params | keys' "$FRAMES" | sort -u)
assert_eq "$p" '["box_pk","sig","sign_pk"]' "keys_publish carries public parts only"
hex_of() { od -An -v -tx1 "$@" | tr -d ' \n'; }
server_hex=$(cat "$SERVER_DIR"/chatsecd.db* | hex_of)
frames_hex=$(jq -r '.. | strings' "$FRAMES" | while IFS= read -r s; do { printf '%s' "$s" | base64 -d 2>/dev/null || true; } | hex_of; echo; done)
for k in "$seed" "$boxsk"; do
	[[ $server_hex != *"$k"* ]] || fail "a secret key in the server's database"
	[[ $frames_hex != *"$k"* ]] || fail "a secret key in a frame the server received"
	[[ $(hex_of "$FRAMES" "$SERVER_LOG") != *"$k"* ]] || fail "a secret key in the frames or the log, raw"
done

# --- after a reboot: locked until the password ---------------------------------------------
reboot_alice() {
	stop_agent alice
	rm -f "$(agent_sock alice).keys"
	start_agent alice
	wait_ready alice
}
reboot_alice
st=$(wait_status alice '.keys == "locked"' 10)
assert_jq "$st" '.logged_in == true' "logged in (the session resumed), keys locked"
expect_err 1040 alice send '{"to":"bob","text":"x"}' >/dev/null
expect_err 1002 alice keys_unlock '{"password":"wrong password"}' >/dev/null
assert_jq "$(rpc_ok alice status)" '.keys == "locked"' "still locked after a wrong password"
rpc_ok alice keys_unlock '{"password":"alice password"}' >/dev/null
assert_jq "$(rpc_ok alice status)" '.keys == "ready"' "unlocked with the password"
send_msg alice bob 'unlocked' >/dev/null
assert_not_contains "$(cat "$T"/*.log)" "alice password" "the password in a log"
# A restart without a reboot (the session unlock in the runtime dir).
stop_agent alice
start_agent alice
wait_ready alice
assert_jq "$(wait_status alice '.keys == "ready"' 10)" '.unattended == false' "a plain restart keeps the keys open"

# --- the unattended opt-out, explicit and flagged ------------------------------------------
start_agent robot
register_user robot robot 'robot password' >/dev/null
wait_ready robot
stop_agent robot
printf 'user = robot\npassword = robot password\ntotp_secret = %s\n' "$(user_secret robot)" >"$(agent_dir robot)/credentials"
chmod 600 "$(agent_dir robot)/credentials"
rm -f "$(agent_sock robot).keys"
start_agent robot --unattended
wait_ready robot
st=$(wait_status robot '.keys == "unattended"' 10)
assert_jq "$st" '.unattended == true' "the unattended profile is flagged, its keys open without a person"
assert_eq "$(head -c 6 "$(agent_dir robot)/identity" | od -An -tx1 | tr -d ' ')" "43534b590101" "still encrypted at rest"
sub_start a alice
r=$(send_msg robot alice 'beep' | jq .id)
ev=$(wait_for_event "$(sub_out a)" ".id == $r")
assert_jq "$ev" '.type == "message" and .text == "beep"' "alice reads the unattended bot"
echo "PASS: $TEST_NAME"

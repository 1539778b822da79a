#!/bin/bash
# chatsec — integration: pinning, key change, fingerprints, safety numbers.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Issue 4, property 6.  alice pins bob's keys on first sight; both see the
# same fingerprint for bob and the same safety number for the pair; alice
# marks bob verified (a wrong number is refused).  bob then makes new keys:
# alice gets a `key_change` warning event, keys_fingerprint shows the
# change, her sends to bob are held (1041) until she accepts the new keys,
# and bob reads what she sends after that.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$top_srcdir/tests/integration/e2e-lib.sh"

start_server
start_agent alice
start_agent bob
register_user alice alice 'alice password' >/dev/null
register_user bob bob 'bob password' >/dev/null
wait_ready alice
wait_ready bob
sub_start alice alice
AEV=$(sub_out alice)
sub_start bob bob

# --- first sight: pinned -------------------------------------------------------------
assert_jq "$(rpc_ok alice keys_list)" '.keys == [] and .state == "ready"' "nothing pinned before contact"
m=$(send_msg alice bob 'hello bob' | jq .id)
wait_for_event "$(sub_out bob)" ".type == \"message\" and .id == $m" >/dev/null
l=$(rpc_ok alice keys_list)
assert_jq "$l" '[.keys[].user] == ["bob"] and .keys[0].verified == false and .keys[0].changed == false' "bob pinned on first sight"

# --- fingerprints and safety numbers agree on both sides ---------------------------------------
fb_own=$(rpc_ok bob keys_fingerprint | jq -r .fingerprint)
fb_seen=$(rpc_ok alice keys_fingerprint '{"user":"bob"}')
assert_match "$fb_own" '^([0-9a-f]{4} ){15}[0-9a-f]{4}$' "fingerprint format"
assert_eq "$(jq -r .fingerprint <<<"$fb_seen")" "$fb_own" "alice sees bob's own fingerprint"
assert_jq "$fb_seen" '.verified == false and (.first_seen | type == "number")' "keys_fingerprint marks"
sn_a=$(rpc_ok alice keys_safety_number '{"user":"bob"}' | jq -r .safety_number)
sn_b=$(rpc_ok bob keys_safety_number '{"user":"alice"}' | jq -r .safety_number)
assert_match "$sn_a" '^([0-9]{5} ){11}[0-9]{5}$' "safety number format"
assert_eq "$sn_a" "$sn_b" "the same safety number on both sides"
assert_ne "$(rpc_ok alice keys_fingerprint | jq -r .fingerprint)" "$fb_own" "alice's and bob's fingerprints differ"

# --- verification -------------------------------------------------------------------------------------
wrong=$(sed 's/^./9/; s/^99/98/' <<<"$sn_a")
[ "$wrong" != "$sn_a" ] || wrong="00000${sn_a:5}"
expect_err 1044 alice keys_verify "$(jq -cn --arg s "$wrong" '{user:"bob",safety_number:$s}')" >/dev/null
assert_jq "$(rpc_ok alice keys_fingerprint '{"user":"bob"}')" '.verified == false' "a wrong number does not verify"
v=$(rpc_ok alice keys_verify "$(jq -cn --arg s "$sn_b" '{user:"bob",safety_number:$s}')")
assert_jq "$v" '.verified == true' "keys_verify with the number bob read out"
assert_jq "$(rpc_ok alice keys_list)" '.keys[0].verified == true' "keys_list shows the verified mark"

# --- bob's keys change --------------------------------------------------------------------------------
r=$(rpc_ok bob keys_reset '{"password":"bob password","confirm":true}')
fb_new=$(jq -r .fingerprint <<<"$r")
assert_ne "$fb_new" "$fb_own" "keys_reset makes new keys"
ev=$(wait_for_event "$AEV" '.type == "key_change" and .user == "bob"')
assert_jq "$ev" ".old_fingerprint == \"$fb_own\" and .new_fingerprint == \"$fb_new\" and .was_verified == true" \
	"alice is warned: key_change with both fingerprints"
f=$(rpc_ok alice keys_fingerprint '{"user":"bob"}')
assert_jq "$f" ".fingerprint == \"$fb_new\" and .changed == true and .verified == false" "the change is visible in the API"
e=$(expect_err 1041 alice send '{"to":"bob","text":"are you still bob?"}')
assert_contains "$e" "bob" "1041 names the peer"
assert_ne "$(rpc_ok alice keys_safety_number '{"user":"bob"}' | jq -r .safety_number)" "$sn_a" "a new safety number"
rpc_ok alice keys_accept '{"user":"bob"}' >/dev/null
m2=$(send_msg alice bob 'new keys accepted' | jq .id)
ev=$(wait_for_event "$(sub_out bob)" ".id == $m2")
assert_jq "$ev" '.type == "message" and .text == "new keys accepted"' "bob reads with his new keys"
assert_eq "$(rpc_ok alice keys_safety_number '{"user":"bob"}' | jq -r .safety_number)" \
	"$(rpc_ok bob keys_safety_number '{"user":"alice"}' | jq -r .safety_number)" "safety numbers agree again"
# The old message, signed by bob's retired key... alice wrote it; bob's own
# reply signed with his new keys reaches alice.
m3=$(send_msg bob alice 'yes, still me' | jq .id)
ev=$(wait_for_event "$AEV" ".id == $m3")
assert_jq "$ev" '.type == "message" and .text == "yes, still me"' "alice reads bob's new signature"
echo "PASS: $TEST_NAME"

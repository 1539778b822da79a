#!/bin/bash
# chatsec — integration: stored password hashes outside the policy.
# Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# A hash in the database that asks for more argon2id memory or passes than
# the server's maxima, or that does not parse, is refused before anything
# is hashed (so a planted or damaged row can't make one login cost
# minutes): the login fails like a wrong password, the server says why in
# its log, and the same account logs in again once its hash is sane.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
command -v sqlite3 >/dev/null || fail "the sqlite3 CLI is needed (contrib/setup.sh deps installs it)"


start_server
start_agent alice
register_user alice alice 'alice password' >/dev/null
wait_ready alice
rpc_ok alice logout >/dev/null
good=$(server_sql "SELECT pwhash FROM accounts WHERE name_folded = 'alice'")
assert_match "$good" '^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$' "the stored hash is argon2id"
salt_hash=${good#*p=*\$}

login_with()
{
	server_sql "UPDATE accounts SET pwhash = '$1' WHERE name_folded = 'alice'"
	rpc_error alice login "$(jq -cn --arg p "$(user_password alice)" --arg c "$(totp "$(user_secret alice)")" \
		'{user:"alice",password:$p,code:$c}')"
}

for bad in \
	"\$argon2id\$v=19\$m=4194304,t=2,p=1\$$salt_hash" \
	"\$argon2id\$v=19\$m=65536,t=1000,p=1\$$salt_hash" \
	"\$argon2id\$v=19\$m=65536,t=2,p=64\$$salt_hash" \
	"\$argon2id\$v=19\$m=99999999999999999999,t=2,p=1\$$salt_hash" \
	"\$argon2id\$v=18\$m=65536,t=2,p=1\$$salt_hash" \
	"\$argon2id\$v=19\$m=65536\$t=2,p=1\$$salt_hash" \
	"\$argon2i\$v=19\$m=65536,t=2,p=1\$$salt_hash" \
	"plain text"; do
	e=$(login_with "$bad")
	assert_jq "$e" '.code == 1002 and (.message | test("wrong username, password or code"))' \
		"login against the stored hash '$bad'"
done
assert_contains "$(server_log)" "over the policy maximum; refused" "the server log says why"

server_sql "UPDATE accounts SET pwhash = '$good' WHERE name_folded = 'alice'"
login_user alice alice >/dev/null
wait_ready alice
assert_jq "$(rpc_ok alice status)" '.logged_in == true and .user == "alice"' "alice logs in with her real hash back"

echo "PASS: $TEST_NAME"

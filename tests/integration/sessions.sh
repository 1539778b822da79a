#!/bin/bash
# chatsec — integration: sessions and login, attack-minded (ASVS §2–3), on the wire.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Every token rule of DESIGN.md: a new token on every login, void on logout,
# on account disable (and still void after enable), on an admin's revoke,
# after the idle and the absolute expiry; one TOTP code sent on two
# connections at once logs in once; a half-registered connection can do
# nothing but confirm; the code lock survives a restart; unknown user,
# wrong password, wrong code and a disabled account get the same error; a
# username with a newline or an escape can't forge or colour a log line;
# and no password, code or token is in the server's log, frame dump or
# database files afterwards.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/wire-lib.sh"


# Every secret the test sends or gets, for the final grep.
SECRETS=$T/secrets
: >"$SECRETS"
CODES=$T/codes
: >"$CODES"

# login_req TAG USER PASSWORD CODE: send a login; prints the request id.
login_req()
{
	local id
	id=$(wire_next_id)
	printf '%s\n' "$4" >>"$CODES"
	conn_send "$1" "$(jq -cn --argjson id "$id" --arg u "$2" --arg p "$3" --arg c "$4" \
		'{jsonrpc:"2.0",id:$id,method:"login",params:{user:$u,password:$p,code:$c}}')"
	echo "$id"
}

# login TAG USER [PASSWORD [CODE]]: the reply line of a login on TAG.
login()
{
	local id
	id=$(login_req "$1" "$2" "${3:-$2 password}" "${4:-$(user_code "$2")}")
	wait_for_reply "$(conn_out "$1")" "$id"
}

# login_token TAG USER: log in (must work); prints the new token.
login_token()
{
	local r t
	r=$(login "$1" "$2")
	t=$(jq -r '.result.token // empty' <<<"$r")
	[ -n "$t" ] || fail "login $2 on $1: $r"
	echo "$t" >>"$SECRETS"
	echo "$t"
}


SERVER_ARGS_SESSIONS=(-vv --dump-frames "$T/frames.log")
start_server "${SERVER_ARGS_SESSIONS[@]}"
for u in alice bob carol dave; do
	wire_register "$u" "$u"
	cat "$T/users/$u.token" >>"$SECRETS"
	echo "$u password" >>"$SECRETS"
done

# --- a new token on every login; logout voids only its own ------------------------
t0=$(cat "$T/users/bob.token")
wire_open b1
t1=$(login_token b1 bob)
assert_ne "$t1" "$t0" "a login makes a new token"
assert_eq "$(resume_code "$t0")" 0 "the registration's session still resumes"
assert_eq "$(resume_code "$t1")" 0 "the login's session resumes"
wire_ok b1 logout '{}' >/dev/null
assert_eq "$(resume_code "$t1")" 1012 "a logged-out token"
assert_eq "$(resume_code "$t0")" 0 "logout voided only its own session"
wire_err b1 send '{"to":"#general","cid":"x1","body":"aGk="}' 1001 >/dev/null

# --- one code, two connections at once: one login ----------------------------------
wire_open c1
wire_open c2
code=$(user_code carol)
i1=$(login_req c1 carol "carol password" "$code")
i2=$(login_req c2 carol "carol password" "$code")
r1=$(wait_for_reply "$(conn_out c1)" "$i1")
r2=$(wait_for_reply "$(conn_out c2)" "$i2")
jq -r '.result.token // empty' <<<"$r1$r2" >>"$SECRETS" || true
assert_eq "$(jq -s '[.[] | select(has("result"))] | length' <<<"$r1$r2")" 1 \
	"the same code sent on two connections at once logs in exactly once ($r1 $r2)"
assert_eq "$(jq -s '[.[] | select(.error.code == 1002)] | length' <<<"$r1$r2")" 1 \
	"the other gets the generic 1002"

# --- a half-registered connection can only confirm --------------------------------
wire_open h
r=$(wire_ok h register '{"user":"heidi","password":"heidi password"}')
echo "heidi password" >>"$SECRETS"
printf '%s\n' "$(jq -r .totp_secret <<<"$r")" >"$T/users/heidi.secret"
for m in 'send {"to":"#general","cid":"h1","body":"aGk="}' 'who {}' 'history {"conv":"#general"}' \
	'sync {"since":0}' 'room_join {"room":"#dev"}' 'keys_get {"users":["alice"]}' 'logout {}'; do
	wire_err h "${m%% *}" "${m#* }" 1001 >/dev/null
done
assert_eq "$(server_sql "SELECT count(*) FROM messages")" 0 "nothing was sent"
r=$(wire_ok h register_confirm "{\"code\":\"$(user_code heidi)\"}")
ht=$(jq -r .token <<<"$r")
echo "$ht" >>"$SECRETS"
wire_ok h who '{}' >/dev/null

# --- failures all look the same ------------------------------------------------
wire_open d
e_unknown=$(login d nosuchuser "some password" "$(user_code dave)" | jq -c .error)
e_password=$(login d dave "not dave's password" "$(user_code dave)" | jq -c .error)
e_code=$(login d dave "dave password" "$(wrong_code dave)" | jq -c .error)
assert_eq "$(jq -r .code <<<"$e_unknown")" 1002 "unknown user"
assert_eq "$e_password" "$e_unknown" "wrong password and unknown user: the same error"
assert_eq "$e_code" "$e_unknown" "wrong code and unknown user: the same error"

# --- disable voids every session, and enable doesn't bring them back --------------
wire_resume adm alice
wire_ok adm admin_disable '{"user":"bob"}' >/dev/null
assert_eq "$(resume_code "$t0")" 1012 "a disabled account's token"
wire_open b2
e_disabled=$(login b2 bob | jq -c .error)
assert_eq "$e_disabled" "$e_unknown" "a disabled account's login: the same error"
wire_ok adm admin_enable '{"user":"bob"}' >/dev/null
assert_eq "$(resume_code "$t0")" 1012 "a token voided by disable stays void after enable"

# --- an admin's revoke ------------------------------------------------------------
ct=$(cat "$T/users/carol.token")
assert_eq "$(resume_code "$ct")" 0 "carol's session before the revoke"
wire_ok adm admin_revoke_sessions '{"user":"carol"}' >/dev/null
assert_eq "$(resume_code "$ct")" 1012 "a revoked token"

# --- usernames can't forge or colour log lines ----------------------------------
wire_open e
login e $'eve\nchatsecd: 2026-01-01 00:00:00.000 audit: login user=alice addr=10.0.0.1' "x password" 000000 >/dev/null
login e $'mallory\e[31mred\e]0;title\a' "x password" 000000 >/dev/null
if grep -q '^chatsecd: 2026-01-01' "$SERVER_LOG"; then
	fail "a username with a newline forged a log line: $(grep '^chatsecd: 2026-01-01' "$SERVER_LOG")"
fi
if LC_ALL=C grep -q $'\e\|\a' "$SERVER_LOG"; then
	fail "a username put raw control bytes into the log"
fi
assert_contains "$(server_log)" 'mallory' "the escaped name is still logged"

# --- the code lock survives a restart -----------------------------------------------
wire_open l
for i in 1 2 3 4 5 6; do
	r=$(login l dave "dave password" "$(wrong_code dave)")
	[ "$(jq -r .error.code <<<"$r")" != 1003 ] || break
done
assert_eq "$(jq -r .error.code <<<"$r")" 1003 "five wrong codes lock the second factor"
stop_server
# --- idle and absolute expiry (the clock moved on while the server was down) -------
now=$(date +%s)
at=$(cat "$T/users/alice.token")
dt=$(cat "$T/users/dave.token")
server_sql "UPDATE sessions SET last_used = $((now - 31 * 86400)), created = $((now - 40 * 86400))
	WHERE account_id = (SELECT id FROM accounts WHERE name = 'dave')"
server_sql "UPDATE sessions SET created = $((now - 91 * 86400)), last_used = $now
	WHERE account_id = (SELECT id FROM accounts WHERE name = 'heidi')"
restart_server
assert_eq "$(resume_code "$dt")" 1012 "a session idle for 31 days (limit 30)"
assert_eq "$(resume_code "$ht")" 1012 "a session 91 days old, used today (limit 90)"
assert_eq "$(resume_code "$at")" 0 "a fresh session still resumes after the restart"
wire_open l2
r=$(login l2 dave "dave password" "$(user_code dave)")
assert_eq "$(jq -r .error.code <<<"$r")" 1003 "the code lock holds after a restart"

# --- no secret anywhere the server writes ------------------------------------------
stop_server
[ -s "$T/frames.log" ] || fail "the frame dump is empty: the grep below would prove nothing"
hexdump_of() { od -An -v -tx1 "$@" | tr -d ' \n'; }
server_files=("$SERVER_LOG" "$T/frames.log" "$SERVER_DIR"/chatsecd.db*)
dump=$(server_sql .dump)
raw=$(hexdump_of "${server_files[@]}")
n=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	n=$((n + 1))
	if grep -qF -- "$s" "${server_files[@]}"; then
		fail "a secret is in the server's files: ${s:0:12}..."
	fi
	grep -qF -- "$s" <<<"$dump" && fail "a secret is in the database: ${s:0:12}..."
	if [[ $s =~ ^[0-9a-f]{64}$ ]] && [[ $raw == *"$s"* ]]; then
		fail "a token's raw bytes are in the server's files: ${s:0:12}..."
	fi
done <"$SECRETS"
[ "$n" -ge 10 ] || fail "only $n secrets checked"
while IFS= read -r c; do
	if grep -qw -- "$c" "$SERVER_LOG" "$T/frames.log" || grep -qw -- "$c" <<<"$dump"; then
		fail "a TOTP code sent at login ($c) is in the server's files"
	fi
done < <(sort -u "$CODES" | grep -Ev '^(000000|111111|222222|333333|444444|555555|666666)$')

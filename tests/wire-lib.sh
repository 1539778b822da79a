# chatsec — tests: a raw wire client for chatsecd, in bash (sourced after
# lib.sh).  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Tests that speak the wire protocol of doc/protocol.md directly, over TLS
# with socat, where an agent would hide what the server does: one socat
# connection per tag (lib.sh's conn_*), requests numbered from a counter
# file (helpers run in subshells).

wire_next_id()
{
	local n
	n=$(($(cat "$T/wire.id" 2>/dev/null || echo 100) + 1))
	echo "$n" >"$T/wire.id"
	echo "$n"
}

# wire TAG METHOD PARAMS: the reply line.
wire()
{
	local id
	id=$(wire_next_id)
	conn_send "$1" "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"$2\",\"params\":$3}"
	wait_for_reply "$(conn_out "$1")" "$id"
}

# wire_ok TAG METHOD PARAMS: the result; fails on an error.
wire_ok()
{
	local r
	r=$(wire "$@")
	jq -e 'has("result")' >/dev/null <<<"$r" || fail "$1 $2 $3: $r"
	jq -c .result <<<"$r"
}

# wire_err TAG METHOD PARAMS CODE: the error object; fails unless CODE.
wire_err()
{
	local r
	r=$(wire "$1" "$2" "$3")
	assert_eq "$(jq -r '.error.code // "none"' <<<"$r")" "$4" "$1 $2 $3 -> $4 ($(head -c 300 <<<"$r"))"
	jq -c .error <<<"$r"
}

# wire_open TAG: a new connection TAG, hello said.  WIRE_OPTS: more socat
# options for it (",rcvbuf=4096").
wire_open()
{
	conn_open "$1" "OPENSSL:127.0.0.1:$PORT,verify=0${WIRE_OPTS:-}"
	wire_ok "$1" hello '{"version":1}' >/dev/null
}

# wire_register TAG USER: a new account, logged in on connection TAG.
wire_register()
{
	local r secret
	wire_open "$1"
	r=$(wire_ok "$1" register "{\"user\":\"$2\",\"password\":\"$2 password\"}")
	secret=$(jq -r .totp_secret <<<"$r")
	mkdir -p "$T/users"
	printf '%s\n' "$secret" >"$T/users/$2.secret"
	r=$(wire_ok "$1" register_confirm "{\"code\":\"$(user_code "$2")\"}")
	jq -r .token <<<"$r" >"$T/users/$2.token"
}

# wire_resume TAG USER: a new connection TAG logged in with USER's session.
wire_resume()
{
	wire_open "$1"
	wire_ok "$1" resume "{\"token\":\"$(cat "$T/users/$2.token")\"}" >/dev/null
}

# resume_code TOKEN: 0 if a new connection resumes with TOKEN, else the error code.
resume_code()
{
	local tag=r$RANDOM$RANDOM r
	wire_open "$tag"
	r=$(wire "$tag" resume "{\"token\":\"$1\"}")
	conn_close "$tag"
	jq -r 'if has("result") then 0 else .error.code end' <<<"$r"
}

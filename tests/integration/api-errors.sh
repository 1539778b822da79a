#!/bin/bash
# chatsec — integration: every documented agent API error.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Broken frames (bad JSON, NUL, bad UTF-8, too long, too deep) get an error
# and the same connection keeps working; bad requests and parameters get
# -32600/-32601/-32602 naming the parameter; each chatsec error code of
# doc/api.md comes back where the doc says it does.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

HELLO99='{"jsonrpc":"2.0","id":99,"method":"hello"}'

# on_one_conn AGENT CODE WHAT < BYTES: the bytes, then a hello with id 99,
# on one connection: the first must get error CODE, the hello its answer.
on_one_conn()
{
	local name=$1 code=$2 what=$3 out err ok
	{
		cat
		printf '%s\n' "$HELLO99"
	} | rpc_raw "$name" 2 >"$T/conn.out"
	out=$(cat "$T/conn.out")
	[ "$(wc -l <"$T/conn.out")" -eq 2 ] || fail "$what: expected 2 replies on the connection, got: $out"
	err=$(jq -cRn 'first(inputs | fromjson? | select(.id != 99))' "$T/conn.out")
	ok=$(jq -cRn 'first(inputs | fromjson? | select(.id == 99))' "$T/conn.out")
	assert_jq "$err" ".jsonrpc == \"2.0\" and .error.code == $code and (.error.message | type == \"string\" and length > 0)" \
		"$what: error reply"
	assert_jq "$ok" '.result.api_version == 1' "$what: the next request on the same connection"
}

# bad_param AGENT METHOD PARAMS NAME: -32602 whose message names NAME.
bad_param()
{
	local e
	e=$(expect_err -32602 "$1" "$2" "$3")
	assert_contains "$(jq -r .message <<<"$e")" "$4" "$2 $3: -32602 message names the parameter"
}

# The server closes a connection that isn't logged in 60 s after it was
# accepted, which drops a pending registration: so each agent that
# registers is started just before, and "pre" does the tests that need no
# account.
start_server
start_agent pre

# --- frames ------------------------------------------------------------------
printf '{"jsonrpc":"2.0","id":1,"method":\n' | on_one_conn pre -32700 "truncated JSON"
printf 'hello there\n' | on_one_conn pre -32700 "not JSON"
printf '{"jsonrpc":"2.0","id":1,"method":"hello"} x\n' | on_one_conn pre -32700 "trailing garbage"
printf '{"jsonrpc":"2.0","id":1,"method":"hel\0lo"}\n' | on_one_conn pre -32700 "NUL byte"
printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"x":"\xff\xfe"}}\n' | on_one_conn pre -32700 "bytes that are not UTF-8"
printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"x":"\xc0\xaf"}}\n' | on_one_conn pre -32700 "overlong UTF-8"
printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"x":"\xed\xa0\x80"}}\n' | on_one_conn pre -32700 "UTF-8 encoded surrogate"
deep=$(printf '%.0s[' {1..40})1$(printf '%.0s]' {1..40})
printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"x":%s}}\n' "$deep" | on_one_conn pre -32700 "nesting 40 deep"
# 16 levels (request object, params, 14 arrays) parse; 17 don't.
deep=$(printf '%.0s[' {1..14})1$(printf '%.0s]' {1..14})
printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"x":%s}}\n' "$deep" | on_one_conn pre -32602 "nesting 16 deep"
deep=$(printf '%.0s[' {1..15})1$(printf '%.0s]' {1..15})
printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"x":%s}}\n' "$deep" | on_one_conn pre -32700 "nesting 17 deep"

printf '{"id":1,"method":"hello"}\n' | on_one_conn pre -32600 "no jsonrpc member"
printf '{"jsonrpc":"1.0","id":1,"method":"hello"}\n' | on_one_conn pre -32600 "jsonrpc 1.0"
printf '{"jsonrpc":"2.0","id":1}\n' | on_one_conn pre -32600 "no method"
printf '{"jsonrpc":"2.0","id":1,"method":7}\n' | on_one_conn pre -32600 "method not a string"
printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":[]}\n' | on_one_conn pre -32600 "params as an array"
printf '{"jsonrpc":"2.0","id":1,"method":"who","params":["x"]}\n' | on_one_conn pre -32600 "params as an array (2)"
printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":"x"}\n' | on_one_conn pre -32600 "params as a string"
printf '[1,2]\n' | on_one_conn pre -32600 "an array, not a request object"
printf '{"jsonrpc":"2.0","id":1,"method":"frobnicate"}\n' | on_one_conn pre -32601 "unknown method"

# Over-long line: -32000, the rest of the line is skipped, the next works.
{
	printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"pad":"'
	head -c $((300 * 1024)) /dev/zero | tr '\0' a
	printf '"}}\n'
} | on_one_conn pre -32000 "a 300 KiB line"
{
	printf '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"pad":"'
	head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' a
	printf '"}}\n'
} | on_one_conn pre -32000 "a 4 MiB line"

# Just under the limit (262143 bytes, whichever way the newline counts) is
# a frame like any other: parsed, so its id comes back, and not -32000.
head='{"jsonrpc":"2.0","id":5,"method":"hello","params":{"pad":"'
tail='"}}'
{
	printf '%s' "$head"
	head -c $((262143 - ${#head} - ${#tail})) /dev/zero | tr '\0' a
	printf '%s\n' "$tail"
} >"$T/big.in"
assert_eq "$(stat -c %s "$T/big.in")" 262144 "size of the just-under-limit test line"
resp=$(rpc_raw pre 1 <"$T/big.in")
assert_jq "$resp" '.id == 5 and .error.code != -32000' "a 262143-byte line is parsed"

# Ids: a string comes back as it was; a fractional id is not valid.
out=$(printf '%s\n' '{"jsonrpc":"2.0","id":"req-1","method":"hello"}' | rpc_raw pre 1)
assert_jq "$out" '.id == "req-1" and .result.api_version == 1' "reply to a string id"
printf '{"jsonrpc":"2.0","id":1.5,"method":"hello"}\n' | on_one_conn pre -32600 "a fractional id"

# 200 requests in one write get 200 replies, one per id.
for i in {1..200}; do printf '{"jsonrpc":"2.0","id":%d,"method":"hello"}\n' "$i"; done >"$T/many.in"
out=$(rpc_raw pre 200 <"$T/many.in")
assert_eq "$(jq -sc '[.[].id] | sort' <<<"$out")" "$(seq 1 200 | jq -sc .)" "ids of 200 pipelined replies"

# A request that arrives in pieces is put together.
conn_open trickle "UNIX-CONNECT:$(agent_sock pre)"
conn_send_raw trickle '{"jsonrpc":"2.0","id":7,'
sleep 0.3	# not a wait for readiness: makes the agent read a partial line
conn_send_raw trickle '"method":"hel'
sleep 0.3
conn_send_raw trickle 'lo"}\n'
assert_jq "$(wait_for_reply "$(conn_out trickle)" 7)" '.result.api_version == 1' "a request sent in three pieces"
conn_close trickle

# A notification (no id) is not answered.
out=$(printf '%s\n%s\n' '{"jsonrpc":"2.0","method":"hello"}' "$HELLO99" | rpc_raw pre 1)
assert_jq "$out" '.id == 99' "the first reply after a notification answers the next request"

# --- parameters --------------------------------------------------------------
bad_param pre register '{"user":"zed"}' password
bad_param pre register '{"password":"long enough pass"}' user
bad_param pre register '{"user":5,"password":"long enough pass"}' user
bad_param pre register '{"user":"zed","password":["x"]}' password
bad_param pre hello '{"bogus":1}' bogus
bad_param pre register '{"user":"zed","password":"long enough pass","colour":"red"}' colour
bad_param pre register_confirm '{"code":123456}' code
bad_param pre register_confirm '{}' code
bad_param pre login '{"user":"zed","password":"long enough pass"}' code

# --- before login --------------------------------------------------------------
start_agent a1
expect_err 1001 a1 send '{"to":"#general","text":"hi"}' >/dev/null
expect_err 1001 a1 who >/dev/null
expect_err 1001 a1 history '{"conv":"#general"}' >/dev/null
expect_err 1011 a1 register_confirm '{"code":"123456"}' >/dev/null

for u in 1alice a al..ice al-.ice alice- alice. 'al ice' _alice .alice \
	"$(printf 'x%.0s' {1..33})" élan 'ali$ce' 'al/ice'; do
	e=$(expect_err 1005 a1 register "$(jq -cn --arg u "$u" '{user:$u,password:"long enough pass"}')")
done
e=$(expect_err 1005 a1 register '{"user":"ali\nce","password":"long enough pass"}')
for p in short12 'ééé' "$(printf 'p%.0s' {1..1025})"; do
	e=$(expect_err 1006 a1 register "$(jq -cn --arg p "$p" '{user:"zed",password:$p}')")
done

# Names are case-folded: Alice and ALICE are alice.
register_user a1 alice 'correct horse battery' >/dev/null
start_agent a2
for u in alice Alice ALICE aLiCe; do
	e=$(expect_err 1004 a2 register "$(jq -cn --arg u "$u" '{user:$u,password:"another good one"}')")
done

# While logged in, login and register are not valid (1011).
expect_err 1011 a1 login "$(jq -cn --arg c "$(wrong_code alice)" '{user:"alice",password:"correct horse battery",code:$c}')" >/dev/null
expect_err 1011 a1 register '{"user":"zed","password":"long enough pass"}' >/dev/null

# register_confirm: a code must be 6 digits (1017); a wrong one is 1002.
register_start a2 bob 'bob password 1' >/dev/null
for c in 12345 1234567 abcdef 12345x ' 12345'; do
	e=$(expect_err 1017 a2 register_confirm "$(jq -cn --arg c "$c" '{code:$c}')")
done
e=$(expect_err 1002 a2 register_confirm "$(jq -cn --arg c "$(wrong_code bob)" '{code:$c}')")
c=$(rpc_ok a2 register_confirm "$(jq -cn --arg c "$(user_code bob)" '{code:$c}')")
assert_jq "$c" '.user == "bob" and .admin == false' "bob's register_confirm (second account is not admin)"

# --- send, history, events parameters (logged in) ------------------------------
bad_param a1 send '{"text":"hi"}' to
bad_param a1 send '{"to":"#general"}' text
bad_param a1 send '{"to":"#general","text":""}' text
bad_param a1 send '{"to":"#general","text":7}' text
bad_param a1 send '{"to":"#general","text":"hi","cid":"a b"}' cid
bad_param a1 send "$(jq -cn --arg c "$(printf 'c%.0s' {1..65})" '{to:"#general",text:"hi",cid:$c}')" cid
bad_param a1 send '{"to":"#general","text":"hi","colour":"red"}' colour
bad_param a1 history '{"conv":"#general","limit":0}' limit
bad_param a1 history '{"conv":"#general","limit":201}' limit
bad_param a1 history '{"conv":"#general","limit":"5"}' limit
bad_param a1 history '{"conv":"#general","before":"x"}' before
bad_param a1 history '{}' conv
bad_param a1 events '{"limit":0}' limit
bad_param a1 events '{"limit":1001}' limit
bad_param a1 events '{"since":"x"}' since
bad_param a1 events '{"types":["message","gossip"]}' types
bad_param a1 subscribe '{"since":-1}' since

expect_err 1007 a1 send '{"to":"nosuchuser","text":"hi"}' >/dev/null
expect_err 1008 a1 send '{"to":"#nosuchroom","text":"hi"}' >/dev/null
expect_err 1008 a1 history '{"conv":"#nosuchroom"}' >/dev/null

# Text is limited in bytes, not characters: 16384 bytes pass, 16385 don't.
t16k=$(printf 'a%.0s' {1..16384})
e2=$(printf 'é%.0s' {1..8192})
send_msg a1 '#general' "$t16k" >/dev/null
send_msg a1 '#general' "$e2" >/dev/null
expect_err 1013 a1 send "$(jq -cn --arg t "${t16k}b" '{to:"#general",text:$t}')" >/dev/null
expect_err 1013 a1 send "$(jq -cn --arg t "${e2}é" '{to:"#general",text:$t}')" >/dev/null
hist=$(rpc_ok a1 history '{"conv":"#general"}')
assert_jq "$hist" '[.messages[].text | utf8bytelength] == [16384, 16384]' "only the two messages at the limit were stored, whole"
# A NUL inside the text is refused or kept, never a cut-off point.
s=$(rpc a1 send '{"to":"#general","text":"before\u0000after"}')
if jq -e '.error' >/dev/null <<<"$s"; then
	assert_jq "$s" '.error.code == -32602' "send with a NUL in the text"
else
	hist=$(rpc_ok a1 history '{"conv":"#general","limit":1}')
	assert_jq "$hist" '.messages[0].text == "before\u0000after"' "a text with a NUL is stored whole"
fi

# --- login failures all look the same ------------------------------------------
start_agent a3
e_pass=$(expect_err 1002 a3 login "$(jq -cn --arg c "$(totp "$(user_secret alice)")" '{user:"alice",password:"wrong horse battery",code:$c}')")
e_code=$(expect_err 1002 a3 login "$(jq -cn --arg c "$(wrong_code alice)" '{user:"alice",password:"correct horse battery",code:$c}')")
e_user=$(expect_err 1002 a3 login "$(jq -cn --arg c "$(wrong_code alice)" '{user:"nobody",password:"correct horse battery",code:$c}')")
assert_eq "$(jq -c 'del(.data)' <<<"$e_code")" "$(jq -c 'del(.data)' <<<"$e_pass")" "wrong code and wrong password replies"
assert_eq "$(jq -c 'del(.data)' <<<"$e_user")" "$(jq -c 'del(.data)' <<<"$e_pass")" "unknown user and wrong password replies"
st=$(rpc_ok a3 status)
assert_jq "$st" '.logged_in == false' "a3 after failed logins"
# and a right login still works afterwards (another account, fresh code).
l=$(login_user a3 bob)
assert_jq "$l" '.user == "bob"' "login result"

# --- an agent whose server is not there -----------------------------------------
AGENT_NOWAIT=1 AGENT_SERVER=127.0.0.1:$(pick_port) start_agent lonely
expect_err 1009 lonely register '{"user":"zed","password":"long enough pass"}' >/dev/null
st=$(wait_status lonely '.last_error != null' 15)
assert_jq "$st" '(.link | IN("disconnected","connecting","backoff")) and .logged_in == false and (.last_error | type == "string" and length > 0)' \
	"status of an agent that can't reach its server"

# After all that, the agents still work.
rpc_ok pre hello >/dev/null
rpc_ok a1 hello >/dev/null
rpc_ok a2 who >/dev/null

# --- edge cases ------------------------------------------------------------------
# The text limit is on its bytes whatever they are: control characters
# (six bytes each once escaped in JSON) count as one byte each.
ctl=$(head -c 16384 /dev/zero | tr '\0' '\1')
s=$(rpc a1 send "$(jq -cn --arg t "$ctl" '{to:"#general",text:$t}')")
assert_jq "$s" '.result.id | type == "number"' "send of 16384 bytes of U+0001 (within the 16384-byte limit)"

# A null id is a request like any other (JSON-RPC 2.0: only a missing id
# makes a notification), answered with a null id.
out=$(printf '%s\n%s\n' '{"jsonrpc":"2.0","id":null,"method":"hello"}' "$HELLO99" | rpc_raw a1 2)
assert_jq "$(head -n 1 <<<"$out")" 'has("id") and .id == null and .result.api_version == 1' "reply to a request with a null id"

echo "PASS: $TEST_NAME"

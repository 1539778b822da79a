#!/bin/bash
# chatsec — integration: a failed login tells nothing, in its reply or its time.
# Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# An unknown user, a wrong password, a wrong code and a disabled account
# get the same error object, and each costs one argon2id hash: the unknown
# user a dummy one.  The server hashes with 256 MiB and 3 passes here so a
# hash (about half a second) dwarfs the test's own polling (50 ms); a path
# that skipped the hash would answer in a tenth of the time of the others,
# far outside the factor of two allowed.  Three samples of each, from
# fresh usernames or accounts, so no per-account delay or lock applies (13
# failures stay under the 20 per address a minute).

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$(cd "$(dirname "$0")/.." && pwd)/wire-lib.sh"

start_server --argon2-opslimit 3 --argon2-memlimit-kib 262144
wire_register A alice
for u in bob carol dave erin frank gina; do
	wire_register "R$u" "$u"
done
for u in erin frank gina; do
	wire_ok A admin_disable "{\"user\":\"$u\"}" >/dev/null
done
wire_open L

# attempt USER PASSWORD CODE: time one failed login in ms, on $T/err the error.
attempt()
{
	local t0 t1 r
	t0=$(lib_now_us)
	r=$(wire L login "$(jq -cn --arg u "$1" --arg p "$2" --arg c "$3" '{user:$u,password:$p,code:$c}')")
	t1=$(lib_now_us)
	jq -c .error <<<"$r" >"$T/err"
	echo $(((t1 - t0) / 1000))
}

# A code of a step long past: never in the window {T-1, T, T+1}.
old_code()
{
	totp_step "$(cat "$T/users/$1.secret")" $(($(cur_step) - 100))
}

# median A B C
median()
{
	printf '%s\n' "$@" | sort -n | sed -n 2p
}

attempt nobody0 'some password' 123456 >/dev/null	# warm the hash's memory
ref=$(cat "$T/err")
assert_jq "$ref" '.code == 1002 and .message == "wrong username, password or code"' "an unknown user's error"

declare -A ms
kind_times()
{
	local kind=$1 user pw code t
	shift
	for user in "$@"; do
		case $kind in
		unknown) pw="$user password"; code=$(old_code alice) ;;
		password) pw="not $user's password"; code=$(user_code "$user") ;;
		code) pw="$user password"; code=$(old_code "$user") ;;
		disabled) pw="$user password"; code=$(user_code "$user") ;;
		esac
		t=$(attempt "$user" "$pw" "$code")
		assert_eq "$(cat "$T/err")" "$ref" "the $kind error object is the unknown user's"
		ms[$kind]+="$t "
	done
}
kind_times unknown nobody1 nobody2 nobody3
kind_times password bob carol dave
kind_times code bob carol dave
kind_times disabled erin frank gina

# shellcheck disable=SC2086
base=$(median ${ms[password]})
[ "$base" -ge 100 ] || fail "a wrong password took ${base} ms: the 256 MiB hash can't have run"
for kind in unknown code disabled; do
	# shellcheck disable=SC2086
	m=$(median ${ms[$kind]})
	[ $((m * 2)) -ge "$base" ] && [ "$m" -le $((base * 2)) ] ||
		fail "a failed login by $kind took ${m} ms (${ms[$kind]}), a wrong password ${base} ms (${ms[password]})"
done
# And the dummy hash really costs what a real one does: a real login.
req=$(jq -cn --arg c "$(user_code bob)" '{user:"bob",password:"bob password",code:$c}')
t0=$(lib_now_us)
wire_ok L login "$req" >/dev/null
t1=$(lib_now_us)
ok=$(((t1 - t0) / 1000))
# shellcheck disable=SC2086
m=$(median ${ms[unknown]})
[ $((m * 2)) -ge "$ok" ] && [ "$m" -le $((ok * 2)) ] ||
	fail "an unknown user took ${m} ms, a good login ${ok} ms"

# The admin's audit log still says which was which.
assert_eq "$(server_sql "SELECT COUNT(*) FROM audit WHERE kind = 'login-failed'")" 13 \
	"13 failed logins in the audit log"
assert_eq "$(server_sql "SELECT COUNT(DISTINCT detail) FROM audit WHERE kind = 'login-failed'")" 4 \
	"the audit log tells the four kinds apart"

echo "PASS: $TEST_NAME"

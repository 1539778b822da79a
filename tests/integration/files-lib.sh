#!/bin/bash
# chatsec — helpers for the agent's file transfer tests (files-*.sh).  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Sourced after lib.sh.  Test files are made under $T/src; every one
# carries MARK, a text that must never appear in the server's data dir.

command -v sqlite3 >/dev/null || fail "the sqlite3 CLI is needed (contrib/setup.sh deps installs it)"
command -v b2sum >/dev/null || fail "b2sum (coreutils) is needed"

MARK="plaintext-marker-$$-$RANDOM"
mkdir -p "$T/src"

# mkfile NAME BYTES: $T/src/NAME of BYTES bytes (random, MARK at the start
# when it fits, and again after 64 KiB); prints its path.
mkfile()
{
	local f=$T/src/$1
	if [ "$2" -eq 0 ]; then
		: >"$f"
	elif [ "$2" -lt $((${#MARK} + 1)) ]; then
		head -c "$2" /dev/urandom >"$f"
	else
		{ printf '%s' "$MARK"; head -c $(($2 - ${#MARK})) /dev/urandom; } >"$f"
		if [ "$2" -gt $((65536 + ${#MARK} + 100)) ]; then
			printf '%s' "$MARK" | dd of="$f" bs=1 seek=65600 conv=notrunc status=none
		fi
	fi
	printf '%s\n' "$f"
}

# sha FILE: its SHA-256.
sha()
{
	sha256sum "$1" | cut -d' ' -f1
}

# b2 FILE: its BLAKE2b-256 (the digest file messages carry).
b2()
{
	b2sum -l 256 "$1" | cut -d' ' -f1
}

# send_file NAME TO PATH [EXTRA_JSON]: file_send with wait; prints the result.
send_file()
{
	local p
	p=$(jq -cn --arg to "$2" --arg path "$3" --argjson x "${4:-{\}}" '{to:$to,path:$path,wait:true} + $x')
	rpc_ok "$1" file_send "$p"
}

# fetch_file NAME ID DIR: file_fetch with wait; prints the result.
fetch_file()
{
	rpc_ok "$1" file_fetch "$(jq -cn --argjson id "$2" --arg d "$3" '{id:$id,dir:$d,wait:true}')"
}

# no_plaintext_on_server: MARK is nowhere in the server's data dir or log.
no_plaintext_on_server()
{
	if grep -rqa -- "$MARK" "$SERVER_DIR" "$SERVER_LOG"; then
		fail "the plaintext marker is in the server's data: $(grep -rla -- "$MARK" "$SERVER_DIR" "$SERVER_LOG")"
	fi
}

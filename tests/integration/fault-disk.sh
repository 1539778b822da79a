#!/bin/bash
# chatsec — integration: the server's disk fills up.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# chatsecd runs under a file size limit (ulimit -f), so its database writes
# fail the way they do on a full disk (EFBIG instead of ENOSPC; SIGXFSZ is
# ignored).  Sends are then answered with an error and never acknowledged,
# reads and everyone's connections carry on, and once there is room again
# (a restart without the limit) every acknowledged message is there exactly
# once, none of the refused ones, and the database is intact.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/wire-lib.sh"


start_server
wire_register a0 alice
wire_register b0 bob
stop_server

# The same server with a 1 MiB limit on every file it writes.
REAL_CHATSECD=$CHATSECD
CHATSECD=$T/chatsecd-limited
printf '#!/bin/bash\nulimit -f 1024\nexec "%s" "$@"\n' "$REAL_CHATSECD" >"$CHATSECD"
chmod 755 "$CHATSECD"
restart_server
wire_resume a alice
wire_resume b bob
wire_ok b sync '{"since":0}' >/dev/null

# 48 KiB bodies until the disk is "full" (at most 2 MiB of them).
body=$(head -c 49152 /dev/urandom | base64 -w0)
acked=()
refused=
for ((i = 1; i <= 43; i++)); do
	r=$(wire a send "{\"to\":\"#general\",\"cid\":\"m$i\",\"body\":\"$body\"}")
	if jq -e 'has("result")' >/dev/null <<<"$r"; then
		acked+=("m$i")
		continue
	fi
	refused=m$i
	break
done
[ -n "$refused" ] || fail "43 sends of 48 KiB each all fit under a 1 MiB file limit"
[ ${#acked[@]} -ge 1 ] || fail "not even the first send was stored"
assert_eq "$(jq -r .error.code <<<"$r")" -32603 "a send the server can't store"
assert_contains "$(jq -r .error.message <<<"$r")" "not stored" "the error says so"
assert_contains "$(server_log)" "store: commit: disk I/O error" "the server logged the storage failure"

# It keeps running: reads work, another send is refused the same way, and
# no one was cut off.
wire_ok a who '{}' >/dev/null
wire_ok b history '{"conv":"#general","limit":5}' >/dev/null
r=$(wire a send "{\"to\":\"#general\",\"cid\":\"again\",\"body\":\"aGk=\"}")
if jq -e 'has("result")' >/dev/null <<<"$r"; then
	acked+=(again)
else
	assert_eq "$(jq -r .error.code <<<"$r")" -32603 "a small send while still full"
fi
lib_alive "$SERVER_PID" || fail "chatsecd died when its disk filled up"
stop_server

# Room again: everything acknowledged is there once, nothing refused is.
CHATSECD=$REAL_CHATSECD
assert_eq "$(server_sql 'PRAGMA integrity_check')" ok "integrity_check after the disk filled up"
restart_server
for c in "${acked[@]}"; do
	assert_eq "$(server_sql "SELECT count(*) FROM messages WHERE cid = '$c'")" 1 "acknowledged message $c, stored once"
done
assert_eq "$(server_sql "SELECT count(*) FROM messages WHERE cid = '$refused'")" 0 "the refused message $refused"
# The refused send, retried with its cid, is stored now, and only once.
wire_resume a2 alice
r=$(wire_ok a2 send "{\"to\":\"#general\",\"cid\":\"$refused\",\"body\":\"$body\"}")
assert_jq "$r" '.dup == false' "the retried send is new to the server"
r=$(wire_ok a2 send "{\"to\":\"#general\",\"cid\":\"$refused\",\"body\":\"$body\"}")
assert_jq "$r" '.dup == true' "a second retry is a duplicate"
assert_eq "$(server_sql "SELECT count(*) FROM messages WHERE cid = '$refused'")" 1 "the retried message, stored once"

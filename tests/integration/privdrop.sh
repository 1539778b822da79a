#!/bin/bash
# chatsec — integration: chatsecd started as root never serves as root.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Without --user (and no chatsecd account) root is refused before anything
# is made; with --user it loads its key and binds as root, then runs as the
# user with no way back: all ids and groups changed, the database the
# user's, the key root's; a data directory owned by someone else is refused;
# and nobody else may name a user but themselves.  Needs root.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$LIB_DIR/wire-lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: $TEST_NAME needs root" >&2; exit 77; }
nobody_uid=$(id -u nobody) || { echo "SKIP: $TEST_NAME needs the nobody account" >&2; exit 77; }
nobody_gid=$(id -g nobody)

# The unprivileged server must reach its data dir under $T.
chmod 711 "$T"

# --- root without a user -----------------------------------------------------------
if ! id chatsecd >/dev/null 2>&1; then
	rc=0
	out=$(timeout 10 "$CHATSECD" -f -d "$T/refused" -l 127.0.0.1:0 2>&1) || rc=$?
	assert_eq "$rc" 1 "chatsecd as root with no --user and no chatsecd account exits 1"
	assert_contains "$out" "refusing to run as root" "the reason"
	[ ! -e "$T/refused" ] || fail "a refused start made $T/refused"
fi
rc=0
out=$(timeout 10 "$CHATSECD" -f -d "$T/refused" -l 127.0.0.1:0 --user no-such-user 2>&1) || rc=$?
assert_eq "$rc" 1 "--user with an unknown account exits 1"
assert_contains "$out" "no-such-user: no such account" "the reason"

# --- root with --user nobody: the drop --------------------------------------------
CHATSECD_USER=(--user nobody)
SERVER_DIR=$T/nobody-server	# as an admin would: the user's own
mkdir -m 700 "$SERVER_DIR"
chown nobody: "$SERVER_DIR"
start_server
assert_contains "$(server_log)" "running as nobody (uid $nobody_uid" "the server says whom it runs as"
ids=$(grep -E '^(Uid|Gid|Groups):' "/proc/$SERVER_PID/status")
assert_eq "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' <<<"$ids")" \
	"$nobody_uid $nobody_uid $nobody_uid $nobody_uid" "real, effective, saved and fs uid"
assert_eq "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' <<<"$ids")" \
	"$nobody_gid $nobody_gid $nobody_gid $nobody_gid" "real, effective, saved and fs gid"
assert_eq "$(awk '/^Groups:/ { $1 = ""; print }' <<<"$ids" | xargs)" "$nobody_gid" "supplementary groups"
assert_eq "$(grep -E '^CapEff:' "/proc/$SERVER_PID/status" | awk '{ print $2 }')" \
	0000000000000000 "no capabilities left"

# It works as nobody: the database is written.
wire_register a alice
wire_ok a send '{"to":"#general","cid":"p1","body":"aGVsbG8="}' >/dev/null
assert_eq "$(stat -c %U "$SERVER_DIR/chatsecd.db")" nobody "the database is the user's"
assert_eq "$(stat -c '%U %a' "$SERVER_DIR/server.key")" "root 600" "the private key stays root's"

# A restart reads the root-owned key before the drop and finds its data.
stop_server
restart_server
wire_resume b alice
assert_contains "$(server_log)" "running as nobody" "after a restart"

# A data dir it makes is given to the user (the key in it stays root's).
"$CHATSECD" --user nobody -d "$T/made" --print-fingerprint >/dev/null 2>&1 ||
	fail "--print-fingerprint with --user nobody on a new data dir failed"
assert_eq "$(stat -c '%U %a' "$T/made")" "nobody 700" "the data dir chatsecd made"
assert_eq "$(stat -c %U "$T/made/server.key")" root "the key it made there"

# A data dir that belongs to someone else is not taken over.
stop_server
mkdir -m 700 "$T/rootdir"
rc=0
out=$(timeout 10 "$CHATSECD" -f -d "$T/rootdir" -l 127.0.0.1:0 --user nobody 2>&1) || rc=$?
assert_eq "$rc" 1 "a root-owned data dir with --user nobody exits 1"
assert_contains "$out" "belongs to uid 0, not to nobody" "the reason"
assert_eq "$(stat -c %U "$T/rootdir")" root "the data dir was left alone"
[ -z "$(ls "$T/rootdir")" ] || fail "a refused start wrote into $T/rootdir: $(ls "$T/rootdir")"

# --- not root: only oneself --------------------------------------------------------
if command -v setpriv >/dev/null 2>&1; then
	rc=0
	out=$(timeout 10 setpriv --reuid=nobody --regid="$nobody_gid" --clear-groups \
		"$CHATSECD" -f -d "$T/nobodydir" -l 127.0.0.1:0 --user root 2>&1) || rc=$?
	assert_eq "$rc" 1 "nobody asking to run as root exits 1"
	assert_contains "$out" "only root can run chatsecd as another user" "the reason"
fi

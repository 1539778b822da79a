#!/bin/bash
# chatsec — helpers for the end-to-end encryption tests (e2e-*.sh).  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Sourced after lib.sh.  They play the part of a server that misbehaves:
# the sqlite3 CLI edits chatsecd's database directly (copying or altering
# stored bodies), which is what an attacker with the server's disk can do.

command -v sqlite3 >/dev/null || fail "the sqlite3 CLI is needed (contrib/setup.sh deps installs it)"

# copy_msg_to ID USER: store a copy of message ID's body (same sender) as a
# DM to USER under a fresh cid, as a malicious server could; prints its id.
copy_msg_to()
{
	server_sql "INSERT INTO messages (ts, sender_id, room_id, rcpt_id, cid, body)
	     SELECT ts, sender_id, NULL, (SELECT id FROM accounts WHERE name_folded = lower('$2')),
	            'copy-' || id || '-' || lower('$2'), body FROM messages WHERE id = $1;
	     SELECT last_insert_rowid();"
}

# unlock NAME USER: keys_unlock with USER's password (after an agent restart).
unlock()
{
	rpc_ok "$1" keys_unlock "$(jq -cn --arg p "$(user_password "$2")" '{password:$p}')" >/dev/null
}

# reboot_agent NAME USER: stop NAME's agent and start it as after a reboot
# (the session unlock in the runtime dir gone): its session resumes but its
# keys are locked until keys_unlock, which this does.
reboot_agent()
{
	stop_agent "$1"
	rm -f "$(agent_sock "$1").keys"
	start_agent "$1"
	wait_ready "$1"
	wait_status "$1" '.keys == "locked"' 10 >/dev/null
	unlock "$1" "$2"
	wait_status "$1" '.keys == "ready"' 10 >/dev/null
}

# bounce_server: restart chatsecd so that every agent reconnects and syncs
# (it then delivers rows written behind its back).
bounce_server()
{
	stop_server
	restart_server
}

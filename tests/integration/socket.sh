#!/bin/bash
# chatsec — integration: the agent's Unix socket.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# The socket is 0600 in a 0700 directory whatever the umask, at the
# documented default path or where CHATSEC_SOCKET / -S say; a second agent
# on a live socket refuses to start and leaves the first alone; a stale
# socket left by a crash doesn't stop the next agent; a symlink at the
# socket path is refused, not followed; a socket directory group or others
# can write to is refused; the agent can't dump core and keeps its keys in
# locked memory; a peer of another uid is refused.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

# launch_plain NAME SOCKET [ENV...]: start an agent without -S, with the
# given environment, expecting its socket at SOCKET; waits for hello.
launch_plain()
{
	local name=$1 sock=$2
	shift 2
	AGENT_SOCK[$name]=$sock
	mkdir -p -m 700 "$T/$name"
	env "$@" "$CHATSEC_AGENT" -f -d "$T/$name" -s "127.0.0.1:$PORT" --backoff-max 1 \
		</dev/null >>"$T/$name.log" 2>&1 &
	AGENT_PID[$name]=$!
	lib_track $!
	wait_until 10 "agent $name to answer hello on $sock" lib_hello_ok "$name"
}

start_server
umask 022

# --- default path: $XDG_RUNTIME_DIR/chatsec/agent.sock ------------------------------
mkdir -m 700 "$T/xdg"
launch_plain def "$T/xdg/chatsec/agent.sock" -u CHATSEC_SOCKET XDG_RUNTIME_DIR="$T/xdg"
assert_eq "$(stat -c %a "$T/xdg/chatsec")" 700 "mode of the socket directory the agent made"
assert_eq "$(stat -c %a "$T/xdg/chatsec/agent.sock")" 600 "mode of the socket"
[ -S "$T/xdg/chatsec/agent.sock" ] || fail "agent.sock is not a socket"

# --- CHATSEC_SOCKET overrides it ----------------------------------------------------
launch_plain env "$T/env.sock" XDG_RUNTIME_DIR="$T/xdg" CHATSEC_SOCKET="$T/env.sock"
assert_eq "$(stat -c %a "$T/env.sock")" 600 "mode of the CHATSEC_SOCKET socket"

# --- a socket directory open to others is refused and left as it is -------------------
mkdir -m 755 "$T/opendir"
AGENT_SOCK[open]=$T/opendir/agent.sock
launch_agent open
wait_exit "${AGENT_PID[open]}" 10 || fail "an agent with its socket in a 0755 directory did not exit"
[ "$LIB_EXIT_STATUS" -ne 0 ] || fail "an agent with its socket in a 0755 directory exited with status 0"
assert_eq "$(stat -c %a "$T/opendir")" 755 "mode of an existing socket directory (must not be changed)"
assert_contains "$(cat "$T/open.log")" "socket directory $T/opendir" "error for a socket directory open to others"
[ ! -e "$T/opendir/agent.sock" ] || fail "a socket was made in a directory open to others"

# --- -S, and a second agent on the same socket ----------------------------------------
start_agent one
assert_eq "$(stat -c %a "$(agent_sock one)")" 600 "mode of the -S socket"
ino=$(stat -c %i "$(agent_sock one)")
AGENT_SOCK[two]=$(agent_sock one)
launch_agent two
wait_exit "${AGENT_PID[two]}" 10 || fail "a second agent on a live socket did not exit"
[ "$LIB_EXIT_STATUS" -ne 0 ] || fail "a second agent on a live socket exited with status 0"
[ -S "$(agent_sock one)" ] || fail "the second agent removed the first one's socket"
assert_eq "$(stat -c %i "$(agent_sock one)")" "$ino" "the socket file is still the first agent's"
lib_hello_ok one || fail "the first agent no longer answers after a second one tried its socket"
lib_alive "${AGENT_PID[one]}" || fail "the first agent died"

# --- a second agent on a profile in use refuses to start -------------------------------
AGENT_DIRS[twin]=$(agent_dir one)
launch_agent twin
wait_exit "${AGENT_PID[twin]}" 10 || fail "a second agent on a profile in use did not exit"
[ "$LIB_EXIT_STATUS" -ne 0 ] || fail "a second agent on a profile in use exited with status 0"
lib_hello_ok one || fail "the first agent no longer answers after a second one tried its profile"

# --- a stale socket from a crashed agent is taken over --------------------------------
kill9_agent one
[ -S "$(agent_sock one)" ] || fail "expected kill -9 to leave the socket file behind"
AGENT_SOCK[three]=$(agent_sock one)
start_agent three
lib_hello_ok three || fail "an agent on a stale socket path does not answer"
# and SIGTERM removes the socket.
stop_agent three
[ ! -e "$(agent_sock three)" ] || fail "the agent left its socket behind after SIGTERM"

# --- a symlink at the socket path is never followed ----------------------------------
mkdir -m 700 "$T/symdir"
echo "precious" >"$T/target"
ln -s "$T/target" "$T/symdir/agent.sock"
AGENT_SOCK[sym]=$T/symdir/agent.sock
launch_agent sym
wait_exit "${AGENT_PID[sym]}" 10 || fail "an agent whose socket path is a symlink did not exit"
[ "$LIB_EXIT_STATUS" -ne 0 ] || fail "an agent whose socket path is a symlink exited with status 0"
assert_contains "$(cat "$T/sym.log")" "exists and is not a socket" "error for a symlink at the socket path"
[ -L "$T/symdir/agent.sock" ] || fail "the symlink at the socket path was removed or replaced"
assert_eq "$(cat "$T/target")" precious "the symlink's target is untouched"
assert_eq "$(stat -c %a "$T/target")" 644 "the symlink's target's mode is untouched"

# --- a socket directory others can write to is refused, and left as it is -------------
for mode in 770 777 1777; do
	mkdir -m "$mode" "$T/open$mode"
	chmod "$mode" "$T/open$mode"	# whatever the umask
	AGENT_SOCK[open$mode]=$T/open$mode/agent.sock
	launch_agent "open$mode"
	wait_exit "${AGENT_PID[open$mode]}" 10 || fail "an agent with its socket in a $mode directory did not exit"
	[ "$LIB_EXIT_STATUS" -ne 0 ] || fail "an agent with its socket in a $mode directory exited with status 0"
	assert_contains "$(cat "$T/open$mode.log")" "must be ours, mode 0700" "error for a $mode socket directory"
	[ ! -e "$T/open$mode/agent.sock" ] || fail "a socket was made in a $mode directory"
	assert_eq "$(stat -c %a "$T/open$mode")" "$mode" "the $mode directory's mode is untouched"
done

# --- no core dumps from the agent (it holds keys) ------------------------------------
start_agent cores
assert_match "$(grep '^Max core file size' "/proc/${AGENT_PID[cores]}/limits")" \
	'^Max core file size +0 +0 ' "the agent's core file size limit"

# --- its private keys sit in locked memory (never swapped out) ----------------------
# Where RLIMIT_MEMLOCK allows (here it does: the default is 8 MiB), the
# identity's sodium_malloc pages are mlock'ed once the keys exist.
# AddressSanitizer's mlock does nothing, so a sanitizer build can't show it.
vmlck()
{
	awk '/^VmLck:/ { print $2 }' "/proc/${AGENT_PID[cores]}/status"
}
if ! lib_asan "$CHATSEC_AGENT" &&
	{ [ "$(ulimit -l)" = unlimited ] || [ "$(ulimit -l)" -ge 64 ]; }; then
	before=$(vmlck)
	register_user cores carl 'carl password' >/dev/null
	wait_ready cores
	assert_jq "$(rpc_ok cores status)" '.keys == "ready"' "the new account's keys are ready"
	[ "$(vmlck)" -gt "$before" ] ||
		fail "no memory locked for the keys: VmLck $before kB before, $(vmlck) kB after"
fi

# --- a peer of another uid is refused (needs root to switch uids) -----------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	nobody=65534
	chmod 711 "$T"
	mkdir -m 700 "$T/nob" "$T/nobrun"
	chown "$nobody:$nobody" "$T/nob" "$T/nobrun"
	# The build tree may sit in a directory nobody can't enter: run a copy.
	mkdir -m 711 "$T/bin"
	cp "$CHATSEC_AGENT" "$T/bin/chatsec-agent"
	chmod 755 "$T/bin/chatsec-agent"
	AGENT_SOCK[nob]=$T/nobrun/agent.sock
	setpriv --reuid="$nobody" --regid="$nobody" --clear-groups \
		"$T/bin/chatsec-agent" -f -S "$T/nobrun/agent.sock" -d "$T/nob" -s "127.0.0.1:$PORT" --backoff-max 1 \
		</dev/null >>"$T/nob.log" 2>&1 &
	AGENT_PID[nob]=$!
	lib_track $!
	req='{"jsonrpc":"2.0","id":1,"method":"hello"}'
	nobody_hello()
	{
		local out
		[ -S "$T/nobrun/agent.sock" ] || return 1
		out=$(printf '%s\n' "$req" | timeout 5 setpriv --reuid="$nobody" --regid="$nobody" --clear-groups \
			socat -t 2 - "UNIX-CONNECT:$T/nobrun/agent.sock" 2>/dev/null) || true
		[[ $out == *'"api_version"'* ]]
	}
	wait_until 10 "the agent run as nobody to answer nobody" nobody_hello
	# root may connect (it passes the file permissions) but is not nobody.
	out=$(printf '%s\n' "$req" | rpc_raw nob 1 3)
	assert_eq "$out" "" "reply of an agent to a peer of another uid"
	nobody_hello || fail "the agent stopped answering its own uid after refusing another"
else
	echo "$TEST_NAME: not root or no setpriv: SO_PEERCRED check skipped" >&2
fi

echo "PASS: $TEST_NAME"

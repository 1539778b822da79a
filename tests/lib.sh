# chatsec — helpers for the integration tests.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Every tests/integration/*.sh sources this file first:
#
#	. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
#
# It makes a temporary directory $T for the test, starts real daemons in the
# foreground on loopback ports, polls until they answer (never a bare sleep),
# and on exit kills only the processes it started and removes $T (kept when
# CHATSEC_KEEP_TMP=1).  On failure it prints the tail of every log in $T.
#
# Conventions: helpers that print a result are meant for `x=$(helper ...)`
# (plain assignment, never `local x=$(...)`, so that set -e sees a failure);
# helpers that start or stop processes must run in the test's own shell.

set -eu -o pipefail
shopt -s inherit_errexit

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$LIB_DIR/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
CHATSECD=${CHATSECD:-$top_builddir/chatsecd}
CHATSEC_AGENT=${CHATSEC_AGENT:-$top_builddir/chatsec-agent}
# chatsecd refuses root without a --user (a CI machine runs tests as root):
# run it as whoever runs the test.
CHATSECD_USER=(--user "$(id -un)")
# Key files under argon2id INTERACTIVE, not MODERATE (256 MiB per agent):
# the same code path, cheaper for a suite that starts many agents.
export CHATSEC_KEYFILE_KDF=${CHATSEC_KEYFILE_KDF:-interactive}
TEST_NAME=$(basename "$0" .sh)
RPC_TIMEOUT=${RPC_TIMEOUT:-30}		# seconds to wait for one reply
LIB_MAIN_PID=$BASHPID

for lib_tool in socat jq oathtool ss; do
	if ! command -v "$lib_tool" >/dev/null 2>&1; then
		echo "SKIP: $TEST_NAME needs $lib_tool" >&2
		exit 77
	fi
done
for lib_bin in "$CHATSECD" "$CHATSEC_AGENT"; do
	if [ ! -x "$lib_bin" ]; then
		echo "FAIL: $TEST_NAME: $lib_bin is not built (make chatsecd chatsec-agent)" >&2
		exit 1
	fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/chatsec-$TEST_NAME.XXXXXX")
if [ ${#T} -gt 70 ]; then
	# Unix socket paths are limited to 107 bytes.
	echo "FAIL: temp dir path too long for Unix sockets: $T (set TMPDIR)" >&2
	rmdir "$T"
	exit 1
fi

LIB_PIDS=()			# every process this test started, in order
declare -A AGENT_PID=()		# agent name -> pid
declare -A AGENT_SOCK=()	# agent name -> socket path (set before start_agent to override)
declare -A AGENT_DIRS=()	# agent name -> profile dir (set before start_agent to override)
declare -A CONN_FD=()		# connection tag -> fd of its input fifo
declare -A CONN_PID=()		# connection tag -> socat pid
SERVER_PID=
SERVER_DIR=$T/server
SERVER_LOG=$T/server.log
SERVER_LOG_OFF=0
SERVER_ARGS=()
PORT=

# ---------------------------------------------------------------------------
# Failure reporting and cleanup.

# lib_logs: the last lines of every log of this test, for a failure report.
lib_logs()
{
	local f
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "----- last lines of ${f#"$T"/} -----" >&2
		tail -n 25 "$f" >&2 || true
	done
}

# fail MESSAGE: fail the test (from a subshell it fails that subshell, which
# set -e turns into failing the test).
fail()
{
	echo "FAIL: $TEST_NAME: $*" >&2
	exit 1
}

# lib_asan BINARY: true if BINARY was built with AddressSanitizer.
lib_asan()
{
	grep -qa __asan_init "$1"
}

# lib_alive PID: true while PID runs (a zombie counts as dead).
lib_alive()
{
	local state
	state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

lib_track()
{
	LIB_PIDS+=("$1")
}

# lib_reap PID...: SIGTERM each live PID, give them 3 s, then SIGKILL, then wait.
lib_reap()
{
	local pid i any
	for pid in "$@"; do
		if lib_alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
	done
	for ((i = 0; i < 30; i++)); do
		any=
		for pid in "$@"; do
			if lib_alive "$pid"; then any=1; fi
		done
		[ -n "$any" ] || break
		sleep 0.1
	done
	for pid in "$@"; do
		if lib_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
	done
	for pid in "$@"; do
		wait "$pid" 2>/dev/null || true
	done
}

lib_cleanup()
{
	local rc=$? tag fd i pids=()
	[ "$BASHPID" = "$LIB_MAIN_PID" ] || return "$rc"
	set +e
	trap - EXIT ERR
	for tag in "${!CONN_FD[@]}"; do
		fd=${CONN_FD[$tag]}
		{ exec {fd}>&-; } 2>/dev/null
	done
	for ((i = ${#LIB_PIDS[@]} - 1; i >= 0; i--)); do
		pids+=("${LIB_PIDS[i]}")
	done
	[ ${#pids[@]} -eq 0 ] || lib_reap "${pids[@]}"
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		lib_logs
		echo "FAIL: $TEST_NAME (exit $rc); temp dir $T" >&2
	fi
	if [ "${CHATSEC_KEEP_TMP:-0}" = 1 ]; then
		echo "$TEST_NAME: kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap lib_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
# Not inherited by functions and subshells: reports the test's own line.
trap 'echo "FAIL: $TEST_NAME: line $LINENO: $BASH_COMMAND" >&2' ERR

# ---------------------------------------------------------------------------
# Assertions.

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq()
{
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

# assert_ne ACTUAL UNEXPECTED [WHAT]
assert_ne()
{
	[ "$1" != "$2" ] || fail "${3:-value}: must not be '$2'"
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains()
{
	[[ $1 == *"$2"* ]] || fail "${3:-text}: '$2' not found in: $1"
}

# assert_not_contains HAYSTACK NEEDLE [WHAT]
assert_not_contains()
{
	[[ $1 != *"$2"* ]] || fail "${3:-text}: '$2' must not appear in: $1"
}

# assert_match STRING ERE [WHAT]
assert_match()
{
	[[ $1 =~ $2 ]] || fail "${3:-text}: '$1' does not match /$2/"
}

# assert_jq JSON JQ_BOOLEAN [WHAT]: the jq expression is true of JSON.
assert_jq()
{
	jq -e "$2" >/dev/null 2>&1 <<<"$1" || fail "${3:-json}: expected ($2) of: $1"
}

# ---------------------------------------------------------------------------
# Polling.

lib_now_us()
{
	echo "${EPOCHREALTIME/./}"
}

# wait_until SECONDS WHAT COMMAND...: run COMMAND every 0.1 s until it
# succeeds; fail after SECONDS.
wait_until()
{
	local secs=$1 what=$2 deadline
	shift 2
	deadline=$(($(lib_now_us) + secs * 1000000))
	until "$@"; do
		[ "$(lib_now_us)" -lt "$deadline" ] || fail "timed out after ${secs}s waiting for $what"
		sleep 0.1
	done
}

# wait_exit PID SECONDS: true if PID exits within SECONDS (and reaps it;
# its exit status is then in LIB_EXIT_STATUS).
wait_exit()
{
	local deadline
	deadline=$(($(lib_now_us) + $2 * 1000000))
	while lib_alive "$1"; do
		[ "$(lib_now_us)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
	LIB_EXIT_STATUS=0
	wait "$1" 2>/dev/null || LIB_EXIT_STATUS=$?
	return 0
}

# ---------------------------------------------------------------------------
# Ports and the server.

# pick_port: a random loopback port in 20000-60000 that nothing listens on.
pick_port()
{
	local p i
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40001))
		# Any socket on the port, not only a listener: a client's
		# ephemeral port (live or in TIME_WAIT) also fails a bind.
		if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	fail "no free port found"
}

lib_size()
{
	if [ -f "$1" ]; then stat -c %s "$1"; else echo 0; fi
}

# slow_disk MS: from now on the server runs with every fsync and fdatasync
# taking MS milliseconds more (tests/shim/slow-fsync.c, preloaded), so the
# time between a commit and its sync is long enough to land in.
slow_disk()
{
	local shim=$top_builddir/tests/shim/slow-fsync.so
	[ -f "$shim" ] || fail "$shim is not built (make check builds it)"
	SLOW_DISK_REAL=${SLOW_DISK_REAL:-$CHATSECD}
	CHATSECD=$T/chatsecd-slow-disk
	cat >"$CHATSECD" <<-EOF
	#!/bin/sh
	LD_PRELOAD=$shim
	CHATSEC_SLOW_FSYNC_MS=$1
	ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0
	export LD_PRELOAD CHATSEC_SLOW_FSYNC_MS ASAN_OPTIONS
	exec "$SLOW_DISK_REAL" "\$@"
	EOF
	chmod 755 "$CHATSECD"
}

# server_sql SQL: run SQL on the server's database (the server may be
# running: SQLite's locking keeps it consistent).
server_sql()
{
	sqlite3 -cmd '.timeout 5000' "$SERVER_DIR/chatsecd.db" "$1"
}

# server_log: what the current server process has logged so far.
server_log()
{
	tail -c +"$((SERVER_LOG_OFF + 1))" "$SERVER_LOG"
}

# lib_server_launch: start chatsecd on $PORT; true once it logs
# "listening on", false if it exits first.
lib_server_launch()
{
	local i
	SERVER_LOG_OFF=$(lib_size "$SERVER_LOG")
	echo "=== $(date +%T) chatsecd -f -d $SERVER_DIR -l 127.0.0.1:$PORT ${SERVER_ARGS[*]}" >>"$SERVER_LOG"
	SERVER_LOG_OFF=$(lib_size "$SERVER_LOG")
	"$CHATSECD" -f -d "$SERVER_DIR" -l "127.0.0.1:$PORT" "${CHATSECD_USER[@]}" ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"} \
		</dev/null >>"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	lib_track "$SERVER_PID"
	for ((i = 0; i < 100; i++)); do
		if [[ $(server_log) == *"listening on"* ]]; then
			return 0
		fi
		if ! lib_alive "$SERVER_PID"; then
			wait "$SERVER_PID" 2>/dev/null || true
			SERVER_PID=
			return 1
		fi
		sleep 0.1
	done
	fail "chatsecd did not log 'listening on' within 10 s"
}

# start_server [ARGS...]: start chatsecd in the foreground mode on a free
# loopback port (PORT, kept for restarts) with data dir $SERVER_DIR.
start_server()
{
	local tries
	mkdir -p -m 700 "$SERVER_DIR"
	SERVER_ARGS=("$@")
	if [ -n "$PORT" ]; then
		lib_server_launch || fail "chatsecd failed to start on port $PORT"
		return 0
	fi
	for ((tries = 0; tries < 5; tries++)); do
		PORT=$(pick_port)
		if lib_server_launch; then
			return 0
		fi
	done
	fail "chatsecd failed to start (5 ports tried)"
}

# kill9_server: SIGKILL the server (no chance to clean up).
kill9_server()
{
	[ -n "$SERVER_PID" ] || fail "kill9_server: no server running"
	kill -KILL "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}

# stop_server: SIGTERM the server; it must exit within 10 s.
stop_server()
{
	[ -n "$SERVER_PID" ] || fail "stop_server: no server running"
	kill -TERM "$SERVER_PID"
	wait_exit "$SERVER_PID" 10 || fail "chatsecd did not exit within 10 s of SIGTERM"
	SERVER_PID=
}

# restart_server: start the server again on the same data dir, port and args.
restart_server()
{
	[ -z "$SERVER_PID" ] || fail "restart_server: the server is still running"
	start_server ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"}
}

# server_fingerprint: the "SHA256:<64 hex>" the current server logged.
server_fingerprint()
{
	local fp i
	for ((i = 0; i < 50; i++)); do
		fp=$(server_log | grep -oE 'SHA256:[0-9A-Fa-f]{64}' | tail -n 1) || true
		[ -z "$fp" ] || break
		sleep 0.1
	done
	[ -n "$fp" ] || fail "chatsecd did not log its certificate fingerprint (SHA256:<64 hex>)"
	echo "$fp"
}

# ---------------------------------------------------------------------------
# Agents and their API.

agent_sock()
{
	echo "${AGENT_SOCK[$1]:-$T/$1.sock}"
}

agent_dir()
{
	echo "${AGENT_DIRS[$1]:-$T/$1}"
}

# launch_agent NAME [ARGS...]: start an agent for profile NAME without
# waiting for it; its pid is in AGENT_PID[NAME].  AGENT_SERVER overrides
# the server address.
launch_agent()
{
	local name=$1 sock dir
	shift
	sock=$(agent_sock "$name")
	dir=$(agent_dir "$name")
	mkdir -p -m 700 "$dir"
	echo "=== $(date +%T) chatsec-agent -f -S $sock -d $dir -s ${AGENT_SERVER:-127.0.0.1:$PORT} $*" >>"$T/$name.log"
	"$CHATSEC_AGENT" -f -S "$sock" -d "$dir" -s "${AGENT_SERVER:-127.0.0.1:$PORT}" \
		--backoff-max 1 "$@" </dev/null >>"$T/$name.log" 2>&1 &
	AGENT_PID[$name]=$!
	lib_track $!
}

# lib_hello_ok NAME: true if the agent's socket answers hello within 2 s.
lib_hello_ok()
{
	local out
	[ -S "$(agent_sock "$1")" ] || return 1
	out=$(printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"hello"}' | rpc_raw "$1" 1 2) || return 1
	jq -e '.id == 1 and (.result.api_version == 1)' >/dev/null 2>&1 <<<"$out"
}

# lib_link_settled NAME: true once the agent has got past connecting to the
# server (any state but disconnected/connecting/handshake/backoff).
lib_link_settled()
{
	local st
	st=$(rpc "$1" status | jq -r '.result.link // empty') || return 1
	case $st in
	"" | disconnected | connecting | handshake | backoff) return 1 ;;
	*) return 0 ;;
	esac
}

# start_agent NAME [ARGS...]: start an agent and wait until its socket
# answers hello and (unless AGENT_NOWAIT=1) its link to the server is up.
start_agent()
{
	local name=$1 deadline
	launch_agent "$@"
	deadline=$(($(lib_now_us) + 10000000))
	until lib_hello_ok "$name"; do
		lib_alive "${AGENT_PID[$name]}" || fail "agent $name exited during start-up"
		[ "$(lib_now_us)" -lt "$deadline" ] || fail "agent $name did not answer hello within 10 s"
		sleep 0.1
	done
	if [ "${AGENT_NOWAIT:-0}" != 1 ]; then
		wait_until 20 "agent $name to connect to the server" lib_link_settled "$name"
	fi
}

# stop_agent NAME: SIGTERM the agent; it must exit within 10 s.
stop_agent()
{
	local pid=${AGENT_PID[$1]}
	kill -TERM "$pid"
	wait_exit "$pid" 10 || fail "agent $1 did not exit within 10 s of SIGTERM"
}

# kill9_agent NAME
kill9_agent()
{
	kill -KILL "${AGENT_PID[$1]}"
	wait "${AGENT_PID[$1]}" 2>/dev/null || true
}

# rpc_raw NAME [NLINES [TIMEOUT]] < BYTES: send the bytes on stdin over one
# connection to agent NAME; print the first NLINES lines (default 1) that
# come back, or fewer if the agent closes or TIMEOUT seconds pass.
rpc_raw()
{
	local n=${2:-1} secs=${3:-$RPC_TIMEOUT} in out pid deadline
	in=$(mktemp "$T/rpc.XXXXXX")
	out=$in.out
	cat >"$in"
	: >"$out"
	socat -t "$secs" - "UNIX-CONNECT:$(agent_sock "$1")" <"$in" >"$out" 2>"$in.err" &
	pid=$!
	deadline=$(($(lib_now_us) + secs * 1000000))
	while [ "$(wc -l <"$out")" -lt "$n" ] && lib_alive "$pid" &&
		[ "$(lib_now_us)" -lt "$deadline" ]; do
		sleep 0.02
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	head -n "$n" "$out"
	rm -f "$in" "$out" "$in.err"
}

# rpc_req METHOD [PARAMS_JSON [ID]]: a request line.
rpc_req()
{
	if [ $# -ge 2 ]; then
		jq -cn --arg m "$1" --argjson p "$2" --argjson id "${3:-1}" \
			'{jsonrpc:"2.0",id:$id,method:$m,params:$p}'
	else
		jq -cn --arg m "$1" '{jsonrpc:"2.0",id:1,method:$m}'
	fi
}

# rpc NAME METHOD [PARAMS_JSON]: one request on a new connection; prints
# the reply line.
rpc()
{
	local name=$1 method=$2 id req resp
	id=$((RANDOM + 2))
	if [ $# -ge 3 ]; then
		req=$(rpc_req "$method" "$3" "$id") || fail "rpc $name $method: bad params JSON: $3"
	else
		req=$(jq -cn --arg m "$method" --argjson id "$id" '{jsonrpc:"2.0",id:$id,method:$m}')
	fi
	resp=$(printf '%s\n' "$req" | rpc_raw "$name" 1)
	[ -n "$resp" ] || fail "rpc $name $method: no reply within ${RPC_TIMEOUT}s"
	jq -e --argjson id "$id" '.jsonrpc == "2.0" and .id == $id' >/dev/null 2>&1 <<<"$resp" ||
		fail "rpc $name $method: not a JSON-RPC 2.0 reply with id $id: $resp"
	printf '%s\n' "$resp"
}

# rpc_ok NAME METHOD [PARAMS_JSON]: the request must succeed; prints .result.
rpc_ok()
{
	local resp
	resp=$(rpc "$@")
	if jq -e 'has("error")' >/dev/null <<<"$resp"; then
		fail "rpc $1 $2${3:+ $3}: expected success, got $(jq -c .error <<<"$resp")"
	fi
	jq -ce '.result' <<<"$resp" || fail "rpc $1 $2: reply has no result: $resp"
}

# rpc_error NAME METHOD [PARAMS_JSON]: the request must fail; prints .error.
rpc_error()
{
	local resp
	resp=$(rpc "$@")
	jq -e '.error.code | type == "number"' >/dev/null <<<"$resp" ||
		fail "rpc $1 $2${3:+ $3}: expected an error, got $resp"
	jq -e '.error.message | type == "string" and length > 0' >/dev/null <<<"$resp" ||
		fail "rpc $1 $2: error without a message sentence: $resp"
	jq -c .error <<<"$resp"
}

# rpc_err NAME METHOD [PARAMS_JSON]: the request must fail; prints the code.
rpc_err()
{
	local e
	e=$(rpc_error "$@")
	jq -r .code <<<"$e"
}

# expect_err CODE NAME METHOD [PARAMS_JSON]: the request must fail with
# CODE; prints the error object.
expect_err()
{
	local code=$1 e
	shift
	e=$(rpc_error "$@")
	[ "$(jq -r .code <<<"$e")" = "$code" ] ||
		fail "rpc $1 $2${3:+ $3}: expected error $code, got $e"
	printf '%s\n' "$e"
}

# status_of NAME: the agent's status result.
status_of()
{
	rpc_ok "$1" status
}

# wait_status NAME JQ_BOOLEAN [SECONDS]: poll status (every 0.2 s, at most
# SECONDS, default 30) until the expression holds; prints that status.
wait_status()
{
	local name=$1 expr=$2 secs=${3:-30} deadline st
	deadline=$(($(lib_now_us) + secs * 1000000))
	while :; do
		st=$(rpc_ok "$name" status)
		if jq -e "$expr" >/dev/null 2>&1 <<<"$st"; then
			break
		fi
		[ "$(lib_now_us)" -lt "$deadline" ] ||
			fail "agent $name: status never had ($expr) within ${secs}s; last: $st"
		sleep 0.2
	done
	printf '%s\n' "$st"
}

# wait_link NAME STATE [SECONDS]: poll status until link is STATE.
wait_link()
{
	wait_status "$1" ".link == \"$2\"" "${3:-30}" >/dev/null
}

# wait_ready NAME [SECONDS]: poll until the agent is connected and logged in.
wait_ready()
{
	wait_status "$1" '.link == "ready" and .logged_in == true' "${2:-30}" >/dev/null
}

# send_msg NAME TO TEXT [CID]: send; prints the result ({id,ts,conv,cid}).
send_msg()
{
	local p
	if [ $# -ge 4 ]; then
		p=$(jq -cn --arg to "$2" --arg t "$3" --arg c "$4" '{to:$to,text:$t,cid:$c}')
	else
		p=$(jq -cn --arg to "$2" --arg t "$3" '{to:$to,text:$t}')
	fi
	rpc_ok "$1" send "$p"
}

# ---------------------------------------------------------------------------
# TOTP and accounts.  Per account, $T/users/USER.{secret,password,step}
# hold the secret, the password and the last TOTP step this test used, so
# that user_code never hands out a code the server must refuse as replayed.

cur_step()
{
	echo $((EPOCHSECONDS / 30))
}

# totp SECRET [OFFSET_STEPS]: the code for now (+ OFFSET_STEPS × 30 s).
totp()
{
	oathtool --totp -b --now "@$((EPOCHSECONDS + 30 * ${2:-0}))" "$1"
}

# totp_step SECRET STEP: the code for an absolute step.
totp_step()
{
	oathtool --totp -b --now "@$(($2 * 30))" "$1"
}

# wait_next_step: sleep until the next 30 s TOTP step begins (at most 31 s).
wait_next_step()
{
	local s
	s=$(cur_step)
	wait_until 31 "the next TOTP step" lib_step_after "$s"
}

lib_step_after()
{
	[ "$(cur_step)" -gt "$1" ]
}

user_secret()
{
	cat "$T/users/$1.secret"
}

user_password()
{
	cat "$T/users/$1.password"
}

# user_code USER: a code the server must accept for USER: the current step
# or, if that was used, the next one (inside the ±1 window); waits for time
# to pass only when both were used.  Records the step as used.
user_code()
{
	local f=$T/users/$1.step last s
	last=$(cat "$f" 2>/dev/null || echo 0)
	s=$(cur_step)
	[ "$s" -gt "$last" ] || s=$((last + 1))
	while [ "$s" -gt $(($(cur_step) + 1)) ]; do
		wait_next_step
	done
	echo "$s" >"$f"
	totp_step "$(user_secret "$1")" "$s"
}

# last_code USER: the code of the last step user_code handed out (a replay).
last_code()
{
	totp_step "$(user_secret "$1")" "$(cat "$T/users/$1.step")"
}

# wrong_code USER: six digits that are not a valid code for USER now.
wrong_code()
{
	local secret s c i valid=" "
	secret=$(user_secret "$1")
	s=$(cur_step)
	for i in -2 -1 0 1 2; do
		valid+="$(totp_step "$secret" $((s + i))) "
	done
	for c in 000000 111111 222222 333333 444444 555555 666666; do
		if [[ $valid != *" $c "* ]]; then
			echo "$c"
			return 0
		fi
	done
	fail "wrong_code: no wrong code found (impossible)"
}

# register_start AGENT USER PASSWORD: step one; saves the secret and
# prints the register result.
register_start()
{
	local r secret
	r=$(rpc_ok "$1" register "$(jq -cn --arg u "$2" --arg p "$3" '{user:$u,password:$p}')")
	secret=$(jq -r '.totp_secret // empty' <<<"$r")
	[ -n "$secret" ] || fail "register $2: no totp_secret in $r"
	mkdir -p "$T/users"
	printf '%s\n' "$secret" >"$T/users/$2.secret"
	printf '%s\n' "$3" >"$T/users/$2.password"
	printf '%s\n' "$r"
}

# register_user AGENT USER PASSWORD: register and confirm with a fresh
# code; the agent is then logged in.  Prints the register_confirm result.
register_user()
{
	local code
	register_start "$@" >/dev/null
	code=$(user_code "$2")
	rpc_ok "$1" register_confirm "$(jq -cn --arg c "$code" '{code:$c}')"
}

# login_user AGENT USER: log in with the saved password and a fresh code.
login_user()
{
	local code
	code=$(user_code "$2")
	rpc_ok "$1" login "$(jq -cn --arg u "$2" --arg p "$(user_password "$2")" --arg c "$code" \
		'{user:$u,password:$p,code:$c}')"
}

# ---------------------------------------------------------------------------
# Long-lived connections (event subscribers, raw TCP probes): socat reads
# from a fifo this shell holds open, so the connection stays up until
# conn_close; what comes back goes to a file.

# conn_out TAG: the file a connection's output goes to.
conn_out()
{
	echo "$T/conn-$1.out"
}

# conn_open TAG SOCAT_ADDRESS: open a connection (e.g.
# UNIX-CONNECT:/path or TCP:127.0.0.1:port).  Must run in the test's shell.
conn_open()
{
	local tag=$1 fifo fd
	fifo=$T/conn-$tag.in
	[ -z "${CONN_PID[$tag]:-}" ] || fail "conn_open: connection $tag is already open"
	rm -f "$fifo"
	mkfifo "$fifo"
	exec {fd}<>"$fifo"
	CONN_FD[$tag]=$fd
	: >"$(conn_out "$tag")"
	socat -t 0.5 - "$2" <"$fifo" >"$(conn_out "$tag")" 2>"$T/conn-$tag.err" &
	CONN_PID[$tag]=$!
	lib_track $!
}

# conn_send TAG LINE: send LINE and a newline on the connection.
conn_send()
{
	printf '%s\n' "$2" >&"${CONN_FD[$1]}"
}

# conn_send_raw TAG PRINTF_FORMAT: send bytes given as a printf format.
conn_send_raw()
{
	# shellcheck disable=SC2059
	printf "$2" >&"${CONN_FD[$1]}"
}

# conn_closed_within TAG SECONDS: true if the other side closed the
# connection (so socat exited) within SECONDS.
conn_closed_within()
{
	wait_exit "${CONN_PID[$1]}" "$2"
}

# conn_close TAG: close our side and stop socat.
conn_close()
{
	local tag=$1 fd=${CONN_FD[$1]}
	exec {fd}>&-
	unset "CONN_FD[$tag]"
	kill "${CONN_PID[$tag]}" 2>/dev/null || true
	wait "${CONN_PID[$tag]}" 2>/dev/null || true
	unset "CONN_PID[$tag]"
}

# sub_out TAG: the file a subscriber's output (replies and events) goes to.
sub_out()
{
	conn_out "$1"
}

# sub_start TAG AGENT [PARAMS_JSON]: open a connection to AGENT, send
# subscribe with PARAMS (default {}) as request id 900001, and wait for
# its reply; the cursor it returned is left in SUB_CURSOR.  Must run in
# the test's shell.  More requests: conn_send TAG; stop: conn_close TAG.
sub_start()
{
	local tag=$1 name=$2 params=${3:-"{}"} reply
	conn_open "$tag" "UNIX-CONNECT:$(agent_sock "$name")"
	conn_send "$tag" "$(rpc_req subscribe "$params" 900001)"
	reply=$(wait_for_reply "$(conn_out "$tag")" 900001)
	if jq -e 'has("error")' >/dev/null <<<"$reply"; then
		fail "subscribe $name $params: $(jq -c .error <<<"$reply")"
	fi
	SUB_CURSOR=$(jq -r '.result.cursor' <<<"$reply")
	[[ $SUB_CURSOR =~ ^[0-9]+$ ]] || fail "subscribe $name: no numeric cursor in $reply"
}

# wait_for_reply FILE ID [SECONDS]: the reply line with ID in FILE.
wait_for_reply()
{
	local f=$1 id=$2 secs=${3:-$RPC_TIMEOUT} deadline line
	deadline=$(($(lib_now_us) + secs * 1000000))
	while :; do
		line=$(jq -cRn --argjson id "$id" 'first(inputs | fromjson? | select(type == "object" and .id == $id))' "$f")
		[ -z "$line" ] || break
		[ "$(lib_now_us)" -lt "$deadline" ] || fail "no reply with id $id in ${f##*/} within ${secs}s: $(tail -c 600 "$f")"
		sleep 0.05
	done
	printf '%s\n' "$line"
}

# events_in FILE [JQ_BOOLEAN]: the params of every event in FILE for which
# the expression holds (default: all), one compact JSON per line.
events_in()
{
	jq -cRn "inputs | fromjson? | select(type == \"object\" and .method == \"event\") | .params | select(${2:-true})" "$1"
}

# wait_for_event FILE JQ_BOOLEAN [SECONDS]: poll FILE until an event's
# params match; prints the first match.
wait_for_event()
{
	local f=$1 filter=$2 secs=${3:-20} deadline line
	deadline=$(($(lib_now_us) + secs * 1000000))
	while :; do
		line=$(jq -cRn "first(inputs | fromjson? | select(type == \"object\" and .method == \"event\") | .params | select($filter))" "$f")
		[ -z "$line" ] || break
		[ "$(lib_now_us)" -lt "$deadline" ] ||
			fail "no event matching ($filter) in ${f##*/} within ${secs}s; it has: $(tail -c 1500 "$f")"
		sleep 0.1
	done
	printf '%s\n' "$line"
}

# count_events FILE JQ_BOOLEAN
count_events()
{
	events_in "$1" "$2" | wc -l
}

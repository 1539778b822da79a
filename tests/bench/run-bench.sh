#!/bin/bash
# chatsec — run the benchmark scenarios and print a table.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# usage: tests/bench/run-bench.sh [--quick] [--compare] [--relay] [--only LIST]
#            [--server-cpu N] [--loadgen-cpu N] [--duration SECS]
#            [--clients N] [--rate R] [--idle N] [--backlog N] [--logins N]
#            [--storm-rate R] [--runs N]
#
# Each scenario gets a fresh chatsecd on a temp data dir and a free
# loopback port, its accounts made by `chatsecd --create-accounts` (one
# argon2 hash for all), the server pinned to one CPU and the load generator
# (tests/bench/chatsec-bench) to another.  Prints the machine, the settings,
# one row per scenario, and each scenario's machine-readable "BENCH ..."
# line.  --quick uses tiny sizes and durations: it proves the tool works
# (make check runs it) and its figures mean nothing.  --compare also runs
# fanout, rate and idle against InspIRCd (installed from Debian if missing,
# configured on 127.0.0.1 with TLS and raised flood limits) and against the
# bare relay (tests/bench/chatsec-relay: what this machine allows a TLS
# relay that stores nothing), and prints them side by side; --relay the
# relay alone.  --runs N runs each scenario but agent N times and keeps
# the run with the median of its main figure.  See doc/performance.md.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

BENCH=${CHATSEC_BENCH:-$top_builddir/tests/bench/chatsec-bench}
[ -x "$BENCH" ] || fail "$BENCH is not built (make tests/bench/chatsec-bench)"
RELAY=${CHATSEC_RELAY:-$top_builddir/tests/bench/chatsec-relay}

QUICK=0
PEERS=
RUNS=1
ONLY="fanout rate idle backlog storm agent"
SERVER_CPU=0
LOADGEN_CPU=1
DURATION=10
CLIENTS=100
RATE_CLIENTS=1000
RATE=100
IDLE=10000
BACKLOG=10000
LOGINS=200
STORM_RATE=50
AGENT_N=2000

while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--only) ONLY=$2; shift ;;
	--server-cpu) SERVER_CPU=$2; shift ;;
	--loadgen-cpu) LOADGEN_CPU=$2; shift ;;
	--duration) DURATION=$2; shift ;;
	--clients) RATE_CLIENTS=$2; shift ;;
	--rate) RATE=$2; shift ;;
	--idle) IDLE=$2; shift ;;
	--backlog) BACKLOG=$2; shift ;;
	--logins) LOGINS=$2; shift ;;
	--storm-rate) STORM_RATE=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--compare) PEERS="irc relay" ;;
	--relay) PEERS=${PEERS:-relay} ;;
	-h|--help) sed -n '4,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) fail "unknown option $1 (see --help)" ;;
	esac
	shift
done
if [ "$QUICK" = 1 ]; then
	DURATION=1 CLIENTS=10 RATE_CLIENTS=20 RATE=50 IDLE=50 BACKLOG=200
	LOGINS=4 STORM_RATE=20 AGENT_N=30
fi

# 10,000 connections need as many fds, on both sides.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)

# Pinning: only where there are two CPUs to pin to.
SERVER_PIN=()
LOADGEN_PIN=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	SERVER_PIN=(taskset -c "$SERVER_CPU")
	LOADGEN_PIN=(taskset -c "$LOADGEN_CPU")
	PINNING="server on CPU $SERVER_CPU, load generator on CPU $LOADGEN_CPU"
else
	PINNING="not pinned"
fi
# The server runs through a wrapper that pins it (exec keeps the pid).
REAL_CHATSECD=$CHATSECD
CHATSECD=$T/chatsecd-pinned
printf '#!/bin/sh\nexec %s "%s" "$@"\n' "${SERVER_PIN[*]}" "$REAL_CHATSECD" >"$CHATSECD"
chmod 755 "$CHATSECD"

PASSWORD="bench password $$"
printf '%s\n' "$PASSWORD" >"$T/password"
chmod 600 "$T/password"
RESULTS=()

# bench_server NAME ACCOUNTS: a fresh server with ACCOUNTS accounts; their
# tokens in $TOKENS.
bench_server()
{
	SERVER_DIR=$T/$1
	SERVER_LOG=$T/$1-server.log
	TOKENS=$T/$1.tokens
	PORT=
	rm -rf "$SERVER_DIR" "$TOKENS"	# an earlier run's (--runs)
	mkdir -p -m 700 "$SERVER_DIR"
	"$REAL_CHATSECD" "${CHATSECD_USER[@]}" -d "$SERVER_DIR" --create-accounts "$2" \
		--password-file "$T/password" --tokens "$TOKENS" \
		>>"$SERVER_LOG" 2>&1 || fail "chatsecd --create-accounts failed"
	# No request rate: the fan-out senders go as fast as the server takes.
	start_server --max-clients $(($2 + 1000)) --max-per-addr $(($2 + 1000)) \
		--request-rate 0
}

# loadgen ARGS...: run the load generator against the current server and
# keep its BENCH line.
loadgen()
{
	local out
	out=$("${LOADGEN_PIN[@]}" "$BENCH" -p "$PORT" -t "${TOKENS:-/dev/null}" -P "$SERVER_PID" "$@" \
		2>>"$T/loadgen.log") || { cat "$T/loadgen.log" >&2; fail "chatsec-bench $* failed"; }
	out=$(grep '^BENCH ' <<<"$out") || fail "chatsec-bench $*: no BENCH line"
	RESULTS+=("$out")
	echo "$out" >&2
}

# get LINE KEY: the value of key=value in a BENCH line.
get()
{
	local kv
	for kv in $1; do
		if [ "${kv%%=*}" = "$2" ]; then
			echo "${kv#*=}"
			return 0
		fi
	done
	echo "-"
}

q=()
[ "$QUICK" = 0 ] || q=(--quick)
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || fail "--runs takes 1 to 99"

# median_key SCENARIO: the figure --runs takes the median of.
median_key()
{
	case $1 in
	fanout) echo deliveries_per_cpu_s ;;
	rate) echo server_cpu_pct ;;
	idle) echo cpu_per_conn_ms ;;
	backlog) echo stored_msgs_per_s ;;
	storm) echo storm_p99_ms ;;
	esac
}

# keep_median FROM SCENARIO: of the runs' BENCH lines RESULTS[FROM..],
# keep the one with the median figure, marked runs=N.
keep_median()
{
	local from=$1 key n i pick
	n=$((${#RESULTS[@]} - from))
	key=$(median_key "$2")
	[ "$n" -gt 1 ] && [ -n "$key" ] || return 0
	pick=$(for ((i = from; i < ${#RESULTS[@]}; i++)); do
		echo "$(get "${RESULTS[i]}" "$key") $i"
	done | sort -g | sed -n "$(((n + 1) / 2))p" | cut -d' ' -f2)
	RESULTS=("${RESULTS[@]:0:from}" "${RESULTS[pick]} runs=$n")
}

# ---- InspIRCd and the bare relay, for --compare and --relay ------------------
PEER_PID=

# bench_cert DIR: a throwaway P-256 certificate, DIR/cert.pem and DIR/key.pem.
bench_cert()
{
	mkdir -p "$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1/key.pem" -out "$1/cert.pem" -days 2 \
		-subj /CN=127.0.0.1 2>>"$T/peer.log" || fail "openssl req failed"
}

# irc_install: InspIRCd from Debian, if it is not there yet.
irc_install()
{
	command -v inspircd >/dev/null && return 0
	echo "run-bench: installing inspircd from Debian" >&2
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	DEBIAN_FRONTEND=noninteractive $sudo apt-get -y -q install \
		--no-install-recommends inspircd >>"$T/apt.log" 2>&1 ||
		fail "cannot install inspircd (see $T/apt.log)"
}

# peer_start PROTO CLIENTS: InspIRCd (irc) or the relay (relay) on a free
# loopback port with TLS 1.3, room for CLIENTS.  InspIRCd keeps running
# when its port can't be bound, so each try waits for the listener and the
# next one takes another port.
peer_start()
{
	local tries
	for ((tries = 0; tries < 5; tries++)); do
		"$1_try_start" "$2" && return 0
		peer_stop
	done
	fail "$1 did not listen (5 ports tried): $(tail -n 5 "$T/peer.log")"
}

# peer_wait: 0 once PEER_PID listens on PORT, 1 if it died or failed to bind.
peer_wait()
{
	local off=$1 i
	for ((i = 0; i < 100; i++)); do
		[ -z "$(ss -Htln "sport = :$PORT" 2>/dev/null)" ] || return 0
		lib_alive "$PEER_PID" || return 1
		[[ $(tail -c +$((off + 1)) "$T/peer.log") != *"failed to bind"* ]] ||
			return 1
		sleep 0.1
	done
	return 1
}

# InspIRCd: no flood limits.
irc_try_start()
{
	local dir=$T/inspircd off
	off=$(lib_size "$T/peer.log")
	bench_cert "$dir"
	PORT=$(pick_port)
	cat >"$dir/inspircd.conf" <<-CONF
	<config format="xml">
	<server name="bench.invalid" description="chatsec bench" network="bench">
	<admin name="bench" nick="bench" email="bench@bench.invalid">
	<module name="ssl_gnutls">
	<sslprofile name="bench" provider="gnutls" certfile="$dir/cert.pem" keyfile="$dir/key.pem" hash="sha256" priority="NORMAL:-VERS-ALL:+VERS-TLS1.3" requestclientcert="no">
	<bind address="127.0.0.1" port="$PORT" type="clients" sslprofile="bench">
	<connect name="bench" allow="*" timeout="120" pingfreq="600" sendq="67108864" softsendq="67108864" recvq="1048576" threshold="100000000" commandrate="1000000000" fakelag="off" localmax="1000000" globalmax="1000000" maxconnwarn="no" limit="1000000" useident="no" usednsbl="no" resolvehostnames="no">
	<pid file="$dir/inspircd.pid">
	<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$dir/ircd.log">
	<performance somaxconn="4096" softlimit="$(($1 + 1000))" clonesonconnect="no" quietbursts="yes">
	<channels users="100" opers="100">
	<dns timeout="1">
	CONF
	# No core files in the caller's directory (3.15 may crash on SIGTERM).
	(ulimit -c 0; cd "$dir" && exec "${SERVER_PIN[@]}" inspircd --runasroot --nofork \
		--config "$dir/inspircd.conf" </dev/null >>"$T/peer.log" 2>&1) &
	PEER_PID=$!
	lib_track "$PEER_PID"
	peer_wait "$off"
}

# The relay: it exits when it can't listen.
relay_try_start()
{
	local dir=$T/relay off
	off=$(lib_size "$T/peer.log")
	bench_cert "$dir"
	PORT=$(pick_port)
	"${SERVER_PIN[@]}" "$RELAY" -p "$PORT" -c "$dir/cert.pem" -k "$dir/key.pem" \
		</dev/null >>"$T/peer.log" 2>&1 &
	PEER_PID=$!
	lib_track "$PEER_PID"
	peer_wait "$off"
}

peer_stop()
{
	lib_reap "$PEER_PID"
	PEER_PID=
}

# peer_loadgen PROTO ARGS...: the load generator in IRC mode against the
# peer; its BENCH line says proto=PROTO.
peer_loadgen()
{
	local proto=$1 out
	shift
	out=$("${LOADGEN_PIN[@]}" "$BENCH" --irc -p "$PORT" -P "$PEER_PID" "$@" \
		2>>"$T/loadgen.log") || { cat "$T/loadgen.log" >&2; fail "chatsec-bench --irc $* ($proto) failed"; }
	out=$(grep '^BENCH ' <<<"$out") || fail "chatsec-bench --irc $* ($proto): no BENCH line"
	out=${out/proto=irc/proto=$proto}
	RESULTS+=("$out")
	echo "$out" >&2
}

for p in $PEERS; do
	case $p in
	irc)
		irc_install
		IRC_VERSION=$(inspircd --version 2>/dev/null | head -n 1) ;;
	relay)
		[ -x "$RELAY" ] || fail "$RELAY is not built (make tests/bench/chatsec-relay)" ;;
	esac
	for s in $ONLY; do
		from=${#RESULTS[@]}
		for ((run = 0; run < RUNS; run++)); do
			case $s in
			fanout)
				peer_start "$p" "$CLIENTS"
				peer_loadgen "$p" -s fanout -c "$CLIENTS" -S 10 -w 8 -d "$DURATION" ${q[@]+"${q[@]}"}
				peer_stop ;;
			rate)
				peer_start "$p" "$RATE_CLIENTS"
				peer_loadgen "$p" -s rate -c "$RATE_CLIENTS" -S 10 -r "$RATE" -d "$DURATION" ${q[@]+"${q[@]}"}
				peer_stop ;;
			idle)
				# InspIRCd completes registrations on a 1 s timer: many at once.
				peer_start "$p" "$IDLE"
				peer_loadgen "$p" -s idle -c "$IDLE" --connect-max 2000 ${q[@]+"${q[@]}"}
				peer_stop ;;
			esac
		done
		keep_median "$from" "$s"
	done
done

for s in $ONLY; do
	from=${#RESULTS[@]}
	for ((run = 0; run < RUNS; run++)); do
		case $s in
		fanout)
			bench_server fanout "$CLIENTS"
			loadgen -s fanout -c "$CLIENTS" -S 10 -w 8 -d "$DURATION" ${q[@]+"${q[@]}"}
			stop_server ;;
		rate)
			bench_server rate "$RATE_CLIENTS"
			loadgen -s rate -c "$RATE_CLIENTS" -S 10 -r "$RATE" -d "$DURATION" ${q[@]+"${q[@]}"}
			stop_server ;;
		idle)
			bench_server idle "$IDLE"
			loadgen -s idle -c "$IDLE" ${q[@]+"${q[@]}"}
			stop_server ;;
		backlog)
			bench_server backlog 2
			loadgen -s backlog -n "$BACKLOG" -w 64 ${q[@]+"${q[@]}"}
			stop_server ;;
		storm)
			bench_server storm $((RATE_CLIENTS + LOGINS))
			loadgen -s storm -c "$RATE_CLIENTS" -S 10 -r "$STORM_RATE" -L "$LOGINS" \
				-d "$DURATION" --password "$PASSWORD" ${q[@]+"${q[@]}"}
			stop_server ;;
		agent)
			SERVER_DIR=$T/agent
			SERVER_LOG=$T/agent-server.log
			PORT=
			start_server --request-rate 0	# the agent is measured, not the limit
			start_agent alice
			register_user alice alice "alice password" >/dev/null
			start_agent bob
			register_user bob bob "bob password" >/dev/null
			wait_ready alice
			wait_ready bob
			loadgen -s agent-rtt --socket "$(agent_sock alice)" -n $((AGENT_N * 5))
			# alice's subscriber counts what bob's agent sends her.
			"${LOADGEN_PIN[@]}" "$BENCH" -s agent-rx --socket "$(agent_sock alice)" \
				-n "$AGENT_N" -d 120 >"$T/agent-rx.out" 2>>"$T/loadgen.log" &
			rx=$!
			lib_track "$rx"
			wait_until 10 "the agent-rx subscriber" grep -q READY "$T/agent-rx.out" ||
				fail "agent-rx did not subscribe"
			loadgen -s agent-tx --socket "$(agent_sock bob)" -n "$AGENT_N" -w 8
			wait "$rx" || fail "agent-rx failed: $(cat "$T/agent-rx.out")"
			out=$(grep '^BENCH ' "$T/agent-rx.out") || fail "agent-rx: no BENCH line"
			RESULTS+=("$out")
			echo "$out" >&2
			stop_agent alice
			stop_agent bob
			stop_server
			break ;;	# three lines: one run
		*)
			fail "unknown scenario $s" ;;
		esac
	done
	keep_median "$from" "$s"
done

# ---- the table -------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo
echo "chatsec benchmark  $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "settings: TLS 1.3 on loopback, $PINNING, open files $NOFILE$([ "$RUNS" -gt 1 ] && echo ", each row the run with the median main figure of $RUNS (agent: one run)")$([ "$QUICK" = 1 ] && echo ', QUICK (figures meaningless)')"
echo
printf '%-12s %s\n' scenario figures
for r in "${RESULTS[@]}"; do
	s=$(get "$r" scenario)
	# Rows of the InspIRCd and relay runs are marked as such.
	l=$s
	[ "$(get "$r" proto)" = chatsec ] || l="$s/$(get "$r" proto)"
	case $s in
	fanout)
		printf '%-12s %s clients, %s senders x %s in flight, %s B, %s s: %s deliveries/s, %s per server CPU-second (server CPU %s %%); latency p50 %s / p99 %s / max %s ms\n' \
			"$l" "$(get "$r" clients)" "$(get "$r" senders)" "$(get "$r" window)" \
			"$(get "$r" size)" "$(get "$r" duration_s)" "$(get "$r" deliveries_per_s)" \
			"$(get "$r" deliveries_per_cpu_s)" "$(get "$r" server_cpu_pct)" \
			"$(get "$r" p50_ms)" "$(get "$r" p99_ms)" "$(get "$r" max_ms)" ;;
	rate)
		printf '%-12s %s clients, %s msg/s offered: %s deliveries/s, server CPU %s %%; latency p50 %s / p99 %s / max %s ms\n' \
			"$l" "$(get "$r" clients)" "$(get "$r" offered_msgs_per_s)" \
			"$(get "$r" deliveries_per_s)" "$(get "$r" server_cpu_pct)" \
			"$(get "$r" p50_ms)" "$(get "$r" p99_ms)" "$(get "$r" max_ms)" ;;
	idle)
		printf '%-12s %s idle logged-in TLS connections in %s s (%s/s): %s KiB server RSS each, %s ms server CPU each\n' \
			"$l" "$(get "$r" connected)" "$(get "$r" connect_s)" "$(get "$r" conns_per_s)" \
			"$(get "$r" rss_per_conn_kib)" "$(get "$r" cpu_per_conn_ms)" ;;
	backlog)
		printf '%-12s %s messages stored at %s/s (acked = committed); delivered to the returning client in %s s (%s msg/s)\n' \
			"$s" "$(get "$r" messages)" "$(get "$r" stored_msgs_per_s)" \
			"$(get "$r" deliver_s)" "$(get "$r" delivered_msgs_per_s)" ;;
	storm)
		printf '%-12s %s real logins during %s msg/s to %s clients: %s logins/s (%s ok); chat p99 %s ms before, %s ms during (p50 %s / %s)\n' \
			"$s" "$(get "$r" logins)" "$(get "$r" offered_msgs_per_s)" "$(get "$r" clients)" \
			"$(get "$r" logins_per_s)" "$(get "$r" logins_ok)" "$(get "$r" base_p99_ms)" \
			"$(get "$r" storm_p99_ms)" "$(get "$r" base_p50_ms)" "$(get "$r" storm_p50_ms)" ;;
	agent-rtt)
		printf '%-12s API round trip (status) on the Unix socket: p50 %s / p99 %s ms (%s requests/s)\n' \
			agent "$(get "$r" p50_ms)" "$(get "$r" p99_ms)" "$(get "$r" requests_per_s)" ;;
	agent-tx)
		printf '%-12s sends sealed and stored: %s msg/s (%s in flight)\n' \
			agent "$(get "$r" msgs_per_s)" "$(get "$r" window)" ;;
	agent-rx)
		printf '%-12s messages opened, verified and delivered to a subscriber: %s msg/s (%s of %s sent arrived, %s undecryptable)\n' \
			agent "$(get "$r" msgs_per_s)" "$(get "$r" messages)" "$(get "$r" expected)" "$(get "$r" errors)" ;;
	esac
done
echo
printf '%s\n' "${RESULTS[@]}"

# ---- side by side ------------------------------------------------------------
if [ -n "$PEERS" ]; then
	# pair SCENARIO PROTO: the BENCH line of that run.
	pair()
	{
		local r
		for r in "${RESULTS[@]}"; do
			if [ "$(get "$r" scenario)" = "$1" ] && [ "$(get "$r" proto)" = "$2" ]; then
				echo "$r"
				return 0
			fi
		done
		echo ""
	}
	# ratio A B: A / B, or "-".
	ratio()
	{
		awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'
	}
	# row LABEL SCENARIO KEY: the figure of chatsecd, InspIRCd and the
	# relay, and chatsecd's ratio to each.
	row()
	{
		local a b c
		a=$(get "$(pair "$2" chatsec)" "$3")
		b=$(get "$(pair "$2" irc)" "$3")
		c=$(get "$(pair "$2" relay)" "$3")
		printf '%-40s %11s %11s %11s %8s %8s\n' "$1" "$a" "$b" "$c" \
			"$(ratio "$a" "$b")" "$(ratio "$a" "$c")"
	}
	echo
	echo "chatsecd against ${IRC_VERSION:-InspIRCd (not run)} and the bare relay (same machine, same run, TLS 1.3)"
	printf '%-40s %11s %11s %11s %8s %8s\n' figure chatsecd InspIRCd relay /InspIRCd /relay
	row "fan-out: deliveries/s" fanout deliveries_per_s
	row "fan-out: deliveries per server CPU-s" fanout deliveries_per_cpu_s
	row "fan-out: p50 latency, ms" fanout p50_ms
	row "fan-out: p99 latency, ms" fanout p99_ms
	row "fixed rate: deliveries/s" rate deliveries_per_s
	row "fixed rate: server CPU, %" rate server_cpu_pct
	row "fixed rate: p50 latency, ms" rate p50_ms
	row "fixed rate: p99 latency, ms" rate p99_ms
	row "idle connections: server KiB each" idle rss_per_conn_kib
	row "idle connections: server CPU ms each" idle cpu_per_conn_ms
	echo "(chatsecd commits every message to disk before acking it; InspIRCd and the"
	echo "relay store nothing.  The relay has no accounts or rooms: one TLS record"
	echo "and one write per connection per loop turn, TCP_NODELAY; this machine's ceiling.)"
fi

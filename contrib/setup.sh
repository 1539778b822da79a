#!/bin/sh
# chatsec — set up, build, run and test on a Debian machine.
# Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# usage: contrib/setup.sh run          install deps, build, start chatsecd + agent
#        contrib/setup.sh test         install deps, build, run the whole test suite
#        contrib/setup.sh test --asan  the same under AddressSanitizer + UBSan
#        contrib/setup.sh lint         cppcheck + clang-tidy (contrib/static-check.sh)
#        contrib/setup.sh deps|build|stop
#
# Idempotent: packages already present are not reinstalled, a configured
# build is reused, a running server or agent is left running.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Build and test dependencies, all from Debian, found through pkg-config.
PKGS="build-essential autoconf automake pkg-config
libevent-dev libssl-dev libsqlite3-dev libjson-c-dev libsodium-dev
libncurses-dev libqrencode-dev libcmocka-dev
socat jq tmux oathtool openssl iproute2 procps zbar-tools sqlite3"

# Only for `lint`.
LINT_PKGS="cppcheck clang-tidy"

say() { printf 'setup: %s\n' "$*" >&2; }

deps() {
	missing=
	for p in $PKGS ${1:-}; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing:$missing"
	if [ "$(id -u)" -ne 0 ]; then
		sudo=sudo
	else
		sudo=
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# build DIR [configure args]: out-of-tree build, so a normal and a sanitizer
# build can live side by side.
build() {
	dir=$1; shift
	if [ ! -x configure ] || [ configure.ac -nt configure ] ||
	    [ Makefile.am -nt Makefile.in ]; then
		say "autoreconf"
		autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ configure -nt "$dir/config.status" ]; then
		say "configure $*"
		(cd "$dir" && ../configure -q "$@")
	fi
	say "make in $dir"
	make -C "$dir" -s -j"$(nproc)" >/dev/null
}

datadir=${XDG_DATA_HOME:-$HOME/.local/share}/chatsec
if [ -n "${XDG_RUNTIME_DIR:-}" ]; then
	rundir=$XDG_RUNTIME_DIR/chatsec
else
	rundir=/tmp/chatsec-$(id -u)
fi
sock=${CHATSEC_SOCKET:-$rundir/agent.sock}
# chatsecd never serves as root: as root, it runs as the system user
# chatsecd (made here if missing) with its data in /var/lib/chatsecd.
if [ "$(id -u)" -eq 0 ]; then
	srvdir=/var/lib/chatsecd
else
	srvdir=$datadir/server
fi

server_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	if ! id chatsecd >/dev/null 2>&1; then
		say "adding the system user chatsecd"
		useradd --system --home-dir /nonexistent --no-create-home \
		    --shell /usr/sbin/nologin chatsecd
	fi
	# Earlier versions kept root's server in $datadir/server: move it
	# (its key is the one the agent pinned), stopping it first.
	old=$datadir/server
	[ -d "$old" ] && [ ! -e "$srvdir" ] || return 0
	if [ -f "$old/chatsecd.pid" ] &&
	    kill "$(cat "$old/chatsecd.pid")" 2>/dev/null; then
		say "stopping the server that ran as root from $old"
		i=0
		while [ -f "$old/chatsecd.pid" ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	say "moving $old to $srvdir (owned by chatsecd)"
	mv "$old" "$srvdir"
	chown -R chatsecd: "$srvdir"
}
addr=${CHATSEC_LISTEN:-127.0.0.1:7780}

agent_alive() {
	[ -S "$sock" ] && printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"hello"}' |
	    timeout 5 socat -t 5 - UNIX-CONNECT:"$sock" 2>/dev/null | grep -q api_version
}

run() {
	bin=$top/build
	mkdir -p "$datadir"
	server_user
	if [ -f "$srvdir/chatsecd.pid" ] &&
	    kill -0 "$(cat "$srvdir/chatsecd.pid")" 2>/dev/null; then
		say "chatsecd already running (pid $(cat "$srvdir/chatsecd.pid"))"
	else
		"$bin/chatsecd" -d "$srvdir" -l "$addr"
		say "chatsecd started on $addr, data in $srvdir"
	fi
	fpr=$("$bin/chatsecd" -d "$srvdir" --print-fingerprint)
	say "server certificate $fpr"
	if agent_alive; then
		say "chatsec-agent already running on $sock"
	else
		"$bin/chatsec-agent" -S "$sock" -s "$addr"
		i=0
		while ! agent_alive; do
			i=$((i + 1))
			[ $i -le 50 ] || { say "agent did not start"; exit 1; }
			sleep 0.1
		done
		say "chatsec-agent started on $sock"
	fi
	cat <<EOF

chatsec is running. The agent speaks JSON-RPC on $sock:

  export CHATSEC_SOCKET=$sock
  rpc() { jq -cn --arg m "\$1" --argjson p "\${2:-{\}}" \\
      '{jsonrpc:"2.0",id:1,method:\$m,params:\$p}' |
      socat -t 30 - UNIX-CONNECT:"\$CHATSEC_SOCKET" | jq .; }
  rpc register '{"user":"alice","password":"correct horse battery"}'
  rpc register_confirm "{\"code\":\"\$(oathtool --totp -b SECRET)\"}"
  rpc send '{"to":"#general","text":"hello"}'

See README.md and doc/api.md. Stop both with: contrib/setup.sh stop
EOF
	# On a terminal, attach the curses UI (quitting it leaves both running).
	if [ -t 0 ] && [ -t 1 ] && [ -z "${CHATSEC_NO_UI:-}" ]; then
		exec "$bin/chatsec" -S "$sock"
	fi
}

stop() {
	if [ -f "$srvdir/chatsecd.pid" ]; then
		kill "$(cat "$srvdir/chatsecd.pid")" 2>/dev/null || true
	fi
	pid=$(cat "$datadir/default/agent.lock" 2>/dev/null || true)
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	say "stopped"
}

cmd=${1:-run}
case "$cmd" in
deps)	deps ;;
build)	deps; build build ;;
run)	deps; build build; run ;;
stop)	stop ;;
lint)	deps "$LINT_PKGS"; build build; exec ./contrib/static-check.sh build ;;
test)
	deps
	# CI sets CHATSEC_WERROR=1: warnings fail the build there.
	werror=
	[ -z "${CHATSEC_WERROR:-}" ] || werror=--enable-werror
	if [ "${2:-}" = "--asan" ]; then
		build build-asan --enable-asan $werror
		dir=build-asan
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	else
		build build $werror
		dir=build
	fi
	say "make check in $dir"
	if make -C "$dir" -s -j"$(nproc)" check; then
		rc=0
	else
		rc=1
		for f in "$dir"/tests/*/*.log; do
			[ -f "$f" ] || continue
			grep -q '^FAIL\|^ERROR' "${f%.log}.trs" 2>/dev/null || continue
			printf '\n===== %s =====\n' "$f"; tail -n 60 "$f"
		done
	fi
	pass=$(cat "$dir"/tests/*/*.trs 2>/dev/null | grep -c '^:test-result: PASS' || true)
	fail=$(cat "$dir"/tests/*/*.trs 2>/dev/null | grep -c '^:test-result: \(FAIL\|ERROR\|XPASS\)' || true)
	echo "$pass passed, $fail failed"
	exit $rc
	;;
*)	sed -n '4,12p' "$0" >&2; exit 2 ;;
esac

# chatsec — helpers for the curses UI tests.  Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# Sourced by tests/integration/ui-*.sh after tests/lib.sh.  Each UI runs in
# a session of a tmux server of our own (tmux -L <unique name>, no config
# file) at 120x40; keys go in with send-keys and the screen comes back with
# capture-pane.  Waiting is always a bounded poll.  On exit the tmux server
# is killed (which ends the UIs in it) before lib.sh's own cleanup, and an
# agent that a UI started by itself is killed by its pid, found by the
# unique socket path under $T.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "ui-lib.sh is sourced by the ui-*.sh tests, not run" >&2
	exit 77
fi

CHATSEC=${CHATSEC:-$top_builddir/chatsec}
[ -x "$CHATSEC" ] || fail "$CHATSEC is not built (make chatsec)"
command -v tmux >/dev/null 2>&1 || { echo "SKIP: $TEST_NAME needs tmux" >&2; exit 77; }

export LANG=C.UTF-8 LC_ALL=C.UTF-8
UI_TMUX=chatsec-$TEST_NAME-$$-$RANDOM
UI_SPAWNED=()		# socket paths of agents started by a UI

ui_tmux()
{
	tmux -u -L "$UI_TMUX" -f /dev/null "$@"
}

# ui_agent_pids SOCKET: pids of chatsec-agent processes serving SOCKET
# (a path under $T, so only agents of this test match).
ui_agent_pids()
{
	local p cmd
	for p in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		case $cmd in
		*chatsec-agent*" -S $1 "*) echo "${p#/proc/}" ;;
		esac
	done
}

ui_cleanup()
{
	local s pid
	ui_tmux kill-server >/dev/null 2>&1 || true
	for s in ${UI_SPAWNED[@]+"${UI_SPAWNED[@]}"}; do
		for pid in $(ui_agent_pids "$s"); do
			lib_reap "$pid"
		done
	done
}
# lib_cleanup reads the test's exit status from $?: hand it on (with set -e
# and the ERR trap off, so the hand-over itself cannot end the trap early).
trap 'ui_rc=$?; trap - ERR; set +e; ui_cleanup; (exit "$ui_rc"); lib_cleanup' EXIT

# ui_start NAME [CHATSEC ARGS...]: run chatsec in tmux session NAME;
# without arguments it attaches to agent NAME's socket.  Its stderr goes
# to $T/ui-NAME.err.
ui_start()
{
	local name=$1 cmd a
	shift
	if [ $# -eq 0 ]; then
		set -- -S "$(agent_sock "$name")"
	fi
	cmd="exec $(printf '%q' "$CHATSEC")"
	for a in "$@"; do
		cmd+=" $(printf '%q' "$a")"
	done
	cmd+=" 2>>$(printf '%q' "$T/ui-$name.err")"
	if ui_tmux has-session 2>/dev/null; then
		ui_tmux new-session -d -s "$name" -x 120 -y 40 "$cmd"
	else
		ui_tmux new-session -d -s "$name" -x 120 -y 40 "$cmd"
		ui_tmux set-option -g remain-on-exit on >/dev/null
		ui_tmux set-option -g history-limit 0 >/dev/null
	fi
}

# ui_screen NAME: the visible screen of UI NAME.
ui_screen()
{
	ui_tmux capture-pane -p -t "$1"
}

# ui_has NAME TEXT: true if the screen shows TEXT.
ui_has()
{
	[[ $(ui_screen "$1") == *"$2"* ]]
}

# ui_wait NAME TEXT [SECONDS]: wait (default 15 s) for TEXT on the screen.
ui_wait()
{
	local name=$1 text=$2 secs=${3:-15} deadline
	deadline=$(($(lib_now_us) + secs * 1000000))
	until ui_has "$name" "$text"; do
		if [ "$(lib_now_us)" -ge "$deadline" ]; then
			echo "----- screen of $name -----" >&2
			ui_screen "$name" >&2 || true
			[ ! -s "$T/ui-$name.err" ] || cat "$T/ui-$name.err" >&2
			fail "timed out after ${secs}s waiting for '$text' on $name"
		fi
		sleep 0.1
	done
}

# ui_wait_gone NAME TEXT [SECONDS]: wait until TEXT is no longer shown.
ui_wait_gone()
{
	local name=$1 text=$2 secs=${3:-15} deadline
	deadline=$(($(lib_now_us) + secs * 1000000))
	while ui_has "$name" "$text"; do
		if [ "$(lib_now_us)" -ge "$deadline" ]; then
			ui_screen "$name" >&2 || true
			fail "timed out after ${secs}s waiting for '$text' to go from $name"
		fi
		sleep 0.1
	done
}

# ui_type NAME TEXT: type TEXT literally.
ui_type()
{
	ui_tmux send-keys -t "$1" -l -- "$2"
}

# ui_keys NAME KEY...: press keys by tmux name (Enter, Tab, C-r, M-2, PPage).
ui_keys()
{
	local name=$1
	shift
	ui_tmux send-keys -t "$name" "$@"
}

# ui_line NAME TEXT: type TEXT and press Enter.
ui_line()
{
	ui_type "$1" "$2"
	ui_keys "$1" Enter
}

# ui_row NAME N: row N (0-based) of the screen.
ui_row()
{
	ui_screen "$1" | sed -n "$(($2 + 1))p"
}

# ui_alive NAME: true while the program in session NAME runs.
ui_alive()
{
	[ "$(ui_tmux display-message -p -t "$1" '#{pane_dead}' 2>/dev/null)" = 0 ]
}

# ui_qr_pbm NAME FILE: read the half-block QR code on UI NAME's screen back
# into modules (its top row is found by the two upper finder patterns) and
# write it as a PBM image, 4 pixels a module, with a 4-module quiet zone.
# Prints the code's width in modules.
ui_qr_pbm()
{
	local lines=() line i first=-1 c0 c1 rest width r c ch row top bot q=4 s=4 size
	local -a m=()
	mapfile -t lines < <(ui_screen "$1")
	for i in "${!lines[@]}"; do
		if [[ ${lines[i]} == *"█▀▀▀▀▀█"*"█▀▀▀▀▀█"* ]]; then
			first=$i
			break
		fi
	done
	[ "$first" -ge 0 ] || fail "no QR code finder patterns on the screen of $1"
	line=${lines[first]}
	rest=${line%%"█▀▀▀▀▀█"*}
	c0=${#rest}
	rest=${line:c0+7}
	rest=${rest%%"█▀▀▀▀▀█"*}
	c1=$((c0 + 7 + ${#rest}))
	width=$((c1 + 7 - c0))
	[ "$width" -ge 21 ] && [ $(((width - 17) % 4)) -eq 0 ] || fail "QR width $width is not 17+4v"
	for ((r = 0; r < (width + 1) / 2; r++)); do
		row=${lines[first + r]}
		for ((c = 0; c < width; c++)); do
			ch=${row:c0+c:1}
			case $ch in
			"█") top=1 bot=1 ;;
			"▀") top=1 bot=0 ;;
			"▄") top=0 bot=1 ;;
			" " | "") top=0 bot=0 ;;
			*) fail "unexpected character '$ch' inside the QR code (row $r, column $c)" ;;
			esac
			m[2 * r * width + c]=$top
			m[(2 * r + 1) * width + c]=$bot
		done
	done
	size=$(((width + 2 * q) * s))
	{
		printf 'P1\n%d %d\n' "$size" "$size"
		for ((r = -q; r < width + q; r++)); do
			row=
			for ((c = -q; c < width + q; c++)); do
				if ((r >= 0 && r < width && c >= 0 && c < width)); then
					ch=${m[r * width + c]}
				else
					ch=0
				fi
				row+=$(printf "%${s}s" "" | tr ' ' "$ch")
			done
			for ((i = 0; i < s; i++)); do
				echo "$row"
			done
		done
	} >"$2"
	echo "$width"
}

# ui_register NAME USER PASSWORD: register USER through UI NAME's
# register screen (it must be showing the login screen), confirming with a
# code computed from the secret on the screen; saves the secret and
# password for lib.sh's user_code.
ui_register()
{
	local name=$1 user=$2 pw=$3 secret
	ui_keys "$name" C-r
	ui_wait "$name" "Password again:"
	ui_type "$name" "$user"
	ui_keys "$name" Tab
	ui_type "$name" "$pw"
	ui_keys "$name" Tab
	ui_type "$name" "$pw"
	ui_keys "$name" Enter
	ui_wait "$name" "Secret key:"
	secret=$(ui_screen "$name" | grep -A1 'Secret key:' | tail -n 1 |
		grep -oE '([A-Z2-7]{4} ?){8}' | tr -d ' ') || fail "no secret on the screen of $name"
	mkdir -p "$T/users"
	printf '%s\n' "$secret" >"$T/users/$user.secret"
	printf '%s\n' "$pw" >"$T/users/$user.password"
	ui_type "$name" "$(user_code "$user")"
	ui_keys "$name" Enter
	ui_wait "$name" "[$user]"
}

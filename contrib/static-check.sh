#!/bin/sh
# chatsec — static checks: cppcheck and clang-tidy over every C file of ours.
# Copyright (c) 2026 The chatsec authors.  ISC licence.
#
# usage: contrib/static-check.sh BUILDDIR   (a configured build, for config.h)
#
# Exits non-zero on any finding.  The chosen checks and why the others are
# off are in .clang-tidy and below; doc/security.md ("Static checks") says
# the same in prose.  A finding that is a false positive is silenced at its
# line with a comment saying why (// NOLINT(check): reason, or
# cppcheck-suppress check), never by turning a check off for the tree.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${1:-build}
[ -f "$build/config.h" ] || { echo "static-check: no $build/config.h (build first)" >&2; exit 2; }

files=$(ls common/*.c daemon/*.c agent/*.c ui-curses/*.c bot-sdk/*.c \
    bot-sdk/examples/*.c tests/bench/*.c 2>/dev/null || true)
incs="-I$build -Icommon -Idaemon -Iagent -Ibot-sdk -Iui-curses"
rc=0

# cppcheck: warnings, portability and performance (style is ours to keep).
# sys/queue.h is given so TAILQ_* expand; chatsec.cfg spells json-c's
# foreach macro in a form cppcheck can parse.  funcArgOrderDifferent is
# off: it misreads prototypes whose parameters are function pointers.
queue_h=$(echo '#include <sys/queue.h>' | cpp -H -o /dev/null 2>&1 |
    awk '/queue\.h/ { print $2; exit }')
echo "static-check: cppcheck"
# shellcheck disable=SC2086
if ! cppcheck --quiet --std=c11 --error-exitcode=1 --inline-suppr \
    --enable=warning,portability,performance \
    --suppress=funcArgOrderDifferent \
    --library=contrib/cppcheck/chatsec.cfg --include="$queue_h" \
    -D__GNUC__ -DHAVE_CONFIG_H $incs $files; then
	rc=1
fi

# clang-tidy: the checks of .clang-tidy, one process per file, in parallel.
echo "static-check: clang-tidy"
cflags="-std=gnu11 -D_GNU_SOURCE -DHAVE_CONFIG_H -DSYSCONFDIR=\"/etc\" -DLOCALSTATEDIR=\"/var\" $incs $(pkg-config --cflags libevent openssl sqlite3 json-c libsodium ncursesw libqrencode)"
export cflags
# shellcheck disable=SC2086
printf '%s\n' $files | xargs -P "$(nproc)" -n 4 sh -c \
    'clang-tidy --quiet "$@" -- $cflags 2>/dev/null' sh \
    >"$build/static-check.log" || true
if grep -q 'warning:\|error:' "$build/static-check.log"; then
	grep -A3 'warning:\|error:' "$build/static-check.log"
	rc=1
fi
[ $rc -eq 0 ] && echo "static-check: clean"
exit $rc

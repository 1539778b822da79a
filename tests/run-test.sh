#!/bin/sh
# Test wrapper for automake: every test runs under a timeout so a hang fails
# instead of stalling CI. CHATSEC_TEST_TIMEOUT overrides the limit (seconds).
limit=${CHATSEC_TEST_TIMEOUT:-300}
case "$1" in
*.sh) exec timeout -k 10 "$limit" bash "$@" ;;
*)    exec timeout -k 10 "$limit" "$@" ;;
esac

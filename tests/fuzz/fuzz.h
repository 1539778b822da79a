/* chatsec — fuzz harness entry points.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_FUZZ_H
#define CHATSEC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/*
 * Each harness defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize).  Built with --enable-fuzzing under clang it links
 * with libFuzzer; otherwise with replay.c, whose main() runs every file
 * named on the command line through it once, so `make check` replays the
 * seed corpus under the normal and the sanitizer builds.
 *
 * A harness reports a broken invariant with FUZZ_ASSERT, which aborts (a
 * crash is what both libFuzzer and the replay test see).
 */
int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	 LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_ASSERT(x) do {						\
	if (!(x))							\
		fuzz_fail(__FILE__, __LINE__, #x);			\
} while (0)

void	 fuzz_fail(const char *, int, const char *)
	    __attribute__((__noreturn__));

#endif

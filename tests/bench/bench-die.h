/* chatsec — the bench programs' fatal error.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_BENCH_DIE_H
#define CHATSEC_BENCH_DIE_H

void	 die(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));

#endif

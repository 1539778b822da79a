/* chatsec — time source.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_CLOCK_H
#define CHATSEC_CLOCK_H

#include <stdint.h>

/*
 * All code asks this module for the time, so tests can inject a clock and
 * timeout logic is tested without waiting.  The environment variable
 * CHATSEC_TEST_CLOCK_OFFSET (seconds, may be negative) shifts the wall clock;
 * it exists for integration tests of TOTP windows and expiries.
 */
int64_t	 clock_now(void);		/* wall clock, seconds since the epoch */
int64_t	 clock_now_ms(void);		/* wall clock, milliseconds */
int64_t	 clock_mono_ms(void);		/* monotonic, milliseconds */

/* Replace the wall clock (tests).  NULL restores the real one. */
void	 clock_set_source(int64_t (*now_ms)(void));

#endif

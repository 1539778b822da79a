/* chatsec — time source.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"

static int64_t		(*clock_source)(void);
static int64_t		 clock_offset_ms;
static pthread_once_t	 clock_once = PTHREAD_ONCE_INIT;

/*
 * Read CHATSEC_TEST_CLOCK_OFFSET once.  A value that is not a whole number
 * of seconds is ignored rather than half-applied.
 */
static void
clock_load_offset(void)
{
	const char	*s;
	char		*end;
	long long	 v;

	if ((s = getenv("CHATSEC_TEST_CLOCK_OFFSET")) == NULL || *s == '\0')
		return;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > INT64_MAX / 1000 ||
	    v < INT64_MIN / 1000)
		return;
	clock_offset_ms = (int64_t)v * 1000;
}

/* Wall clock in milliseconds: the injected source, else real time + offset. */
int64_t
clock_now_ms(void)
{
	struct timespec	 ts;
	int64_t		(*src)(void) = clock_source;

	if (src != NULL)
		return (src());
	pthread_once(&clock_once, clock_load_offset);
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    clock_offset_ms);
}

/* Wall clock in whole seconds since the epoch (floor). */
int64_t
clock_now(void)
{
	int64_t	ms = clock_now_ms();

	if (ms < 0)
		return ((ms - 999) / 1000);
	return (ms / 1000);
}

/* Monotonic milliseconds, for timeouts; not affected by the test offset. */
int64_t
clock_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Replace the wall clock for tests; NULL restores the real one. */
void
clock_set_source(int64_t (*now_ms)(void))
{
	clock_source = now_ms;
}

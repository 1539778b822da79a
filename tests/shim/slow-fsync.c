/* chatsec — tests: a slow disk for chatsecd (LD_PRELOAD).  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

/*
 * Preloaded into chatsecd by tests that need a slow disk: fsync() and
 * fdatasync() sleep CHATSEC_SLOW_FSYNC_MS milliseconds (100 by default)
 * before doing the real call, so the moments between a commit and its sync
 * become long enough for a test to land in them.
 */

int	fsync(int);
int	fdatasync(int);

static void
slow(void)
{
	struct timespec	 ts;
	const char	*s = getenv("CHATSEC_SLOW_FSYNC_MS");
	long		 ms = s != NULL ? strtol(s, NULL, 10) : 100;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
fsync(int fd)
{
	int	(*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");

	slow();
	return (real(fd));
}

int
fdatasync(int fd)
{
	int	(*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");

	slow();
	return (real(fd));
}

/* chatsec — chatsecd worker threads and how they wake the loop.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <event2/event.h>

#include "chatsecd.h"
#include "log.h"
#include "server-thread.h"

/*
 * The hashing pool and the fsync thread hand results back the same way:
 * the thread writes a byte on a pipe, and a persistent event on its read
 * end runs the loop-side callback.  Threads take no signals: the loop
 * thread handles them all.
 */

/*
 * A non-blocking, close-on-exec pipe in fds whose read end runs cb on the
 * loop; *evp is its event.  0, or -1 (logged).
 */
int
thread_wake_pipe(int fds[2], event_callback_fn cb, struct event **evp)
{
	int	 i, flags;

	if (pipe(fds) != 0) {
		LOG_WARN("pipe");
		return (-1);
	}
	for (i = 0; i < 2; i++) {
		flags = fcntl(fds[i], F_GETFL);
		fcntl(fds[i], F_SETFL, flags | O_NONBLOCK);
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	}
	*evp = event_new(server_base, fds[0], EV_READ|EV_PERSIST, cb, NULL);
	if (*evp == NULL || event_add(*evp, NULL) != 0)
		FATALX("event_new");
	return (0);
}

/* Start fn(arg) on a thread that takes no signals.  0, or -1 (logged). */
int
thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t	 all, old;
	int		 error;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	error = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		errno = error;
		LOG_WARN("pthread_create");
		return (-1);
	}
	return (0);
}

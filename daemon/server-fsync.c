/* chatsec — chatsecd background sync of the message log.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chatsecd.h"
#include "log.h"
#include "server-thread.h"
#include "xmalloc.h"

/*
 * One thread that runs fdatasync() on the database log for the loop.  A
 * writer commits without waiting for the disk (store_begin_lazy()) and asks
 * here to be called back once a sync that started after its commit is done
 * (fsync_after()): the message batch acks its sends then, a file chunk its
 * put.  Meanwhile the loop goes on relaying, reading and handshaking
 * instead of sleeping in the kernel.  Waiters that arrive while a sync runs
 * share the next one, so a busy disk syncs less often, not later.  A byte
 * on a pipe wakes the loop.  The thread touches only the fields under
 * fsync_lock.
 *
 * A failed sync stops chatsecd: the kernel may have dropped the pages it
 * could not write, so nothing committed since the last good sync can be
 * acknowledged; at the next start the database has what reached the disk,
 * and the agents send again whatever was not acknowledged.
 */

struct fsync_waiter {
	void			(*cb)(void *);
	void			*arg;
	TAILQ_ENTRY(fsync_waiter) entry;
};
TAILQ_HEAD(fsync_waiters, fsync_waiter);

static pthread_mutex_t	 fsync_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 fsync_cond = PTHREAD_COND_INITIALIZER;
static pthread_t	 fsync_thread;
static int		 fsync_running;		/* the thread exists */
static int		 fsync_stopping;
static int		 fsync_fd = -1;		/* to sync; -1: nothing asked */
static int		 fsync_done;		/* the asked sync returned */
static int		 fsync_error;		/* its errno, or 0 */

/* Loop side only. */
static int		 fsync_pipe[2] = { -1, -1 };
static struct event	*fsync_ev;
static int		 fsync_logfd = -1;
static struct fsync_waiters fsync_cur = TAILQ_HEAD_INITIALIZER(fsync_cur);
static struct fsync_waiters fsync_next = TAILQ_HEAD_INITIALIZER(fsync_next);

/* The thread: sync what is asked, say so, wait for the next. */
static void *
fsync_worker(void *arg)
{
	ssize_t	 n;
	int	 fd, error;

	pthread_mutex_lock(&fsync_lock);
	for (;;) {
		while (!fsync_stopping && (fsync_fd == -1 || fsync_done))
			pthread_cond_wait(&fsync_cond, &fsync_lock);
		if (fsync_stopping)
			break;
		fd = fsync_fd;
		pthread_mutex_unlock(&fsync_lock);

		error = fdatasync(fd) == 0 ? 0 : errno;

		pthread_mutex_lock(&fsync_lock);
		fsync_error = error;
		fsync_done = 1;
		pthread_cond_broadcast(&fsync_cond);
		do
			n = write(fsync_pipe[1], "", 1);
		while (n == -1 && errno == EINTR);
		/* EAGAIN: the pipe is full, so the loop is awake anyway. */
	}
	pthread_mutex_unlock(&fsync_lock);
	return (NULL);
}

/* Hand the thread a sync for the waiters on fsync_cur. */
static void
fsync_start(void)
{
	pthread_mutex_lock(&fsync_lock);
	fsync_fd = fsync_logfd;
	fsync_done = 0;
	pthread_cond_broadcast(&fsync_cond);
	pthread_mutex_unlock(&fsync_lock);
}

/*
 * If the sync under way is done: start the next one for the waiters that
 * came meanwhile, then call back those it covered, in order.
 */
static void
fsync_finish(void)
{
	struct fsync_waiters	 done = TAILQ_HEAD_INITIALIZER(done);
	struct fsync_waiter	*w;
	int			 finished, error;

	pthread_mutex_lock(&fsync_lock);
	finished = fsync_fd != -1 && fsync_done;
	error = fsync_error;
	if (finished)
		fsync_fd = -1;
	pthread_mutex_unlock(&fsync_lock);
	if (!finished)
		return;
	if (error != 0)
		FATALX("store: syncing the database log failed: %s",
		    strerror(error));

	TAILQ_CONCAT(&done, &fsync_cur, entry);
	if (!TAILQ_EMPTY(&fsync_next)) {
		TAILQ_CONCAT(&fsync_cur, &fsync_next, entry);
		fsync_start();
	}
	while ((w = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, w, entry);
		w->cb(w->arg);
		free(w);
	}
}

/* Loop side: the pipe woke us. */
static void
fsync_wakeup(evutil_socket_t fd, short events, void *arg)
{
	char	 buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
	fsync_finish();
}

/* Start the thread.  0 or -1. */
int
fsync_init(void)
{
	if (thread_wake_pipe(fsync_pipe, fsync_wakeup, &fsync_ev) != 0 ||
	    thread_start(&fsync_thread, fsync_worker, NULL) != 0)
		return (-1);
	fsync_running = 1;
	return (0);
}

/*
 * Call cb(arg) on the loop once fd (the database log: always the same) is
 * synced by a sync that starts after this call.
 */
void
fsync_after(int fd, void (*cb)(void *), void *arg)
{
	struct fsync_waiter	*w;

	w = xcalloc(1, sizeof *w);
	w->cb = cb;
	w->arg = arg;
	fsync_logfd = fd;
	if (!TAILQ_EMPTY(&fsync_cur)) {
		TAILQ_INSERT_TAIL(&fsync_next, w, entry);
		return;
	}
	TAILQ_INSERT_TAIL(&fsync_cur, w, entry);
	fsync_start();
}

/* Block until the sync under way (if any) is done and call its waiters. */
void
fsync_wait(void)
{
	if (TAILQ_EMPTY(&fsync_cur))
		return;
	pthread_mutex_lock(&fsync_lock);
	while (!fsync_done)
		pthread_cond_wait(&fsync_cond, &fsync_lock);
	pthread_mutex_unlock(&fsync_lock);
	fsync_finish();
}

/* Finish every sync asked for and stop the thread. */
void
fsync_free(void)
{
	while (!TAILQ_EMPTY(&fsync_cur))
		fsync_wait();
	if (fsync_running) {
		pthread_mutex_lock(&fsync_lock);
		fsync_stopping = 1;
		pthread_cond_broadcast(&fsync_cond);
		pthread_mutex_unlock(&fsync_lock);
		pthread_join(fsync_thread, NULL);
		fsync_running = 0;
	}
	if (fsync_ev != NULL)
		event_free(fsync_ev);
	fsync_ev = NULL;
	if (fsync_pipe[0] != -1) {
		close(fsync_pipe[0]);
		close(fsync_pipe[1]);
	}
	fsync_pipe[0] = fsync_pipe[1] = -1;
}

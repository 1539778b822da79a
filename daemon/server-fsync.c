/* chatsec — chatsecd background sync of the message log.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chatsecd.h"
#include "log.h"

/*
 * One thread that runs fdatasync() for the loop, one call at a time.  The
 * message batch commits without waiting for the disk, hands the log's
 * descriptor here, and acknowledges its sends only when the sync is done;
 * meanwhile the loop goes on relaying, reading and handshaking instead of
 * sleeping in the kernel.  A byte on a pipe wakes the loop, which runs the
 * callback.  The thread touches only the fields below, under fsync_lock.
 */

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
static void		(*fsync_cb)(int, void *);
static void		*fsync_arg;

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

/* If the sync is done, forget it and run its callback. */
static void
fsync_finish(void)
{
	void	(*cb)(int, void *);
	void	*arg;
	int	 done, error;

	pthread_mutex_lock(&fsync_lock);
	done = fsync_fd != -1 && fsync_done;
	error = fsync_error;
	if (done)
		fsync_fd = -1;
	pthread_mutex_unlock(&fsync_lock);
	if (!done)
		return;
	cb = fsync_cb;
	arg = fsync_arg;
	fsync_cb = NULL;
	fsync_arg = NULL;
	cb(error, arg);
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
	sigset_t	 all, old;
	int		 i, flags;

	if (pipe(fsync_pipe) != 0) {
		LOG_WARN("pipe");
		return (-1);
	}
	for (i = 0; i < 2; i++) {
		flags = fcntl(fsync_pipe[i], F_GETFL);
		fcntl(fsync_pipe[i], F_SETFL, flags | O_NONBLOCK);
		fcntl(fsync_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	fsync_ev = event_new(server_base, fsync_pipe[0], EV_READ|EV_PERSIST,
	    fsync_wakeup, NULL);
	if (fsync_ev == NULL || event_add(fsync_ev, NULL) != 0)
		FATALX("event_new");

	/* The thread takes no signals: the loop thread handles them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	errno = pthread_create(&fsync_thread, NULL, fsync_worker, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno != 0) {
		LOG_WARN("pthread_create");
		return (-1);
	}
	fsync_running = 1;
	return (0);
}

/* Whether a sync is under way (its callback not yet run). */
int
fsync_busy(void)
{
	return (fsync_cb != NULL);
}

/*
 * Sync fd in the background, then call cb(errno or 0, arg) on the loop.
 * One at a time: the caller checks fsync_busy() first.
 */
void
fsync_start(int fd, void (*cb)(int, void *), void *arg)
{
	if (fsync_busy())
		FATALX("fsync_start: one is under way");
	fsync_cb = cb;
	fsync_arg = arg;
	pthread_mutex_lock(&fsync_lock);
	fsync_fd = fd;
	fsync_done = 0;
	pthread_cond_broadcast(&fsync_cond);
	pthread_mutex_unlock(&fsync_lock);
}

/* Block until the sync under way (if any) is done and run its callback. */
void
fsync_wait(void)
{
	if (!fsync_busy())
		return;
	pthread_mutex_lock(&fsync_lock);
	while (!fsync_done)
		pthread_cond_wait(&fsync_cond, &fsync_lock);
	pthread_mutex_unlock(&fsync_lock);
	fsync_finish();
}

/* Finish the sync under way and stop the thread. */
void
fsync_free(void)
{
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

/* chatsec — chatsecd password hashing pool.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <sys/resource.h>
#include <sys/syscall.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "chatsecd.h"
#include "log.h"
#include "server-thread.h"
#include "xmalloc.h"

/*
 * argon2id is slow on purpose, so it never runs on the event loop.  A fixed
 * pool of worker threads (one per core by default: at most one hash per core
 * at a time) takes jobs from a bounded queue; a full queue is refused and
 * the client told to retry (1010).  A finished job goes on the done list and
 * a byte on a pipe wakes the loop, which runs the job's callback.  The
 * client may have gone meanwhile: hash_cancel() marks the job and its
 * result is dropped, never delivered to freed memory.
 *
 * Workers touch only the job (its own copy of the password, wiped after
 * use), the two lists and the counters, all under hash_lock.
 */

struct hash_job {
	enum hash_op		 op;
	char			*pw;		/* owned copy, wiped */
	size_t			 pwlen;
	char			*stored;	/* HASH_VERIFY: owned copy */
	char			 out[crypto_pwhash_STRBYTES];
	int			 ok;
	int			 rehashed;	/* HASH_VERIFY made out */
	int			 cancelled;	/* under hash_lock */
	void			(*done)(void *, int, const char *);
	void			*arg;
	TAILQ_ENTRY(hash_job)	 entry;
};
TAILQ_HEAD(hash_jobs, hash_job);

static pthread_mutex_t	 hash_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 hash_cond = PTHREAD_COND_INITIALIZER;
static struct hash_jobs	 hash_todo = TAILQ_HEAD_INITIALIZER(hash_todo);
static struct hash_jobs	 hash_done = TAILQ_HEAD_INITIALIZER(hash_done);
static size_t		 hash_inflight;	/* queued or running */
static size_t		 hash_limit;
static int		 hash_stopping;
static pthread_t	*hash_threads;
static int		 hash_nthreads;
static int		 hash_pipe[2] = { -1, -1 };
static struct event	*hash_ev;

/* Free a job, wiping its password copy and results. */
static void
hash_job_free(struct hash_job *job)
{
	if (job == NULL)
		return;
	if (job->pw != NULL) {
		sec_wipe(job->pw, job->pwlen);
		free(job->pw);
	}
	free(job->stored);
	sec_wipe(job, sizeof *job);
	free(job);
}

/* Do the slow part of one job; runs on a worker thread. */
static void
hash_run(struct hash_job *job)
{
	switch (job->op) {
	case HASH_MAKE:
		job->ok = crypto_pwhash_str(job->out, job->pw, job->pwlen,
		    (unsigned long long)server_cfg.argon2_opslimit,
		    (size_t)server_cfg.argon2_memlimit_kib * 1024) == 0;
		break;
	case HASH_VERIFY:
		job->ok = crypto_pwhash_str_verify(job->stored, job->pw,
		    job->pwlen) == 0;
		/* Upgrade a hash made with weaker settings than today's. */
		if (job->ok && crypto_pwhash_str_needs_rehash(job->stored,
		    (unsigned long long)server_cfg.argon2_opslimit,
		    (size_t)server_cfg.argon2_memlimit_kib * 1024) == 1)
			job->rehashed = crypto_pwhash_str(job->out, job->pw,
			    job->pwlen,
			    (unsigned long long)server_cfg.argon2_opslimit,
			    (size_t)server_cfg.argon2_memlimit_kib * 1024) == 0;
		break;
	}
	sec_wipe(job->pw, job->pwlen);
}

/* Worker thread: take jobs until told to stop. */
static void *
hash_worker(void *arg)
{
	struct hash_job	*job;
	ssize_t		 n;

#ifdef SYS_gettid
	/*
	 * Hash at the lowest priority: the event loop (this thread's sibling)
	 * wins the CPU whenever both want it, so a login storm takes idle CPU
	 * and does not delay chat traffic; logins wait instead.  On Linux a
	 * nice value is per thread.
	 */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) != 0)
		log_debug("hash: setpriority: %s", strerror(errno));
#endif
	for (;;) {
		pthread_mutex_lock(&hash_lock);
		while (!hash_stopping && TAILQ_EMPTY(&hash_todo))
			pthread_cond_wait(&hash_cond, &hash_lock);
		if (hash_stopping) {
			pthread_mutex_unlock(&hash_lock);
			break;
		}
		job = TAILQ_FIRST(&hash_todo);
		TAILQ_REMOVE(&hash_todo, job, entry);
		pthread_mutex_unlock(&hash_lock);

		hash_run(job);

		pthread_mutex_lock(&hash_lock);
		TAILQ_INSERT_TAIL(&hash_done, job, entry);
		pthread_mutex_unlock(&hash_lock);
		do
			n = write(hash_pipe[1], "", 1);
		while (n == -1 && errno == EINTR);
		/* EAGAIN: the pipe is full, so the loop is awake anyway. */
	}
	return (NULL);
}

/* Loop side: drain the pipe and run the callbacks of finished jobs. */
static void
hash_wakeup(evutil_socket_t fd, short events, void *arg)
{
	struct hash_jobs	 done = TAILQ_HEAD_INITIALIZER(done);
	struct hash_job		*job;
	char			 buf[256];

	while (read(fd, buf, sizeof buf) > 0)
		;

	pthread_mutex_lock(&hash_lock);
	while ((job = TAILQ_FIRST(&hash_done)) != NULL) {
		TAILQ_REMOVE(&hash_done, job, entry);
		TAILQ_INSERT_TAIL(&done, job, entry);
		hash_inflight--;
	}
	pthread_mutex_unlock(&hash_lock);

	while ((job = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, job, entry);
		if (!job->cancelled)
			job->done(job->arg, job->ok, (job->op == HASH_MAKE ?
			    job->ok : job->rehashed) ? job->out : NULL);
		hash_job_free(job);
	}
}

/* Start threads workers (0: one per core) with a queue of queue jobs. */
int
hash_init(int threads, int queue)
{
	long		 ncpu;

	if (threads <= 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		threads = ncpu > 0 ? (int)ncpu : 1;
	}
	hash_limit = queue;
	if (thread_wake_pipe(hash_pipe, hash_wakeup, &hash_ev) != 0)
		return (-1);
	hash_threads = xreallocarray(NULL, threads, sizeof *hash_threads);
	for (hash_nthreads = 0; hash_nthreads < threads; hash_nthreads++) {
		if (thread_start(&hash_threads[hash_nthreads], hash_worker,
		    NULL) != 0)
			return (-1);
	}
	log_debug("hash: %d workers, queue %d, opslimit %lld, memlimit %lld KiB",
	    hash_nthreads, queue, server_cfg.argon2_opslimit,
	    server_cfg.argon2_memlimit_kib);
	return (0);
}

/* Stop the workers (a running hash finishes first) and drop every job. */
void
hash_free(void)
{
	struct hash_job	*job;
	int		 i;

	pthread_mutex_lock(&hash_lock);
	hash_stopping = 1;
	pthread_cond_broadcast(&hash_cond);
	pthread_mutex_unlock(&hash_lock);
	for (i = 0; i < hash_nthreads; i++)
		pthread_join(hash_threads[i], NULL);
	free(hash_threads);
	hash_threads = NULL;
	hash_nthreads = 0;

	while ((job = TAILQ_FIRST(&hash_todo)) != NULL) {
		TAILQ_REMOVE(&hash_todo, job, entry);
		hash_job_free(job);
	}
	while ((job = TAILQ_FIRST(&hash_done)) != NULL) {
		TAILQ_REMOVE(&hash_done, job, entry);
		hash_job_free(job);
	}
	hash_inflight = 0;
	if (hash_ev != NULL)
		event_free(hash_ev);
	hash_ev = NULL;
	for (i = 0; i < 2; i++) {
		if (hash_pipe[i] != -1)
			close(hash_pipe[i]);
		hash_pipe[i] = -1;
	}
}

/*
 * Queue a job.  pw (and stored, for HASH_VERIFY) are copied.  done(arg, ok,
 * hash) runs later on the loop unless the job is cancelled; hash is the new
 * string for HASH_MAKE, and for HASH_VERIFY a replacement made with today's
 * settings when the stored one is weaker (else NULL).  Returns NULL if the
 * queue is full.
 */
struct hash_job *
hash_submit(enum hash_op op, const char *pw, size_t pwlen, const char *stored,
    void (*done)(void *, int, const char *), void *arg)
{
	struct hash_job	*job;

	pthread_mutex_lock(&hash_lock);
	if (hash_inflight >= hash_limit) {
		pthread_mutex_unlock(&hash_lock);
		return (NULL);
	}
	hash_inflight++;
	pthread_mutex_unlock(&hash_lock);

	job = xcalloc(1, sizeof *job);
	job->op = op;
	job->pw = xmalloc(pwlen + 1);
	memcpy(job->pw, pw, pwlen);
	job->pw[pwlen] = '\0';
	job->pwlen = pwlen;
	if (stored != NULL)
		job->stored = xstrdup(stored);
	job->done = done;
	job->arg = arg;

	pthread_mutex_lock(&hash_lock);
	TAILQ_INSERT_TAIL(&hash_todo, job, entry);
	pthread_cond_signal(&hash_cond);
	pthread_mutex_unlock(&hash_lock);
	return (job);
}

/*
 * Forget a job's result: a queued job is removed at once, a running or
 * finished one is freed without its callback.  NULL is accepted.
 */
void
hash_cancel(struct hash_job *job)
{
	struct hash_job	*j;

	if (job == NULL)
		return;
	pthread_mutex_lock(&hash_lock);
	TAILQ_FOREACH(j, &hash_todo, entry) {
		if (j == job)
			break;
	}
	if (j != NULL) {
		TAILQ_REMOVE(&hash_todo, job, entry);
		hash_inflight--;
	} else
		job->cancelled = 1;
	pthread_mutex_unlock(&hash_lock);
	if (j != NULL)
		hash_job_free(job);
}

/*
 * Parse "<name><digits><end>" at *s into *out (at most 10 digits, so no
 * overflow) and move *s past it.  0, or -1 if *s is not that.
 */
static int
hash_field(const char **s, const char *name, char end, unsigned long *out)
{
	size_t	 len = strlen(name), digits = 0;

	if (strncmp(*s, name, len) != 0)
		return (-1);
	*s += len;
	*out = 0;
	while (**s >= '0' && **s <= '9' && digits < 10) {
		*out = *out * 10 + (unsigned long)(**s - '0');
		(*s)++;
		digits++;
	}
	if (digits == 0 || **s != end)
		return (-1);
	(*s)++;
	return (0);
}

/*
 * Check a stored hash is argon2id with parameters within the policy maxima,
 * so a planted or corrupt hash can't make one login cost minutes.
 */
int
hash_policy_ok(const char *stored)
{
	unsigned long	 m, t, p;
	const char	*s;

	if (stored == NULL || strncmp(stored, "$argon2id$", 10) != 0)
		return (0);
	/* "v=19$m=65536,t=2,p=1$salt$hash": each field parsed and bounded. */
	s = stored + 10;
	if (hash_field(&s, "v=", '$', &m) != 0 || m != 19 ||
	    hash_field(&s, "m=", ',', &m) != 0 ||
	    hash_field(&s, "t=", ',', &t) != 0 ||
	    hash_field(&s, "p=", '$', &p) != 0)
		return (0);
	if (m > (unsigned long)server_cfg.argon2_max_memlimit_kib ||
	    t > (unsigned long)server_cfg.argon2_max_opslimit ||
	    p < 1 || p > 16 || m < 8)
		return (0);
	return (1);
}

/* Hash on the calling thread (start-up only: the dummy hash). */
char *
hash_make_sync(const char *pw, size_t pwlen)
{
	char	 out[crypto_pwhash_STRBYTES];

	if (crypto_pwhash_str(out, pw, pwlen,
	    (unsigned long long)server_cfg.argon2_opslimit,
	    (size_t)server_cfg.argon2_memlimit_kib * 1024) != 0)
		return (NULL);
	return (xstrdup(out));
}

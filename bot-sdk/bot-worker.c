/* chatsec — libchatsec-bot: the worker pool that runs event handlers off the loop.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/eventfd.h>
#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "chatsec-bot.h"
#include "bot-int.h"

/*
 * One list of jobs in stream order, shared by the loop thread and the
 * workers under one mutex.  The loop appends (bot_pool_push) and removes
 * finished jobs from the head only (bot_pool_wake_cb), so "every job up to
 * here is done" is a prefix of the list and the cursor never passes an
 * event still waiting or running.  A worker takes the first waiting job
 * whose key no other worker is handling, which keeps each key's jobs one
 * at a time and in order.  The list holds at most max jobs, finished ones
 * included until they reach the head: that is the bound the loop checks
 * before reading more (bot_pool_full).
 *
 * Calls from a worker (bot_pool_call) wait on the list of requests until
 * the loop has run them; the loop learns of requests and finished jobs
 * through an eventfd, so this works with any event_base, with or without
 * libevent's own locking.
 */

enum bot_job_state {
	BOT_JOB_WAITING,
	BOT_JOB_RUNNING,
	BOT_JOB_DONE,
};

struct bot_job {
	enum bot_job_state	 state;
	int64_t			 seq;
	uint64_t		 hash;		/* of key, to compare fast */
	char			*key;
	struct json_object	*ev;		/* owned; NULL once handled */
	TAILQ_ENTRY(bot_job)	 entry;
};

/* A call a worker waits for; lives on the worker's stack. */
struct bot_pool_req {
	bot_pool_call_fn	*fn;
	void			*arg;
	int			 rc;
	int			 done;
	TAILQ_ENTRY(bot_pool_req) entry;
};

struct bot_worker {
	struct bot_pool		*pool;
	pthread_t		 tid;
	int			 started;
	struct bot_job		*job;		/* running now, or NULL */
};

struct bot_pool {
	struct bot_pool_cbs	 cbs;
	void			*ctx;
	unsigned int		 max;
	unsigned int		 njobs;		/* loop-owned count of jobs */
	unsigned int		 high;		/* most jobs held at once */

	pthread_mutex_t		 mu;
	pthread_cond_t		 work;		/* a job can be taken */
	pthread_cond_t		 answered;	/* a request was run */
	int			 closing;
	int			 stop_asked;
	TAILQ_HEAD(, bot_job)	 jobs;
	TAILQ_HEAD(, bot_pool_req) reqs;

	int			 efd;
	struct event		*ev_wake;
	struct bot_worker	*workers;
	unsigned int		 nworkers;
};

/* The pool the calling thread works for, NULL on any other thread. */
static __thread struct bot_pool *bot_pool_self;

/* FNV-1a, enough to tell keys apart before strcmp. */
static uint64_t
bot_pool_hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (h);
}

/* Tell the loop there is something for it (from any thread). */
static void
bot_pool_kick(struct bot_pool *pool)
{
	uint64_t	 one = 1;

	/* The counter only fails to grow at 2^64-1: the loop wakes anyway. */
	while (write(pool->efd, &one, sizeof one) == -1 && errno == EINTR)
		;
}

/* Is a worker other than self handling this key now?  Under mu. */
static int
bot_pool_busy(struct bot_pool *pool, const struct bot_job *job)
{
	struct bot_job	*r;
	unsigned int	 i;

	for (i = 0; i < pool->nworkers; i++) {
		r = pool->workers[i].job;
		if (r != NULL && r->hash == job->hash &&
		    strcmp(r->key, job->key) == 0)
			return (1);
	}
	return (0);
}

/* The first job a worker may take now, or NULL.  Under mu. */
static struct bot_job *
bot_pool_pick(struct bot_pool *pool)
{
	struct bot_job	*job;

	TAILQ_FOREACH(job, &pool->jobs, entry)
		if (job->state == BOT_JOB_WAITING && !bot_pool_busy(pool, job))
			return (job);
	return (NULL);
}

static void *
bot_pool_main(void *arg)
{
	struct bot_worker	*w = arg;
	struct bot_pool		*pool = w->pool;
	struct bot_job		*job;
	struct json_object	*ev;

	bot_pool_self = pool;
	pthread_mutex_lock(&pool->mu);
	for (;;) {
		while (!pool->closing && (job = bot_pool_pick(pool)) == NULL)
			pthread_cond_wait(&pool->work, &pool->mu);
		if (pool->closing)
			break;
		job->state = BOT_JOB_RUNNING;
		w->job = job;
		ev = job->ev;
		job->ev = NULL;
		pthread_mutex_unlock(&pool->mu);

		pool->cbs.job(pool->ctx, ev);
		json_object_put(ev);

		pthread_mutex_lock(&pool->mu);
		job->state = BOT_JOB_DONE;
		w->job = NULL;
		/* The key is free: a job behind this one may go now. */
		pthread_cond_broadcast(&pool->work);
		bot_pool_kick(pool);
	}
	pthread_mutex_unlock(&pool->mu);
	return (NULL);
}

/*
 * The loop's side: run the calls workers wait for, then remove finished
 * jobs from the head, reporting each seq in stream order.  It calls no
 * handler of the user's, so nothing it calls can free the pool under it,
 * except the stop callback, which comes last.
 */
static void
bot_pool_wake_cb(int fd, short what, void *arg)
{
	struct bot_pool		*pool = arg;
	struct bot_pool_req	*req;
	struct bot_job		*job;
	uint64_t		 n;
	int			 rc, stop;

	while (read(pool->efd, &n, sizeof n) == -1 && errno == EINTR)
		;
	pthread_mutex_lock(&pool->mu);
	while ((req = TAILQ_FIRST(&pool->reqs)) != NULL) {
		TAILQ_REMOVE(&pool->reqs, req, entry);
		pthread_mutex_unlock(&pool->mu);
		rc = req->fn(pool->ctx, req->arg);
		pthread_mutex_lock(&pool->mu);
		req->rc = rc;
		req->done = 1;
		pthread_cond_broadcast(&pool->answered);
	}
	while ((job = TAILQ_FIRST(&pool->jobs)) != NULL &&
	    job->state == BOT_JOB_DONE) {
		TAILQ_REMOVE(&pool->jobs, job, entry);
		pthread_mutex_unlock(&pool->mu);
		pool->njobs--;
		if (job->seq >= 0 && pool->cbs.done != NULL)
			pool->cbs.done(pool->ctx, job->seq);
		free(job->key);
		free(job);
		pthread_mutex_lock(&pool->mu);
	}
	stop = pool->stop_asked;
	pool->stop_asked = 0;
	pthread_mutex_unlock(&pool->mu);
	if (stop && pool->cbs.stop != NULL)
		pool->cbs.stop(pool->ctx);	/* may free pool: last */
	else if (pool->cbs.room != NULL && pool->njobs < pool->max)
		pool->cbs.room(pool->ctx);
}

struct bot_pool *
bot_pool_new(struct event_base *base, unsigned int nworkers, unsigned int max,
    const struct bot_pool_cbs *cbs, void *ctx)
{
	struct bot_pool	*pool;
	unsigned int	 i;

	if (nworkers == 0 || max == 0 || cbs == NULL || cbs->job == NULL)
		return (NULL);
	if ((pool = calloc(1, sizeof *pool)) == NULL)
		return (NULL);
	pool->cbs = *cbs;
	pool->ctx = ctx;
	pool->max = max;
	pool->efd = -1;
	TAILQ_INIT(&pool->jobs);
	TAILQ_INIT(&pool->reqs);
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->work, NULL);
	pthread_cond_init(&pool->answered, NULL);
	if ((pool->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		goto fail;
	pool->ev_wake = event_new(base, pool->efd, EV_READ | EV_PERSIST,
	    bot_pool_wake_cb, pool);
	if (pool->ev_wake == NULL || event_add(pool->ev_wake, NULL) != 0)
		goto fail;
	if ((pool->workers = calloc(nworkers, sizeof *pool->workers)) == NULL)
		goto fail;
	pool->nworkers = nworkers;
	for (i = 0; i < nworkers; i++) {
		pool->workers[i].pool = pool;
		if (pthread_create(&pool->workers[i].tid, NULL, bot_pool_main,
		    &pool->workers[i]) != 0)
			goto fail;
		pool->workers[i].started = 1;
	}
	return (pool);
fail:
	bot_pool_free(pool);
	return (NULL);
}

void
bot_pool_free(struct bot_pool *pool)
{
	struct bot_pool_req	*req;
	struct bot_job		*job;
	unsigned int		 i;
	int			 prefix = 1;

	if (pool == NULL)
		return;
	/* Waiting jobs stay waiting; calls still queued fail. */
	pthread_mutex_lock(&pool->mu);
	pool->closing = 1;
	while ((req = TAILQ_FIRST(&pool->reqs)) != NULL) {
		TAILQ_REMOVE(&pool->reqs, req, entry);
		req->rc = CHATSEC_BOT_E_CLOSED;
		req->done = 1;
	}
	pthread_cond_broadcast(&pool->answered);
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->mu);

	/* Each worker finishes the handler it is in, then ends. */
	for (i = 0; i < pool->nworkers; i++)
		if (pool->workers[i].started)
			pthread_join(pool->workers[i].tid, NULL);

	/* What was handled before the first unhandled event counts. */
	while ((job = TAILQ_FIRST(&pool->jobs)) != NULL) {
		TAILQ_REMOVE(&pool->jobs, job, entry);
		if (job->state != BOT_JOB_DONE)
			prefix = 0;
		else if (prefix && job->seq >= 0 && pool->cbs.done != NULL)
			pool->cbs.done(pool->ctx, job->seq);
		json_object_put(job->ev);
		free(job->key);
		free(job);
	}
	if (pool->ev_wake != NULL)
		event_free(pool->ev_wake);
	if (pool->efd != -1)
		close(pool->efd);
	pthread_cond_destroy(&pool->answered);
	pthread_cond_destroy(&pool->work);
	pthread_mutex_destroy(&pool->mu);
	free(pool->workers);
	free(pool);
}

int
bot_pool_full(struct bot_pool *pool)
{
	return (pool->njobs >= pool->max);
}

int
bot_pool_push(struct bot_pool *pool, const char *key, int64_t seq,
    struct json_object *ev)
{
	struct bot_job	*job;

	if (pool->njobs >= pool->max) {
		json_object_put(ev);
		return (CHATSEC_BOT_E_FULL);
	}
	if ((job = calloc(1, sizeof *job)) == NULL ||
	    (job->key = strdup(key)) == NULL) {
		free(job);
		json_object_put(ev);
		return (CHATSEC_BOT_E_NOMEM);
	}
	job->state = BOT_JOB_WAITING;
	job->seq = seq;
	job->hash = bot_pool_hash(key);
	job->ev = ev;
	pool->njobs++;
	if (pool->njobs > pool->high)
		pool->high = pool->njobs;
	pthread_mutex_lock(&pool->mu);
	TAILQ_INSERT_TAIL(&pool->jobs, job, entry);
	pthread_cond_signal(&pool->work);
	pthread_mutex_unlock(&pool->mu);
	return (0);
}

void *
bot_pool_worker_ctx(void)
{
	return (bot_pool_self != NULL ? bot_pool_self->ctx : NULL);
}

int
bot_pool_call(struct bot_pool *pool, bot_pool_call_fn *fn, void *arg)
{
	struct bot_pool_req	 req;

	memset(&req, 0, sizeof req);
	req.fn = fn;
	req.arg = arg;
	pthread_mutex_lock(&pool->mu);
	if (pool->closing) {
		pthread_mutex_unlock(&pool->mu);
		return (CHATSEC_BOT_E_CLOSED);
	}
	TAILQ_INSERT_TAIL(&pool->reqs, &req, entry);
	bot_pool_kick(pool);
	while (!req.done)
		pthread_cond_wait(&pool->answered, &pool->mu);
	pthread_mutex_unlock(&pool->mu);
	return (req.rc);
}

void
bot_pool_ask_stop(struct bot_pool *pool)
{
	pthread_mutex_lock(&pool->mu);
	pool->stop_asked = 1;
	bot_pool_kick(pool);
	pthread_mutex_unlock(&pool->mu);
}

void
bot_pool_stats(struct bot_pool *pool, unsigned int *njobs, unsigned int *high)
{
	*njobs = pool != NULL ? pool->njobs : 0;
	*high = pool != NULL ? pool->high : 0;
}

/* chatsec — libchatsec-bot internals shared by its files and unit tests.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_BOT_INT_H
#define CHATSEC_BOT_INT_H

#include <stdint.h>

/*
 * Token bucket for outgoing messages: burst tokens at most, refilled at
 * rate per second.  Times are milliseconds from any monotonic origin, so
 * tests drive it with their own clock.
 */
struct bot_bucket {
	double		 rate;		/* tokens per second, > 0 */
	double		 burst;		/* capacity, >= 1 */
	double		 tokens;
	int64_t		 last_ms;
};

void	 bot_bucket_init(struct bot_bucket *, double rate, unsigned int burst,
	    int64_t now_ms);
/* Take one token: 0 if taken, else the ms to wait until one is there. */
int64_t	 bot_bucket_take(struct bot_bucket *, int64_t now_ms);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t	 bot_now_ms(void);

struct chatsec_bot;
/* The bot's socket path (borrowed). */
const char *bot_socket_path(struct chatsec_bot *);

/* Default socket path (malloc'd) as doc/api.md says, or NULL. */
char	*bot_default_socket(void);

/*
 * The worker pool (bot-worker.c): threads that run event handlers while
 * the loop thread keeps reading.  Every function but bot_pool_call,
 * bot_pool_ask_stop and bot_pool_worker_ctx is for the loop thread.
 */
struct event_base;
struct json_object;
struct bot_pool;
struct bot_pool_cbs {
	/* On a worker: handle ev (borrowed; the pool frees it after). */
	void	(*job)(void *ctx, struct json_object *ev);
	/* On the loop: every event up to this seq has been handled. */
	void	(*done)(void *ctx, int64_t seq);
	/* On the loop: the queue has room again (after jobs finished). */
	void	(*room)(void *ctx);
	/* On the loop: a worker asked to stop the bot (may free the pool). */
	void	(*stop)(void *ctx);
};
typedef int bot_pool_call_fn(void *ctx, void *arg);

/* Start nworkers threads over a queue of at most max jobs; NULL on error. */
struct bot_pool *bot_pool_new(struct event_base *, unsigned int nworkers,
	    unsigned int max, const struct bot_pool_cbs *, void *ctx);
/*
 * Let running handlers finish, join the workers, report the handled
 * prefix through done, drop the jobs never started and free.  NULL is fine.
 */
void	 bot_pool_free(struct bot_pool *);
/* The queue holds max jobs: read nothing more until room() is called. */
int	 bot_pool_full(struct bot_pool *);
/*
 * Queue ev (taken over) for the workers.  Jobs with the same key run one
 * at a time in the order pushed.  0, CHATSEC_BOT_E_FULL or _E_NOMEM.
 */
int	 bot_pool_push(struct bot_pool *, const char *key, int64_t seq,
	    struct json_object *ev);
/* The ctx of the pool the calling thread is a worker of, or NULL. */
void	*bot_pool_worker_ctx(void);
/*
 * From a worker: have the loop run fn(ctx, arg) and wait for its result;
 * CHATSEC_BOT_E_CLOSED if the pool is shutting down.
 */
int	 bot_pool_call(struct bot_pool *, bot_pool_call_fn *, void *arg);
/* From a worker: have the loop call stop() soon; does not wait. */
void	 bot_pool_ask_stop(struct bot_pool *);
/* Jobs held now and the most ever held (for tests). */
void	 bot_pool_stats(struct bot_pool *, unsigned int *njobs,
	    unsigned int *high);

/* The bot's cursor: the last seq handled, -1 if none yet (for tests). */
int64_t	 bot_cursor_get(struct chatsec_bot *);

/* The bot's pool's numbers, zero without workers (for tests). */
void	 bot_worker_stats(struct chatsec_bot *, unsigned int *njobs,
	    unsigned int *high, int *paused);

#endif

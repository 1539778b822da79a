/* chatsec — libchatsec-bot: connection, events, handlers, calls, sends.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/queue.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "frame.h"
#include "fsutil.h"
#include "proto.h"
#include "rpc.h"

#include "chatsec-bot.h"
#include "bot-int.h"

/*
 * One connection to the agent, a small state machine:
 * idle -> connecting -> subscribing -> ready, and on any loss -> backoff
 * -> connecting again; stopped is final until chatsec_bot_start().
 */
enum bot_state {
	BOT_IDLE,
	BOT_CONNECTING,
	BOT_SUBSCRIBING,
	BOT_READY,
	BOT_BACKOFF,
	BOT_STOPPED,
};
static const char *bot_state_names[] = {
	"idle", "connecting", "subscribing", "ready", "backoff", "stopped",
};

#define BOT_HANDLERS_MAX	64	/* per kind */
#define BOT_CALLS_MAX		256	/* requests in flight */
#define BOT_OUT_MAX		(1024 * 1024)	/* bytes queued to the agent */
#define BOT_IN_MAX		(CS_API_FRAME_MAX * 4)	/* bytes read ahead */
#define BOT_CALL_TIMEOUT	30000
#define BOT_SEND_TIMEOUT	90000	/* above the agent's own 60 s */
#define BOT_BACKOFF_MIN		100
#define BOT_BACKOFF_MAX		10000
#define BOT_CURSOR_DELAY	1000	/* ms between cursor file writes */
#define BOT_SUB_ID		1	/* request id of subscribe */
#define BOT_WORKERS_MAX		64
#define BOT_JOBS_DEFAULT	256	/* events held by the worker queue */
#define BOT_JOBS_MAX		100000

enum bot_kind {
	BOT_H_MESSAGE,
	BOT_H_COMMAND,
	BOT_H_EVENT,
	BOT_H_JOIN,
	BOT_H_KEY,
	BOT_H_CONNECT,
	BOT_H_NKINDS,
};

struct bot_handler {
	char			*name;		/* command or event type */
	union {
		chatsec_bot_msg_cb	*msg;
		chatsec_bot_cmd_cb	*cmd;
		chatsec_bot_event_cb	*event;
		chatsec_bot_conn_cb	*conn;
	} cb;
	void			*arg;
};

/* A message waiting for the rate limiter or for the agent's ack. */
struct bot_out {
	char			*to;
	char			*text;
	char			 cid[40];
	int			 inflight;
	chatsec_bot_reply_cb	*cb;
	void			*arg;
	TAILQ_ENTRY(bot_out)	 entry;
};

/* A request waiting for its reply. */
struct bot_call {
	chatsec_bot		*bot;
	int64_t			 id;
	chatsec_bot_reply_cb	*cb;
	void			*arg;
	struct bot_out		*out;		/* a send, or NULL */
	struct event		*timer;
	TAILQ_ENTRY(bot_call)	 entry;
};

struct chatsec_bot {
	struct event_base	*base;
	int			 own_base;
	char			*path;
	enum bot_state		 state;
	int			 running;	/* inside chatsec_bot_run */
	int			 verbose;

	struct bufferevent	*bev;
	unsigned int		 gen;		/* bumped on each disconnect */
	struct frame_reader	 reader;
	struct event		*ev_retry;	/* backoff timer */
	struct event		*ev_more;	/* read on after a batch */
	int			 more;		/* ev_more is active */
	struct event		*ev_rate;	/* next token */
	struct event		*ev_cursor;	/* cursor file write */
	struct event		*ev_sigint;
	struct event		*ev_sigterm;
	int			 backoff_ms;
	int			 backoff_max;
	int64_t			 next_id;

	TAILQ_HEAD(, bot_call)	 calls;
	unsigned int		 ncalls;
	TAILQ_HEAD(, bot_out)	 outq;
	unsigned int		 nout;
	unsigned int		 out_max;
	struct bot_bucket	 bucket;
	double			 rate;
	unsigned int		 burst;

	int64_t			 cursor;
	int			 have_cursor;
	char			*cursor_file;
	int			 cursor_dirty;
	int64_t			 seen;		/* last seq taken for handling */
	int			 have_seen;

	unsigned int		 nworkers;	/* 0: handlers on the loop */
	unsigned int		 jobs_max;
	struct bot_pool		*pool;		/* while started with workers */
	int			 paused;	/* queue full: not reading */
	int			 ready;		/* state == BOT_READY, atomic */

	char			 prefix;
	int			 see_self;
	char			**types;
	struct bot_handler	 h[BOT_H_NKINDS][BOT_HANDLERS_MAX];
	int			 nh[BOT_H_NKINDS];
};

static void	bot_connect(chatsec_bot *);
static void	bot_disconnect(chatsec_bot *, const char *);
static void	bot_pump(chatsec_bot *);
static const struct bot_pool_cbs bot_pool_cbs;

/* A line on stderr under chatsec_bot_set_verbose. */
static void __attribute__((format(printf, 2, 3)))
bot_log(chatsec_bot *bot, const char *fmt, ...)
{
	va_list	 ap;

	if (!bot->verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "chatsec-bot: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void
bot_enter_state(chatsec_bot *bot, enum bot_state st)
{
	if (bot->state != st)
		bot_log(bot, "%s -> %s", bot_state_names[bot->state],
		    bot_state_names[st]);
	bot->state = st;
	/* Workers may ask chatsec_bot_connected(). */
	__atomic_store_n(&bot->ready, st == BOT_READY, __ATOMIC_RELAXED);
}

/* Is the calling thread one of this bot's workers? */
static int
bot_on_worker(chatsec_bot *bot)
{
	return (bot_pool_worker_ctx() == bot);
}

/* --- cursor file ------------------------------------------------------- */

/* Write the cursor file now if it changed. */
static void
bot_cursor_flush(chatsec_bot *bot)
{
	char	 buf[32];
	int	 n;

	if (bot->cursor_file == NULL || !bot->cursor_dirty)
		return;
	n = snprintf(buf, sizeof buf, "%" PRId64 "\n", bot->cursor);
	if (fs_write_atomic(bot->cursor_file, buf, (size_t)n) != 0)
		bot_log(bot, "cannot write %s: %s", bot->cursor_file,
		    strerror(errno));
	else
		bot->cursor_dirty = 0;
}

static void
bot_cursor_cb(int fd, short what, void *arg)
{
	bot_cursor_flush(arg);
}

/* Remember seq as handled; the file follows within a second. */
static void
bot_cursor_set(chatsec_bot *bot, int64_t seq)
{
	struct timeval	 tv = { 0, BOT_CURSOR_DELAY * 1000 };

	if (bot->have_cursor && seq <= bot->cursor)
		return;
	bot->cursor = seq;
	bot->have_cursor = 1;
	if (bot->cursor_file == NULL)
		return;
	bot->cursor_dirty = 1;
	if (!evtimer_pending(bot->ev_cursor, NULL))
		evtimer_add(bot->ev_cursor, &tv);
}

int
chatsec_bot_set_cursor_file(chatsec_bot *bot, const char *path)
{
	char		*data = NULL, *end;
	size_t		 len;
	long long	 v;

	if (bot == NULL || path == NULL || bot->state != BOT_IDLE)
		return (CHATSEC_BOT_E_INVAL);
	free(bot->cursor_file);
	if ((bot->cursor_file = strdup(path)) == NULL)
		return (CHATSEC_BOT_E_NOMEM);
	if (fs_read_file(path, 64, &data, &len) != 0)
		return (errno == ENOENT ? 0 : CHATSEC_BOT_E_IO);
	errno = 0;
	v = strtoll(data, &end, 10);
	if (end == data || errno != 0 || v < 0 ||
	    (*end != '\0' && *end != '\n')) {
		free(data);
		return (CHATSEC_BOT_E_PARSE);
	}
	free(data);
	bot->cursor = v;
	bot->have_cursor = 1;
	return (0);
}

/* --- life cycle --------------------------------------------------------- */

static void
bot_signal_cb(int sig, short what, void *arg)
{
	chatsec_bot_stop(arg);
}

static void bot_retry_cb(int, short, void *);
static void bot_more_cb(int, short, void *);
static void bot_rate_cb(int, short, void *);

chatsec_bot *
chatsec_bot_new(struct event_base *base, const char *path)
{
	chatsec_bot	*bot;

	if ((bot = calloc(1, sizeof *bot)) == NULL)
		return (NULL);
	TAILQ_INIT(&bot->calls);
	TAILQ_INIT(&bot->outq);
	bot->prefix = '!';
	bot->rate = 5;
	bot->burst = 10;
	bot->out_max = 256;
	bot->backoff_max = BOT_BACKOFF_MAX;
	bot->backoff_ms = BOT_BACKOFF_MIN;
	bot->next_id = BOT_SUB_ID + 1;
	if (base == NULL) {
		if ((base = event_base_new()) == NULL)
			goto fail;
		bot->own_base = 1;
	}
	bot->base = base;
	bot->path = path != NULL ? strdup(path) : bot_default_socket();
	if (bot->path == NULL)
		goto fail;
	bot->ev_retry = evtimer_new(base, bot_retry_cb, bot);
	bot->ev_more = event_new(base, -1, 0, bot_more_cb, bot);
	bot->ev_rate = evtimer_new(base, bot_rate_cb, bot);
	bot->ev_cursor = evtimer_new(base, bot_cursor_cb, bot);
	if (bot->ev_retry == NULL || bot->ev_more == NULL ||
	    bot->ev_rate == NULL || bot->ev_cursor == NULL)
		goto fail;
	if (bot->own_base) {
		bot->ev_sigint = evsignal_new(base, SIGINT, bot_signal_cb, bot);
		bot->ev_sigterm = evsignal_new(base, SIGTERM, bot_signal_cb,
		    bot);
		if (bot->ev_sigint == NULL || bot->ev_sigterm == NULL)
			goto fail;
	}
	return (bot);
fail:
	chatsec_bot_free(bot);
	return (NULL);
}

/* Fail and free every call; sends go back to the queue unless closing. */
static void
bot_calls_fail(chatsec_bot *bot, int err)
{
	struct bot_call	*c;

	while ((c = TAILQ_FIRST(&bot->calls)) != NULL) {
		TAILQ_REMOVE(&bot->calls, c, entry);
		bot->ncalls--;
		event_free(c->timer);
		if (c->out != NULL)
			c->out->inflight = 0;	/* sent again, same cid */
		else if (c->cb != NULL)
			c->cb(bot, err, NULL, 0, NULL, c->arg);
		free(c);
	}
}

/* Drop every queued message, telling each sender why. */
static void
bot_outq_fail(chatsec_bot *bot, int err)
{
	struct bot_out	*o;

	while ((o = TAILQ_FIRST(&bot->outq)) != NULL) {
		TAILQ_REMOVE(&bot->outq, o, entry);
		bot->nout--;
		if (o->cb != NULL)
			o->cb(bot, err, NULL, 0, NULL, o->arg);
		free(o->to);
		free(o->text);
		free(o);
	}
}

void
chatsec_bot_free(chatsec_bot *bot)
{
	int	 k, i;

	if (bot == NULL)
		return;
	if (bot->base != NULL)
		chatsec_bot_stop(bot);
	bot_cursor_flush(bot);
	for (k = 0; k < BOT_H_NKINDS; k++)
		for (i = 0; i < bot->nh[k]; i++)
			free(bot->h[k][i].name);
	if (bot->types != NULL) {
		for (i = 0; bot->types[i] != NULL; i++)
			free(bot->types[i]);
		free(bot->types);
	}
	if (bot->ev_retry != NULL)
		event_free(bot->ev_retry);
	if (bot->ev_more != NULL)
		event_free(bot->ev_more);
	if (bot->ev_rate != NULL)
		event_free(bot->ev_rate);
	if (bot->ev_cursor != NULL)
		event_free(bot->ev_cursor);
	if (bot->ev_sigint != NULL)
		event_free(bot->ev_sigint);
	if (bot->ev_sigterm != NULL)
		event_free(bot->ev_sigterm);
	if (bot->own_base && bot->base != NULL)
		event_base_free(bot->base);
	free(bot->cursor_file);
	free(bot->path);
	free(bot);
}

int
chatsec_bot_start(chatsec_bot *bot)
{
	struct sigaction	 sa;

	if (bot == NULL)
		return (CHATSEC_BOT_E_INVAL);
	if (bot->state != BOT_IDLE && bot->state != BOT_STOPPED)
		return (CHATSEC_BOT_E_STATE);
	/* A closed agent socket must be an error, not a dead bot. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	bot_bucket_init(&bot->bucket, bot->rate, bot->burst, bot_now_ms());
	/* Events a worker never got to are taken again after a restart. */
	bot->seen = bot->cursor;
	bot->have_seen = bot->have_cursor;
	bot->paused = 0;
	if (bot->nworkers > 0 && (bot->pool = bot_pool_new(bot->base,
	    bot->nworkers, bot->jobs_max, &bot_pool_cbs, bot)) == NULL)
		return (CHATSEC_BOT_E_NOMEM);
	if (bot->ev_sigint != NULL) {
		evsignal_add(bot->ev_sigint, NULL);
		evsignal_add(bot->ev_sigterm, NULL);
	}
	bot_connect(bot);
	return (0);
}

int
chatsec_bot_run(chatsec_bot *bot)
{
	int	 rc;

	if (bot == NULL)
		return (CHATSEC_BOT_E_INVAL);
	if (bot->running)
		return (CHATSEC_BOT_E_STATE);
	if (bot->state == BOT_IDLE && (rc = chatsec_bot_start(bot)) != 0)
		return (rc);
	bot->running = 1;
	rc = event_base_dispatch(bot->base);
	bot->running = 0;
	return (rc == -1 ? CHATSEC_BOT_E_IO : 0);
}

void
chatsec_bot_stop(chatsec_bot *bot)
{
	if (bot == NULL)
		return;
	if (bot_on_worker(bot)) {
		/* The loop stops the bot; it joins this thread after. */
		bot_pool_ask_stop(bot->pool);
		return;
	}
	if (bot->state == BOT_STOPPED)
		return;
	if (bot->state == BOT_IDLE) {
		bot->state = BOT_STOPPED;
		return;
	}
	bot_disconnect(bot, NULL);
	bot_enter_state(bot, BOT_STOPPED);
	/* Running handlers finish (their calls now fail), then the join. */
	bot_pool_free(bot->pool);
	bot->pool = NULL;
	bot->paused = 0;
	bot_calls_fail(bot, CHATSEC_BOT_E_CLOSED);
	bot_outq_fail(bot, CHATSEC_BOT_E_CLOSED);
	evtimer_del(bot->ev_retry);
	evtimer_del(bot->ev_rate);
	evtimer_del(bot->ev_cursor);
	bot_cursor_flush(bot);
	if (bot->ev_sigint != NULL) {
		evsignal_del(bot->ev_sigint);
		evsignal_del(bot->ev_sigterm);
	}
	if (bot->running)
		event_base_loopbreak(bot->base);
}

struct event_base *
chatsec_bot_base(chatsec_bot *bot)
{
	return (bot != NULL ? bot->base : NULL);
}

const char *
bot_socket_path(chatsec_bot *bot)
{
	return (bot->path);
}

int
chatsec_bot_connected(chatsec_bot *bot)
{
	return (bot != NULL && __atomic_load_n(&bot->ready, __ATOMIC_RELAXED));
}

int64_t
bot_cursor_get(chatsec_bot *bot)
{
	return (bot->have_cursor ? bot->cursor : -1);
}

void
bot_worker_stats(chatsec_bot *bot, unsigned int *njobs, unsigned int *high,
    int *paused)
{
	bot_pool_stats(bot->pool, njobs, high);
	*paused = bot->paused;
}

/* --- settings ----------------------------------------------------------- */

int
chatsec_bot_set_rate(chatsec_bot *bot, double per_second, unsigned int burst,
    unsigned int queue_max)
{
	if (bot == NULL || !(per_second > 0 && per_second <= 10000) ||
	    burst < 1 || burst > 10000 || queue_max > 100000)
		return (CHATSEC_BOT_E_INVAL);
	bot->rate = per_second;
	bot->burst = burst;
	if (queue_max > 0)
		bot->out_max = queue_max;
	bot_bucket_init(&bot->bucket, bot->rate, bot->burst, bot_now_ms());
	return (0);
}

int
chatsec_bot_set_workers(chatsec_bot *bot, unsigned int nworkers,
    unsigned int queue_max)
{
	if (bot == NULL || nworkers > BOT_WORKERS_MAX ||
	    queue_max > BOT_JOBS_MAX)
		return (CHATSEC_BOT_E_INVAL);
	if ((bot->state != BOT_IDLE && bot->state != BOT_STOPPED) ||
	    bot_on_worker(bot))
		return (CHATSEC_BOT_E_STATE);
	bot->nworkers = nworkers;
	bot->jobs_max = queue_max > 0 ? queue_max : BOT_JOBS_DEFAULT;
	return (0);
}

int
chatsec_bot_set_backoff_max(chatsec_bot *bot, int ms)
{
	if (bot == NULL || ms < BOT_BACKOFF_MIN || ms > 3600000)
		return (CHATSEC_BOT_E_INVAL);
	bot->backoff_max = ms;
	return (0);
}

int
chatsec_bot_set_prefix(chatsec_bot *bot, char prefix)
{
	if (bot == NULL || prefix == '\0' || prefix == ' ')
		return (CHATSEC_BOT_E_INVAL);
	bot->prefix = prefix;
	return (0);
}

int
chatsec_bot_set_see_self(chatsec_bot *bot, int on)
{
	if (bot == NULL)
		return (CHATSEC_BOT_E_INVAL);
	bot->see_self = on != 0;
	return (0);
}

int
chatsec_bot_set_verbose(chatsec_bot *bot, int on)
{
	if (bot == NULL)
		return (CHATSEC_BOT_E_INVAL);
	bot->verbose = on != 0;
	return (0);
}

int
chatsec_bot_set_types(chatsec_bot *bot, const char *const *types)
{
	char	**t;
	size_t	  n, i;

	if (bot == NULL || bot->types != NULL)
		return (CHATSEC_BOT_E_INVAL);
	if (types == NULL)
		return (0);
	for (n = 0; types[n] != NULL; n++)
		if (n == 32)
			return (CHATSEC_BOT_E_INVAL);
	if ((t = calloc(n + 1, sizeof *t)) == NULL)
		return (CHATSEC_BOT_E_NOMEM);
	for (i = 0; i < n; i++) {
		if ((t[i] = strdup(types[i])) == NULL) {
			while (i > 0)
				free(t[--i]);
			free(t);
			return (CHATSEC_BOT_E_NOMEM);
		}
	}
	bot->types = t;
	return (0);
}

/* --- handlers ----------------------------------------------------------- */

static int
bot_add_handler(chatsec_bot *bot, enum bot_kind k, const char *name,
    void *cb, void *arg)
{
	struct bot_handler	*h;

	if (bot == NULL || cb == NULL)
		return (CHATSEC_BOT_E_INVAL);
	/* Workers read the tables without a lock: fixed while they run. */
	if (bot->pool != NULL || bot_on_worker(bot))
		return (CHATSEC_BOT_E_STATE);
	if (bot->nh[k] == BOT_HANDLERS_MAX)
		return (CHATSEC_BOT_E_FULL);
	h = &bot->h[k][bot->nh[k]];
	memset(h, 0, sizeof *h);
	if (name != NULL && strcmp(name, "*") != 0 &&
	    (h->name = strdup(name)) == NULL)
		return (CHATSEC_BOT_E_NOMEM);
	switch (k) {
	case BOT_H_MESSAGE:
		h->cb.msg = (chatsec_bot_msg_cb *)cb;
		break;
	case BOT_H_COMMAND:
		h->cb.cmd = (chatsec_bot_cmd_cb *)cb;
		break;
	case BOT_H_CONNECT:
		h->cb.conn = (chatsec_bot_conn_cb *)cb;
		break;
	default:
		h->cb.event = (chatsec_bot_event_cb *)cb;
		break;
	}
	h->arg = arg;
	bot->nh[k]++;
	return (0);
}

int
chatsec_bot_on_message(chatsec_bot *bot, chatsec_bot_msg_cb *cb, void *arg)
{
	return (bot_add_handler(bot, BOT_H_MESSAGE, NULL, (void *)cb, arg));
}

int
chatsec_bot_on_command(chatsec_bot *bot, const char *name,
    chatsec_bot_cmd_cb *cb, void *arg)
{
	if (name != NULL && (*name == '\0' || strlen(name) > 64))
		return (CHATSEC_BOT_E_INVAL);
	return (bot_add_handler(bot, BOT_H_COMMAND, name, (void *)cb, arg));
}

int
chatsec_bot_on_event(chatsec_bot *bot, const char *type,
    chatsec_bot_event_cb *cb, void *arg)
{
	return (bot_add_handler(bot, BOT_H_EVENT, type, (void *)cb, arg));
}

int
chatsec_bot_on_join(chatsec_bot *bot, chatsec_bot_event_cb *cb, void *arg)
{
	return (bot_add_handler(bot, BOT_H_JOIN, NULL, (void *)cb, arg));
}

int
chatsec_bot_on_key_change(chatsec_bot *bot, chatsec_bot_event_cb *cb,
    void *arg)
{
	return (bot_add_handler(bot, BOT_H_KEY, NULL, (void *)cb, arg));
}

int
chatsec_bot_on_connect(chatsec_bot *bot, chatsec_bot_conn_cb *cb, void *arg)
{
	return (bot_add_handler(bot, BOT_H_CONNECT, NULL, (void *)cb, arg));
}

/* --- the connection ----------------------------------------------------- */

/* Borrowed string member, or def. */
static const char *
bot_str(struct json_object *obj, const char *name, const char *def)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (def);
	return (json_object_get_string(v));
}

static int64_t
bot_int(struct json_object *obj, const char *name, int64_t def)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (def);
	return (json_object_get_int64(v));
}

/* Queue one request line; params taken over.  0 or an error. */
static int
bot_write(chatsec_bot *bot, int64_t id, const char *method,
    struct json_object *params)
{
	struct json_object	*req;
	int			 rc;

	if (bot->bev == NULL) {
		json_object_put(params);
		return (CHATSEC_BOT_E_NOTCONN);
	}
	if (evbuffer_get_length(bufferevent_get_output(bot->bev)) >=
	    BOT_OUT_MAX) {
		json_object_put(params);
		return (CHATSEC_BOT_E_FULL);
	}
	req = rpc_request(id, method, params);
	rc = frame_write(bufferevent_get_output(bot->bev), req,
	    CS_API_FRAME_MAX);
	json_object_put(req);
	return (rc == 0 ? 0 : CHATSEC_BOT_E_INVAL);
}

/* Backoff with ±25 % jitter, so many bots don't reconnect in step. */
static void
bot_backoff(chatsec_bot *bot)
{
	struct timeval	 tv;
	int		 ms = bot->backoff_ms;

	ms = ms * 3 / 4 + (int)(random() % (ms / 2 + 1));
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	bot_enter_state(bot, BOT_BACKOFF);
	evtimer_add(bot->ev_retry, &tv);
	bot->backoff_ms = bot->backoff_ms * 2 > bot->backoff_max ?
	    bot->backoff_max : bot->backoff_ms * 2;
}

/* Drop the connection; why non-NULL means retry after a backoff. */
static void
bot_disconnect(chatsec_bot *bot, const char *why)
{
	int	 was_ready = bot->state == BOT_READY;
	int	 i;

	if (bot->bev != NULL) {
		bufferevent_free(bot->bev);
		bot->bev = NULL;
	}
	bot->gen++;
	event_del(bot->ev_more);
	bot->more = 0;
	evtimer_del(bot->ev_rate);
	bot_calls_fail(bot, CHATSEC_BOT_E_NOTCONN);
	bot_cursor_flush(bot);
	if (why != NULL) {
		bot_log(bot, "disconnected: %s", why);
		bot_backoff(bot);
	}
	if (was_ready)
		for (i = 0; i < bot->nh[BOT_H_CONNECT]; i++)
			bot->h[BOT_H_CONNECT][i].cb.conn(bot, 0,
			    bot->h[BOT_H_CONNECT][i].arg);
}

static void
bot_retry_cb(int fd, short what, void *arg)
{
	bot_connect(arg);
}

/* Ask for the event stream, from the cursor if we have one. */
static void
bot_subscribe(chatsec_bot *bot)
{
	struct json_object	*p, *a;
	int			 i;

	p = json_object_new_object();
	if (bot->have_cursor)
		json_object_object_add(p, "since",
		    json_object_new_int64(bot->cursor));
	if (bot->types != NULL) {
		a = json_object_new_array();
		for (i = 0; bot->types[i] != NULL; i++)
			json_object_array_add(a,
			    json_object_new_string(bot->types[i]));
		json_object_object_add(p, "types", a);
	}
	bot_enter_state(bot, BOT_SUBSCRIBING);
	if (bot_write(bot, BOT_SUB_ID, "subscribe", p) != 0)
		bot_disconnect(bot, "cannot send subscribe");
}

/* The subscribe reply: ready, or the agent refused (retry later). */
static void
bot_subscribed(chatsec_bot *bot, struct rpc_resp *r)
{
	int	 i;

	if (r->result == NULL) {
		bot_log(bot, "subscribe refused: %s", r->message);
		bot_disconnect(bot, "subscribe refused");
		return;
	}
	if (!bot->have_cursor) {
		/* Start from now; later reconnects replay from here. */
		bot->cursor = bot_int(r->result, "cursor", 0);
		bot->have_cursor = 1;
	}
	if (!bot->have_seen) {
		bot->seen = bot->cursor;
		bot->have_seen = 1;
	}
	bot->backoff_ms = BOT_BACKOFF_MIN;
	bot_enter_state(bot, BOT_READY);
	for (i = 0; i < bot->nh[BOT_H_CONNECT]; i++)
		bot->h[BOT_H_CONNECT][i].cb.conn(bot, 1,
		    bot->h[BOT_H_CONNECT][i].arg);
	bot_pump(bot);
}

/* A reply to one of our calls. */
static void
bot_on_reply(chatsec_bot *bot, struct json_object *obj)
{
	struct rpc_resp	 r;
	struct bot_call	*c;
	int64_t		 id;

	if (rpc_parse_response(obj, &r) != 0 || r.id == NULL ||
	    !json_object_is_type(r.id, json_type_int))
		return;
	id = json_object_get_int64(r.id);
	if (id == BOT_SUB_ID) {
		if (bot->state == BOT_SUBSCRIBING)
			bot_subscribed(bot, &r);
		return;
	}
	TAILQ_FOREACH(c, &bot->calls, entry)
		if (c->id == id)
			break;
	if (c == NULL)
		return;		/* timed out already */
	TAILQ_REMOVE(&bot->calls, c, entry);
	bot->ncalls--;
	event_free(c->timer);
	if (c->cb != NULL) {
		if (r.result != NULL)
			c->cb(bot, 0, r.result, 0, NULL, c->arg);
		else
			c->cb(bot, CHATSEC_BOT_E_RPC, NULL, r.code, r.message,
			    c->arg);
	}
	free(c);
}

/* Does handler h (join/key kinds) take an event of this type? */
static int
bot_kind_matches(enum bot_kind k, const char *type, struct json_object *ev)
{
	/* doc/api.md: room changes are "room" events with an "action". */
	if (k == BOT_H_JOIN)
		return (strcmp(type, "room") == 0 &&
		    strcmp(bot_str(ev, "action", ""), "join") == 0);
	return (strcmp(type, "key_change") == 0);
}

/*
 * Still worth running handlers for this event?  On the loop, not once the
 * connection it came on is gone (a handler may have stopped the bot); a
 * worker runs the event to the end: the loop never waits for it.
 */
static int
bot_still(chatsec_bot *bot, int inl, unsigned int gen)
{
	return (!inl || gen == bot->gen);
}

/* Run the command handlers for a "!name args" message. */
static void
bot_on_command(chatsec_bot *bot, const chatsec_bot_msg *m, int inl)
{
	char			*argv[CHATSEC_BOT_MAX_ARGS + 1], *storage;
	struct bot_handler	*h, *any = NULL;
	unsigned int		 gen = inl ? bot->gen : 0;
	int			 argc, i, done = 0;

	argc = chatsec_bot_split(m->text + 1, argv, CHATSEC_BOT_MAX_ARGS,
	    &storage);
	if (argc == CHATSEC_BOT_E_PARSE || argc == CHATSEC_BOT_E_FULL) {
		chatsec_bot_reply(bot, m, "%s: %s", m->from, argc ==
		    CHATSEC_BOT_E_PARSE ? "unbalanced quotes in that command" :
		    "too many words in that command");
		return;
	}
	if (argc <= 0)
		return;
	for (i = 0; i < bot->nh[BOT_H_COMMAND] && bot_still(bot, inl, gen);
	    i++) {
		h = &bot->h[BOT_H_COMMAND][i];
		if (h->name == NULL) {
			if (any == NULL)
				any = h;
		} else if (strcmp(h->name, argv[0]) == 0) {
			h->cb.cmd(bot, m, argc, argv, h->arg);
			done = 1;
		}
	}
	if (!done && any != NULL && bot_still(bot, inl, gen))
		any->cb.cmd(bot, m, argc, argv, any->arg);
	free(storage);
}

/*
 * Run every handler that takes ev (borrowed), on the loop (inl) or on a
 * worker.  Touches nothing of the bot's that changes while it runs.
 */
static void
bot_dispatch(chatsec_bot *bot, struct json_object *ev, int inl)
{
	chatsec_bot_msg		 m;
	struct bot_handler	*h;
	const char		*type = bot_str(ev, "type", "");
	unsigned int		 gen = inl ? bot->gen : 0;
	int			 i, k;

	if (strcmp(type, "message") == 0) {
		memset(&m, 0, sizeof m);
		m.seq = bot_int(ev, "seq", -1);
		m.id = bot_int(ev, "id", 0);
		m.ts = bot_int(ev, "ts", 0);
		m.from = bot_str(ev, "from", "");
		m.to = bot_str(ev, "to", "");
		m.conv = bot_str(ev, "conv", "");
		m.text = bot_str(ev, "text", "");
		m.event = ev;
		if (json_object_object_get_ex(ev, "self", NULL))
			m.self = json_object_get_boolean(
			    json_object_object_get(ev, "self"));
		if (!m.self || bot->see_self) {
			for (i = 0; i < bot->nh[BOT_H_MESSAGE] &&
			    bot_still(bot, inl, gen); i++) {
				h = &bot->h[BOT_H_MESSAGE][i];
				h->cb.msg(bot, &m, h->arg);
			}
			if (m.text[0] == bot->prefix && m.text[1] != '\0' &&
			    m.text[1] != ' ' && m.text[1] != bot->prefix &&
			    bot_still(bot, inl, gen))
				bot_on_command(bot, &m, inl);
		}
	}
	for (k = BOT_H_JOIN; k <= BOT_H_KEY; k++) {
		if (!bot_kind_matches((enum bot_kind)k, type, ev))
			continue;
		for (i = 0; i < bot->nh[k] && bot_still(bot, inl, gen); i++)
			bot->h[k][i].cb.event(bot, type, ev, bot->h[k][i].arg);
	}
	for (i = 0; i < bot->nh[BOT_H_EVENT] && bot_still(bot, inl, gen);
	    i++) {
		h = &bot->h[BOT_H_EVENT][i];
		if (h->name == NULL || strcmp(h->name, type) == 0)
			h->cb.event(bot, type, ev, h->arg);
	}
}

/*
 * What orders events for the workers: a message's conversation, a room
 * event's room, a key change's peer (the DM conversation with them); any
 * other event its type.
 */
static const char *
bot_event_key(struct json_object *ev, const char *type)
{
	const char	*key = NULL;

	if (strcmp(type, "message") == 0)
		key = bot_str(ev, "conv", NULL);
	else if ((key = bot_str(ev, "room", NULL)) == NULL &&
	    strcmp(type, "key_change") == 0)
		key = bot_str(ev, "user", NULL);
	return (key != NULL ? key : type);
}

/*
 * One event from the stream (taken over): run its handlers and move the
 * cursor, or hand it to the workers, who report it handled later.
 */
static void
bot_on_event(chatsec_bot *bot, struct json_object *ev)
{
	const char	*type;
	int64_t		 seq;
	int		 rc;

	if (!json_object_is_type(ev, json_type_object) ||
	    (type = bot_str(ev, "type", NULL)) == NULL) {
		json_object_put(ev);
		return;
	}
	seq = bot_int(ev, "seq", -1);
	if (seq >= 0 && bot->have_seen && seq <= bot->seen) {
		json_object_put(ev);
		return;		/* seen already */
	}
	if (seq >= 0) {
		bot->seen = seq;
		bot->have_seen = 1;
	}
	if (bot->pool != NULL) {
		if ((rc = bot_pool_push(bot->pool, bot_event_key(ev, type), seq,
		    ev)) != 0)
			bot_log(bot, "event %" PRId64 " dropped: %s", seq,
			    chatsec_bot_strerror(rc));
		return;
	}
	bot_dispatch(bot, ev, 1);
	json_object_put(ev);
	if (seq >= 0 && bot->state != BOT_STOPPED)
		bot_cursor_set(bot, seq);
}

/* --- the worker pool's callbacks (bot-worker.c) -------------------------- */

static void
bot_job_cb(void *ctx, struct json_object *ev)
{
	bot_dispatch(ctx, ev, 0);
}

static void
bot_job_done_cb(void *ctx, int64_t seq)
{
	bot_cursor_set(ctx, seq);
}

/* Jobs finished: if reading stopped on a full queue, read on. */
static void
bot_job_room_cb(void *ctx)
{
	chatsec_bot	*bot = ctx;

	if (!bot->paused)
		return;
	bot->paused = 0;
	bot_log(bot, "worker queue has room: reading again");
	if (bot->bev != NULL && !bot->more) {
		bot->more = 1;
		event_active(bot->ev_more, 0, 0);
	}
}

static void
bot_job_stop_cb(void *ctx)
{
	chatsec_bot_stop(ctx);
}

static const struct bot_pool_cbs bot_pool_cbs = {
	bot_job_cb, bot_job_done_cb, bot_job_room_cb, bot_job_stop_cb,
};

/*
 * Handle at most CHATSEC_BOT_BATCH complete lines, then give the loop back
 * (ev_more carries on next turn).  Input beyond BOT_IN_MAX is left in the
 * kernel: the watermark stops reading until we catch up.  With workers,
 * nothing more is read while their queue is full (replies included), so
 * a slow handler holds back the agent rather than growing memory.
 */
static void
bot_read(chatsec_bot *bot)
{
	struct json_object	*obj, *params;
	struct evbuffer		*in;
	unsigned int		 gen = bot->gen;
	const char		*method;
	int			 n;

	for (n = 0; n < CHATSEC_BOT_BATCH; n++) {
		if (bot->bev == NULL || gen != bot->gen)
			return;
		if (bot->pool != NULL && bot_pool_full(bot->pool)) {
			if (!bot->paused)
				bot_log(bot, "worker queue full: not reading");
			bot->paused = 1;
			return;
		}
		in = bufferevent_get_input(bot->bev);
		switch (frame_read(&bot->reader, in, &obj)) {
		case FRAME_MORE:
			return;
		case FRAME_TOOBIG:
			bot_log(bot, "skipping an oversized line");
			continue;
		case FRAME_BAD:
			bot_log(bot, "bad line from the agent: %s",
			    bot->reader.error);
			continue;
		case FRAME_OK:
			break;
		}
		if (rpc_is_response(obj)) {
			bot_on_reply(bot, obj);
			json_object_put(obj);
			continue;
		}
		method = bot_str(obj, "method", "");
		if (strcmp(method, "event") != 0 ||
		    !json_object_object_get_ex(obj, "params", &params)) {
			json_object_put(obj);
			continue;
		}
		/* The event alone, no longer shared with obj: a worker may own it. */
		json_object_get(params);
		json_object_put(obj);
		bot_on_event(bot, params);
	}
	if (bot->bev != NULL && gen == bot->gen &&
	    evbuffer_get_length(bufferevent_get_input(bot->bev)) > 0) {
		bot->more = 1;
		event_active(bot->ev_more, 0, 0);
	}
}

static void
bot_read_cb(struct bufferevent *bev, void *arg)
{
	chatsec_bot	*bot = arg;

	if (!bot->more)
		bot_read(bot);
}

static void
bot_more_cb(int fd, short what, void *arg)
{
	chatsec_bot	*bot = arg;

	bot->more = 0;
	bot_read(bot);
}

static void
bot_event_cb(struct bufferevent *bev, short what, void *arg)
{
	chatsec_bot	*bot = arg;

	if (what & BEV_EVENT_CONNECTED) {
		bot_log(bot, "connected to %s", bot->path);
		bot_subscribe(bot);
		return;
	}
	if (what & BEV_EVENT_EOF)
		bot_disconnect(bot, "the agent closed the connection");
	else if (what & BEV_EVENT_ERROR)
		bot_disconnect(bot, strerror(EVUTIL_SOCKET_ERROR()));
}

/* Start connecting to the agent socket. */
static void
bot_connect(chatsec_bot *bot)
{
	struct sockaddr_un	 sun;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(bot->path) >= sizeof sun.sun_path) {
		bot_log(bot, "socket path too long: %s", bot->path);
		bot_backoff(bot);
		return;
	}
	memcpy(sun.sun_path, bot->path, strlen(bot->path) + 1);
	bot_enter_state(bot, BOT_CONNECTING);
	frame_reader_init(&bot->reader, CS_API_FRAME_MAX);
	bot->bev = bufferevent_socket_new(bot->base, -1,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bot->bev == NULL) {
		bot_backoff(bot);
		return;
	}
	bufferevent_setcb(bot->bev, bot_read_cb, NULL, bot_event_cb, bot);
	bufferevent_setwatermark(bot->bev, EV_READ, 0, BOT_IN_MAX);
	bufferevent_enable(bot->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(bot->bev, (struct sockaddr *)&sun,
	    sizeof sun) != 0) {
		/* bev may have reported the error already; be idempotent */
		if (bot->bev != NULL)
			bot_disconnect(bot, "cannot connect");
	}
}

/* --- calls -------------------------------------------------------------- */

static void
bot_call_timeout_cb(int fd, short what, void *arg)
{
	struct bot_call	*c = arg;
	chatsec_bot	*bot = c->bot;

	TAILQ_REMOVE(&bot->calls, c, entry);
	bot->ncalls--;
	event_free(c->timer);
	if (c->out != NULL)
		c->out->inflight = 0;
	if (c->cb != NULL)
		c->cb(bot, CHATSEC_BOT_E_TIMEOUT, NULL, 0, NULL, c->arg);
	free(c);
}

/* Send a request and track it; params taken over. */
static int
bot_call(chatsec_bot *bot, const char *method, struct json_object *params,
    int timeout_ms, chatsec_bot_reply_cb *cb, void *arg, struct bot_out *out)
{
	struct bot_call	*c;
	struct timeval	 tv;
	int		 rc;

	if (bot->state != BOT_READY) {
		json_object_put(params);
		return (bot->state == BOT_STOPPED ? CHATSEC_BOT_E_CLOSED :
		    CHATSEC_BOT_E_NOTCONN);
	}
	if (bot->ncalls >= BOT_CALLS_MAX) {
		json_object_put(params);
		return (CHATSEC_BOT_E_FULL);
	}
	if ((c = calloc(1, sizeof *c)) == NULL) {
		json_object_put(params);
		return (CHATSEC_BOT_E_NOMEM);
	}
	c->bot = bot;
	c->id = bot->next_id++;
	c->cb = cb;
	c->arg = arg;
	c->out = out;
	if ((c->timer = evtimer_new(bot->base, bot_call_timeout_cb, c)) ==
	    NULL) {
		free(c);
		json_object_put(params);
		return (CHATSEC_BOT_E_NOMEM);
	}
	if ((rc = bot_write(bot, c->id, method, params)) != 0) {
		event_free(c->timer);
		free(c);
		return (rc);
	}
	if (timeout_ms <= 0)
		timeout_ms = BOT_CALL_TIMEOUT;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
	TAILQ_INSERT_TAIL(&bot->calls, c, entry);
	bot->ncalls++;
	return (0);
}

/* A call or send made on a worker, for the loop to make (on its stack). */
struct bot_marshal {
	const char		*method;	/* a call; NULL for a send */
	struct json_object	*params;
	int			 timeout_ms;
	const char		*to;
	const char		*text;
	chatsec_bot_reply_cb	*cb;
	void			*arg;
};

/* On the loop: make the call or send a worker asked for. */
static int
bot_marshal_cb(void *ctx, void *arg)
{
	struct bot_marshal	*mc = arg;
	struct json_object	*params = mc->params;

	if (mc->method != NULL) {
		mc->params = NULL;	/* taken over here */
		return (chatsec_bot_call(ctx, mc->method, params,
		    mc->timeout_ms, mc->cb, mc->arg));
	}
	return (chatsec_bot_send(ctx, mc->to, mc->text, mc->cb, mc->arg));
}

int
chatsec_bot_call(chatsec_bot *bot, const char *method,
    struct json_object *params, int timeout_ms, chatsec_bot_reply_cb *cb,
    void *arg)
{
	struct bot_marshal	 mc;
	int			 rc;

	if (bot == NULL || method == NULL || (params != NULL &&
	    !json_object_is_type(params, json_type_object))) {
		json_object_put(params);
		return (CHATSEC_BOT_E_INVAL);
	}
	if (params == NULL)
		params = json_object_new_object();
	if (bot_on_worker(bot)) {
		memset(&mc, 0, sizeof mc);
		mc.method = method;
		mc.params = params;
		mc.timeout_ms = timeout_ms;
		mc.cb = cb;
		mc.arg = arg;
		rc = bot_pool_call(bot->pool, bot_marshal_cb, &mc);
		json_object_put(mc.params);	/* NULL unless it never got there */
		return (rc);
	}
	return (bot_call(bot, method, params, timeout_ms, cb, arg, NULL));
}

/* --- sends and the rate limiter ----------------------------------------- */

/* The agent answered a send: done, or back to the queue to retry. */
static void
bot_send_done(chatsec_bot *bot, int err, struct json_object *result,
    int code, const char *message, void *arg)
{
	struct bot_out	*o = arg;

	if (err == CHATSEC_BOT_E_TIMEOUT) {
		/* the same cid is safe to send again */
		o->inflight = 0;
		bot_pump(bot);
		return;
	}
	TAILQ_REMOVE(&bot->outq, o, entry);
	bot->nout--;
	if (o->cb != NULL)
		o->cb(bot, err, result, code, message, o->arg);
	free(o->to);
	free(o->text);
	free(o);
}

static void
bot_rate_cb(int fd, short what, void *arg)
{
	bot_pump(arg);
}

/* Send queued messages while tokens last; wait for the next one. */
static void
bot_pump(chatsec_bot *bot)
{
	struct json_object	*p;
	struct bot_out		*o;
	struct timeval		 tv;
	int64_t			 wait;
	int			 rc;

	if (bot->state != BOT_READY || evtimer_pending(bot->ev_rate, NULL))
		return;
	TAILQ_FOREACH(o, &bot->outq, entry) {
		if (o->inflight)
			continue;
		if ((wait = bot_bucket_take(&bot->bucket, bot_now_ms())) > 0) {
			tv.tv_sec = wait / 1000;
			tv.tv_usec = (wait % 1000) * 1000;
			evtimer_add(bot->ev_rate, &tv);
			return;
		}
		p = json_object_new_object();
		json_object_object_add(p, "to", json_object_new_string(o->to));
		json_object_object_add(p, "text",
		    json_object_new_string(o->text));
		json_object_object_add(p, "cid", json_object_new_string(o->cid));
		o->inflight = 1;
		if ((rc = bot_call(bot, "send", p, BOT_SEND_TIMEOUT,
		    bot_send_done, o, o)) != 0) {
			o->inflight = 0;
			bot_log(bot, "send: %s", chatsec_bot_strerror(rc));
			if (rc == CHATSEC_BOT_E_FULL) {
				/* wait for replies; one is due */
				tv.tv_sec = 0;
				tv.tv_usec = 100000;
				evtimer_add(bot->ev_rate, &tv);
			}
			return;
		}
	}
}

/* A message id for retries: 96 random bits in hex. */
static void
bot_make_cid(char *cid, size_t len)
{
	static unsigned int	 counter;
	unsigned char		 r[12];
	size_t			 i;

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		uint64_t	 t = (uint64_t)time(NULL) ^
				    ((uint64_t)getpid() << 32) ^ ++counter;
		memcpy(r, &t, sizeof t);
		memcpy(r + 8, &counter, 4);
	}
	snprintf(cid, len, "bot-");
	for (i = 0; i < sizeof r && 4 + 2 * i + 2 < len; i++)
		snprintf(cid + 4 + 2 * i, len - 4 - 2 * i, "%02x", r[i]);
}

int
chatsec_bot_send(chatsec_bot *bot, const char *to, const char *text,
    chatsec_bot_reply_cb *cb, void *arg)
{
	struct bot_marshal	 mc;
	struct bot_out		*o;
	size_t			 len;

	if (bot == NULL || to == NULL || text == NULL || *to == '\0')
		return (CHATSEC_BOT_E_INVAL);
	len = strlen(text);
	if (len == 0 || len > CS_TEXT_MAX)
		return (CHATSEC_BOT_E_INVAL);
	if (bot_on_worker(bot)) {
		memset(&mc, 0, sizeof mc);
		mc.to = to;
		mc.text = text;
		mc.cb = cb;
		mc.arg = arg;
		return (bot_pool_call(bot->pool, bot_marshal_cb, &mc));
	}
	if (bot->state == BOT_STOPPED)
		return (CHATSEC_BOT_E_CLOSED);
	if (bot->nout >= bot->out_max)
		return (CHATSEC_BOT_E_FULL);
	if ((o = calloc(1, sizeof *o)) == NULL)
		return (CHATSEC_BOT_E_NOMEM);
	o->to = strdup(to);
	o->text = strdup(text);
	if (o->to == NULL || o->text == NULL) {
		free(o->to);
		free(o->text);
		free(o);
		return (CHATSEC_BOT_E_NOMEM);
	}
	bot_make_cid(o->cid, sizeof o->cid);
	o->cb = cb;
	o->arg = arg;
	TAILQ_INSERT_TAIL(&bot->outq, o, entry);
	bot->nout++;
	bot_pump(bot);
	return (0);
}

/* Cut a truncated string of len bytes before a partial last character. */
static void
bot_utf8_cut(char *buf, size_t len)
{
	size_t		 i = len, need;
	unsigned char	 c;

	while (i > 0 && ((unsigned char)buf[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	c = (unsigned char)buf[i - 1];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (len - (i - 1) < need)
		buf[i - 1] = '\0';
}

int
chatsec_bot_reply(chatsec_bot *bot, const chatsec_bot_msg *msg,
    const char *fmt, ...)
{
	char	 buf[CS_TEXT_MAX + 1];
	va_list	 ap;
	int	 n;
	size_t	 len;

	if (bot == NULL || msg == NULL || fmt == NULL || msg->conv == NULL)
		return (CHATSEC_BOT_E_INVAL);
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return (CHATSEC_BOT_E_INVAL);
	len = strlen(buf);
	if ((size_t)n > len)
		bot_utf8_cut(buf, len);
	return (chatsec_bot_send(bot, msg->conv, buf, NULL, NULL));
}

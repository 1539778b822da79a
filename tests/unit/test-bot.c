/* chatsec — libchatsec-bot unit tests: argument splitting, rate limiter, errors, worker mode.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "chatsec-bot.h"
#include "bot-int.h"

/* Split line and compare with the words in want ("|"-separated). */
static void
split_is(const char *line, int nwant, const char *want[])
{
	char	*argv[CHATSEC_BOT_MAX_ARGS + 1], *st;
	int	 n, i;

	n = chatsec_bot_split(line, argv, CHATSEC_BOT_MAX_ARGS, &st);
	if (n != nwant)
		fail_msg("split(%s): %d words, want %d", line, n, nwant);
	for (i = 0; i < n; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[n]);
	free(st);
}

static void
test_split(void **state)
{
	const char	*w1[] = { "roll", "2d6" };
	const char	*w2[] = { "remind", "10s", "tea is ready" };
	const char	*w3[] = { "a b", "c\"d", "e'f", "g h", "" };
	const char	*w4[] = { "x\\y", "$HOME", "*" };
	const char	*w5[] = { "héllo", "wörld" };

	split_is("roll 2d6", 2, w1);
	split_is("  roll\t 2d6  \n", 2, w1);
	split_is("remind 10s 'tea is ready'", 3, w2);
	split_is("remind 10s \"tea is ready\"", 3, w2);
	split_is("remind 10s tea\\ is\\ ready", 3, w2);
	split_is("'a b' \"c\\\"d\" e\\'f g\" \"h ''", 5, w3);
	split_is("'x\\y' $HOME *", 3, w4);
	split_is("héllo 'wörld'", 2, w5);
	split_is("", 0, NULL);
	split_is("   ", 0, NULL);
}

static void
test_split_errors(void **state)
{
	char	*argv[CHATSEC_BOT_MAX_ARGS + 1], *st, line[1024];
	int	 i;

	assert_int_equal(chatsec_bot_split("a 'b", argv, 8, &st),
	    CHATSEC_BOT_E_PARSE);
	assert_null(st);
	assert_int_equal(chatsec_bot_split("a \"b\\\"", argv, 8, &st),
	    CHATSEC_BOT_E_PARSE);
	assert_int_equal(chatsec_bot_split("a b\\", argv, 8, &st),
	    CHATSEC_BOT_E_PARSE);
	assert_int_equal(chatsec_bot_split("a b c", argv, 2, &st),
	    CHATSEC_BOT_E_FULL);
	assert_null(st);
	assert_int_equal(chatsec_bot_split("a b", argv, 2, &st), 2);
	free(st);
	assert_int_equal(chatsec_bot_split(NULL, argv, 2, &st),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_split("a", argv, CHATSEC_BOT_MAX_ARGS + 1,
	    &st), CHATSEC_BOT_E_INVAL);
	/* 65 words: one too many for the maximum */
	line[0] = '\0';
	for (i = 0; i < CHATSEC_BOT_MAX_ARGS + 1; i++)
		strcat(line, "w ");
	assert_int_equal(chatsec_bot_split(line, argv, CHATSEC_BOT_MAX_ARGS,
	    &st), CHATSEC_BOT_E_FULL);
}

/* The bucket, driven by an injected clock. */
static void
test_bucket(void **state)
{
	struct bot_bucket	 b;
	int64_t			 now = 1000000, w;
	int			 i, sent;

	bot_bucket_init(&b, 5, 10, now);
	for (i = 0; i < 10; i++)
		assert_int_equal(bot_bucket_take(&b, now), 0);
	w = bot_bucket_take(&b, now);
	assert_true(w > 190 && w <= 201);	/* 1 token at 5/s: 200 ms */
	assert_true(bot_bucket_take(&b, now + 199) > 0);
	assert_int_equal(bot_bucket_take(&b, now + 201), 0);

	/* Over 10 s at most burst + rate * 10 s go out. */
	bot_bucket_init(&b, 5, 10, now);
	for (sent = 0, i = 0; i <= 10000; i += 10)
		while (bot_bucket_take(&b, now + i) == 0)
			sent++;
	assert_int_equal(sent, 10 + 50);

	/* A long idle refills to the burst, not beyond. */
	for (sent = 0; bot_bucket_take(&b, now + 3600000) == 0; sent++)
		;
	assert_int_equal(sent, 10);

	/* The clock going backwards changes nothing. */
	assert_true(bot_bucket_take(&b, now) > 0);

	bot_bucket_init(&b, 0.5, 1, 0);
	assert_int_equal(bot_bucket_take(&b, 0), 0);
	w = bot_bucket_take(&b, 0);
	assert_true(w >= 2000 && w <= 2001);
}

static void
test_strerror(void **state)
{
	int	 e;

	for (e = CHATSEC_BOT_OK; e >= CHATSEC_BOT_E_CLOSED; e--) {
		assert_non_null(chatsec_bot_strerror(e));
		assert_string_not_equal(chatsec_bot_strerror(e),
		    "unknown error");
	}
	assert_string_equal(chatsec_bot_strerror(-1000), "unknown error");
	assert_string_equal(chatsec_bot_strerror(5), "unknown error");
}

/* Settings are checked; a cursor file is read back. */
static void
test_settings(void **state)
{
	chatsec_bot	*bot;
	char		 dir[] = "/tmp/test-bot.XXXXXX", path[64];
	FILE		*f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/cursor", dir);
	bot = chatsec_bot_new(NULL, "/nonexistent/agent.sock");
	assert_non_null(bot);
	assert_int_equal(chatsec_bot_set_rate(bot, 0, 10, 0),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_set_rate(bot, 5, 0, 0),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_set_rate(bot, 2.5, 3, 16), 0);
	assert_int_equal(chatsec_bot_set_backoff_max(bot, 10),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_set_prefix(bot, ' '),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_on_command(bot, "", NULL, NULL),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_set_cursor_file(bot, path), 0);
	assert_int_equal(chatsec_bot_send(bot, "#general", "", NULL, NULL),
	    CHATSEC_BOT_E_INVAL);
	assert_false(chatsec_bot_connected(bot));
	chatsec_bot_free(bot);

	f = fopen(path, "w");
	fputs("junk\n", f);
	fclose(f);
	bot = chatsec_bot_new(NULL, "/nonexistent/agent.sock");
	assert_int_equal(chatsec_bot_set_cursor_file(bot, path),
	    CHATSEC_BOT_E_PARSE);
	chatsec_bot_free(bot);
	unlink(path);
	rmdir(dir);
	chatsec_bot_free(NULL);
}

/* A call with no agent behind the socket fails cleanly. */
static void
test_sync_noagent(void **state)
{
	chatsec_bot	*bot;
	int		 code = -1;
	char		 err[64];

	bot = chatsec_bot_new(NULL, "/nonexistent/agent.sock");
	assert_int_equal(chatsec_bot_call_sync(bot, "hello", NULL, 1000, NULL,
	    &code, err, sizeof err), CHATSEC_BOT_E_CONNECT);
	assert_int_equal(code, 0);
	assert_int_equal(chatsec_bot_call(bot, "hello", NULL, 0, NULL, NULL),
	    CHATSEC_BOT_E_NOTCONN);
	chatsec_bot_free(bot);
}


/* --- worker mode, against a fake agent on a Unix socket ------------------ */

/*
 * The fake agent: accepts the bot, answers subscribe, writes the events a
 * test gives it and keeps everything the bot writes.  The test thread
 * runs both it and the bot's loop (pump), so only the workers run
 * elsewhere.
 */
struct fake {
	char		 dir[64];
	char		 path[96];
	int		 lfd;
	int		 fd;
	int		 eof;
	char		 in[256 * 1024];
	size_t		 inlen;
};

static void
fake_start(struct fake *f)
{
	struct sockaddr_un	 sun;

	memset(f, 0, sizeof *f);
	f->fd = -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/test-bot.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/agent.sock", f->dir);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(f->lfd != -1);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
}

static void
fake_end(struct fake *f)
{
	char	 p[128];

	if (f->fd != -1)
		close(f->fd);
	close(f->lfd);
	unlink(f->path);
	snprintf(p, sizeof p, "%s/cursor", f->dir);
	unlink(p);
	rmdir(f->dir);
}

/* Accept the bot and take in what it wrote, without blocking. */
static void
fake_poll(struct fake *f)
{
	ssize_t	 n;

	if (f->fd == -1) {
		f->fd = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK);
		if (f->fd == -1)
			return;
		f->eof = 0;
	}
	while (f->inlen < sizeof f->in - 1) {
		n = read(f->fd, f->in + f->inlen, sizeof f->in - 1 - f->inlen);
		if (n == 0)
			f->eof = 1;
		if (n <= 0)
			break;
		f->inlen += (size_t)n;
	}
	f->in[f->inlen] = '\0';
}

/* Write one line to the bot (a few hundred bytes: the socket takes it). */
static void __attribute__((format(printf, 2, 3)))
fake_say(struct fake *f, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	assert_int_equal(write(f->fd, line, (size_t)n), n);
}

/* A message event in conv. */
static void
fake_msg(struct fake *f, int64_t seq, const char *conv, const char *text)
{
	fake_say(f, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":"
	    "{\"seq\":%" PRId64 ",\"type\":\"message\",\"id\":%" PRId64 ","
	    "\"ts\":1,\"from\":\"alice\",\"to\":\"%s\",\"conv\":\"%s\","
	    "\"text\":\"%s\"}}", seq, seq, conv, conv, text);
}

/* How many times needle occurs in what the bot wrote. */
static int
fake_count(struct fake *f, const char *needle)
{
	const char	*p = f->in;
	int		 n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return (n);
}

typedef int pump_cond(void *);

/*
 * Run the bot's loop and the fake agent until cond holds.  The deadline
 * only turns a hang into a failure; no result depends on time.
 */
static void
pump(struct event_base *base, struct fake *f, pump_cond *cond, void *arg,
    const char *what)
{
	struct pollfd	 pfd;
	time_t		 deadline = time(NULL) + 20;

	for (;;) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		fake_poll(f);
		if (cond(arg))
			return;
		if (time(NULL) > deadline)
			fail_msg("waited 20 s for %s", what);
		pfd.fd = f->fd != -1 ? f->fd : f->lfd;
		pfd.events = POLLIN;
		poll(&pfd, 1, 2);
	}
}

static int
cond_subscribed(void *arg)
{
	struct fake	*f = arg;

	return (strstr(f->in, "\"subscribe\"") != NULL);
}

/* Connect the bot to the fake and answer its subscribe. */
static void
fake_accept_bot(struct event_base *base, struct fake *f, chatsec_bot *bot)
{
	pump(base, f, cond_subscribed, f, "subscribe");
	fake_say(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"cursor\":0}}");
}

/* What the handlers saw, shared with the workers. */
struct gate {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 open;
	int		 slow_started;
	int		 fast_done;
	int		 handled;
	int64_t		 order[64];
	int		 norder;
	int		 rc_after;	/* a send after the gate opened */
	chatsec_bot	*bot;
	struct fake	*fake;
};

static void
gate_init(struct gate *g)
{
	memset(g, 0, sizeof *g);
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->rc_after = 1;
}

static void
gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/*
 * #slow waits at the gate (as a handler sleeping or stuck on a slow disk
 * would); anything else answers at once, through the marshalled reply.
 */
static void
gate_msg(chatsec_bot *bot, const chatsec_bot_msg *m, void *arg)
{
	struct gate	*g = arg;
	int		 rc;

	if (strcmp(m->conv, "#slow") == 0) {
		pthread_mutex_lock(&g->mu);
		g->slow_started++;
		if (g->norder < 64)
			g->order[g->norder++] = m->seq;
		while (!g->open)
			pthread_cond_wait(&g->cv, &g->mu);
		pthread_mutex_unlock(&g->mu);
		rc = chatsec_bot_reply(bot, m, "slow %" PRId64, m->seq);
		pthread_mutex_lock(&g->mu);
		g->rc_after = rc;
		g->handled++;
		pthread_mutex_unlock(&g->mu);
		return;
	}
	assert_int_equal(chatsec_bot_reply(bot, m, "fast %" PRId64, m->seq),
	    0);
	pthread_mutex_lock(&g->mu);
	g->fast_done++;
	g->handled++;
	pthread_mutex_unlock(&g->mu);
}

static int
gate_get(struct gate *g, int *field)
{
	int	 v;

	pthread_mutex_lock(&g->mu);
	v = *field;
	pthread_mutex_unlock(&g->mu);
	return (v);
}

static int
cond_fast_sent(void *arg)
{
	struct gate	*g = arg;

	return (gate_get(g, &g->fast_done) == 10 &&
	    fake_count(g->fake, "\"method\":\"send\"") == 10);
}

static int
cond_all_handled(void *arg)
{
	struct gate	*g = arg;

	return (gate_get(g, &g->handled) == 11 &&
	    bot_cursor_get(g->bot) == 11);
}

static chatsec_bot *
worker_bot(struct event_base *base, struct fake *f, struct gate *g,
    unsigned int n, unsigned int max)
{
	chatsec_bot	*bot;

	bot = chatsec_bot_new(base, f->path);
	assert_non_null(bot);
	assert_int_equal(chatsec_bot_set_rate(bot, 1000, 1000, 0), 0);
	assert_int_equal(chatsec_bot_on_message(bot, gate_msg, g), 0);
	assert_int_equal(chatsec_bot_set_workers(bot, n, max), 0);
	assert_int_equal(chatsec_bot_start(bot), 0);
	g->bot = bot;
	g->fake = f;
	/* No handlers while the workers read the tables. */
	assert_int_equal(chatsec_bot_on_message(bot, gate_msg, g),
	    CHATSEC_BOT_E_STATE);
	assert_int_equal(chatsec_bot_set_workers(bot, 1, 1),
	    CHATSEC_BOT_E_STATE);
	return (bot);
}

/*
 * A handler stuck in one conversation: the loop keeps reading, the other
 * conversation is answered in order meanwhile, and the cursor waits for
 * the stuck event.
 */
static void
test_workers_no_stall(void **state)
{
	struct event_base	*base;
	struct fake		 f;
	struct gate		 g;
	chatsec_bot		*bot;
	char			 want[32];
	const char		*p;
	int			 i;

	fake_start(&f);
	gate_init(&g);
	assert_non_null(base = event_base_new());
	bot = worker_bot(base, &f, &g, 2, 16);
	fake_accept_bot(base, &f, bot);

	fake_msg(&f, 1, "#slow", "take your time");
	for (i = 2; i <= 11; i++)
		fake_msg(&f, i, "#fast", "quick");
	pump(base, &f, cond_fast_sent, &g, "ten answers while #slow waits");
	assert_int_equal(gate_get(&g, &g.slow_started), 1);
	assert_int_equal(gate_get(&g, &g.handled), 10);
	/* One conversation's answers in stream order. */
	for (p = f.in, i = 2; i <= 11; i++) {
		snprintf(want, sizeof want, "\"text\":\"fast %d\"", i);
		assert_non_null(p = strstr(p, want));
	}
	/* Nothing past the stuck event counts as handled yet. */
	assert_int_equal(bot_cursor_get(bot), 0);

	gate_open(&g);
	pump(base, &f, cond_all_handled, &g, "the slow handler");
	assert_int_equal(gate_get(&g, &g.rc_after), 0);
	chatsec_bot_free(bot);
	event_base_free(base);
	fake_end(&f);
}

struct bound_check {
	chatsec_bot	*bot;
	struct gate	*gate;
	unsigned int	 njobs;
};

static int
cond_queue_full(void *arg)
{
	struct bound_check	*b = arg;
	unsigned int		 n, high;
	int			 paused;

	bot_worker_stats(b->bot, &n, &high, &paused);
	return (n == b->njobs && paused &&
	    gate_get(b->gate, &b->gate->slow_started) == 1);
}

static int
cond_order_10(void *arg)
{
	struct gate	*g = arg;

	return (gate_get(g, &g->handled) == 10 &&
	    bot_cursor_get(g->bot) == 10);
}

/*
 * One conversation, one stuck handler, a queue of 4: the bot takes four
 * events and reads no more however long the loop runs, then handles all
 * ten, in order, once the handler is free.
 */
static void
test_workers_bound(void **state)
{
	struct event_base	*base;
	struct bound_check	 b;
	struct fake		 f;
	struct gate		 g;
	chatsec_bot		*bot;
	unsigned int		 n, high;
	int			 i, paused;

	fake_start(&f);
	gate_init(&g);
	assert_non_null(base = event_base_new());
	bot = worker_bot(base, &f, &g, 2, 4);
	fake_accept_bot(base, &f, bot);
	for (i = 1; i <= 10; i++)
		fake_msg(&f, i, "#slow", "wait");
	b.bot = bot;
	b.gate = &g;
	b.njobs = 4;
	pump(base, &f, cond_queue_full, &b, "a full queue");
	for (i = 0; i < 200; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		fake_poll(&f);
	}
	bot_worker_stats(bot, &n, &high, &paused);
	assert_int_equal(n, 4);
	assert_int_equal(high, 4);
	assert_true(paused);
	/* The second worker may not take a job of a conversation in hand. */
	assert_int_equal(gate_get(&g, &g.slow_started), 1);

	gate_open(&g);
	pump(base, &f, cond_order_10, &g, "all ten handled");
	bot_worker_stats(bot, &n, &high, &paused);
	assert_int_equal(high, 4);
	assert_false(paused);
	assert_int_equal(g.norder, 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(g.order[i], i + 1);
	chatsec_bot_free(bot);
	event_base_free(base);
	fake_end(&f);
}

/* Open the gate once the bot is stopping (the test thread is in stop). */
static void *
opener_main(void *arg)
{
	struct gate		*g = arg;
	struct timespec		 ts = { 0, 1000000 };

	while (chatsec_bot_connected(g->bot))
		nanosleep(&ts, NULL);
	gate_open(g);
	return (NULL);
}

static int
cond_three_held(void *arg)
{
	struct gate	*g = arg;
	unsigned int	 n, high;
	int		 paused;

	bot_worker_stats(g->bot, &n, &high, &paused);
	return (n == 3 && gate_get(g, &g->slow_started) == 1);
}

/*
 * Stopping with one handler running and two events waiting: stop waits
 * for the handler (whose send now fails: closed), joins the workers,
 * drops the two, and the cursor file says the first only.
 */
static void
test_workers_stop(void **state)
{
	struct event_base	*base;
	struct fake		 f;
	struct gate		 g;
	chatsec_bot		*bot;
	pthread_t		 opener;
	char			 path[128], *data = NULL;
	FILE			*fp;

	fake_start(&f);
	gate_init(&g);
	assert_non_null(base = event_base_new());
	snprintf(path, sizeof path, "%s/cursor", f.dir);
	bot = chatsec_bot_new(base, f.path);
	assert_int_equal(chatsec_bot_set_cursor_file(bot, path), 0);
	assert_int_equal(chatsec_bot_on_message(bot, gate_msg, &g), 0);
	assert_int_equal(chatsec_bot_set_workers(bot, 1, 8), 0);
	assert_int_equal(chatsec_bot_start(bot), 0);
	g.bot = bot;
	g.fake = &f;
	fake_accept_bot(base, &f, bot);
	fake_msg(&f, 1, "#slow", "one");
	fake_msg(&f, 2, "#slow", "two");
	fake_msg(&f, 3, "#slow", "three");
	pump(base, &f, cond_three_held, &g, "three events held");
	assert_int_equal(pthread_create(&opener, NULL, opener_main, &g), 0);
	chatsec_bot_stop(bot);
	pthread_join(opener, NULL);
	assert_int_equal(gate_get(&g, &g.handled), 1);
	assert_int_equal(g.rc_after, CHATSEC_BOT_E_CLOSED);
	assert_int_equal(bot_cursor_get(bot), 1);
	assert_false(chatsec_bot_connected(bot));
	chatsec_bot_free(bot);
	assert_non_null(fp = fopen(path, "r"));
	data = calloc(1, 64);
	assert_non_null(fgets(data, 64, fp));
	fclose(fp);
	assert_string_equal(data, "1\n");
	free(data);
	event_base_free(base);
	fake_end(&f);
}

static int
cond_resubscribed(void *arg)
{
	struct fake	*f = arg;

	return (fake_count(f, "\"subscribe\"") == 2);
}

static int
cond_four_handled(void *arg)
{
	struct gate	*g = arg;

	return (gate_get(g, &g->handled) == 4 && bot_cursor_get(g->bot) == 4);
}

/*
 * The agent hangs up while one event is being handled and two wait: the
 * bot reconnects, asks again from its cursor (nothing handled yet), and
 * the replay of those three is not handled twice; the new one is.
 */
static void
test_workers_reconnect(void **state)
{
	struct event_base	*base;
	struct fake		 f;
	struct gate		 g;
	chatsec_bot		*bot;
	const char		*sub;
	int			 i;

	fake_start(&f);
	gate_init(&g);
	assert_non_null(base = event_base_new());
	bot = worker_bot(base, &f, &g, 1, 8);
	fake_accept_bot(base, &f, bot);
	for (i = 1; i <= 3; i++)
		fake_msg(&f, i, "#slow", "before");
	pump(base, &f, cond_three_held, &g, "three events held");
	close(f.fd);
	f.fd = -1;
	pump(base, &f, cond_resubscribed, &f, "a second subscribe");
	sub = strstr(f.in, "\"subscribe\"");
	assert_non_null(sub = strstr(sub + 1, "\"subscribe\""));
	assert_non_null(strstr(sub, "\"since\":0"));
	fake_say(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"cursor\":3}}");
	for (i = 1; i <= 4; i++)
		fake_msg(&f, i, "#slow", "replayed");
	gate_open(&g);
	pump(base, &f, cond_four_handled, &g, "four handled");
	assert_int_equal(g.norder, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(g.order[i], i + 1);
	chatsec_bot_free(bot);
	assert_int_equal(gate_get(&g, &g.handled), 4);
	event_base_free(base);
	fake_end(&f);
}

/* !quit asks the bot to stop from a worker; the loop does it. */
static void
quit_cmd(chatsec_bot *bot, const chatsec_bot_msg *m, int argc, char **argv,
    void *arg)
{
	chatsec_bot_stop(bot);
	assert_int_equal(chatsec_bot_reply(bot, m, "bye") == 0 ||
	    chatsec_bot_reply(bot, m, "bye") == CHATSEC_BOT_E_CLOSED, 1);
}

static int
cond_eof(void *arg)
{
	struct fake	*f = arg;

	return (f->eof);
}

static void
test_workers_stop_from_worker(void **state)
{
	struct event_base	*base;
	struct fake		 f;
	chatsec_bot		*bot;

	fake_start(&f);
	assert_non_null(base = event_base_new());
	bot = chatsec_bot_new(base, f.path);
	assert_int_equal(chatsec_bot_on_command(bot, "quit", quit_cmd, NULL),
	    0);
	assert_int_equal(chatsec_bot_set_workers(bot, 3, 0), 0);
	assert_int_equal(chatsec_bot_set_workers(bot, 65, 0),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_set_workers(bot, 1, 100001),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_start(bot), 0);
	fake_accept_bot(base, &f, bot);
	fake_msg(&f, 1, "#general", "!quit");
	pump(base, &f, cond_eof, &f, "the bot to hang up");
	assert_false(chatsec_bot_connected(bot));
	assert_int_equal(bot_cursor_get(bot), 1);
	assert_int_equal(chatsec_bot_send(bot, "#general", "late", NULL, NULL),
	    CHATSEC_BOT_E_CLOSED);
	chatsec_bot_free(bot);
	event_base_free(base);
	fake_end(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_sync_noagent),
		cmocka_unit_test(test_workers_no_stall),
		cmocka_unit_test(test_workers_bound),
		cmocka_unit_test(test_workers_stop),
		cmocka_unit_test(test_workers_reconnect),
		cmocka_unit_test(test_workers_stop_from_worker),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/* chatsec — chatsec-bench: the soak scenario.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "bench.h"

/*
 * soak: C clients live through sessions for D seconds, as people do:
 * connect, resume, sync, join one of SOAK_ROOMS rooms, send a few messages
 * (to that room, to #general, to another client), leave the room, hang up,
 * and come back after a pause.  The first client owns the rooms (it makes
 * them, so it never joins or leaves them).  Every SOAK_SAMPLE_S the
 * server's RSS and open files are sampled into a table row; the first
 * fifth of the run is warm-up.  The run fails (exit 1) on any refused
 * request, any connection the server drops, RSS growing after warm-up
 * beyond SOAK_RSS_SLACK_KIB, or open files, once every client has hung
 * up, more than SOAK_FD_SLACK above what they were before the first one
 * came (while clients come and go the count follows them).
 */

#define SOAK_ROOMS		4U
#define SOAK_SAMPLE_S		10
#define SOAK_PAUSE_MS		2000	/* longest pause between sessions */
#define SOAK_MSGS_MAX		6	/* messages per session, at most */
#define SOAK_RSS_SLACK_KIB	8192
#define SOAK_FD_SLACK		2
#define SOAK_ERRORS_SHOWN	5

enum soak_step {
	SOAK_CREATE,		/* slot 0's first session: make the rooms */
	SOAK_JOIN,
	SOAK_SEND,
	SOAK_LEAVE,
};

struct soak_slot {
	unsigned int	 idx;		/* account */
	struct conn	*c;		/* NULL between sessions */
	struct conn	*old;		/* the last session's, to free */
	struct event	*again;		/* the pause between sessions */
	unsigned int	 created;	/* rooms made (slot 0) */
};

static struct {
	struct soak_slot *slots;
	unsigned int	 nslots;
	int		 started;	/* the other slots were started */
	int		 stopping;
	uint64_t	 t0;
	uint64_t	 sessions;
	uint64_t	 msgs;
	uint64_t	 cids;
	uint64_t	 failures;
	unsigned int	 samples;
	unsigned int	 warm_samples;
	long		 rss_warm;
	long		 rss_max;
	long		 fds_before;
	long		 fds_after;
	struct event	*sample_ev;
	struct event	*stop_ev;
} S;

static void	soak_session(struct soak_slot *);

/* Open files of a process (entries of /proc/PID/fd); -1 if unknown. */
static long
soak_fds(pid_t pid)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*de;
	long		 n = 0;

	if (pid <= 0)
		return (-1);
	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return (n);
}

static struct soak_slot *
soak_slot_of(struct conn *c)
{
	unsigned int	 i;

	for (i = 0; i < S.nslots; i++)
		if (S.slots[i].c == c)
			return (&S.slots[i]);
	die("soak: a connection without a slot");
}

static void
soak_failure(unsigned int idx, const char *what)
{
	if (++S.failures <= SOAK_ERRORS_SHOWN)
		fprintf(stderr, "chatsec-bench: soak: client %u: %s\n", idx,
		    what);
}

static const char *
soak_room(unsigned int n)
{
	static char	 name[32];

	snprintf(name, sizeof name, "#soak%u", n % SOAK_ROOMS);
	return (name);
}

/* Hang up and come back after a pause (unless the run is over). */
static void
soak_hangup(struct soak_slot *sl)
{
	struct timeval	 tv;
	unsigned int	 ms;

	/*
	 * This runs inside the connection's own callbacks, which look at
	 * its state afterwards: the structure waits in sl->old until the
	 * slot's next hang-up.
	 */
	if (sl->c != NULL) {
		sl->c->state = CONN_DEAD;
		if (sl->c->bev != NULL)
			bufferevent_free(sl->c->bev);
		sl->c->bev = NULL;
		free(sl->old);
		sl->old = sl->c;
		sl->c = NULL;
	}
	if (S.stopping)
		return;
	ms = (unsigned int)(random() % SOAK_PAUSE_MS);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(sl->again, &tv);
}

/* Send the session's next request, or hang up when it is done. */
static void
soak_next(struct soak_slot *sl)
{
	struct conn		*c = sl->c;
	struct json_object	*p = json_object_new_object();
	const char		*to;
	char			 cid[48], peer[32];

	switch (c->step) {
	case SOAK_CREATE:
		json_object_object_add(p, "room",
		    json_object_new_string(soak_room(sl->created)));
		conn_request(c, "room_create", p);
		return;
	case SOAK_JOIN:
		json_object_object_add(p, "room",
		    json_object_new_string(soak_room(sl->idx)));
		conn_request(c, "room_join", p);
		return;
	case SOAK_SEND:
		if (c->todo == 0)
			break;
		switch (c->todo % 3) {
		case 0:
			to = soak_room(sl->idx);
			break;
		case 1:
			to = "#general";
			break;
		default:
			snprintf(peer, sizeof peer, "%s",
			    B.accts[(sl->idx + 1) % S.nslots].name);
			to = peer;
			break;
		}
		/* Unique per account: the server would take a reused one
		 * for a retry. */
		snprintf(cid, sizeof cid, "s%" PRIu64, ++S.cids);
		json_object_object_add(p, "to", json_object_new_string(to));
		json_object_object_add(p, "cid", json_object_new_string(cid));
		json_object_object_add(p, "body",		/* opaque */
		    json_object_new_string(c->b64tail));
		conn_request(c, "send", p);
		c->todo--;
		return;
	case SOAK_LEAVE:
		break;
	}
	json_object_put(p);
	if (c->step == SOAK_SEND && sl != &S.slots[0]) {
		c->step = SOAK_LEAVE;
		p = json_object_new_object();
		json_object_object_add(p, "room",
		    json_object_new_string(soak_room(sl->idx)));
		conn_request(c, "room_leave", p);
		return;
	}
	S.sessions++;
	soak_hangup(sl);
}

/* Logged in and synced: start the session's requests. */
static void
soak_ready(struct conn *c)
{
	struct soak_slot	*sl = soak_slot_of(c);

	c->todo = 1 + (unsigned int)(random() % SOAK_MSGS_MAX);
	if (sl == &S.slots[0] && sl->created < SOAK_ROOMS)
		c->step = SOAK_CREATE;
	else if (sl == &S.slots[0])
		c->step = SOAK_SEND;	/* the owner stays in its rooms */
	else
		c->step = SOAK_JOIN;
	soak_next(sl);
}

/* A reply in a session. */
static void
soak_reply(struct conn *c, struct json_object *r, int code)
{
	struct soak_slot	*sl = soak_slot_of(c);
	unsigned int		 i;
	char			 what[96];

	/* A room made by an earlier run of the soak is fine (1025). */
	if (r == NULL && !(c->step == SOAK_CREATE && code == 1025)) {
		snprintf(what, sizeof what, "request in step %u refused (%d)",
		    c->step, code);
		soak_failure(sl->idx, what);
	}
	switch (c->step) {
	case SOAK_CREATE:
		if (++sl->created < SOAK_ROOMS)
			break;
		c->step = SOAK_SEND;
		if (!S.started) {
			S.started = 1;
			for (i = 1; i < S.nslots; i++)
				soak_session(&S.slots[i]);
		}
		break;
	case SOAK_JOIN:
		c->step = SOAK_SEND;
		break;
	case SOAK_SEND:
		if (r != NULL)
			S.msgs++;
		break;
	case SOAK_LEAVE:
		S.sessions++;
		soak_hangup(sl);
		return;
	}
	soak_next(sl);
}

/* The server closed a connection, or it failed: a failure of the run. */
static void
soak_dead(struct conn *c, const char *why)
{
	struct soak_slot	*sl = soak_slot_of(c);

	soak_failure(sl->idx, why);
	c->bev = NULL;
	soak_hangup(sl);
}

/* A new session for the slot. */
static void
soak_session(struct soak_slot *sl)
{
	if (S.stopping)
		return;
	sl->c = conn_new(sl->idx, 1, 0, 1);	/* sender: a body to send */
	conn_connect(sl->c);
}

static void
soak_again_cb(evutil_socket_t fd, short ev, void *arg)
{
	soak_session(arg);
}

/* Every SOAK_SAMPLE_S: one row of the table. */
static void
soak_sample_cb(evutil_socket_t fd, short ev, void *arg)
{
	double	 t = (double)(now_ns() - S.t0) / 1e9;
	long	 rss = proc_rss_kib(B.server_pid), fds = soak_fds(B.server_pid);

	S.samples++;
	printf("soak: %6.0f s  sessions %8" PRIu64 "  messages %8" PRIu64
	    "  failures %4" PRIu64 "  server RSS %7ld KiB  open files %5ld\n",
	    t, S.sessions, S.msgs, S.failures, rss, fds);
	fflush(stdout);
	if (S.samples == S.warm_samples)
		S.rss_warm = rss;
	else if (S.samples > S.warm_samples && rss > S.rss_max)
		S.rss_max = rss;
	(void)fds;
}

static void
soak_stop_cb(evutil_socket_t fd, short ev, void *arg)
{
	S.stopping = 1;
	event_base_loopbreak(B.base);
}

/* Run the soak; 0 if it held. */
int
bench_run_soak(void)
{
	struct timeval	 sample = { SOAK_SAMPLE_S, 0 }, stop;
	unsigned int	 i;
	uint64_t	 until;
	int		 ok = 1;

	if (B.clients < 2)
		die("soak needs at least 2 clients");
	if (B.server_pid <= 0)
		die("soak needs --server-pid");
	S.nslots = B.clients;
	if ((S.slots = calloc(S.nslots, sizeof *S.slots)) == NULL)
		die("out of memory");
	for (i = 0; i < S.nslots; i++) {
		S.slots[i].idx = B.offset + i;
		if (S.slots[i].idx >= B.naccts)
			die("not enough accounts (%u needed)", S.slots[i].idx + 1);
		S.slots[i].again = evtimer_new(B.base, soak_again_cb,
		    &S.slots[i]);
	}
	srandom(1);
	B.on_ready = soak_ready;
	B.on_reply = soak_reply;
	B.on_dead = soak_dead;
	S.warm_samples = (unsigned int)(B.duration / SOAK_SAMPLE_S / 5);
	if (S.warm_samples == 0)
		S.warm_samples = 1;
	S.t0 = now_ns();
	S.sample_ev = event_new(B.base, -1, EV_PERSIST, soak_sample_cb, NULL);
	event_add(S.sample_ev, &sample);
	stop.tv_sec = (time_t)B.duration;
	stop.tv_usec = (suseconds_t)((B.duration - (double)stop.tv_sec) * 1e6);
	S.stop_ev = evtimer_new(B.base, soak_stop_cb, NULL);
	evtimer_add(S.stop_ev, &stop);

	printf("soak: %u clients for %.0f s, %u rooms, a sample every %d s "
	    "(warm-up: %u samples)\n", S.nslots, B.duration, SOAK_ROOMS,
	    SOAK_SAMPLE_S, S.warm_samples);
	S.fds_before = soak_fds(B.server_pid);
	soak_session(&S.slots[0]);
	event_base_dispatch(B.base);

	/* Let the sessions under way end (bounded). */
	until = now_ns() + 10 * 1000000000ULL;
	for (;;) {
		struct timeval	 tv = { 0, 50000 };
		unsigned int	 live = 0;

		for (i = 0; i < S.nslots; i++)
			if (S.slots[i].c != NULL)
				live++;
		if (live == 0 || now_ns() > until)
			break;
		event_base_loopexit(B.base, &tv);
		event_base_dispatch(B.base);
	}
	soak_sample_cb(-1, 0, NULL);
	/* The server closes its side of the last ones (bounded wait). */
	until = now_ns() + 5 * 1000000000ULL;
	while ((S.fds_after = soak_fds(B.server_pid)) > S.fds_before &&
	    now_ns() < until)
		usleep(100000);

	printf("BENCH scenario=soak proto=chatsec clients=%u duration_s=%.0f "
	    "sessions=%" PRIu64 " messages=%" PRIu64 " failures=%" PRIu64
	    " rss_warm_kib=%ld rss_max_kib=%ld fds_before=%ld fds_after=%ld\n",
	    S.nslots, B.duration, S.sessions, S.msgs, S.failures, S.rss_warm,
	    S.rss_max, S.fds_before, S.fds_after);
	if (S.failures != 0) {
		printf("soak: FAILED: %" PRIu64 " failures\n", S.failures);
		ok = 0;
	}
	if (S.sessions < S.nslots) {
		printf("soak: FAILED: only %" PRIu64 " sessions\n", S.sessions);
		ok = 0;
	}
	if (S.samples > S.warm_samples + 1 &&
	    S.rss_max > S.rss_warm + SOAK_RSS_SLACK_KIB) {
		printf("soak: FAILED: server RSS grew from %ld to %ld KiB after "
		    "warm-up\n", S.rss_warm, S.rss_max);
		ok = 0;
	}
	if (S.fds_after > S.fds_before + SOAK_FD_SLACK) {
		printf("soak: FAILED: the server has %ld open files once every "
		    "client is gone, %ld before the first came\n", S.fds_after,
		    S.fds_before);
		ok = 0;
	}
	for (i = 0; i < S.nslots; i++) {
		event_free(S.slots[i].again);
		free(S.slots[i].old);
		free(S.slots[i].c);	/* NULL unless it outlived the wait */
	}
	event_free(S.sample_ev);
	event_free(S.stop_ev);
	free(S.slots);
	return (ok ? 0 : 1);
}

/* chatsec — chatsecd connections.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "chatsecd.h"
#include "bus.h"
#include "clock.h"
#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "store.h"
#include "xmalloc.h"

/*
 * A connection is an explicit state machine (see enum client_state); every
 * change goes through client_enter_state(), which logs it and arms the one
 * timer for the state's deadline.  Bytes become frames only through
 * frame.h; a broken frame closes the connection, anything else is the
 * dispatcher's business.  A closed connection is marked dead at once and
 * freed from a separate event later in the loop turn, so code walking a
 * list of connections (the bus, the message batch) never meets freed
 * memory.
 *
 * The table of logged-in accounts (for presence and who) lives here too.
 */

#define CLIENT_CLOSE_GRACE	5000	/* ms to flush a last reply */
#define CLIENT_READ_MAX		(2 * CS_WIRE_FRAME_MAX)

enum client_deadline {
	CLIENT_DL_NONE,
	CLIENT_DL_HANDSHAKE,
	CLIENT_DL_LOGIN,
	CLIENT_DL_IDLE,
	CLIENT_DL_CLOSING,
};

struct client_state_entry {
	const char		*name;
	enum client_deadline	 deadline;
	const char		*timeout;	/* why a timeout closes */
};

static const struct client_state_entry client_states[] = {
	[CLIENT_HANDSHAKE] = { "handshake", CLIENT_DL_HANDSHAKE,
	    "TLS handshake timeout" },
	[CLIENT_GREETING] = { "greeting", CLIENT_DL_LOGIN, "login timeout" },
	[CLIENT_ANON] = { "anon", CLIENT_DL_LOGIN, "login timeout" },
	[CLIENT_READY] = { "ready", CLIENT_DL_IDLE, "idle timeout" },
	[CLIENT_CLOSING] = { "closing", CLIENT_DL_CLOSING, "close timeout" },
	[CLIENT_DEAD] = { "dead", CLIENT_DL_NONE, NULL },
};

/*
 * A logged-in account and how many connections it has.  Its away text
 * lives here, so it lasts while the account has a connection and goes
 * with the last one (agents set it again when they are back).
 */
struct online {
	int64_t			 account_id;
	char			 name[NAME_USER_MAX + 1];
	unsigned int		 conns;
	char			*away;		/* owned; NULL: not away */
	int64_t			 away_window;	/* monotonic ms it began */
	unsigned int		 away_changes;	/* in the window */
	TAILQ_ENTRY(online)	 entry;
};
TAILQ_HEAD(onlines, online);

static struct clients	 client_list = TAILQ_HEAD_INITIALIZER(client_list);
static struct clients	 client_dead = TAILQ_HEAD_INITIALIZER(client_dead);
static struct event	*client_reaper;
static struct clients	 client_flushq = TAILQ_HEAD_INITIALIZER(client_flushq);
static struct event	*client_flusher;
static struct event	*client_resumer;	/* the batch has room again */
static unsigned int	 client_nwaiting;	/* CLIENT_WAITING set, at most */
static struct event	*client_trimmer;
static uint64_t		 client_next_id = 1;
static unsigned int	 client_n;

static void		*online_tree;
static struct onlines	 online_list = TAILQ_HEAD_INITIALIZER(online_list);

static void	 client_process_input(struct client *);
static void	 client_kill(struct client *);
static void	 client_flush(struct client *);

/* Order online entries by account id. */
static int
online_cmp(const void *a, const void *b)
{
	const struct online	*x = a, *y = b;

	return (x->account_id < y->account_id ? -1 :
	    x->account_id > y->account_id);
}

/* Count a connection for an account; announce the account's first one. */
static struct online *
online_acquire(int64_t account_id, const char *name)
{
	struct online	 key, *o, **found;

	key.account_id = account_id;
	if ((found = tfind(&key, &online_tree, online_cmp)) != NULL) {
		o = *found;
		o->conns++;
		return (o);
	}
	o = xcalloc(1, sizeof *o);
	o->account_id = account_id;
	snprintf(o->name, sizeof o->name, "%s", name);
	o->conns = 1;
	if (tsearch(o, &online_tree, online_cmp) == NULL)
		FATALX("out of memory");
	TAILQ_INSERT_TAIL(&online_list, o, entry);
	bus_publish_presence(o->name, 1, NULL);
	return (o);
}

/* Drop a connection of an account; announce when its last one goes. */
static void
online_release(struct online *o)
{
	if (o == NULL || --o->conns > 0)
		return;
	bus_publish_presence(o->name, 0, NULL);
	tdelete(o, &online_tree, online_cmp);
	TAILQ_REMOVE(&online_list, o, entry);
	free(o->away);
	free(o);
}

/* Order names for who. */
static int
online_name_cmp(const void *a, const void *b)
{
	const struct online *const	*x = a, *const *y = b;

	return (strcasecmp((*x)->name, (*y)->name));
}

/*
 * Add to result the names of every logged-in account, sorted, as the
 * array "online", and the away texts of those away as the object "away"
 * (name: text).
 */
void
client_who(struct json_object *result)
{
	struct json_object	 *array, *away;
	struct online		**v, *o;
	size_t			  n = 0, i;

	TAILQ_FOREACH(o, &online_list, entry)
		n++;
	v = xreallocarray(NULL, n + 1, sizeof *v);
	n = 0;
	TAILQ_FOREACH(o, &online_list, entry)
		v[n++] = o;
	qsort(v, n, sizeof *v, online_name_cmp);
	array = json_object_new_array_ext((int)n);
	away = json_object_new_object();
	for (i = 0; i < n; i++) {
		json_object_array_add(array, json_object_new_string(v[i]->name));
		if (v[i]->away != NULL)
			json_object_object_add(away, v[i]->name,
			    json_object_new_string(v[i]->away));
	}
	free(v);
	json_object_object_add(result, "online", array);
	json_object_object_add(result, "away", away);
}

/* The away text of an account (borrowed), or NULL: not away or offline. */
const char *
client_away(int64_t account)
{
	struct online	 key, **found;

	key.account_id = account;
	if ((found = tfind(&key, &online_tree, online_cmp)) == NULL)
		return (NULL);
	return ((*found)->away);
}

/*
 * Set the away text of c's account (copied; NULL or "" clears) and tell
 * everyone when it changed.  The caller checked the text (names.h).  Each
 * change goes to every connected user, so an account may make
 * CLIENT_AWAY_CHANGES of them per CLIENT_AWAY_WINDOW ms; over that it
 * returns the seconds to wait and changes nothing.  Setting the text it
 * already has (an agent that reconnects) is free.
 */
int64_t
client_set_away(struct client *c, const char *text)
{
	struct online	*o = c->online;
	int64_t		 now = clock_mono_ms();

	if (o == NULL)
		return (0);
	if (text != NULL && *text == '\0')
		text = NULL;
	if (text == NULL ? o->away == NULL :
	    (o->away != NULL && strcmp(o->away, text) == 0))
		return (0);
	if (now - o->away_window >= CLIENT_AWAY_WINDOW) {
		o->away_window = now;
		o->away_changes = 0;
	}
	if (o->away_changes >= CLIENT_AWAY_CHANGES)
		return ((o->away_window + CLIENT_AWAY_WINDOW - now) / 1000 + 1);
	o->away_changes++;
	free(o->away);
	o->away = text != NULL ? xstrdup(text) : NULL;
	bus_publish_presence(o->name, 1, o->away);
	return (0);
}

/* Whether an account has a logged-in connection. */
int
client_online(int64_t account)
{
	struct online	 key;

	key.account_id = account;
	return (tfind(&key, &online_tree, online_cmp) != NULL);
}

/* Number of logged-in connections of an account. */
unsigned int
client_count_account(int64_t account)
{
	struct client	*c;
	unsigned int	 n = 0;

	TAILQ_FOREACH(c, &client_list, entry) {
		if (c->state == CLIENT_READY && c->account_id == account)
			n++;
	}
	return (n);
}

/*
 * Close every logged-in connection of an account (disabled, its sessions
 * revoked, or its password changed), each once what is queued for it (a
 * last reply) is written; except (may be NULL) stays open.  Returns how
 * many.
 */
unsigned int
client_close_account(int64_t account, const struct client *except,
    const char *reason)
{
	struct client	*c, *c1;
	unsigned int	 n = 0;

	TAILQ_FOREACH_SAFE(c, &client_list, entry, c1) {
		if (c->state != CLIENT_READY || c->account_id != account ||
		    c == except)
			continue;
		c->has_token = 0;	/* its session is gone: don't touch it */
		client_close_after_flush(c, reason);
		n++;
	}
	return (n);
}

/* Number of open connections. */
unsigned int
client_count(void)
{
	return (client_n);
}

/* The peer address, for logs and the audit trail. */
const char *
client_addr(const struct client *c)
{
	return (c->peer->addr);
}

/* The logged-in user's name, or NULL. */
const char *
client_user(const struct client *c)
{
	return (c->online != NULL ? c->online->name : NULL);
}

/* Whether the connection is logged in. */
int
client_logged_in(const struct client *c)
{
	return (c->state == CLIENT_READY);
}

/* When the current state's deadline falls, in monotonic ms; 0 for none. */
static int64_t
client_deadline(struct client *c)
{
	switch (client_states[c->state].deadline) {
	case CLIENT_DL_HANDSHAKE:
		return (c->accepted + server_cfg.handshake_timeout * 1000);
	case CLIENT_DL_LOGIN:
		if (c->reg != NULL)
			return (c->reg_since +
			    server_cfg.register_timeout * 1000);
		return (c->accepted + server_cfg.login_timeout * 1000);
	case CLIENT_DL_IDLE:
		return (c->last_rx + server_cfg.idle_timeout * 1000);
	case CLIENT_DL_CLOSING:
		return (c->last_rx + CLIENT_CLOSE_GRACE);
	case CLIENT_DL_NONE:
		break;
	}
	return (0);
}

/* Arm the timer for the current state's deadline. */
static void
client_arm_timer(struct client *c)
{
	struct timeval	 tv;
	int64_t		 deadline, left;

	if ((deadline = client_deadline(c)) == 0) {
		evtimer_del(c->timer);
		return;
	}
	left = deadline - clock_mono_ms();
	if (left < 0)
		left = 0;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/*
 * Timer: close the connection if its deadline has passed, else re-arm.  The
 * idle deadline moves with every read without touching the timer, so it is
 * checked here rather than rescheduled on each frame.
 */
static void
client_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c = arg;

	if (c->state == CLIENT_DEAD)
		return;
	if (clock_mono_ms() < client_deadline(c)) {
		client_arm_timer(c);
		return;
	}
	/*
	 * A login or register waiting for the hash pool is not the client's
	 * delay: the deadline is checked again when the hash is done
	 * (client_set_busy), and then nothing more is read.  The pool's queue
	 * is bounded, so this wait is too.
	 */
	if (c->job != NULL &&
	    client_states[c->state].deadline == CLIENT_DL_LOGIN)
		return;
	if (c->state == CLIENT_HANDSHAKE)
		audit_log("connect", NULL, client_addr(c), "TLS handshake timeout");
	client_close(c, client_states[c->state].timeout);
}

/* Move to state, logging the transition and arming its deadline. */
void
client_enter_state(struct client *c, enum client_state state)
{
	log_debug("client %llu: %s -> %s", (unsigned long long)c->id,
	    client_states[c->state].name, client_states[state].name);
	c->state = state;
	if (state == CLIENT_CLOSING)
		c->last_rx = clock_mono_ms();
	client_arm_timer(c);
}

/* Free a dead connection: everything client_close() left for later. */
static void
client_free(struct client *c)
{
	TAILQ_REMOVE(&client_dead, c, entry);
	bus_unsubscribe(c->sub);
	online_release(c->online);
	if (c->has_token)
		auth_touch(c->token_hash);
	auth_client_free(c);
	typing_client_free(c);
	listen_peer_release(c->peer);
	event_free(c->timer);
	if (c->rate_ev != NULL)
		event_free(c->rate_ev);
	if (c->outq != NULL)
		evbuffer_free(c->outq);
	bufferevent_free(c->bev);
	sec_wipe(c, sizeof *c);
	free(c);
	client_n--;
}

/* Reaper event: free every connection closed since it last ran. */
static void
client_reap(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c;

	while ((c = TAILQ_FIRST(&client_dead)) != NULL)
		client_free(c);
}

/*
 * Mark a connection dead and stop its I/O; it is freed later in this loop
 * turn.  A pending password hash is cancelled and its sends in the batch
 * forget it now, so nothing answers into a closed connection.
 */
static void
client_kill(struct client *c)
{
	if (c->state == CLIENT_DEAD)
		return;
	client_enter_state(c, CLIENT_DEAD);
	if (c->flags & CLIENT_FLUSHQ) {
		TAILQ_REMOVE(&client_flushq, c, flush_entry);
		c->flags &= ~CLIENT_FLUSHQ;
	}
	if (c->rate_ev != NULL)
		evtimer_del(c->rate_ev);
	bufferevent_disable(c->bev, EV_READ|EV_WRITE);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	hash_cancel(c->job);
	c->job = NULL;
	msg_client_gone(c);
	files_client_gone(c);
	TAILQ_REMOVE(&client_list, c, entry);
	TAILQ_INSERT_TAIL(&client_dead, c, entry);
	event_active(client_reaper, EV_TIMEOUT, 1);
}

/* Close a connection now, logging why. */
void
client_close(struct client *c, const char *reason)
{
	if (c->state == CLIENT_DEAD)
		return;
	log_info("client %llu (%s@%s): closed: %s", (unsigned long long)c->id,
	    log_safe(client_user(c) != NULL ? client_user(c) : "-"),
	    client_addr(c), reason);
	client_kill(c);
}

/* Read while the connection is live, neither busy hashing nor paused. */
static void
client_update_read(struct client *c)
{
	if (c->state == CLIENT_DEAD || c->state == CLIENT_CLOSING ||
	    (c->flags & (CLIENT_BUSY|CLIENT_PAUSED|CLIENT_THROTTLED|
	    CLIENT_WAITING)))
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
}

/*
 * Output.  Frames for a connection go to c->outq, and the connection
 * onto the flush list; once the loop turn's callbacks are done, the
 * flusher writes each connection's queued output in one go: straight
 * through TLS while the socket has room (tls_write_through), the rest
 * handed to the bufferevent, which waits for the socket as before.  So a
 * connection that gets 30 frames in a turn costs one TLS record and one
 * write(2), and no epoll_ctl at all unless its socket is full.  A closing
 * or paused connection has everything handed over at once, so the
 * bufferevent's write watermark still says when its output has drained.
 */
static void
client_flush(struct client *c)
{
	if (c->flags & CLIENT_FLUSHQ) {
		TAILQ_REMOVE(&client_flushq, c, flush_entry);
		c->flags &= ~CLIENT_FLUSHQ;
	}
	if (c->outq == NULL || c->state == CLIENT_DEAD)
		return;
	if (c->state != CLIENT_HANDSHAKE && c->state != CLIENT_CLOSING &&
	    (c->flags & CLIENT_PAUSED) == 0 &&
	    tls_write_through(c->bev, c->outq) != 0) {
		client_close(c, "TLS write failed");
		return;
	}
	if (evbuffer_get_length(c->outq) != 0 &&
	    evbuffer_add_buffer(bufferevent_get_output(c->bev),
	    c->outq) != 0) {
		client_close(c, "out of memory");
		return;
	}
	evbuffer_free(c->outq);
	c->outq = NULL;
}

/* Flusher event: write out every connection given something this turn. */
static void
client_flush_all(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c;

	while ((c = TAILQ_FIRST(&client_flushq)) != NULL)
		client_flush(c);
}

/* Where to put a connection's next frame; queues the connection to write. */
static struct evbuffer *
client_out(struct client *c)
{
	if (c->outq == NULL && (c->outq = evbuffer_new()) == NULL)
		FATALX("evbuffer_new");
	if ((c->flags & CLIENT_FLUSHQ) == 0) {
		if (TAILQ_EMPTY(&client_flushq))
			event_active(client_flusher, EV_TIMEOUT, 1);
		TAILQ_INSERT_TAIL(&client_flushq, c, flush_entry);
		c->flags |= CLIENT_FLUSHQ;
	}
	return (c->outq);
}

/* Bytes queued for a connection, written or not yet handed over. */
static size_t
client_queued(struct client *c)
{
	size_t	 len;

	len = evbuffer_get_length(bufferevent_get_output(c->bev));
	if (c->outq != NULL)
		len += evbuffer_get_length(c->outq);
	return (len);
}

/*
 * Stop reading requests from a connection whose own output is piling up
 * (it pipelines faster than it reads its replies); resume once the output
 * drained to a quarter of the limit.  Backpressure, not a cut-off.
 */
static int
client_pause_if_full(struct client *c)
{
	size_t	 len;

	len = client_queued(c);
	if (len <= (size_t)server_cfg.output_max / 2)
		return (0);
	c->flags |= CLIENT_PAUSED;
	client_flush(c);	/* all of it to the bufferevent: its watermark */
	client_update_read(c);
	bufferevent_setwatermark(c->bev, EV_WRITE, server_cfg.output_max / 4,
	    0);
	log_debug("client %llu: paused with %zu bytes queued",
	    (unsigned long long)c->id, len);
	return (1);
}

/*
 * Write callback, called when the output drained below the low watermark:
 * close a closing connection, or resume reading a paused one.
 */
static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;

	if (c->state == CLIENT_CLOSING) {
		client_kill(c);
		return;
	}
	if (c->flags & CLIENT_PAUSED) {
		c->flags &= ~CLIENT_PAUSED;
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
		client_update_read(c);
		client_process_input(c);
	}
}

/* Stop reading and close once what is queued has been written. */
void
client_close_after_flush(struct client *c, const char *reason)
{
	if (c->state == CLIENT_DEAD || c->state == CLIENT_CLOSING)
		return;
	log_info("client %llu (%s): closing: %s", (unsigned long long)c->id,
	    client_addr(c), reason);
	client_enter_state(c, CLIENT_CLOSING);
	client_update_read(c);
	client_flush(c);	/* all of it to the bufferevent: its watermark */
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		client_kill(c);
		return;
	}
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
}

/* Cut off a connection whose output passed the limit (a client not reading). */
static int
client_check_output(struct client *c)
{
	size_t	 len;

	len = client_queued(c);
	if (len <= (size_t)server_cfg.output_max)
		return (0);
	client_close(c, "output queue over the limit");
	return (-1);
}

/* Send one frame; takes over obj.  Dropped for a dead connection. */
void
client_send(struct client *c, struct json_object *obj)
{
	if (obj == NULL)
		return;
	if (c->state != CLIENT_DEAD) {
		if (frame_write(client_out(c), obj, CS_WIRE_FRAME_MAX) != 0)
			LOG_WARNX("client %llu: frame over the limit dropped",
			    (unsigned long long)c->id);
		else
			client_check_output(c);
	}
	json_object_put(obj);
}

/*
 * Bus callback: append a shared event frame to a synced connection.
 *
 * Everything delivered to a connection in one loop turn goes out
 * together (client_flush): small frames are copied (bus.c) into the
 * queue's chains, and tls_write_through() gathers them into records of up
 * to 16 KiB, so a burst of messages to a recipient costs one record and
 * one system call, not one each (0.13 M against several M deliveries per
 * CPU-second in the fan-out benchmark; doc/performance.md).
 */
static void
client_deliver(void *arg, struct bus_frame *f)
{
	struct client	*c = arg;
	struct evbuffer	*out;

	if (c->state != CLIENT_READY)
		return;
	out = client_out(c);
	if (bus_frame_append(f, out) != 0) {
		client_close(c, "out of memory");
		return;
	}
	client_check_output(c);
}

/*
 * Mark the connection busy (a hash runs: stop reading so its requests are
 * handled in order) or not (resume, handling anything already buffered).
 */
void
client_set_busy(struct client *c, int busy)
{
	if (busy) {
		c->flags |= CLIENT_BUSY;
		client_update_read(c);
		return;
	}
	c->flags &= ~CLIENT_BUSY;
	if (client_states[c->state].deadline == CLIENT_DL_LOGIN &&
	    clock_mono_ms() >= client_deadline(c)) {
		/* Overdue while hashing: the reply goes out, nothing else. */
		client_close_after_flush(c, client_states[c->state].timeout);
		return;
	}
	client_update_read(c);
	client_process_input(c);
}

/* Log the connection in as account a, with the session token's hash. */
void
client_login(struct client *c, const struct store_account *a,
    const uint8_t *token_hash)
{
	c->account_id = a->id;
	c->is_admin = a->is_admin;
	memcpy(c->token_hash, token_hash, SEC_TOKEN_HASH_LEN);
	c->has_token = 1;
	c->last_rx = clock_mono_ms();
	c->online = online_acquire(a->id, a->name);
	log_debug("client %llu: logged in as %s", (unsigned long long)c->id,
	    log_safe(a->name));
	client_enter_state(c, CLIENT_READY);
}

/* Back to logged out: no events, no account; the login deadline restarts. */
void
client_logout(struct client *c)
{
	bus_unsubscribe(c->sub);
	c->sub = NULL;
	c->flags &= ~CLIENT_SYNCED;
	online_release(c->online);
	c->online = NULL;
	c->account_id = 0;
	c->is_admin = 0;
	c->has_token = 0;
	sec_wipe(c->token_hash, sizeof c->token_hash);
	c->accepted = clock_mono_ms();
	c->prelogin_bytes = 0;
	client_enter_state(c, CLIENT_ANON);
}

/* The first sync returned more=false: from now on events are pushed. */
void
client_synced(struct client *c)
{
	if (c->flags & CLIENT_SYNCED)
		return;
	c->flags |= CLIENT_SYNCED;
	c->sub = bus_subscribe(c->account_id, client_deliver, c);
}

/*
 * Read one line that may carry a password or a code (any line before
 * login; after it, a request cmd_is_secret() names): parse it from the
 * buffer in place and wipe those bytes before they are drained.  Falls
 * back to frame_read() for partial and oversized lines.
 */
static enum frame_status
client_read_secret(struct client *c, struct evbuffer *in,
    struct json_object **out)
{
	struct evbuffer_ptr	 eol;
	size_t			 eol_len, linelen, len;
	unsigned char		*line;
	enum frame_status	 st;

	if (c->reader.skipping)
		return (frame_read(&c->reader, in, out));
	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos <= 0 || (size_t)eol.pos > c->reader.max)
		return (frame_read(&c->reader, in, out));
	linelen = eol.pos;
	if ((line = evbuffer_pullup(in, linelen)) == NULL)
		return (frame_read(&c->reader, in, out));
	len = linelen;
	if (line[len - 1] == '\r')
		len--;
	if (len == 0) {
		evbuffer_drain(in, linelen + eol_len);
		*out = NULL;
		return (FRAME_MORE);
	}
	st = frame_parse((const char *)line, len, out, c->reader.error,
	    sizeof c->reader.error);
	if (c->state != CLIENT_READY || st != FRAME_OK || cmd_is_secret(*out))
		sec_wipe(line, linelen);
	evbuffer_drain(in, linelen + eol_len);
	return (st);
}

static void	client_process_input(struct client *);

/* A throttle is over: read again. */
static void
client_rate_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c = arg;

	c->flags &= ~CLIENT_THROTTLED;
	client_update_read(c);
	client_process_input(c);
}

/*
 * A token bucket of logged-in requests: request_burst at most, refilled at
 * request_rate a second (tokens in thousandths, so the refill is exact in
 * milliseconds).  Without a whole token the connection is not cut off: it
 * stops being read until one has come back, so a flood only slows down and
 * TCP pushes back on its sender.  Before login the byte budget and the
 * deadline bound what a connection can do.
 */
static int
client_rate_ready(struct client *c)
{
	struct timeval	 tv;
	int64_t		 now, cap, wait;

	if (server_cfg.request_rate == 0)
		return (1);
	now = clock_mono_ms();
	cap = server_cfg.request_burst * 1000;
	if (now > c->rate_last)
		c->rate_tokens += (now - c->rate_last) *
		    server_cfg.request_rate;
	c->rate_last = now;
	if (c->rate_tokens > cap)
		c->rate_tokens = cap;
	if (c->rate_tokens >= 1000)
		return (1);
	wait = (1000 - c->rate_tokens + server_cfg.request_rate - 1) /
	    server_cfg.request_rate;
	if (c->rate_ev == NULL &&
	    (c->rate_ev = evtimer_new(server_base, client_rate_cb, c)) == NULL)
		FATALX("evtimer_new");
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(c->rate_ev, &tv);
	c->flags |= CLIENT_THROTTLED;
	client_update_read(c);
	log_debug("client %llu: throttled for %lld ms",
	    (unsigned long long)c->id, (long long)wait);
	return (0);
}

/*
 * Turn buffered bytes into requests until the buffer is empty or the
 * connection is busy, throttled or closing.  Enforces the pre-login byte
 * budget and the request rate.
 */
static void
client_process_input(struct client *c)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct json_object	*obj;
	enum frame_status	 st;
	size_t			 before;

	while (c->state == CLIENT_GREETING || c->state == CLIENT_ANON ||
	    c->state == CLIENT_READY) {
		if (c->flags & (CLIENT_BUSY|CLIENT_PAUSED|CLIENT_THROTTLED|
		    CLIENT_WAITING))
			return;
		if (client_pause_if_full(c))
			return;
		if ((before = evbuffer_get_length(in)) == 0)
			return;
		if (c->state == CLIENT_READY && (msg_batch_full() ||
		    files_acks_full())) {
			/* Wait for the disk: see client_resume_waiting(). */
			c->flags |= CLIENT_WAITING;
			client_nwaiting++;
			client_update_read(c);
			return;
		}
		if (c->state == CLIENT_READY && !client_rate_ready(c))
			return;
		if (c->state != CLIENT_READY && c->prelogin_bytes + before >
		    (size_t)server_cfg.prelogin_bytes) {
			client_close(c, "pre-login byte budget spent");
			return;
		}
		st = client_read_secret(c, in, &obj);
		if (c->state != CLIENT_READY)
			c->prelogin_bytes += before - evbuffer_get_length(in);

		switch (st) {
		case FRAME_OK:
			if (c->state == CLIENT_READY)
				c->rate_tokens -= 1000;
			cmd_dispatch(c, obj);
			break;
		case FRAME_MORE:
			if (before == evbuffer_get_length(in))
				return;
			break;
		case FRAME_TOOBIG:
		case FRAME_BAD:
			/* Say why, then hang up: the stream can't be trusted. */
			client_send(c, rpc_error(NULL, st == FRAME_TOOBIG ?
			    CS_ERR_TOO_BIG : CS_ERR_PARSE, c->reader.error,
			    NULL));
			client_close_after_flush(c, log_safe(c->reader.error));
			return;
		}
	}
}

/* Read callback: note the activity and handle what arrived. */
static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;

	c->last_rx = clock_mono_ms();
	client_process_input(c);
}

/*
 * A TLS handshake leaves tens of KiB of freed heap behind (key exchange,
 * certificate, record buffers); after a burst of them glibc keeps it
 * mapped.  Give it back to the system once a second while handshakes come
 * in: it is most of the gap between an idle connection's RSS and
 * OpenSSL's own floor (doc/performance.md).
 */
static void
client_trim(evutil_socket_t fd, short events, void *arg)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/*
 * Every connection that gets something in a loop turn queues its frames
 * in chains of up to 4 KiB, freed once written: a turn delivering 30
 * events to each of 100 connections frees about a MiB at the top of the
 * heap, and glibc's default (give back anything over 128 KiB) made the
 * next turn fault all of it in again (11 % of the server's CPU in the
 * fan-out benchmark, when each queue had a 16 KiB chain of its own).  Keep up to
 * CLIENT_HEAP_KEEP free at the top; client_trim() still gives everything
 * back after handshakes.
 */
#define CLIENT_HEAP_KEEP	(16 * 1024 * 1024)

void
client_heap_setup(void)
{
#ifdef __GLIBC__
	if (mallopt(M_TRIM_THRESHOLD, CLIENT_HEAP_KEEP) != 1)
		log_warnx("mallopt M_TRIM_THRESHOLD failed");
	/* Setting one threshold fixes the other at its default (128 KiB). */
#endif
}

/* Arm the trim timer unless it is armed already. */
static void
client_trim_soon(void)
{
	struct timeval	 tv = { 1, 0 };

	if (client_trimmer == NULL &&
	    (client_trimmer = evtimer_new(server_base, client_trim, NULL)) ==
	    NULL)
		FATALX("evtimer_new");
	if (!evtimer_pending(client_trimmer, NULL))
		evtimer_add(client_trimmer, &tv);
}

/* Event callback: handshake done, end of stream, or an error. */
static void
client_event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct client	*c = arg;
	char		 buf[256];

	if (events & BEV_EVENT_CONNECTED) {
		audit_log("connect", NULL, client_addr(c),
		    tls_describe(bev, buf, sizeof buf));
		client_enter_state(c, CLIENT_GREETING);
		client_trim_soon();
		return;
	}
	if (c->state == CLIENT_HANDSHAKE) {
		audit_log("connect", NULL, client_addr(c),
		    tls_error(bev, buf, sizeof buf));
		client_kill(c);
		return;
	}
	if (events & BEV_EVENT_EOF) {
		log_debug("client %llu: closed by peer",
		    (unsigned long long)c->id);
		client_kill(c);
		return;
	}
	client_close(c, tls_error(bev, buf, sizeof buf));
}

/*
 * The message batch is full while the disk syncs the one before it, or
 * FILES_ACKS_MAX chunk replies wait for the disk: logged-in connections stop
 * being read (their requests wait in TCP, not in memory) instead of the
 * loop waiting for the disk, and handshakes, output and everyone's replies
 * carry on.  Once there is room the resumer reads them again, in
 * connection order; one that fills the bound again waits for the next.
 */
static void
client_resume_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c, *c1;

	client_nwaiting = 0;
	TAILQ_FOREACH_SAFE(c, &client_list, entry, c1) {
		if ((c->flags & CLIENT_WAITING) == 0)
			continue;
		c->flags &= ~CLIENT_WAITING;
		client_update_read(c);
		client_process_input(c);
	}
}

/* The batch has room: read the waiting connections at the end of the turn. */
void
client_resume_waiting(void)
{
	if (client_nwaiting != 0 && client_resumer != NULL)
		event_active(client_resumer, EV_TIMEOUT, 1);
}

/* Take over an accepted TLS bufferevent from peer as a new connection. */
struct client *
client_create(struct bufferevent *bev, struct listen_peer *peer)
{
	struct client	*c;

	if (client_reaper == NULL) {
		client_reaper = event_new(server_base, -1, 0, client_reap, NULL);
		client_flusher = event_new(server_base, -1, 0,
		    client_flush_all, NULL);
		client_resumer = event_new(server_base, -1, 0,
		    client_resume_cb, NULL);
		if (client_reaper == NULL || client_flusher == NULL ||
		    client_resumer == NULL)
			FATALX("event_new");
	}

	c = xcalloc(1, sizeof *c);
	c->id = client_next_id++;
	c->state = CLIENT_HANDSHAKE;
	c->bev = bev;
	c->peer = peer;
	c->accepted = c->last_rx = clock_mono_ms();
	c->rate_last = c->accepted;
	c->rate_tokens = server_cfg.request_burst * 1000;
	frame_reader_init(&c->reader, CS_WIRE_FRAME_MAX);
	if ((c->timer = evtimer_new(server_base, client_timer_cb, c)) == NULL)
		FATALX("evtimer_new");
	TAILQ_INSERT_TAIL(&client_list, c, entry);
	client_n++;

	bufferevent_setwatermark(bev, EV_READ, 0, CLIENT_READ_MAX);
	bufferevent_setcb(bev, client_read_cb, client_write_cb, client_event_cb,
	    c);
	bufferevent_enable(bev, EV_READ|EV_WRITE);
	log_debug("client %llu: accepted from %s", (unsigned long long)c->id,
	    peer->addr);
	client_arm_timer(c);
	return (c);
}

/* Close every connection and free them (shutdown). */
void
client_close_all(void)
{
	struct client	*c;

	while ((c = TAILQ_FIRST(&client_list)) != NULL)
		client_kill(c);
	client_reap(-1, 0, NULL);
	if (client_reaper != NULL)
		event_free(client_reaper);
	client_reaper = NULL;
	if (client_flusher != NULL)
		event_free(client_flusher);
	client_flusher = NULL;
	if (client_resumer != NULL)
		event_free(client_resumer);
	client_resumer = NULL;
	if (client_trimmer != NULL)
		event_free(client_trimmer);
	client_trimmer = NULL;
}

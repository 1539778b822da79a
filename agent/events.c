/* chatsec — the agent's event log and its subscribers.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "clock.h"
#include "frame.h"
#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "xmalloc.h"

#include "agent.h"

/*
 * Every event gets the next sequence number and is written to the local
 * store before it is sent to anyone, so the store is the single history.
 * A subscriber is either live (it has seen everything up to the newest seq
 * and gets each new event as it is emitted) or replaying (it catches up
 * from the store a page at a time, as fast as its socket drains, and turns
 * live when a page comes back short).  Because the loop is single-threaded
 * and a replaying subscriber skips live fan-out, nothing is missed or sent
 * twice.
 */

/* Event type names and their filter bits. */
static const struct {
	const char	*name;
	unsigned int	 bit;
} events_types[] = {
	{ "message", EVENTS_MESSAGE },
	{ "presence", EVENTS_PRESENCE },
	{ "link", EVENTS_LINK },
	{ "room", EVENTS_ROOM },
	{ "key_change", EVENTS_SECURITY },
	{ "forged", EVENTS_SECURITY },
	{ "undecryptable", EVENTS_SECURITY },
	{ "message_deleted", EVENTS_MESSAGE },
	{ "file_progress", EVENTS_FILE },
	{ "file_sent", EVENTS_FILE },
	{ "file_saved", EVENTS_FILE },
	{ "file_failed", EVENTS_FILE },
	{ "typing", EVENTS_TYPING },
};

#define EVENTS_EXPIRE_EVERY	100		/* events between age checks */
#define EVENTS_PRUNE_INTERVAL	3600		/* seconds between age checks */

static int64_t		 events_last;		/* newest seq */
static int		 events_held;		/* in a store transaction */
static struct json_object *events_pending;	/* held back until commit */
static unsigned int	 events_since_prune;
static struct event	*events_prune_timer;
static TAILQ_HEAD(, api_client) events_subs =
    TAILQ_HEAD_INITIALIZER(events_subs);

static void	events_fanout(struct json_object *);

/* Filter bit of a type name, or 0 if unknown. */
static unsigned int
events_type_bit(const char *type)
{
	size_t	 i;

	for (i = 0; i < sizeof events_types / sizeof events_types[0]; i++) {
		if (strcmp(events_types[i].name, type) == 0)
			return (events_types[i].bit);
	}
	return (0);
}

/*
 * Keep the newest AGENT_EVENTS_KEEP events (a range delete on the primary
 * key, cheap enough for every event); every EVENTS_EXPIRE_EVERY events
 * also drop those older than AGENT_EVENTS_MAX_AGE.
 */
static void
events_prune(void)
{
	if (events_last > AGENT_EVENTS_KEEP)
		lstore_event_prune(events_last - AGENT_EVENTS_KEEP);
	if (++events_since_prune >= EVENTS_EXPIRE_EVERY) {
		lstore_event_expire(clock_now_ms() -
		    (int64_t)AGENT_EVENTS_MAX_AGE * 1000);
		events_since_prune = 0;
	}
}

/* Hourly expiry, so age-based retention holds on a quiet agent too. */
static void
events_prune_cb(int fd, short what, void *arg)
{
	events_since_prune = EVENTS_EXPIRE_EVERY;
	events_prune();
}

/* Load the newest seq from the store and start the retention timer. */
void
events_init(void)
{
	struct timeval	 tv = { EVENTS_PRUNE_INTERVAL, 0 };

	events_last = lstore_event_last_seq();
	events_since_prune = EVENTS_EXPIRE_EVERY;
	events_prune();
	events_prune_timer = event_new(agent_base, -1, EV_PERSIST,
	    events_prune_cb, NULL);
	evtimer_add(events_prune_timer, &tv);
}

/* Stop the retention timer. */
void
events_free(void)
{
	if (events_prune_timer != NULL)
		event_free(events_prune_timer);
	events_prune_timer = NULL;
}

/* The newest seq given out. */
int64_t
events_cursor(void)
{
	return (events_last);
}

/*
 * Fill f from the optional `types` and `conv` params (already type-checked
 * by the dispatcher).  Returns 0 or CS_ERR_PARAMS with msg set.
 */
int
events_filter_parse(struct json_object *params, struct events_filter *f,
    char *msg, size_t msglen)
{
	struct json_object	*types, *t;
	const char		*conv;
	unsigned int		 bit;
	size_t			 i;

	memset(f, 0, sizeof *f);
	f->types = EVENTS_ALL;
	if ((types = rpc_get(params, "types")) != NULL) {
		f->types = 0;
		for (i = 0; i < json_object_array_length(types); i++) {
			t = json_object_array_get_idx(types, i);
			if (!json_object_is_type(t, json_type_string) ||
			    (bit = events_type_bit(json_object_get_string(t)))
			    == 0) {
				snprintf(msg, msglen, "parameter types: "
				    "unknown event type (one of message, "
				    "presence, link, room, key_change, forged, "
				    "undecryptable, message_deleted, "
				    "file_progress, file_sent, file_saved, "
				    "file_failed, typing)");
				return (CS_ERR_PARAMS);
			}
			f->types |= bit;
		}
	}
	if ((conv = rpc_get_str(params, "conv", NULL)) != NULL) {
		if (msg_conv_check(conv) != 0) {
			snprintf(msg, msglen, "parameter conv: not a room "
			    "name or a username");
			return (CS_ERR_PARAMS);
		}
		f->conv = xstrdup(conv);
	}
	return (0);
}

/* Free what a filter owns. */
void
events_filter_clear(struct events_filter *f)
{
	free(f->conv);
	f->conv = NULL;
	f->types = 0;
}

/*
 * Return 1 if an event of type (and conversation) passes f.  A conv filter
 * means "only message, room and typing events of that conversation"
 * (doc/api.md).
 */
static int
events_filter_match(const struct events_filter *f, const char *type,
    const char *conv)
{
	unsigned int	 bit = events_type_bit(type);

	if ((f->types & bit) == 0)
		return (0);
	if (f->conv != NULL && ((bit != EVENTS_MESSAGE && bit != EVENTS_ROOM &&
	    bit != EVENTS_TYPING) ||
	    conv == NULL || strcasecmp(conv, f->conv) != 0))
		return (0);
	return (1);
}

/* Send one event to a client as a notification; params are taken over. */
static void
events_send(struct api_client *c, struct json_object *params)
{
	struct json_object	*n;

	n = rpc_notification("event", params);
	api_client_write(c, n);
	json_object_put(n);
}

/*
 * Emit an event: give it the next seq, store it, and send it to every live
 * subscriber whose filter takes it.  fields (taken over) holds the members
 * after seq and type; conv is the conversation of a message event.
 * Returns the seq, or -1 if it could not be stored.
 */
int64_t
events_emit(const char *type, const char *conv, struct json_object *fields)
{
	struct json_object	*ev;
	int64_t			 seq = events_last + 1;

	ev = json_object_new_object();
	json_object_object_add(ev, "seq", json_object_new_int64(seq));
	json_object_object_add(ev, "type", json_object_new_string(type));
	json_object_object_foreach(fields, k, v)
		json_object_object_add(ev, k, json_object_get(v));
	json_object_put(fields);

	if (lstore_event_append(seq, clock_now_ms(), type, conv,
	    json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN|
	    JSON_C_TO_STRING_NOSLASHESCAPE)) != 0) {
		json_object_put(ev);
		return (-1);
	}
	events_last = seq;
	if (events_held) {
		json_object_array_add(events_pending, ev);
		return (seq);
	}
	events_prune();
	events_fanout(ev);
	json_object_put(ev);
	return (seq);
}

/*
 * Emit an ephemeral event: no seq, not stored, so never replayed nor
 * returned by `events`; only live subscribers whose filter takes it hear
 * it (a replaying one is catching up on the past, which it is not part
 * of).  fields are taken over; conv is its conversation.
 */
void
events_emit_ephemeral(const char *type, const char *conv,
    struct json_object *fields)
{
	struct json_object	*ev;
	struct api_client	*c;

	ev = json_object_new_object();
	json_object_object_add(ev, "type", json_object_new_string(type));
	json_object_object_foreach(fields, k, v)
		json_object_object_add(ev, k, json_object_get(v));
	json_object_put(fields);
	TAILQ_FOREACH(c, &events_subs, sub_entry) {
		if (c->replaying || (c->flags & API_CLIENT_DEAD))
			continue;
		if (events_filter_match(&c->filter, type, conv))
			events_send(c, json_object_get(ev));
	}
	json_object_put(ev);
}

/*
 * Send a stored event (borrowed) to every live subscriber whose filter
 * takes it.
 */
static void
events_fanout(struct json_object *ev)
{
	struct json_object	*v;
	struct api_client	*c;
	const char		*type = "", *conv = NULL, *key;
	int64_t			 seq = 0;

	if (json_object_object_get_ex(ev, "seq", &v))
		seq = json_object_get_int64(v);
	if (json_object_object_get_ex(ev, "type", &v))
		type = json_object_get_string(v);
	key = strcmp(type, "message") == 0 ||
	    strcmp(type, "message_deleted") == 0 ? "conv" :
	    strcmp(type, "room") == 0 ? "room" : NULL;
	if (key != NULL && json_object_object_get_ex(ev, key, &v))
		conv = json_object_get_string(v);
	TAILQ_FOREACH(c, &events_subs, sub_entry) {
		if (c->replaying || (c->flags & API_CLIENT_DEAD))
			continue;
		c->sub_cursor = seq;
		if (events_filter_match(&c->filter, type, conv))
			events_send(c, json_object_get(ev));
	}
}

/*
 * Hold back fan-out while the store is in a transaction: an event a
 * client has seen must survive a crash, or its seq would be given out
 * again.
 */
void
events_hold(void)
{
	events_held = 1;
	if (events_pending == NULL)
		events_pending = json_object_new_array();
}

/*
 * The transaction ended: send what was held if it was committed, else
 * forget it (the store rolled back, so its seqs will be given out again).
 */
void
events_release(int committed)
{
	struct json_object	*list = events_pending;
	size_t			 i;

	events_held = 0;
	events_pending = NULL;
	if (!committed)
		events_last = lstore_event_last_seq();
	for (i = 0; committed && list != NULL &&
	    i < json_object_array_length(list); i++) {
		events_fanout(json_object_array_get_idx(list, i));
		events_prune();
	}
	json_object_put(list);
}

/* State of one walk over the stored events. */
struct events_walk {
	const struct events_filter *filter;
	struct api_client	*client;	/* replay: send to it */
	struct json_object	*out;		/* query: collect here */
	int			 limit;		/* query: at most this many */
	size_t			 bytes;		/* query: size so far */
	int64_t			 last;		/* last seq looked at */
	int			 full;		/* stopped early */
};

/* Parse a stored event's JSON; NULL (logged) if the store is damaged. */
static struct json_object *
events_parse(int64_t seq, const char *json)
{
	struct json_object	*obj;
	char			 err[128];

	if (json == NULL || frame_parse(json, strlen(json), &obj, err,
	    sizeof err) != FRAME_OK) {
		log_warnx("%s: stored event %lld is damaged", __func__,
		    (long long)seq);
		return (NULL);
	}
	return (obj);
}

/* Store-walk callback: send or collect one event; non-zero stops. */
static int
events_walk_cb(void *arg, int64_t seq, const char *type, const char *conv,
    const char *json)
{
	struct events_walk	*w = arg;
	struct json_object	*obj;
	size_t			 len;

	if (w->out != NULL &&
	    (int)json_object_array_length(w->out) >= w->limit) {
		w->full = 1;
		return (1);
	}
	if (type != NULL && events_filter_match(w->filter, type, conv) &&
	    (obj = events_parse(seq, json)) != NULL) {
		if (w->client != NULL)
			events_send(w->client, obj);
		else {
			/* Keep the reply within the API frame limit. */
			len = strlen(json) + 1;
			if (w->bytes + len > CS_API_FRAME_MAX - 1024) {
				json_object_put(obj);
				w->full = 1;
				return (1);
			}
			w->bytes += len;
			json_object_array_add(w->out, obj);
		}
	}
	w->last = seq;
	if (w->client != NULL &&
	    api_client_outlen(w->client) >= AGENT_OUT_PAUSE) {
		w->full = 1;
		return (1);
	}
	return (0);
}

/*
 * Kept events with seq > since that pass f, at most limit, oldest first,
 * as a new JSON array.  *cursor is the newest seq (doc/api.md); a caller
 * that got a full page pages on from the last event's seq.
 */
struct json_object *
events_query(int64_t since, int limit, const struct events_filter *f,
    int64_t *cursor)
{
	struct events_walk	 w;
	int			 n;

	memset(&w, 0, sizeof w);
	w.filter = f;
	w.out = json_object_new_array();
	w.limit = limit;
	w.last = since;
	do {
		n = lstore_event_scan(w.last, AGENT_REPLAY_PAGE,
		    events_walk_cb, &w);
	} while (n == AGENT_REPLAY_PAGE && !w.full);
	*cursor = events_last;
	return (w.out);
}

/*
 * Continue a subscriber's replay from the store until it is live or its
 * output is full (the API resumes it when the socket drains).
 */
void
events_replay(struct api_client *c)
{
	struct events_walk	 w;
	int			 n;

	if (!c->subscribed || !c->replaying || (c->flags & API_CLIENT_DEAD))
		return;
	memset(&w, 0, sizeof w);
	w.filter = &c->filter;
	w.client = c;
	w.last = c->sub_cursor;
	for (;;) {
		n = lstore_event_scan(w.last, AGENT_REPLAY_PAGE,
		    events_walk_cb, &w);
		c->sub_cursor = w.last;
		if (c->flags & API_CLIENT_DEAD)
			return;
		if (w.full)
			return;
		if (n < AGENT_REPLAY_PAGE)
			break;
	}
	c->replaying = 0;
	c->sub_cursor = events_last;
	log_debug("%s: client %u is live at %lld", __func__, c->n,
	    (long long)events_last);
}

/*
 * Make c a subscriber with filter f (taken over), replacing any earlier
 * subscription.  since < 0: live from now; else replay seq > since first.
 */
void
events_subscribe(struct api_client *c, int64_t since, struct events_filter *f)
{
	if (!c->subscribed)
		TAILQ_INSERT_TAIL(&events_subs, c, sub_entry);
	else
		events_filter_clear(&c->filter);
	c->subscribed = 1;
	c->filter = *f;
	memset(f, 0, sizeof *f);
	if (since < 0 || since >= events_last) {
		c->replaying = 0;
		c->sub_cursor = events_last;
		return;
	}
	c->replaying = 1;
	c->sub_cursor = since;
	events_replay(c);
}

/* Stop sending events to c. */
void
events_unsubscribe(struct api_client *c)
{
	if (!c->subscribed)
		return;
	TAILQ_REMOVE(&events_subs, c, sub_entry);
	events_filter_clear(&c->filter);
	c->subscribed = 0;
	c->replaying = 0;
}

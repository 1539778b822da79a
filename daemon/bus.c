/* chatsec — chatsecd in-process event fan-out.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "chatsecd.h"
#include "bus.h"
#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "xmalloc.h"

/*
 * In-process implementation of bus.h.  Subscribers are kept on one list (for
 * room messages and presence) and, per account, on a list found through a
 * tree keyed by account id (for DMs).  An event is serialised once into a
 * reference-counted frame whose bytes every recipient's evbuffer references;
 * the last evbuffer to drain them frees the frame.
 */

/* Frames this small are copied, so that a connection's pending events sit
 * in one buffer chain and go out as one TLS record (server-client.c);
 * larger ones are shared by reference. */
#define BUS_COPY_MAX	4096

struct bus_frame {
	unsigned int	 refs;
	size_t		 len;
	char		 data[];
};

struct bus_acct;

struct bus_sub {
	int64_t			 account;
	void			(*deliver)(void *, struct bus_frame *);
	void			*arg;
	struct bus_acct		*acct;
	TAILQ_ENTRY(bus_sub)	 entry;		/* bus_all */
	TAILQ_ENTRY(bus_sub)	 aentry;	/* acct->subs */
};
TAILQ_HEAD(bus_subs, bus_sub);

struct bus_acct {
	int64_t			 account;
	struct bus_subs		 subs;
};

static struct bus_subs	 bus_all = TAILQ_HEAD_INITIALIZER(bus_all);
static void		*bus_accts;	/* tsearch tree of struct bus_acct */
static unsigned int	 bus_nsubs;
static struct evbuffer	*bus_scratch;

/* Order bus_acct entries by account id. */
static int
bus_acct_cmp(const void *a, const void *b)
{
	const struct bus_acct	*x = a, *y = b;

	return (x->account < y->account ? -1 : x->account > y->account);
}

/* Find the subscriber list of an account; NULL if it has none. */
static struct bus_acct *
bus_acct_find(int64_t account)
{
	struct bus_acct	 key, **found;

	key.account = account;
	found = tfind(&key, &bus_accts, bus_acct_cmp);
	return (found != NULL ? *found : NULL);
}

/* Set the bus up. */
void
bus_init(void)
{
	if ((bus_scratch = evbuffer_new()) == NULL)
		FATALX("out of memory");
}

/* Tear the bus down; every subscriber must be gone already. */
void
bus_free(void)
{
	if (bus_scratch != NULL)
		evbuffer_free(bus_scratch);
	bus_scratch = NULL;
}

/* Subscribe a connection of account; see bus.h. */
struct bus_sub *
bus_subscribe(int64_t account, void (*deliver)(void *, struct bus_frame *),
    void *arg)
{
	struct bus_sub	*sub;
	struct bus_acct	*acct;

	if ((acct = bus_acct_find(account)) == NULL) {
		acct = xcalloc(1, sizeof *acct);
		acct->account = account;
		TAILQ_INIT(&acct->subs);
		if (tsearch(acct, &bus_accts, bus_acct_cmp) == NULL)
			FATALX("out of memory");
	}
	sub = xcalloc(1, sizeof *sub);
	sub->account = account;
	sub->deliver = deliver;
	sub->arg = arg;
	sub->acct = acct;
	TAILQ_INSERT_TAIL(&bus_all, sub, entry);
	TAILQ_INSERT_TAIL(&acct->subs, sub, aentry);
	bus_nsubs++;
	return (sub);
}

/* Remove a subscription and free it.  NULL is accepted. */
void
bus_unsubscribe(struct bus_sub *sub)
{
	struct bus_acct	*acct;

	if (sub == NULL)
		return;
	acct = sub->acct;
	TAILQ_REMOVE(&bus_all, sub, entry);
	TAILQ_REMOVE(&acct->subs, sub, aentry);
	if (TAILQ_EMPTY(&acct->subs)) {
		tdelete(acct, &bus_accts, bus_acct_cmp);
		free(acct);
	}
	bus_nsubs--;
	free(sub);
}

/* Number of subscribed connections. */
unsigned int
bus_count(void)
{
	return (bus_nsubs);
}

/* Drop one reference to a frame, freeing it with the last. */
static void
bus_frame_unref(struct bus_frame *f)
{
	if (--f->refs == 0)
		free(f);
}

/* evbuffer cleanup callback: an output buffer is done with the bytes. */
static void
bus_frame_cleanup(const void *data, size_t len, void *arg)
{
	bus_frame_unref(arg);
}

/* Serialise a notification once into a new frame (one reference). */
static struct bus_frame *
bus_frame_new(const char *method, struct json_object *params)
{
	struct json_object	*obj;
	struct bus_frame	*f;
	size_t			 len;

	obj = rpc_notification(method, params);
	evbuffer_drain(bus_scratch, evbuffer_get_length(bus_scratch));
	if (frame_write(bus_scratch, obj, CS_WIRE_FRAME_MAX) != 0) {
		LOG_WARNX("%s event over the frame limit", method);
		json_object_put(obj);
		return (NULL);
	}
	json_object_put(obj);
	len = evbuffer_get_length(bus_scratch);
	f = xmalloc(sizeof *f + len);
	f->refs = 1;
	f->len = len;
	evbuffer_remove(bus_scratch, f->data, len);
	return (f);
}

/* Append a frame's bytes to out, sharing them when the frame is large. */
int
bus_frame_append(struct bus_frame *f, struct evbuffer *out)
{
	if (f->len <= BUS_COPY_MAX)
		return (evbuffer_add(out, f->data, f->len));
	f->refs++;
	if (evbuffer_add_reference(out, f->data, f->len, bus_frame_cleanup,
	    f) != 0) {
		f->refs--;
		return (-1);
	}
	return (0);
}

/* Length of a frame in bytes, newline included. */
size_t
bus_frame_len(const struct bus_frame *f)
{
	return (f->len);
}

/* Hand a frame to every subscriber of one account. */
static void
bus_deliver_account(int64_t account, struct bus_frame *f)
{
	struct bus_acct	*acct;
	struct bus_sub	*sub;

	if ((acct = bus_acct_find(account)) == NULL)
		return;
	TAILQ_FOREACH(sub, &acct->subs, aentry)
		sub->deliver(sub->arg, f);
}

/* Hand a frame to every subscriber. */
static void
bus_deliver_all(struct bus_frame *f)
{
	struct bus_sub	*sub;

	TAILQ_FOREACH(sub, &bus_all, entry)
		sub->deliver(sub->arg, f);
}

/* Publish a message event to the connections it is for. */
void
bus_publish_message(const struct bus_msg *m)
{
	struct bus_frame	*f;
	size_t			 i;

	f = bus_frame_new("message", msg_json(m->id, m->ts, m->from, m->to,
	    m->cid, m->body, m->bodylen, m->file, m->deletes));
	if (f == NULL)
		return;
	if (m->room_id != 0 && m->members == NULL)
		bus_deliver_all(f);
	else if (m->room_id != 0) {
		for (i = 0; i < m->nmembers; i++)
			bus_deliver_account(m->members[i], f);
	} else {
		bus_deliver_account(m->sender_id, f);
		if (m->rcpt_id != m->sender_id)
			bus_deliver_account(m->rcpt_id, f);
	}
	bus_frame_unref(f);
}

/* Publish a presence change (away: NULL if not away) to every subscriber. */
void
bus_publish_presence(const char *user, int online, const char *away)
{
	struct json_object	*params;
	struct bus_frame	*f;

	params = json_object_new_object();
	json_object_object_add(params, "user", json_object_new_string(user));
	json_object_object_add(params, "online",
	    json_object_new_boolean(online));
	if (away != NULL)
		json_object_object_add(params, "away",
		    json_object_new_string(away));
	if ((f = bus_frame_new("presence", params)) == NULL)
		return;
	bus_deliver_all(f);
	bus_frame_unref(f);
}

/* Publish a typing event to the accounts it is for, the sender excepted. */
void
bus_publish_typing(const char *from, const char *to, int64_t sender,
    const int64_t *accounts, size_t n)
{
	struct json_object	*params;
	struct bus_frame	*f;
	struct bus_sub		*sub;
	size_t			 i;

	params = json_object_new_object();
	json_object_object_add(params, "from", json_object_new_string(from));
	json_object_object_add(params, "to", json_object_new_string(to));
	if ((f = bus_frame_new("typing", params)) == NULL)
		return;
	if (accounts == NULL) {
		TAILQ_FOREACH(sub, &bus_all, entry) {
			if (sub->account != sender)
				sub->deliver(sub->arg, f);
		}
	} else {
		for (i = 0; i < n; i++) {
			if (accounts[i] != sender)
				bus_deliver_account(accounts[i], f);
		}
	}
	bus_frame_unref(f);
}

/* Publish a `keys` event to every subscriber. */
void
bus_publish_keys(struct json_object *params)
{
	struct bus_frame	*f;

	if ((f = bus_frame_new("keys", params)) == NULL)
		return;
	bus_deliver_all(f);
	bus_frame_unref(f);
}

/* Publish a room event to the accounts it is for. */
void
bus_publish_room(struct json_object *params, const int64_t *accounts,
    size_t n)
{
	struct bus_frame	*f;
	size_t			 i;

	if ((f = bus_frame_new("room", params)) == NULL)
		return;
	if (accounts == NULL)
		bus_deliver_all(f);
	else {
		for (i = 0; i < n; i++)
			bus_deliver_account(accounts[i], f);
	}
	bus_frame_unref(f);
}

/* chatsec — outgoing messages waiting for the server's ack.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "log.h"
#include "proto.h"
#include "sec.h"
#include "xmalloc.h"

#include "agent.h"

/*
 * A `send` is answered only when the server has stored the message.  Until
 * then it waits here, with its client's pending record and a 60 s timer:
 * sent if the link is ready, else queued.  If the link drops before the
 * ack, the message goes again with the same cid once the link is ready
 * (the server stores a cid once), so a send survives reconnects.
 */

struct outbox_msg {
	struct api_pending	*p;
	char			 cid[CS_CID_MAX + 1];
	char			*to;
	char			*body;		/* base64 */
	int64_t			 req_id;	/* on the wire; 0 if not */
	struct event		*timer;
	TAILQ_ENTRY(outbox_msg)	 entry;
};

static TAILQ_HEAD(, outbox_msg) outbox_q = TAILQ_HEAD_INITIALIZER(outbox_q);
static unsigned int	 outbox_n;

/* Unlink and free m (its pending record must be answered already). */
static void
outbox_free(struct outbox_msg *m)
{
	TAILQ_REMOVE(&outbox_q, m, entry);
	outbox_n--;
	if (m->req_id != 0)
		link_cancel(m->req_id);
	event_free(m->timer);
	free(m->to);
	free(m->body);
	free(m);
}

/* The server answered a send (or the link dropped under it). */
static void
outbox_sent_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct outbox_msg	*m = arg;
	struct json_object	*r, *v;
	const char		*conv = m->to;

	m->req_id = 0;
	if (code == CS_ERR_NOT_CONNECTED) {
		log_debug("%s: %s waits for the link", __func__, m->cid);
		return;
	}
	if (code != 0) {
		api_error(m->p, code, message, json_object_get(data));
		outbox_free(m);
		return;
	}
	/* The server names the recipient as registered ("Bob" for "BOB"). */
	if (json_object_object_get_ex(result, "to", &v) &&
	    json_object_is_type(v, json_type_string))
		conv = json_object_get_string(v);
	r = json_object_new_object();
	json_object_object_add(r, "id", json_object_object_get_ex(result,
	    "id", &v) ? json_object_get(v) : NULL);
	json_object_object_add(r, "ts", json_object_object_get_ex(result,
	    "ts", &v) ? json_object_get(v) : NULL);
	json_object_object_add(r, "conv", json_object_new_string(conv));
	json_object_object_add(r, "cid", json_object_new_string(m->cid));
	api_reply(m->p, r);
	outbox_free(m);
}

/* Put m on the wire if the link is ready for it. */
static void
outbox_transmit(struct outbox_msg *m)
{
	struct json_object	*params;

	if (m->req_id != 0 || link_get_state() != LINK_READY ||
	    !link_logged_in())
		return;
	params = json_object_new_object();
	json_object_object_add(params, "to", json_object_new_string(m->to));
	json_object_object_add(params, "cid", json_object_new_string(m->cid));
	json_object_object_add(params, "body",
	    json_object_new_string(m->body));
	if (link_request("send", params, 0, outbox_sent_cb, m,
	    &m->req_id) != 0)
		m->req_id = 0;
}

/* A send waited 60 s without an ack. */
static void
outbox_timeout_cb(int fd, short what, void *arg)
{
	struct outbox_msg	*m = arg;

	log_warnx("%s: message %s: no answer from the server", __func__,
	    m->cid);
	api_error(m->p, CS_ERR_TIMEOUT, "the server did not answer in time; "
	    "sending again with the same cid is safe", NULL);
	outbox_free(m);
}

/*
 * Queue text for to (a room or a user) under cid and answer p when the
 * server has it.  The body is sealed here, once, so a resend is the same
 * bytes.
 */
void
outbox_submit(struct api_pending *p, const char *to, const char *text,
    const char *cid)
{
	struct outbox_msg	*m;
	struct timeval		 tv = { AGENT_SEND_TIMEOUT / 1000, 0 };
	uint8_t			*body;
	size_t			 blen, b64len;

	if (outbox_n >= AGENT_OUTBOX_MAX) {
		api_error(p, CS_ERR_NOT_CONNECTED, "not connected to the "
		    "server and too many messages are waiting", NULL);
		return;
	}
	if (crypto_body_seal(text, strlen(text), &body, &blen) != 0) {
		api_error(p, CS_ERR_BODY_TOO_BIG, "message too long", NULL);
		return;
	}
	m = xcalloc(1, sizeof *m);
	m->p = p;
	snprintf(m->cid, sizeof m->cid, "%s", cid);
	m->to = xstrdup(to);
	b64len = sec_b64_len(blen);
	m->body = xmalloc(b64len);
	sec_b64_encode(body, blen, m->body, b64len);
	sec_wipe(body, blen);
	free(body);
	m->timer = evtimer_new(agent_base, outbox_timeout_cb, m);
	evtimer_add(m->timer, &tv);
	TAILQ_INSERT_TAIL(&outbox_q, m, entry);
	outbox_n++;
	outbox_transmit(m);
}

/* The link is ready (again): send everything that waits, in order. */
void
outbox_link_ready(void)
{
	struct outbox_msg	*m;

	TAILQ_FOREACH(m, &outbox_q, entry)
		outbox_transmit(m);
}

/* Answer every waiting send with an error (session over, shutdown). */
void
outbox_fail_all(int code, const char *message)
{
	struct outbox_msg	*m;

	while ((m = TAILQ_FIRST(&outbox_q)) != NULL) {
		api_error(m->p, code, message, NULL);
		outbox_free(m);
	}
}

/* How many sends are waiting. */
unsigned int
outbox_count(void)
{
	return (outbox_n);
}

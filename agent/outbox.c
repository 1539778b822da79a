/* chatsec — outgoing messages waiting for the server's ack.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "log.h"
#include "names.h"
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
 *
 * The body is sealed (keys.c) when the link is ready: for a DM to the
 * peer (and ourselves), for a room to its members as the server lists
 * them with the membership epoch, which the send carries.  If members
 * changed before the send arrives, the server answers 1045 and the
 * message is sealed again for the new list, under the same cid.
 */

#define OUTBOX_RESEAL_MAX	8	/* 1045 answers before giving up */

struct outbox_msg {
	struct api_pending	*p;
	char			 cid[CS_CID_MAX + 1];
	char			*to;
	int			 ptype;		/* KEYS_PT_TEXT or _FILE */
	char			 file[CS_FILE_ID_LEN + 1]; /* "" if none */
	void			(*done)(void *, int, const char *,
				    struct json_object *);
	void			*done_arg;	/* instead of p, if done */
	char			*text;		/* until sealed; wiped */
	char			*body;		/* base64; NULL until sealed */
	int64_t			 epoch;		/* room: sealed for; -1 DM */
	int			 sealing;	/* members or keys asked for */
	int			 dead;		/* freed while sealing */
	int			 reseals;
	struct json_object	*rcpts;		/* folded names sealed for */
	struct json_object	*unreadable;	/* members without keys */
	int64_t			 req_id;	/* on the wire; 0 if not */
	struct event		*timer;
	TAILQ_ENTRY(outbox_msg)	 entry;
};

static TAILQ_HEAD(, outbox_msg) outbox_q = TAILQ_HEAD_INITIALIZER(outbox_q);
static unsigned int	 outbox_n;

static void	outbox_destroy(struct outbox_msg *);

/*
 * Answer m's sender: its API client (p), or the done callback of an
 * internal send (a file message), with result (borrowed) or an error.
 */
static void
outbox_answer(struct outbox_msg *m, int code, const char *message,
    struct json_object *data, struct json_object *result)
{
	if (m->done != NULL) {
		m->done(m->done_arg, code, message, result);
		m->done = NULL;
		if (result != NULL)
			json_object_put(result);
		json_object_put(data);
		return;
	}
	if (m->p == NULL) {
		json_object_put(result);
		json_object_put(data);
		return;
	}
	if (code != 0)
		api_error(m->p, code, message, data);
	else
		api_reply(m->p, result);
}

/* Unlink and free m (its pending record must be answered already). */
static void
outbox_free(struct outbox_msg *m)
{
	TAILQ_REMOVE(&outbox_q, m, entry);
	outbox_n--;
	if (m->req_id != 0)
		link_cancel(m->req_id);
	event_free(m->timer);
	m->timer = NULL;
	m->p = NULL;
	if (m->sealing) {
		m->dead = 1;	/* freed by the sealing request's callback */
		return;
	}
	outbox_destroy(m);
}

/* Free what m owns and m. */
static void
outbox_destroy(struct outbox_msg *m)
{
	free(m->to);
	if (m->text != NULL) {
		sec_wipe(m->text, strlen(m->text));
		free(m->text);
	}
	free(m->body);
	json_object_put(m->rcpts);
	json_object_put(m->unreadable);
	free(m);
}

static void	outbox_transmit(struct outbox_msg *);

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
	if (code == CS_ERR_EPOCH && m->epoch != INT64_MAX &&
	    ++m->reseals <= OUTBOX_RESEAL_MAX) {
		log_debug("%s: %s: members of %s changed: sealing again",
		    __func__, m->cid, m->to);
		free(m->body);
		m->body = NULL;
		outbox_transmit(m);
		return;
	}
	if (code != 0) {
		outbox_answer(m, code, message, json_object_get(data), NULL);
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
	if (m->unreadable != NULL &&
	    json_object_array_length(m->unreadable) > 0)
		json_object_object_add(r, "unreadable_by",
		    json_object_get(m->unreadable));
	outbox_answer(m, 0, NULL, NULL, r);
	outbox_free(m);
}

/* Fail m with code and message (the pending send is answered). */
static void
outbox_fail(struct outbox_msg *m, int code, const char *message)
{
	outbox_answer(m, code, message, NULL, NULL);
	outbox_free(m);
}

/* Seal m's text for its recipients, then put it on the wire. */
static void
outbox_seal_finish(struct outbox_msg *m)
{
	char		 conv[NAME_ROOM_SIZE + NAME_USER_MAX + 1];
	char		 msg[256];
	uint8_t		*env;
	size_t		 envlen, b64len;
	int		 rc;

	m->sealing = 0;
	if (m->to[0] == '#')
		name_room_fold(m->to, conv, sizeof conv);
	else
		name_fold(m->to, conv, sizeof conv);
	json_object_put(m->unreadable);
	m->unreadable = json_object_new_array();
	rc = keys_seal(conv, m->cid, m->ptype, m->text, m->rcpts, m->unreadable, &env,
	    &envlen, msg, sizeof msg);
	if (rc != 0) {
		outbox_fail(m, rc, msg);
		return;
	}
	if (m->to[0] != '#' && json_object_array_length(m->unreadable) > 0) {
		free(env);
		if (keys_is_unknown(conv)) {
			outbox_fail(m, CS_ERR_NO_SUCH_USER, "no such user");
			return;
		}
		snprintf(msg, sizeof msg, "%s has no published keys: they "
		    "can't receive end-to-end encrypted messages yet", m->to);
		outbox_fail(m, CS_ERR_NO_KEYS, msg);
		return;
	}
	b64len = sec_b64_len(envlen);
	m->body = xmalloc(b64len);
	sec_b64_encode(env, envlen, m->body, b64len);
	free(env);
	outbox_transmit(m);
}

/* Keys of the recipients without a pin arrived (or could not). */
static void
outbox_keys_cb(void *arg, int code)
{
	struct outbox_msg	*m = arg;

	if (m->dead) {
		outbox_destroy(m);
		return;
	}
	if (code == CS_ERR_NOT_CONNECTED) {
		m->sealing = 0;		/* again when the link is back */
		return;
	}
	outbox_seal_finish(m);
}

/* Fetch the keys of recipients not fetched yet this session, then seal. */
static void
outbox_need_keys(struct outbox_msg *m)
{
	struct json_object	*need;
	const char		*u;
	size_t			 i;

	need = json_object_new_array();
	for (i = 0; i < json_object_array_length(m->rcpts); i++) {
		u = json_object_get_string(json_object_array_get_idx(m->rcpts,
		    i));
		if (!keys_was_fetched(u) && !msg_same_user(u, link_user()))
			json_object_array_add(need, json_object_new_string(u));
	}
	if (json_object_array_length(need) == 0) {
		json_object_put(need);
		outbox_seal_finish(m);
		return;
	}
	if (keys_fetch(need, outbox_keys_cb, m) != 0)
		m->sealing = 0;
}

/* The room's members (and epoch) for sealing. */
static void
outbox_members_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct outbox_msg	*m = arg;
	struct json_object	*arr, *v, *u;
	char			 folded[NAME_USER_MAX + 1];
	size_t			 i;

	if (m->dead) {
		outbox_destroy(m);
		return;
	}
	if (code == CS_ERR_NOT_CONNECTED) {
		m->sealing = 0;
		return;
	}
	if (code != 0) {
		/*
		 * Members not listed (no such room, not visible): seal for
		 * ourselves only under an epoch no room has, so the server's
		 * own send error (1008, 1021, 1026...) is the answer, as it
		 * always was; were the send allowed, the epoch is refused.
		 */
		m->epoch = INT64_MAX;
		json_object_put(m->rcpts);
		m->rcpts = json_object_new_array();
		outbox_seal_finish(m);
		return;
	}
	m->epoch = json_object_object_get_ex(result, "epoch", &v) ?
	    json_object_get_int64(v) : -1;
	json_object_put(m->rcpts);
	m->rcpts = json_object_new_array();
	if (json_object_object_get_ex(result, "members", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		for (i = 0; i < json_object_array_length(arr); i++) {
			if (!json_object_object_get_ex(
			    json_object_array_get_idx(arr, i), "user", &u) ||
			    !json_object_is_type(u, json_type_string) ||
			    name_user_check(json_object_get_string(u)) != NULL)
				continue;
			name_fold(json_object_get_string(u), folded,
			    sizeof folded);
			json_object_array_add(m->rcpts,
			    json_object_new_string(folded));
		}
	}
	outbox_need_keys(m);
}

/* Start sealing m: ask for the room's members, or use the DM peer. */
static void
outbox_seal_start(struct outbox_msg *m)
{
	struct json_object	*params;
	char			 folded[NAME_USER_MAX + 1];

	m->sealing = 1;
	switch (keys_get_state()) {
	case KEYS_READY:
		break;
	case KEYS_LOCKED:
		outbox_fail(m, CS_ERR_KEYS_LOCKED, keys_locked_why());
		return;
	default:
		outbox_fail(m, CS_ERR_KEYS_MISSING, "no keys on this agent: "
		    "keys_import them, or keys_reset");
		return;
	}
	if (m->to[0] != '#') {
		m->epoch = -1;
		json_object_put(m->rcpts);
		m->rcpts = json_object_new_array();
		name_fold(m->to, folded, sizeof folded);
		json_object_array_add(m->rcpts, json_object_new_string(folded));
		outbox_need_keys(m);
		return;
	}
	params = json_object_new_object();
	json_object_object_add(params, "room", json_object_new_string(m->to));
	if (link_request("room_members", params, AGENT_REQ_TIMEOUT,
	    outbox_members_cb, m, NULL) != 0)
		m->sealing = 0;
}

/* Put m on the wire if the link is ready for it (sealing it first). */
static void
outbox_transmit(struct outbox_msg *m)
{
	struct json_object	*params;

	if (m->req_id != 0 || m->sealing || link_get_state() != LINK_READY ||
	    !link_logged_in())
		return;
	if (m->body == NULL) {
		outbox_seal_start(m);
		return;
	}
	params = json_object_new_object();
	json_object_object_add(params, "to", json_object_new_string(m->to));
	json_object_object_add(params, "cid", json_object_new_string(m->cid));
	json_object_object_add(params, "body",
	    json_object_new_string(m->body));
	if (m->epoch >= 0)
		json_object_object_add(params, "epoch",
		    json_object_new_int64(m->epoch));
	if (m->file[0] != '\0')
		json_object_object_add(params, "file",
		    json_object_new_string(m->file));
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
	outbox_answer(m, CS_ERR_TIMEOUT, "the server did not answer in time; "
	    "sending again with the same cid is safe", NULL, NULL);
	outbox_free(m);
}

/* Queue a new message for to; the caller sets how it is answered. */
static struct outbox_msg *
outbox_new(const char *to, int ptype, const char *text, const char *cid)
{
	struct outbox_msg	*m;
	struct timeval		 tv = { AGENT_SEND_TIMEOUT / 1000, 0 };

	m = xcalloc(1, sizeof *m);
	snprintf(m->cid, sizeof m->cid, "%s", cid);
	m->to = xstrdup(to);
	m->ptype = ptype;
	m->text = xstrdup(text);
	m->epoch = -1;
	m->timer = evtimer_new(agent_base, outbox_timeout_cb, m);
	evtimer_add(m->timer, &tv);
	TAILQ_INSERT_TAIL(&outbox_q, m, entry);
	outbox_n++;
	return (m);
}

/*
 * Queue text for to (a room or a user) under cid and answer p when the
 * server has it.  The body is sealed once the link is ready, and again
 * only if the room's members changed, so a resend is the same bytes.
 */
void
outbox_submit(struct api_pending *p, const char *to, const char *text,
    const char *cid)
{
	struct outbox_msg	*m;

	if (outbox_n >= AGENT_OUTBOX_MAX) {
		api_error(p, CS_ERR_NOT_CONNECTED, "not connected to the "
		    "server and too many messages are waiting", NULL);
		return;
	}
	if (keys_get_state() == KEYS_LOCKED) {
		api_error(p, CS_ERR_KEYS_LOCKED, keys_locked_why(), NULL);
		return;
	}
	m = outbox_new(to, KEYS_PT_TEXT, text, cid);
	m->p = p;
	outbox_transmit(m);
}

/* Transmit what waits (outbox_submit_file's deferred start). */
static void
outbox_kick_cb(int fd, short what, void *arg)
{
	outbox_link_ready();
}

/*
 * Queue a file message (content type 02, json its sealed metadata) that
 * announces the uploaded file `file`, and call done(arg, code, message,
 * result) once: result as a send's (borrowed), or an error.  Returns a
 * handle for outbox_detach(), or NULL (done not called) if the outbox is
 * full.
 */
struct outbox_msg *
outbox_submit_file(const char *to, const char *json, const char *file,
    const char *cid, void (*done)(void *, int, const char *,
    struct json_object *), void *arg)
{
	struct outbox_msg	*m;
	struct timeval		 tv = { 0, 0 };

	if (outbox_n >= AGENT_OUTBOX_MAX)
		return (NULL);
	m = outbox_new(to, KEYS_PT_FILE, json, cid);
	snprintf(m->file, sizeof m->file, "%s", file);
	m->done = done;
	m->done_arg = arg;
	/*
	 * Not now: sealing may fail at once and call done, and the caller
	 * must have its handle first.  From the loop, like a reconnect.
	 */
	event_base_once(agent_base, -1, EV_TIMEOUT, outbox_kick_cb, NULL,
	    &tv);
	return (m);
}

/* The owner of a file message's done callback is going: never call it. */
void
outbox_detach(struct outbox_msg *m)
{
	m->done = NULL;
	m->done_arg = NULL;
}

/* The link is ready (again): send everything that waits, in order. */
void
outbox_link_ready(void)
{
	struct outbox_msg	*m, *m1;

	TAILQ_FOREACH_SAFE(m, &outbox_q, entry, m1)
		outbox_transmit(m);
}

/* Answer every waiting send with an error (session over, shutdown). */
void
outbox_fail_all(int code, const char *message)
{
	struct outbox_msg	*m;

	/* outbox_free() unlinks m (the analyzer loses TAILQ_REMOVE). */
	while ((m = TAILQ_FIRST(&outbox_q)) != NULL) {
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		outbox_answer(m, code, message, NULL, NULL);
		outbox_free(m);
	}
}

/* How many sends are waiting. */
unsigned int
outbox_count(void)
{
	return (outbox_n);
}

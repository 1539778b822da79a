/* chatsec — messages between the wire, the store and the API.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "log.h"
#include "names.h"
#include "proto.h"
#include "sec.h"
#include "xmalloc.h"

#include "agent.h"

/*
 * A message arrives from the server (event, sync page or history page) as
 * {id, ts, from, to, cid, body}.  Here it becomes what the API shows:
 * {id, ts, from, to, conv, text, self}, with the body opened by crypto.c,
 * conv the room or the other party of a DM, and self whether this account
 * sent it.
 */

/* Return 1 if two usernames are the same account (case-insensitive). */
int
msg_same_user(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (0);
	return (strcasecmp(a, b) == 0);
}

/*
 * Check a conversation name from an API client: 0 if it is a well-formed
 * room name (#general included) or username, else CS_ERR_NO_SUCH_CONV.
 * Whether the room exists and may be read is the server's to say.
 */
int
msg_conv_check(const char *conv)
{
	if (conv[0] == '#')
		return (name_room_check(conv) == NULL ? 0 :
		    CS_ERR_NO_SUCH_CONV);
	if (name_user_check(conv) != NULL)
		return (CS_ERR_NO_SUCH_CONV);
	return (0);
}

/* Free what a message owns, leaving it zeroed. */
void
msg_clear(struct agent_msg *m)
{
	free(m->from);
	free(m->to);
	free(m->conv);
	free(m->cid);
	if (m->text != NULL) {
		sec_wipe(m->text, strlen(m->text));
		free(m->text);
	}
	memset(m, 0, sizeof *m);
}

/* Borrowed string member name of obj, or NULL. */
static const char *
msg_get_str(struct json_object *obj, const char *name)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* Integer member name of obj, or -1. */
static int64_t
msg_get_int(struct json_object *obj, const char *name)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (-1);
	return (json_object_get_int64(v));
}

/*
 * The server stores a (sender, cid) once: the same envelope again under
 * another id is a replay (a server that deleted and re-added it, or broke
 * its own rule).  The cid is inside the signature.  The local store keeps
 * "cid:<sender>:<cid>" = id of each message delivered.
 */
#define MSG_CID_KEY	(8 + 2 * (CS_CID_MAX + 1))
static void
msg_cid_key(const char *from, const char *cid, char *key, size_t len)
{
	char	 folded[CS_CID_MAX + 1];

	name_fold(from, folded, sizeof folded);
	snprintf(key, len, "cid:%s:%s", folded, cid);
}

/* 1 if (from, cid) was delivered under another id than id. */
static int
msg_is_replay(const char *from, const char *cid, int64_t id)
{
	char	 key[MSG_CID_KEY], *seen;
	int	 replay;

	msg_cid_key(from, cid, key, sizeof key);
	if ((seen = lstore_kv_get(key)) == NULL)
		return (0);
	replay = strtoll(seen, NULL, 10) != id;
	free(seen);
	return (replay);
}

/*
 * Fill m (owned strings) from a wire message object and open its
 * envelope (keys.c).  Returns 0; -1 if the object is malformed (logged; m
 * is empty but its id is set when known, so the caller can move past
 * it); MSG_STALL if it can't be opened yet (keys locked, or the sender's
 * keys not fetched: *need_keys names the sender); MSG_SECURITY if it is
 * forged or undecryptable (m has everything but text, *reason says why).
 */
int
msg_from_wire(struct json_object *obj, struct agent_msg *m,
    const char **reason, char *need_keys, size_t need_len)
{
	const char	*from, *to, *body, *cid, *me = link_user();
	uint8_t		*raw;
	size_t		 blen;
	int		 n, rc;

	memset(m, 0, sizeof *m);
	*reason = NULL;
	m->id = msg_get_int(obj, "id");
	m->ts = msg_get_int(obj, "ts");
	from = msg_get_str(obj, "from");
	to = msg_get_str(obj, "to");
	body = msg_get_str(obj, "body");
	cid = msg_get_str(obj, "cid");
	if (m->id <= 0 || m->ts < 0 || from == NULL || to == NULL ||
	    body == NULL || cid == NULL) {
		log_warnx("%s: malformed message from server", __func__);
		return (-1);
	}
	m->from = xstrdup(from);
	m->to = xstrdup(to);
	m->cid = xstrdup(cid);
	m->self = msg_same_user(from, me);
	if (strcmp(to, CS_GENERAL) == 0 || to[0] == '#')
		m->conv = xstrdup(to);
	else
		m->conv = xstrdup(m->self ? to : from);

	blen = strlen(body);
	raw = xmalloc(blen / 4 * 3 + 3);
	n = sec_b64_decode(body, blen, raw, blen / 4 * 3 + 3);
	if (n < 0) {
		free(raw);
		*reason = "malformed";
		return (MSG_SECURITY);
	}
	rc = keys_open(m->id, from, to, cid, raw, (size_t)n, &m->text, reason);
	if (rc == KEYS_OPEN_NO_KEY && need_keys != NULL &&
	    keys_peek_sender(raw, (size_t)n, need_keys, need_len) != 0)
		rc = KEYS_OPEN_UNDECRYPTABLE, *reason = "malformed";
	free(raw);
	switch (rc) {
	case KEYS_OPEN_OK:
		if (msg_is_replay(from, cid, m->id)) {
			*reason = "replay";
			m->forged = 1;
			return (MSG_SECURITY);
		}
		return (0);
	case KEYS_OPEN_LOCKED:
		return (MSG_STALL);
	case KEYS_OPEN_NO_KEY:
		if (need_keys != NULL && !keys_was_fetched(need_keys))
			return (MSG_STALL);
		*reason = "unknown_key";
		return (MSG_SECURITY);
	case KEYS_OPEN_FORGED:
		m->forged = 1;
		return (MSG_SECURITY);
	default:
		return (MSG_SECURITY);
	}
}

/*
 * The API form of a message, {id, ts, from, to, conv, text, self}: a new
 * object owned by the caller.
 */
struct json_object *
msg_json(int64_t id, int64_t ts, const char *from, const char *to,
    const char *conv, const char *text, int self)
{
	struct json_object	*obj;

	obj = json_object_new_object();
	json_object_object_add(obj, "id", json_object_new_int64(id));
	json_object_object_add(obj, "ts", json_object_new_int64(ts));
	json_object_object_add(obj, "from", json_object_new_string(from));
	json_object_object_add(obj, "to", json_object_new_string(to));
	json_object_object_add(obj, "conv", json_object_new_string(conv));
	json_object_object_add(obj, "text", json_object_new_string(text));
	json_object_object_add(obj, "self", json_object_new_boolean(self));
	return (obj);
}

/* msg_json() of a message. */
struct json_object *
msg_to_json(const struct agent_msg *m)
{
	return (msg_json(m->id, m->ts, m->from, m->to, m->conv, m->text,
	    m->self));
}

/*
 * Deliveries stop at a message that can't be opened yet (keys locked or
 * the sender's keys not fetched): the cursor stays before it, later
 * messages are not taken either, and once the keys are there the link
 * syncs again from the cursor.  So messages are still events once each,
 * in id order, and nothing is lost across a restart.
 */
static int	msg_stall;

int
msg_stalled(void)
{
	return (msg_stall);
}

void
msg_unstall(void)
{
	msg_stall = 0;
}

/* The sender's keys arrived (or could not): sync again from the cursor. */
static void
msg_keys_fetched_cb(void *arg, int code)
{
	if (!msg_stall)
		return;
	msg_stall = 0;
	link_resync();
}

/* The keys were unlocked or made: take what waited. */
void
msg_keys_ready(void)
{
	msg_stall = 0;
	link_resync();
}

/* Emit a forged or undecryptable event for m. */
static void
msg_security_event(const struct agent_msg *m, const char *reason)
{
	struct json_object	*ev;

	log_warnx("%s: message %lld from %s in %s: %s (%s); not shown",
	    __func__, (long long)m->id, log_safe(m->from), log_safe(m->conv),
	    m->forged ? "forged" : "undecryptable", reason);
	ev = json_object_new_object();
	json_object_object_add(ev, "id", json_object_new_int64(m->id));
	json_object_object_add(ev, "ts", json_object_new_int64(m->ts));
	json_object_object_add(ev, "from", json_object_new_string(m->from));
	json_object_object_add(ev, "to", json_object_new_string(m->to));
	json_object_object_add(ev, "conv", json_object_new_string(m->conv));
	json_object_object_add(ev, "reason", json_object_new_string(reason));
	events_emit(m->forged ? "forged" : "undecryptable", m->conv, ev);
}

/*
 * Take one message the server delivered in order (live or in a sync page):
 * if its id is above the sync cursor, store it and, if it was new, emit a
 * message event (or a forged / undecryptable one).  So each message id is
 * an event once, in id order.  Returns 0, or -1 if the message was
 * skipped.
 */
int
msg_deliver(struct json_object *wire)
{
	struct agent_msg	 m;
	struct json_object	*ev, *users;
	const char		*reason;
	char			 sender[CS_CID_MAX + 1];
	char			 key[MSG_CID_KEY];
	int64_t			 cursor;
	int			 rc;

	if (msg_stall)
		return (-1);
	cursor = lstore_kv_get_int("cursor", 0);
	sender[0] = '\0';
	rc = msg_from_wire(wire, &m, &reason, sender, sizeof sender);
	if (m.id > 0 && m.id <= cursor) {
		msg_clear(&m);
		return (0);
	}
	if (rc == MSG_STALL) {
		msg_stall = 1;
		if (sender[0] != '\0') {
			users = json_object_new_array();
			json_object_array_add(users,
			    json_object_new_string(sender));
			if (keys_fetch(users, msg_keys_fetched_cb, NULL) != 0)
				msg_stall = 0;
		}
		msg_clear(&m);
		return (-1);
	}
	if (rc != 0) {
		if (m.id > cursor)
			lstore_kv_set_int("cursor", m.id);
		if (rc == MSG_SECURITY)
			msg_security_event(&m, reason);
		msg_clear(&m);
		return (-1);
	}
	msg_cid_key(m.from, m.cid, key, sizeof key);
	lstore_kv_set_int(key, m.id);
	rc = lstore_msg_insert(&m);
	lstore_kv_set_int("cursor", m.id);
	if (rc == 1) {
		ev = msg_to_json(&m);
		events_emit("message", m.conv, ev);
	}
	msg_clear(&m);
	return (0);
}

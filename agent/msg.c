/* chatsec — messages between the wire, the store and the API.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

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
 * Fill m (owned strings) from a wire message object.  Returns 0, or -1 if
 * the object is malformed or its body can't be opened (logged; m is left
 * empty but its id is set when known, so the caller can move past it).
 */
int
msg_from_wire(struct json_object *obj, struct agent_msg *m)
{
	const char	*from, *to, *body, *me = link_user();
	uint8_t		*raw;
	size_t		 blen;
	int		 n;

	memset(m, 0, sizeof *m);
	m->id = msg_get_int(obj, "id");
	m->ts = msg_get_int(obj, "ts");
	from = msg_get_str(obj, "from");
	to = msg_get_str(obj, "to");
	body = msg_get_str(obj, "body");
	if (m->id <= 0 || m->ts < 0 || from == NULL || to == NULL ||
	    body == NULL) {
		log_warnx("%s: malformed message from server", __func__);
		return (-1);
	}

	blen = strlen(body);
	raw = xmalloc(blen / 4 * 3 + 3);
	n = sec_b64_decode(body, blen, raw, blen / 4 * 3 + 3);
	if (n < 0 || crypto_body_open(raw, (size_t)n, &m->text) != 0) {
		log_warnx("%s: message %lld from %s: body can't be read; "
		    "not shown", __func__, (long long)m->id, log_safe(from));
		free(raw);
		return (-1);
	}
	free(raw);

	m->from = xstrdup(from);
	m->to = xstrdup(to);
	m->self = msg_same_user(from, me);
	if (strcmp(to, CS_GENERAL) == 0 || to[0] == '#')
		m->conv = xstrdup(to);
	else
		m->conv = xstrdup(m->self ? to : from);
	return (0);
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
 * Take one message the server delivered in order (live or in a sync page):
 * if its id is above the sync cursor, store it and, if it was new, emit a
 * message event.  So each message id is an event once, in id order.
 * Returns 0, or -1 if the message was unreadable (skipped).
 */
int
msg_deliver(struct json_object *wire)
{
	struct agent_msg	 m;
	struct json_object	*ev;
	int64_t			 cursor;
	int			 rc;

	cursor = lstore_kv_get_int("cursor", 0);
	if (msg_from_wire(wire, &m) != 0) {
		if (m.id > cursor)
			lstore_kv_set_int("cursor", m.id);
		msg_clear(&m);
		return (-1);
	}
	if (m.id <= cursor) {
		msg_clear(&m);
		return (0);
	}
	rc = lstore_msg_insert(&m);
	lstore_kv_set_int("cursor", m.id);
	if (rc == 1) {
		ev = msg_to_json(&m);
		events_emit("message", m.conv, ev);
	}
	msg_clear(&m);
	return (0);
}

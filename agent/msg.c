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
	if (m->fmeta != NULL) {
		sec_wipe(m->fmeta, strlen(m->fmeta));
		free(m->fmeta);
	}
	json_object_put(m->file);
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

#define MSG_FILE_SIZE_MAX	((int64_t)1 << 40)	/* sanity bound */

/* 1 if s is exactly len lower-case hex digits. */
static int
msg_is_hex(const char *s, size_t len)
{
	return (strlen(s) == len && strspn(s, "0123456789abcdef") == len);
}

/* 1 if s is base64 of exactly len bytes. */
static int
msg_is_b64(const char *s, size_t len)
{
	uint8_t	 buf[64];
	size_t	 slen = strlen(s);

	return (len <= sizeof buf && slen == sec_b64_len(len) - 1 &&
	    sec_b64_decode(s, slen, buf, sizeof buf) == (int)len);
}

/*
 * Parse and check a file message's JSON (doc/files.md, content type 02).
 * Returns a new object (owned by the caller; it holds the key) or NULL
 * with why set.
 */
struct json_object *
msg_file_parse(const char *json, char *why, size_t whylen)
{
	struct json_object	*o, *v;
	int64_t			 size, chunks, want;
	const char		*s;

	if ((o = json_tokener_parse(json)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		snprintf(why, whylen, "not a JSON object");
		goto bad;
	}
	if (msg_get_int(o, "v") != 1) {
		snprintf(why, whylen, "version");
		goto bad;
	}
	if ((s = msg_get_str(o, "file")) == NULL ||
	    !msg_is_hex(s, CS_FILE_ID_LEN)) {
		snprintf(why, whylen, "file id");
		goto bad;
	}
	if ((s = msg_get_str(o, "name")) == NULL || strlen(s) > 1024) {
		snprintf(why, whylen, "name");
		goto bad;
	}
	if ((s = msg_get_str(o, "type")) == NULL || strlen(s) > 255) {
		snprintf(why, whylen, "type");
		goto bad;
	}
	if ((s = msg_get_str(o, "digest")) == NULL || !msg_is_hex(s, 64)) {
		snprintf(why, whylen, "digest");
		goto bad;
	}
	if ((s = msg_get_str(o, "key")) == NULL || !msg_is_b64(s, 32) ||
	    (s = msg_get_str(o, "header")) == NULL || !msg_is_b64(s, 24)) {
		snprintf(why, whylen, "key or header");
		goto bad;
	}
	size = msg_get_int(o, "size");
	chunks = msg_get_int(o, "chunks");
	want = files_chunks(size);	/* no overflow, whatever size is */
	if (size < 0 || size > MSG_FILE_SIZE_MAX || chunks != want) {
		snprintf(why, whylen, "size or chunks");
		goto bad;
	}
	if (json_object_object_get_ex(o, "text", &v) &&
	    !json_object_is_type(v, json_type_string)) {
		snprintf(why, whylen, "text");
		goto bad;
	}
	return (o);
bad:
	json_object_put(o);
	return (NULL);
}

/* The public part of a file message (no key): {name, size, type, digest}. */
static struct json_object *
msg_file_public(struct json_object *meta)
{
	struct json_object	*f, *v;
	const char		*keys[] = { "name", "size", "type", "digest" };
	size_t			 i;

	f = json_object_new_object();
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		/* Copies: the caller wipes meta. */
		if (!json_object_object_get_ex(meta, keys[i], &v))
			continue;
		json_object_object_add(f, keys[i],
		    json_object_is_type(v, json_type_int) ?
		    json_object_new_int64(json_object_get_int64(v)) :
		    json_object_new_string(json_object_get_string(v)));
	}
	return (f);
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
	struct json_object *meta;
	uint8_t		*raw;
	size_t		 blen;
	int		 n, rc, ptype;
	char		 why[64];

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
	rc = keys_open(m->id, from, to, cid, raw, (size_t)n, &m->text, &ptype,
	    reason);
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
		if (ptype != KEYS_PT_FILE)
			return (0);
		if ((meta = msg_file_parse(m->text, why, sizeof why)) == NULL) {
			log_warnx("%s: file message %lld: bad %s", __func__,
			    (long long)m->id, why);
			*reason = "malformed";
			return (MSG_SECURITY);
		}
		m->fmeta = m->text;
		m->text = xstrdup(msg_get_str(meta, "text") != NULL ?
		    msg_get_str(meta, "text") : "");
		m->file = msg_file_public(meta);
		agent_wipe_json(meta);
		json_object_put(meta);
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
 * The API form of a message, {id, ts, from, to, conv, text, self} and
 * file (borrowed; NULL if none): a new object owned by the caller.
 */
struct json_object *
msg_json(int64_t id, int64_t ts, const char *from, const char *to,
    const char *conv, const char *text, int self, struct json_object *file)
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
	if (file != NULL)
		json_object_object_add(obj, "file", json_object_get(file));
	return (obj);
}

/* msg_json() of a message. */
struct json_object *
msg_to_json(const struct agent_msg *m)
{
	return (msg_json(m->id, m->ts, m->from, m->to, m->conv, m->text,
	    m->self, m->file));
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
 * Keep what fetching m's file needs under "file:<id>": {from, conv, meta}
 * with meta its sealed JSON (key included), so file_fetch works on any
 * file message this agent has seen.
 */
void
msg_keep_file(const struct agent_msg *m)
{
	struct json_object	*o;
	char			 key[32];

	if (m->fmeta == NULL)
		return;
	snprintf(key, sizeof key, "file:%lld", (long long)m->id);
	o = json_object_new_object();
	json_object_object_add(o, "from", json_object_new_string(m->from));
	json_object_object_add(o, "conv", json_object_new_string(m->conv));
	json_object_object_add(o, "meta", json_object_new_string(m->fmeta));
	lstore_kv_set(key, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN|JSON_C_TO_STRING_NOSLASHESCAPE));
	agent_wipe_json(o);
	json_object_put(o);
}

/*
 * A deletion record (id, ts, from, to, deletes): forget the message it
 * deletes, and its file's key, and tell clients.  Returns 0 or -1.
 */
static int
msg_deleted(struct json_object *wire, int64_t id)
{
	struct json_object	*ev;
	const char		*from = msg_get_str(wire, "from");
	const char		*to = msg_get_str(wire, "to");
	const char		*conv;
	char			*known;
	int64_t			 gone = msg_get_int(wire, "deletes");
	char			 key[32];

	if (from == NULL || to == NULL || gone <= 0) {
		log_warnx("%s: malformed deletion record from server",
		    __func__);
		return (-1);
	}
	/*
	 * A DM's record names who deleted (maybe an admin) and the deleted
	 * message's recipient: the conversation is best taken from the
	 * message itself when this agent has it.
	 */
	if ((known = lstore_msg_conv(gone)) != NULL)
		conv = known;
	else if (to[0] == '#')
		conv = to;
	else
		conv = msg_same_user(from, link_user()) ? to : from;
	lstore_msg_delete(gone);
	snprintf(key, sizeof key, "file:%lld", (long long)gone);
	lstore_kv_del(key);
	ev = json_object_new_object();
	json_object_object_add(ev, "id", json_object_new_int64(gone));
	json_object_object_add(ev, "by", json_object_new_string(from));
	json_object_object_add(ev, "conv", json_object_new_string(conv));
	events_emit("message_deleted", conv, ev);
	free(known);
	return (0);
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
	int64_t			 cursor, id;
	int			 rc;

	if (msg_stall)
		return (-1);
	cursor = lstore_kv_get_int("cursor", 0);
	if (json_object_object_get_ex(wire, "deletes", NULL)) {
		if ((id = msg_get_int(wire, "id")) <= cursor)
			return (0);
		rc = msg_deleted(wire, id);
		lstore_kv_set_int("cursor", id);
		return (rc);
	}
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
	msg_keep_file(&m);
	lstore_kv_set_int("cursor", m.id);
	if (rc == 1) {
		ev = msg_to_json(&m);
		events_emit("message", m.conv, ev);
	}
	msg_clear(&m);
	return (0);
}

/* chatsec — API methods: send, history, who.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
#include "names.h"
#include "proto.h"
#include "rpc.h"
#include "sec.h"
#include "xmalloc.h"

#include "agent.h"

/*
 * Chat methods.  send goes through the outbox (outbox.c); history asks the
 * server when the link is ready and keeps what it gets, else answers from
 * the local store; who needs the server.
 */

/* A history request on its way to the server. */
struct chat_history {
	struct api_pending	*p;
	char			*conv;
	int64_t			 before;
	int			 limit;
};

/* Return 1 if cid is 1..64 of [A-Za-z0-9_-]. */
static int
chat_cid_ok(const char *cid)
{
	size_t	 len = strlen(cid);

	return (len >= 1 && len <= CS_CID_MAX &&
	    strspn(cid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-") == len);
}

/* send: check the message, make a cid if needed, hand it to the outbox. */
void
api_send(struct api_pending *p, struct json_object *params)
{
	const char	*to = rpc_get_str(params, "to", "");
	const char	*text = rpc_get_str(params, "text", "");
	const char	*cid = rpc_get_str(params, "cid", NULL);
	uint8_t		 rnd[12];
	char		 made[2 * sizeof rnd + 1];

	if (strlen(text) > CS_TEXT_MAX) {
		api_errorf(p, CS_ERR_BODY_TOO_BIG, "message too long (over %d "
		    "bytes)", CS_TEXT_MAX);
		return;
	}
	if (to[0] == '#' && name_room_check(to) != NULL) {
		api_errorf(p, CS_ERR_NO_SUCH_CONV, "no such conversation: %s",
		    to);
		return;
	}
	if (to[0] != '#' && name_user_check(to) != NULL) {
		api_error(p, CS_ERR_NO_SUCH_USER, "no such user", NULL);
		return;
	}
	if (cid != NULL && !chat_cid_ok(cid)) {
		api_error(p, CS_ERR_PARAMS, "parameter cid: 1 to 64 of "
		    "A-Z a-z 0-9 _ -", NULL);
		return;
	}
	if (cid == NULL) {
		sec_random(rnd, sizeof rnd);
		cid = sec_hex(rnd, sizeof rnd, made);
	}
	outbox_submit(p, to, text, cid);
}

/* Answer a history request from the local store. */
static void
chat_history_local(struct api_pending *p, const char *conv, int64_t before,
    int limit)
{
	struct json_object	*r, *msgs;
	int			 more;

	msgs = lstore_msg_history(conv, before, limit, &more);
	r = json_object_new_object();
	json_object_object_add(r, "messages", msgs);
	json_object_object_add(r, "more", json_object_new_boolean(more));
	json_object_object_add(r, "source", json_object_new_string("local"));
	api_reply(p, r);
}

/* Free a history request. */
static void
chat_history_free(struct chat_history *h)
{
	free(h->conv);
	free(h);
}

/*
 * The server's history page: open each message, keep those the sync
 * stream has already passed (newer ones arrive as events, once), and
 * answer with as many of the newest as fit in one API line.
 */
static void
chat_history_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct chat_history	*h = arg;
	struct json_object	*wire, *out, *r, *v, *j;
	struct agent_msg	 m;
	const char		*reason;
	int64_t			 cursor;
	size_t			 i, n, total = 0, len;
	int			 more = 0, first;

	if (code == CS_ERR_NOT_CONNECTED || code == CS_ERR_TIMEOUT) {
		chat_history_local(h->p, h->conv, h->before, h->limit);
		chat_history_free(h);
		return;
	}
	if (code != 0) {
		api_error(h->p, code, message, json_object_get(data));
		chat_history_free(h);
		return;
	}
	if (json_object_object_get_ex(result, "more", &v))
		more = json_object_get_boolean(v);
	if (!json_object_object_get_ex(result, "messages", &wire) ||
	    !json_object_is_type(wire, json_type_array))
		wire = NULL;

	cursor = lstore_kv_get_int("cursor", 0);
	n = wire != NULL ? json_object_array_length(wire) : 0;
	out = json_object_new_array();
	lstore_begin();
	for (i = 0; i < n; i++) {
		/* Deletion records only matter to the event stream. */
		if (json_object_object_get_ex(json_object_array_get_idx(wire,
		    i), "deletes", NULL))
			continue;
		if (msg_from_wire(json_object_array_get_idx(wire, i),
		    &m, &reason, NULL, 0) != 0) {
			msg_clear(&m);
			continue;
		}
		if (m.id <= cursor)
			lstore_msg_insert(&m);
		msg_keep_file(&m);
		json_object_array_add(out, msg_to_json(&m));
		msg_clear(&m);
	}
	lstore_commit();

	/* Keep the newest messages that fit; older ones are a next page. */
	n = json_object_array_length(out);
	first = (int)n;
	while (first > 0) {
		j = json_object_array_get_idx(out, first - 1);
		len = strlen(json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PLAIN)) + 1;
		if (total + len > CS_API_FRAME_MAX - 1024)
			break;
		total += len;
		first--;
	}
	if (first > 0) {
		json_object_array_del_idx(out, 0, first);
		more = 1;
	}

	r = json_object_new_object();
	json_object_object_add(r, "messages", out);
	json_object_object_add(r, "more", json_object_new_boolean(more));
	json_object_object_add(r, "source", json_object_new_string("server"));
	api_reply(h->p, r);
	chat_history_free(h);
}

/* history: from the server when it is reachable, else local. */
void
api_history(struct api_pending *p, struct json_object *params)
{
	const char		*conv = rpc_get_str(params, "conv", "");
	int64_t			 before = rpc_get_int(params, "before", 0);
	int			 limit = (int)rpc_get_int(params, "limit", 50);
	struct json_object	*w;
	struct chat_history	*h;

	if (msg_conv_check(conv) != 0) {
		api_errorf(p, CS_ERR_NO_SUCH_CONV, "no such conversation: %s",
		    conv);
		return;
	}
	if (link_get_state() != LINK_READY) {
		chat_history_local(p, conv, before, limit);
		return;
	}
	w = json_object_new_object();
	json_object_object_add(w, "conv", json_object_new_string(conv));
	if (before > 0)
		json_object_object_add(w, "before",
		    json_object_new_int64(before));
	json_object_object_add(w, "limit", json_object_new_int(limit));
	h = xcalloc(1, sizeof *h);
	h->p = p;
	h->conv = xstrdup(conv);
	h->before = before;
	h->limit = limit;
	if (link_request("history", w, AGENT_HISTORY_TIMEOUT, chat_history_cb,
	    h, NULL) != 0) {
		chat_history_local(p, conv, before, limit);
		chat_history_free(h);
	}
}

/* The server's list of who is online. */
static void
chat_who_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct api_pending	*p = arg;
	struct json_object	*r, *online, *away;

	if (code != 0) {
		api_error(p, code, message, json_object_get(data));
		return;
	}
	r = json_object_new_object();
	if (json_object_object_get_ex(result, "online", &online) &&
	    json_object_is_type(online, json_type_array))
		json_object_object_add(r, "online", json_object_get(online));
	else
		json_object_object_add(r, "online", json_object_new_array());
	if (json_object_object_get_ex(result, "away", &away) &&
	    json_object_is_type(away, json_type_object))
		json_object_object_add(r, "away", json_object_get(away));
	else
		json_object_object_add(r, "away", json_object_new_object());
	api_reply(p, r);
}

/* who waited for the link. */
static void
chat_who_ready_cb(void *arg, int code)
{
	struct api_pending	*p = arg;

	if (code == 0)
		code = link_request("who", json_object_new_object(),
		    AGENT_REQ_TIMEOUT, chat_who_cb, p, NULL);
	if (code == CS_ERR_TRUST)
		api_error(p, code, link_last_error(), NULL);
	else if (code != 0)
		api_error(p, CS_ERR_NOT_CONNECTED, "not connected to the "
		    "server", NULL);
}

/* who: the users online, from the server. */
void
api_who(struct api_pending *p, struct json_object *params)
{
	link_when_ready(chat_who_ready_cb, p);
}

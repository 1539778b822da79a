/* chatsec — API methods: rooms, and forwarding to the server.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
#include "names.h"
#include "proto.h"
#include "rpc.h"
#include "xmalloc.h"

#include "agent.h"

/*
 * The room_* methods (and admin_*, api-admin.c) are the server's business:
 * who may do what is decided there, never here.  So the agent forwards
 * each to the wire method of the same name once the link is ready, with
 * the parameters the dispatcher checked, and answers with what the server
 * said.  It checks only what it can tell without the server (a room name
 * that breaks the rules), to answer at once.
 *
 * The server's room events (membership changes, topics, deletions) come
 * live as `room` notifications and, after the agent was offline, in sync
 * pages; each becomes one `room` event here, once, in the server's order
 * (the profile keeps the newest room event id as "room_cursor").
 */

/* A request on its way to the server. */
struct rooms_fwd {
	struct api_pending	*p;
	struct json_object	*params;	/* owned reference */
	const char		*method;	/* static, from the table */
};

/* Free a forwarded request. */
static void
rooms_fwd_free(struct rooms_fwd *f)
{
	json_object_put(f->params);
	free(f);
}

/* The server answered. */
static void
rooms_fwd_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct rooms_fwd	*f = arg;

	if (code == CS_ERR_NOT_CONNECTED)
		api_error(f->p, code, "the connection to the server dropped; "
		    "try again", NULL);
	else if (code != 0)
		api_error(f->p, code, message, json_object_get(data));
	else
		api_reply(f->p, json_object_get(result));
	rooms_fwd_free(f);
}

/* The link is ready (or not): send the request. */
static void
rooms_fwd_ready_cb(void *arg, int code)
{
	struct rooms_fwd	*f = arg;
	const char		*why;

	if (code == 0)
		code = link_request(f->method, json_object_get(f->params),
		    AGENT_REQ_TIMEOUT, rooms_fwd_cb, f, NULL);
	if (code == 0)
		return;
	why = link_last_error();
	if (code == CS_ERR_TRUST)
		api_error(f->p, code, why != NULL ? why : "the server's "
		    "certificate does not match the pinned one", NULL);
	else if (why != NULL)
		api_errorf(f->p, CS_ERR_NOT_CONNECTED, "not connected to the "
		    "server (%s)", why);
	else
		api_error(f->p, CS_ERR_NOT_CONNECTED, "not connected to the "
		    "server", NULL);
	rooms_fwd_free(f);
}

/*
 * Forward p's request to the server method of the same name, with its
 * (already checked) params, and answer with the server's reply.
 */
void
api_forward(struct api_pending *p, struct json_object *params)
{
	struct rooms_fwd	*f;

	f = xcalloc(1, sizeof *f);
	f->p = p;
	f->params = params != NULL ? json_object_get(params) :
	    json_object_new_object();
	f->method = p->method;
	link_when_ready(rooms_fwd_ready_cb, f);
}

/* room_*: check the room name's form here, then ask the server. */
void
api_room(struct api_pending *p, struct json_object *params)
{
	const char	*room = rpc_get_str(params, "room", NULL);
	const char	*why;

	if (room != NULL && (why = name_room_check(room)) != NULL) {
		api_error(p, CS_ERR_BAD_ROOM_NAME, why, NULL);
		return;
	}
	api_forward(p, params);
}

/* Copy member name of src into dst if it is a string or integer. */
static void
rooms_copy(struct json_object *dst, struct json_object *src, const char *name)
{
	struct json_object	*v;

	if (json_object_object_get_ex(src, name, &v) && v != NULL &&
	    (json_object_is_type(v, json_type_string) ||
	    json_object_is_type(v, json_type_int)))
		json_object_object_add(dst, name, json_object_get(v));
}

/*
 * One room event from the server (borrowed), inside the caller's store
 * transaction: emit it unless the cursor says it was seen.  0, or -1 if
 * it is malformed (skipped).
 */
static int
rooms_deliver_one(struct json_object *ev)
{
	struct json_object	*v, *fields;
	const char		*room;
	int64_t			 id, cursor;

	if (!json_object_is_type(ev, json_type_object) ||
	    !json_object_object_get_ex(ev, "id", &v) ||
	    !json_object_is_type(v, json_type_int))
		return (-1);
	id = json_object_get_int64(v);
	if (!json_object_object_get_ex(ev, "room", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !json_object_object_get_ex(ev, "action", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		log_warnx("%s: malformed room event %lld", __func__,
		    (long long)id);
		return (-1);
	}
	cursor = lstore_kv_get_int("room_cursor", 0);
	if (id <= cursor)
		return (0);
	json_object_object_get_ex(ev, "room", &v);
	room = json_object_get_string(v);
	fields = json_object_new_object();
	rooms_copy(fields, ev, "ts");
	rooms_copy(fields, ev, "room");
	rooms_copy(fields, ev, "action");
	rooms_copy(fields, ev, "actor");
	rooms_copy(fields, ev, "target");
	rooms_copy(fields, ev, "reason");
	rooms_copy(fields, ev, "expires");
	rooms_copy(fields, ev, "topic");
	events_emit("room", room, fields);
	lstore_kv_set_int("room_cursor", id);
	return (0);
}

/*
 * Room events from the server: one object (a live notification) or an
 * array (a sync page), stored and emitted in one transaction.  Returns 0
 * or -1 if the store failed.
 */
int
rooms_deliver(struct json_object *evs)
{
	size_t	 i;
	int	 rc;

	lstore_begin();
	events_hold();
	if (json_object_is_type(evs, json_type_array)) {
		for (i = 0; i < json_object_array_length(evs); i++)
			rooms_deliver_one(json_object_array_get_idx(evs, i));
	} else
		rooms_deliver_one(evs);
	rc = lstore_commit();
	events_release(rc == 0);
	return (rc == 0 ? 0 : -1);
}

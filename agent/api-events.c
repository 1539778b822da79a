/* chatsec — API methods: subscribe, unsubscribe, events.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "proto.h"
#include "rpc.h"

#include "agent.h"

/*
 * The event stream (subscribe) and its polling form (events); the log and
 * the fan-out themselves are in events.c.
 */

/*
 * subscribe: answer with the newest seq, then replay from since (if
 * given) and go live.  A second subscribe replaces the first.
 */
void
api_subscribe(struct api_pending *p, struct json_object *params)
{
	struct api_client	*c = p->client;
	struct events_filter	 f;
	struct json_object	*r;
	char			 msg[256];
	int64_t			 since = -1;

	if (events_filter_parse(params, &f, msg, sizeof msg) != 0) {
		api_error(p, CS_ERR_PARAMS, msg, NULL);
		return;
	}
	if (rpc_get(params, "since") != NULL)
		since = rpc_get_int(params, "since", 0);
	r = json_object_new_object();
	json_object_object_add(r, "cursor",
	    json_object_new_int64(events_cursor()));
	api_reply(p, r);
	if (c == NULL || (c->flags & API_CLIENT_DEAD)) {
		events_filter_clear(&f);
		return;
	}
	events_subscribe(c, since, &f);
}

/* unsubscribe: no more events on this connection. */
void
api_unsubscribe(struct api_pending *p, struct json_object *params)
{
	if (p->client != NULL)
		events_unsubscribe(p->client);
	api_reply(p, json_object_new_object());
}

/* events: kept events after since, filtered, at most limit. */
void
api_events(struct api_pending *p, struct json_object *params)
{
	struct events_filter	 f;
	struct json_object	*r, *list;
	char			 msg[256];
	int64_t			 cursor;

	if (events_filter_parse(params, &f, msg, sizeof msg) != 0) {
		api_error(p, CS_ERR_PARAMS, msg, NULL);
		return;
	}
	list = events_query(rpc_get_int(params, "since", 0),
	    (int)rpc_get_int(params, "limit", 100), &f, &cursor);
	events_filter_clear(&f);
	r = json_object_new_object();
	json_object_object_add(r, "events", list);
	json_object_object_add(r, "cursor", json_object_new_int64(cursor));
	api_reply(p, r);
}

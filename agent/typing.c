/* chatsec — chatsec-agent: typing notifications.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "proto.h"
#include "rpc.h"

#include "agent.h"

/*
 * Typing notifications are ephemeral both ways.  `typing` from an API
 * client goes to the server only if the link is ready now: a notification
 * that waited for a reconnect would say something no longer true, so an
 * offline agent answers 1009 at once and queues nothing.  The server's
 * `typing` events become `typing` events for subscribers that are live,
 * without a seq, never written to the event log (events_emit_ephemeral).
 */

/*
 * typing: tell the others in conversation `to` that the user is typing.
 * The server checks the rights (as for send) and throttles.
 */
void
api_typing(struct api_pending *p, struct json_object *params)
{
	const char	*to = rpc_get_str(params, "to", "");

	if (msg_conv_check(to) != 0) {
		api_error(p, CS_ERR_PARAMS, "parameter to: not a room name "
		    "or a username", NULL);
		return;
	}
	if (link_get_state() != LINK_READY) {
		api_error(p, CS_ERR_NOT_CONNECTED, "not connected to the "
		    "server", NULL);
		return;
	}
	api_forward(p, params);
}

/* A string member of an unchecked object, or NULL. */
static const char *
typing_str(struct json_object *obj, const char *name)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/*
 * A typing notification from the server: {"from", "to"} where to is the
 * room, or our own name for a DM; the event's conv is the room or the
 * peer, as for messages.
 */
void
typing_on_event(struct json_object *params)
{
	const char		*from, *to, *self = link_user();
	struct json_object	*ev;

	if (link_get_state() != LINK_READY)
		return;
	from = typing_str(params, "from");
	to = typing_str(params, "to");
	if (from == NULL || to == NULL || msg_conv_check(to) != 0 ||
	    from[0] == '#' || msg_conv_check(from) != 0)
		return;
	if (self != NULL && msg_same_user(self, from))
		return;
	ev = json_object_new_object();
	json_object_object_add(ev, "from", json_object_new_string(from));
	json_object_object_add(ev, "conv", json_object_new_string(
	    to[0] == '#' ? to : from));
	events_emit_ephemeral("typing", to[0] == '#' ? to : from, ev);
}

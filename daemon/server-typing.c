/* chatsec — chatsecd typing notifications.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "chatsecd.h"
#include "bus.h"
#include "clock.h"
#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "store.h"
#include "xmalloc.h"

/*
 * "typing" says that a user is writing to a conversation.  It is never
 * stored: the server checks it as it would a send to the same place (the
 * helpers are send's), then relays it as a `typing` event to the other
 * online members of the room, or to the DM peer.  None of the sender's own
 * connections hears it, other devices included.
 *
 * It is cheap: each connection relays at most one per conversation every
 * TYPING_INTERVAL_MS, and remembers at most TYPING_SLOTS conversations
 * (a connection typing in more than that many within the interval gets
 * the extra ones answered but not relayed).  The slots are allocated on a
 * connection's first typing, so connections that never type pay one
 * pointer.
 */

#define TYPING_INTERVAL_MS	3000
#define TYPING_SLOTS		8

struct typing_slot {
	int64_t		 conv;		/* room id, or minus the peer's id */
	int64_t		 last;		/* monotonic ms of the last relay */
};

struct typing_state {
	struct typing_slot	 slot[TYPING_SLOTS];
};

/* Free what a connection's typing throttle owns.  NULL is accepted. */
void
typing_client_free(struct client *c)
{
	free(c->typing);
	c->typing = NULL;
}

/*
 * Whether a typing for conv may be relayed now; if so, note it.  A
 * conversation relayed within the interval, or no free slot, says no.
 */
static int
typing_throttle(struct client *c, int64_t conv, int64_t now)
{
	struct typing_slot	*s, *free_slot = NULL;
	size_t			 i;

	if (c->typing == NULL)
		c->typing = xcalloc(1, sizeof *c->typing);
	for (i = 0; i < TYPING_SLOTS; i++) {
		s = &c->typing->slot[i];
		if (s->conv == conv) {
			if (now - s->last < TYPING_INTERVAL_MS)
				return (0);
			free_slot = s;
			break;
		}
		if (free_slot == NULL && (s->conv == 0 ||
		    now - s->last >= TYPING_INTERVAL_MS))
			free_slot = s;
	}
	if (free_slot == NULL)
		return (0);
	free_slot->conv = conv;
	free_slot->last = now;
	return (1);
}

/*
 * Relay a typing to the other members of a room (every account but the
 * sender's for #general) or to a DM peer.  Failures to list a room's
 * members only lose the notification.
 */
static void
typing_relay(struct client *c, int64_t room, int64_t peer, const char *to)
{
	int64_t	*members = NULL;
	size_t	 n = 0;

	if (room == 0) {
		if (peer != c->account_id)
			bus_publish_typing(client_user(c), to, c->account_id,
			    &peer, 1);
		return;
	}
	if (room == STORE_GENERAL_ROOM) {
		bus_publish_typing(client_user(c), to, c->account_id, NULL,
		    0);
		return;
	}
	if (rooms_member_ids(room, &members, &n) != 0) {
		log_warnx("%s: members of room %lld unknown", __func__,
		    (long long)room);
		return;
	}
	bus_publish_typing(client_user(c), to, c->account_id, members, n);
	free(members);
}

/*
 * typing: to is a room the caller may send to or a username, resolved and
 * checked as send does.  The reply says whether it was relayed.
 */
void
typing_cmd(struct client *c, struct rpc_req *req)
{
	struct json_object	*result;
	const char		*to;
	char			 name[NAME_ROOM_SIZE], msg[512];
	int64_t			 room, peer;
	int			 rc, relayed;

	to = rpc_get_str(req->params, "to", "");
	if ((rc = msg_resolve(to, &room, &peer, name, sizeof name)) != 0) {
		if (rc == -1)
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		else
			cmd_error(c, req->id, to[0] == '#' ?
			    CS_ERR_NO_SUCH_CONV : CS_ERR_NO_SUCH_USER, NULL,
			    NULL);
		return;
	}
	if (room != 0 && (rc = rooms_allowed(c, room, name, RIGHT_SEND, msg,
	    sizeof msg)) != 0) {
		cmd_error(c, req->id, rc, msg, NULL);
		return;
	}
	relayed = typing_throttle(c, room != 0 ? room : -peer,
	    clock_mono_ms());
	if (relayed)
		typing_relay(c, room, peer, name);
	result = json_object_new_object();
	json_object_object_add(result, "to", json_object_new_string(name));
	json_object_object_add(result, "relayed",
	    json_object_new_boolean(relayed));
	cmd_reply(c, req->id, result);
}

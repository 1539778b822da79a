/* chatsec — chatsecd named rooms: membership, roles, moderation.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
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
 * The room_* requests.  Each one goes the same way: rooms_prepare() reads
 * the room, the actor's standing in it (role, mute, ban, invitation) and
 * that of the user acted on from the store, and asks rights_check() (the
 * one rights table) whether the request may go ahead; a refusal is
 * answered there and nothing changes.  Then the handler checks what the
 * request needs of the state (bob must be a member to be kicked), changes
 * the store and records a room event in one transaction, and once that is
 * committed pushes the event to the room's members, the user acted on and
 * the actor.  The event rows stay for offline delivery through sync.
 */

/* One request being worked on. */
struct rooms_op {
	struct client		*c;
	struct rpc_req		*req;
	struct store_room	 room;
	struct right_ctx	 x;
	int			 role;		/* actor's stored role */
	int64_t			 target_id;	/* 0: no target */
	char			 target[NAME_USER_MAX + 1];
	int			 target_role;	/* stored */
	int			 target_muted;
	int			 target_banned;
	int			 target_invited;
};

/* An event to push once its transaction is committed. */
struct rooms_pub {
	struct store_room_event	 ev;
	int64_t			*ids;		/* owned; NULL: everyone */
	size_t			 n;
	int			 ready;
};

/* Whether a ban that expires at expires (0: never) holds now. */
static int
rooms_ban_active(int64_t expires)
{
	return (expires == 0 || expires > clock_now());
}

/* Whether a topic is fit: UTF-8 (checked by the frame) without controls. */
static int
rooms_topic_ok(const char *t)
{
	const unsigned char	*p;

	if (strlen(t) > CS_TOPIC_MAX)
		return (0);
	for (p = (const unsigned char *)t; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return (0);
	}
	return (1);
}

/* The JSON of a room event: live notification and sync element alike. */
static struct json_object *
rooms_event_json(const struct store_room_event *ev)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(ev->id));
	json_object_object_add(o, "ts", json_object_new_int64(ev->ts));
	json_object_object_add(o, "room", json_object_new_string(ev->room));
	json_object_object_add(o, "action",
	    json_object_new_string(ev->action));
	if (ev->actor != NULL)
		json_object_object_add(o, "actor",
		    json_object_new_string(ev->actor));
	if (ev->target != NULL)
		json_object_object_add(o, "target",
		    json_object_new_string(ev->target));
	if (ev->reason != NULL)
		json_object_object_add(o, "reason",
		    json_object_new_string(ev->reason));
	if (ev->expires != 0)
		json_object_object_add(o, "expires",
		    json_object_new_int64(ev->expires));
	if (ev->topic != NULL)
		json_object_object_add(o, "topic",
		    json_object_new_string(ev->topic));
	return (o);
}

/* Add id to a sorted id array unless it is there. */
static void
rooms_ids_add(int64_t **ids, size_t *n, int64_t id)
{
	size_t	 i;

	if (id == 0)
		return;
	for (i = 0; i < *n; i++) {
		if ((*ids)[i] == id)
			return;
	}
	*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
	(*ids)[(*n)++] = id;
}

/* The member ids of a room (owned array).  0 or -1. */
int
rooms_member_ids(int64_t room, int64_t **ids, size_t *n)
{
	return (store_member_ids(server_store, room, ids, n));
}

/*
 * Inside the open transaction: record a room event for the room's members
 * as they are now, the target and the actor, and keep what to push after
 * the commit in pub.  0 or -1.
 */
static int
rooms_event_add(struct rooms_op *op, const char *action, const char *reason,
    int64_t expires, const char *topic, struct rooms_pub *pub)
{
	struct store_room_event	*ev = &pub->ev;

	memset(pub, 0, sizeof *pub);
	ev->ts = clock_now_ms();
	ev->room = op->room.name;
	ev->action = action;
	ev->actor = client_user(op->c);
	ev->target = op->target_id != 0 ? op->target : NULL;
	ev->reason = reason != NULL && reason[0] != '\0' ? reason : NULL;
	ev->expires = expires;
	ev->topic = topic;
	if (store_room_event_add(server_store, ev, op->room.id, op->target_id,
	    op->c->account_id) != 0)
		return (-1);
	if (op->room.id != STORE_GENERAL_ROOM) {
		if (store_member_ids(server_store, op->room.id, &pub->ids,
		    &pub->n) != 0)
			return (-1);
		rooms_ids_add(&pub->ids, &pub->n, op->target_id);
		rooms_ids_add(&pub->ids, &pub->n, op->c->account_id);
	}
	pub->ready = 1;
	return (0);
}

/* Push a committed event and free what pub holds. */
static void
rooms_publish(struct rooms_pub *pub)
{
	if (pub->ready)
		bus_publish_room(rooms_event_json(&pub->ev), pub->ids, pub->n);
	free(pub->ids);
	pub->ids = NULL;
}

/* Forget an uncommitted event. */
static void
rooms_pub_drop(struct rooms_pub *pub)
{
	free(pub->ids);
	memset(pub, 0, sizeof *pub);
}

/*
 * Fill the rights context of the actor in room (found already) from the
 * store.  0 or -1.
 */
static int
rooms_actor(struct client *c, struct rooms_op *op)
{
	int64_t	 expires;
	int	 muted, rc;

	if (store_member_get(server_store, op->room.id, c->account_id,
	    &op->role, &muted) == -1)
		return (-1);
	op->x.muted = muted;
	if ((rc = store_ban_get(server_store, op->room.id, c->account_id,
	    &expires)) == -1)
		return (-1);
	op->x.banned = rc == 0 && rooms_ban_active(expires);
	if ((rc = store_invite_get(server_store, op->room.id,
	    c->account_id)) == -1)
		return (-1);
	op->x.invited = rc == 0;
	op->x.room = op->room.name;
	op->x.general = op->room.id == STORE_GENERAL_ROOM;
	op->x.invite_only = op->room.invite_only;
	op->x.role = op->role;
	op->x.is_admin = c->is_admin;
	return (0);
}

/*
 * Read the room named by the "room" parameter, the actor's standing and
 * (with want_target) the "user" parameter's, and check right r.  Returns
 * 0 to go ahead, or -1 with the request answered.
 */
static int
rooms_prepare(struct client *c, struct rpc_req *req, enum right r,
    int want_target, struct rooms_op *op)
{
	struct store_account	 a;
	const char		*name, *why;
	char			 folded[NAME_ROOM_SIZE], msg[512];
	int64_t			 expires;
	int			 rc, code;

	memset(op, 0, sizeof *op);
	op->c = c;
	op->req = req;
	name = rpc_get_str(req->params, "room", "");
	if ((why = name_room_check(name)) != NULL) {
		cmd_error(c, req->id, CS_ERR_BAD_ROOM_NAME, why, NULL);
		return (-1);
	}
	name_room_fold(name, folded, sizeof folded);
	if ((rc = store_room_get(server_store, folded, &op->room)) != 0) {
		if (rc == -1)
			goto internal;
		snprintf(msg, sizeof msg, "no such room: %s", name);
		cmd_error(c, req->id, CS_ERR_NO_SUCH_ROOM, msg, NULL);
		return (-1);
	}
	if (rooms_actor(c, op) != 0)
		goto internal;

	if (want_target) {
		name = rpc_get_str(req->params, "user", "");
		memset(&a, 0, sizeof a);
		rc = STORE_NOTFOUND;
		if (name_user_check(name) == NULL) {
			name_fold(name, op->target, sizeof op->target);
			rc = store_account_by_name(server_store, op->target,
			    &a);
		}
		if (rc != 0) {
			store_account_clear(&a);
			if (rc == -1)
				goto internal;
			snprintf(msg, sizeof msg, "no such user: %s", name);
			cmd_error(c, req->id, CS_ERR_NO_SUCH_USER, msg, NULL);
			return (-1);
		}
		op->target_id = a.id;
		snprintf(op->target, sizeof op->target, "%s", a.name);
		if (store_member_get(server_store, op->room.id, a.id,
		    &op->target_role, &op->target_muted) == -1 ||
		    (rc = store_ban_get(server_store, op->room.id, a.id,
		    &expires)) == -1) {
			store_account_clear(&a);
			goto internal;
		}
		op->target_banned = rc == 0 && rooms_ban_active(expires);
		if ((rc = store_invite_get(server_store, op->room.id,
		    a.id)) == -1) {
			store_account_clear(&a);
			goto internal;
		}
		op->target_invited = rc == 0;
		op->x.target = op->target;
		op->x.target_role = rights_role(op->x.general,
		    op->target_role, a.is_admin);
		store_account_clear(&a);
	}

	if ((code = rights_check(r, &op->x, msg, sizeof msg)) != 0) {
		cmd_error(c, req->id, code, msg, NULL);
		return (-1);
	}
	return (0);

internal:
	cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
	return (-1);
}

/*
 * Whether c may do r in room (id and display name known): the check send
 * and history make.  0, or a code with msg set.
 */
int
rooms_allowed(struct client *c, int64_t room, const char *name, enum right r,
    char *msg, size_t msglen)
{
	struct rooms_op	 op;
	char		 folded[NAME_ROOM_SIZE];

	memset(&op, 0, sizeof op);
	name_room_fold(name, folded, sizeof folded);
	if (store_room_get(server_store, folded, &op.room) != 0 ||
	    op.room.id != room || rooms_actor(c, &op) != 0) {
		snprintf(msg, msglen, "internal error");
		return (CS_ERR_INTERNAL);
	}
	return (rights_check(r, &op.x, msg, msglen));
}

/* Answer a state conflict ("bob is already a member of #x"). */
static void	 rooms_conflict(struct rooms_op *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
rooms_conflict(struct rooms_op *op, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cmd_error(op->c, op->req->id, code, msg, NULL);
}

/* Reply {room, user} for the target of a request. */
static void
rooms_reply_target(struct rooms_op *op)
{
	struct json_object	*r;

	r = json_object_new_object();
	json_object_object_add(r, "room", json_object_new_string(op->room.name));
	json_object_object_add(r, "user", json_object_new_string(op->target));
	cmd_reply(op->c, op->req->id, r);
}

/* Commit, then push the event and audit; on failure answer -32603. */
static int
rooms_finish(struct rooms_op *op, struct rooms_pub *pub, const char *kind,
    const char *detail)
{
	if (store_commit(server_store) != 0) {
		rooms_pub_drop(pub);
		cmd_error(op->c, op->req->id, CS_ERR_INTERNAL, NULL, NULL);
		return (-1);
	}
	rooms_publish(pub);
	if (kind != NULL)
		audit_log(kind, client_user(op->c), client_addr(op->c),
		    detail);
	return (0);
}

/* Roll back after a failed write and answer -32603. */
static void
rooms_fail(struct rooms_op *op, struct rooms_pub *pub)
{
	store_rollback(server_store);
	rooms_pub_drop(pub);
	cmd_error(op->c, op->req->id, CS_ERR_INTERNAL, NULL, NULL);
}

/* The room's name and the target's, for an audit row. */
static const char *
rooms_detail(struct rooms_op *op, char *buf, size_t len, const char *extra)
{
	snprintf(buf, len, "%s%s%s%s%s", op->room.name,
	    op->target_id != 0 ? " " : "", op->target_id != 0 ? op->target : "",
	    extra != NULL ? ": " : "", extra != NULL ? extra : "");
	return (buf);
}

/* room_create: a new room, its creator the owner. */
void
rooms_cmd_create(struct client *c, struct rpc_req *req)
{
	struct rooms_op		 op;
	struct rooms_pub	 pub;
	struct json_object	*r;
	const char		*name, *topic, *why;
	char			 msg[256];
	int			 rc;

	memset(&op, 0, sizeof op);
	memset(&pub, 0, sizeof pub);
	op.c = c;
	op.req = req;
	name = rpc_get_str(req->params, "room", "");
	topic = rpc_get_str(req->params, "topic", "");
	if ((why = name_room_check(name)) != NULL) {
		cmd_error(c, req->id, CS_ERR_BAD_ROOM_NAME, why, NULL);
		return;
	}
	if (!rooms_topic_ok(topic)) {
		cmd_error(c, req->id, CS_ERR_PARAMS, "parameter topic: at most "
		    "256 bytes without control characters", NULL);
		return;
	}
	snprintf(op.room.name, sizeof op.room.name, "%s", name);
	snprintf(op.room.topic, sizeof op.room.topic, "%s", topic);
	op.room.invite_only = rpc_get_bool(req->params, "invite_only", 0);
	op.room.created = clock_now();

	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if ((rc = store_room_create(server_store, &op.room,
	    c->account_id)) != 0) {
		store_rollback(server_store);
		if (rc == STORE_EXISTS) {
			snprintf(msg, sizeof msg, "the room name %s is taken "
			    "(names are unique without regard to case)", name);
			cmd_error(c, req->id, CS_ERR_ROOM_TAKEN, msg, NULL);
		} else
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (rooms_event_add(&op, "create", NULL, 0,
	    topic[0] != '\0' ? topic : NULL, &pub) != 0) {
		rooms_fail(&op, &pub);
		return;
	}
	if (rooms_finish(&op, &pub, "room-create", op.room.invite_only ?
	    "invite-only" : "public") != 0)
		return;
	r = json_object_new_object();
	json_object_object_add(r, "room", json_object_new_string(name));
	json_object_object_add(r, "invite_only",
	    json_object_new_boolean(op.room.invite_only));
	json_object_object_add(r, "topic", json_object_new_string(topic));
	json_object_object_add(r, "role", json_object_new_string("owner"));
	cmd_reply(c, req->id, r);
}

/* How many of ids are online. */
static int64_t
rooms_count_online(const int64_t *ids, size_t n)
{
	int64_t	 online = 0;
	size_t	 i;

	for (i = 0; i < n; i++)
		online += client_online(ids[i]);
	return (online);
}

/* room_list row callback. */
static int
rooms_list_cb(void *arg, const struct store_room *r)
{
	struct json_object	*array = arg, *o;
	const char		*role = rights_role_name(r->role);
	int64_t			*ids;
	size_t			 n;

	o = json_object_new_object();
	json_object_object_add(o, "room", json_object_new_string(r->name));
	json_object_object_add(o, "invite_only",
	    json_object_new_boolean(r->invite_only));
	json_object_object_add(o, "topic", json_object_new_string(r->topic));
	json_object_object_add(o, "members", json_object_new_int64(r->members));
	if (store_member_ids(server_store, r->id, &ids, &n) == 0) {
		json_object_object_add(o, "online",
		    json_object_new_int64(rooms_count_online(ids, n)));
		free(ids);
	}
	json_object_object_add(o, "role",
	    role != NULL ? json_object_new_string(role) : NULL);
	json_object_object_add(o, "invited",
	    json_object_new_boolean(r->invited));
	json_object_array_add(array, o);
	return (0);
}

/* room_list: the rooms the caller may see. */
void
rooms_cmd_list(struct client *c, struct rpc_req *req)
{
	struct json_object	*r, *array;

	array = json_object_new_array();
	if (store_room_list(server_store, c->account_id, rooms_list_cb,
	    array) != 0) {
		json_object_put(array);
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "rooms", array);
	cmd_reply(c, req->id, r);
}

/* room_join: join a public room, or an invite-only one when invited. */
void
rooms_cmd_join(struct client *c, struct rpc_req *req)
{
	struct rooms_op		 op;
	struct rooms_pub	 pub;
	struct json_object	*r;
	char			 buf[128];

	if (rooms_prepare(c, req, RIGHT_JOIN, 0, &op) != 0)
		return;
	memset(&pub, 0, sizeof pub);
	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (store_member_put(server_store, op.room.id, c->account_id,
	    STORE_ROLE_MEMBER, 0, clock_now()) != 0 ||
	    store_invite_delete(server_store, op.room.id, c->account_id) != 0 ||
	    store_ban_delete(server_store, op.room.id, c->account_id) != 0 ||
	    rooms_event_add(&op, "join", NULL, 0, NULL, &pub) != 0) {
		rooms_fail(&op, &pub);
		return;
	}
	if (rooms_finish(&op, &pub, "room-join",
	    rooms_detail(&op, buf, sizeof buf, NULL)) != 0)
		return;
	r = json_object_new_object();
	json_object_object_add(r, "room", json_object_new_string(op.room.name));
	json_object_object_add(r, "invite_only",
	    json_object_new_boolean(op.room.invite_only));
	json_object_object_add(r, "topic", json_object_new_string(op.room.topic));
	json_object_object_add(r, "role", json_object_new_string("member"));
	cmd_reply(c, req->id, r);
}

/* room_leave: stop being a member (the owner hands over first). */
void
rooms_cmd_leave(struct client *c, struct rpc_req *req)
{
	struct rooms_op		 op;
	struct rooms_pub	 pub;
	struct json_object	*r;
	char			 buf[128];

	if (rooms_prepare(c, req, RIGHT_LEAVE, 0, &op) != 0)
		return;
	memset(&pub, 0, sizeof pub);
	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (rooms_event_add(&op, "leave", NULL, 0, NULL, &pub) != 0 ||
	    store_member_delete(server_store, op.room.id, c->account_id) != 0) {
		rooms_fail(&op, &pub);
		return;
	}
	if (rooms_finish(&op, &pub, "room-leave",
	    rooms_detail(&op, buf, sizeof buf, NULL)) != 0)
		return;
	r = json_object_new_object();
	json_object_object_add(r, "room", json_object_new_string(op.room.name));
	cmd_reply(c, req->id, r);
}

/* room_topic: read the topic, or (with topic) set it. */
void
rooms_cmd_topic(struct client *c, struct rpc_req *req)
{
	struct rooms_op		 op;
	struct rooms_pub	 pub;
	struct json_object	*r;
	const char		*topic = rpc_get_str(req->params, "topic", NULL);
	char			 buf[512];

	if (rooms_prepare(c, req, topic != NULL ? RIGHT_TOPIC : RIGHT_VIEW, 0,
	    &op) != 0)
		return;
	if (topic != NULL) {
		if (!rooms_topic_ok(topic)) {
			cmd_error(c, req->id, CS_ERR_PARAMS, "parameter topic: "
			    "at most 256 bytes without control characters",
			    NULL);
			return;
		}
		memset(&pub, 0, sizeof pub);
		if (store_begin(server_store) != 0) {
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
			return;
		}
		if (store_room_topic(server_store, op.room.id, topic) != 0 ||
		    rooms_event_add(&op, "topic", NULL, 0, topic, &pub) != 0) {
			rooms_fail(&op, &pub);
			return;
		}
		if (rooms_finish(&op, &pub, "room-topic",
		    rooms_detail(&op, buf, sizeof buf, topic)) != 0)
			return;
		snprintf(op.room.topic, sizeof op.room.topic, "%s", topic);
	}
	r = json_object_new_object();
	json_object_object_add(r, "room", json_object_new_string(op.room.name));
	json_object_object_add(r, "topic", json_object_new_string(op.room.topic));
	cmd_reply(c, req->id, r);
}

/* room_members row callback. */
static int
rooms_members_cb(void *arg, const struct store_member *m)
{
	struct json_object	*array = arg, *o;
	const char		*away;

	o = json_object_new_object();
	json_object_object_add(o, "user", json_object_new_string(m->name));
	json_object_object_add(o, "role",
	    json_object_new_string(rights_role_name(m->role) != NULL ?
	    rights_role_name(m->role) : "member"));
	json_object_object_add(o, "muted", json_object_new_boolean(m->muted));
	json_object_object_add(o, "online",
	    json_object_new_boolean(client_online(m->account)));
	if ((away = client_away(m->account)) != NULL)
		json_object_object_add(o, "away", json_object_new_string(away));
	json_object_array_add(array, o);
	return (0);
}

/* room_members: who is in a room, with roles, mutes and presence. */
void
rooms_cmd_members(struct client *c, struct rpc_req *req)
{
	struct rooms_op		 op;
	struct json_object	*r, *array;
	int64_t			 epoch;

	if (rooms_prepare(c, req, RIGHT_MEMBERS, 0, &op) != 0)
		return;
	array = json_object_new_array();
	if (store_member_list(server_store, op.room.id, rooms_members_cb,
	    array) != 0) {
		json_object_put(array);
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (store_room_epoch(server_store, op.room.id, &epoch) != 0) {
		json_object_put(array);
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "room", json_object_new_string(op.room.name));
	json_object_object_add(r, "members", array);
	json_object_object_add(r, "epoch", json_object_new_int64(epoch));
	cmd_reply(c, req->id, r);
}

/* room_invite: let a user join an invite-only room (once). */
void
rooms_cmd_invite(struct client *c, struct rpc_req *req)
{
	struct rooms_op		 op;
	struct rooms_pub	 pub;
	char			 buf[128];

	if (rooms_prepare(c, req, RIGHT_INVITE, 1, &op) != 0)
		return;
	if (op.target_role != STORE_ROLE_NONE) {
		rooms_conflict(&op, CS_ERR_ALREADY, "%s is already a member "
		    "of %s", op.target, op.room.name);
		return;
	}
	memset(&pub, 0, sizeof pub);
	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (store_invite_put(server_store, op.room.id, op.target_id,
	    clock_now()) != 0 ||
	    rooms_event_add(&op, "invite", NULL, 0, NULL, &pub) != 0) {
		rooms_fail(&op, &pub);
		return;
	}
	if (rooms_finish(&op, &pub, "room-invite",
	    rooms_detail(&op, buf, sizeof buf, NULL)) == 0)
		rooms_reply_target(&op);
}

/* room_kick: end a member's membership (they may rejoin if allowed). */
void
rooms_cmd_kick(struct client *c, struct rpc_req *req)
{
	struct rooms_op		 op;
	struct rooms_pub	 pub;
	const char		*reason = rpc_get_str(req->params, "reason", NULL);
	char			 buf[512];

	if (rooms_prepare(c, req, RIGHT_KICK, 1, &op) != 0)
		return;
	if (op.target_role == STORE_ROLE_NONE) {
		rooms_conflict(&op, CS_ERR_NOT_MEMBER, "%s is not a member "
		    "of %s", op.target, op.room.name);
		return;
	}
	memset(&pub, 0, sizeof pub);
	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (rooms_event_add(&op, "kick", reason, 0, NULL, &pub) != 0 ||
	    store_member_delete(server_store, op.room.id, op.target_id) != 0 ||
	    store_invite_delete(server_store, op.room.id, op.target_id) != 0) {
		rooms_fail(&op, &pub);
		return;
	}
	if (rooms_finish(&op, &pub, "room-kick",
	    rooms_detail(&op, buf, sizeof buf, reason)) == 0)
		rooms_reply_target(&op);
}

/* room_ban: remove a user (member or not) and keep them out. */
void
rooms_cmd_ban(struct client *c, struct rpc_req *req)
{
	struct rooms_op		 op;
	struct rooms_pub	 pub;
	struct json_object	*r;
	const char		*reason = rpc_get_str(req->params, "reason", NULL);
	int64_t			 expires_in, expires = 0;
	char			 buf[512];

	if (rooms_prepare(c, req, RIGHT_BAN, 1, &op) != 0)
		return;
	expires_in = rpc_get_int(req->params, "expires_in", 0);
	if (expires_in > 0)
		expires = clock_now() + expires_in;
	memset(&pub, 0, sizeof pub);
	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (rooms_event_add(&op, "ban", reason, expires, NULL, &pub) != 0 ||
	    store_member_delete(server_store, op.room.id, op.target_id) != 0 ||
	    store_invite_delete(server_store, op.room.id, op.target_id) != 0 ||
	    store_ban_put(server_store, op.room.id, op.target_id, expires,
	    reason, client_user(c), clock_now()) != 0) {
		rooms_fail(&op, &pub);
		return;
	}
	if (rooms_finish(&op, &pub, "room-ban",
	    rooms_detail(&op, buf, sizeof buf, reason)) != 0)
		return;
	r = json_object_new_object();
	json_object_object_add(r, "room", json_object_new_string(op.room.name));
	json_object_object_add(r, "user", json_object_new_string(op.target));
	json_object_object_add(r, "expires", expires != 0 ?
	    json_object_new_int64(expires) : NULL);
	cmd_reply(c, req->id, r);
}

/* room_unban: lift a ban. */
void
rooms_cmd_unban(struct client *c, struct rpc_req *req)
{
	struct rooms_op		 op;
	struct rooms_pub	 pub;
	char			 buf[128];

	if (rooms_prepare(c, req, RIGHT_UNBAN, 1, &op) != 0)
		return;
	if (!op.target_banned) {
		rooms_conflict(&op, CS_ERR_ALREADY, "%s is not banned from %s",
		    op.target, op.room.name);
		return;
	}
	memset(&pub, 0, sizeof pub);
	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (store_ban_delete(server_store, op.room.id, op.target_id) != 0 ||
	    rooms_event_add(&op, "unban", NULL, 0, NULL, &pub) != 0) {
		rooms_fail(&op, &pub);
		return;
	}
	if (rooms_finish(&op, &pub, "room-unban",
	    rooms_detail(&op, buf, sizeof buf, NULL)) == 0)
		rooms_reply_target(&op);
}

/*
 * Give the target of op a new role and mute flag, with its room event and
 * audit row, in one transaction; then answer with the target.
 */
static void
rooms_member_update(struct client *c, struct rpc_req *req,
    struct rooms_op *op, int role, int muted, const char *action,
    const char *audit_kind)
{
	struct rooms_pub	 pub;
	char			 buf[128];

	memset(&pub, 0, sizeof pub);
	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (store_member_put(server_store, op->room.id, op->target_id, role,
	    muted, clock_now()) != 0 ||
	    rooms_event_add(op, action, NULL, 0, NULL, &pub) != 0) {
		rooms_fail(op, &pub);
		return;
	}
	if (rooms_finish(op, &pub, audit_kind,
	    rooms_detail(op, buf, sizeof buf, NULL)) == 0)
		rooms_reply_target(op);
}

/* room_mute / room_unmute: a member may (not) send to the room. */
static void
rooms_set_muted(struct client *c, struct rpc_req *req, int on)
{
	struct rooms_op		 op;

	if (rooms_prepare(c, req, on ? RIGHT_MUTE : RIGHT_UNMUTE, 1,
	    &op) != 0)
		return;
	if (op.target_role == STORE_ROLE_NONE) {
		rooms_conflict(&op, CS_ERR_NOT_MEMBER, "%s is not a member "
		    "of %s", op.target, op.room.name);
		return;
	}
	if (op.target_muted == on) {
		rooms_conflict(&op, CS_ERR_ALREADY, on ? "%s is already muted "
		    "in %s" : "%s is not muted in %s", op.target, op.room.name);
		return;
	}
	rooms_member_update(c, req, &op, op.target_role, on,
	    on ? "mute" : "unmute", on ? "room-mute" : "room-unmute");
}

/* room_mute */
void
rooms_cmd_mute(struct client *c, struct rpc_req *req)
{
	rooms_set_muted(c, req, 1);
}

/* room_unmute */
void
rooms_cmd_unmute(struct client *c, struct rpc_req *req)
{
	rooms_set_muted(c, req, 0);
}

/* room_op / room_deop: the owner makes or unmakes an operator. */
static void
rooms_set_op(struct client *c, struct rpc_req *req, int on)
{
	struct rooms_op		 op;
	int			 want = on ? STORE_ROLE_MEMBER :
				    STORE_ROLE_OPERATOR;

	if (rooms_prepare(c, req, on ? RIGHT_OP : RIGHT_DEOP, 1, &op) != 0)
		return;
	if (op.target_role == STORE_ROLE_NONE) {
		rooms_conflict(&op, CS_ERR_NOT_MEMBER, "%s is not a member "
		    "of %s", op.target, op.room.name);
		return;
	}
	if (op.target_role != want) {
		rooms_conflict(&op, CS_ERR_ALREADY, on ? "%s is already an "
		    "operator or the owner of %s" : "%s is not an operator "
		    "of %s", op.target, op.room.name);
		return;
	}
	rooms_member_update(c, req, &op,
	    on ? STORE_ROLE_OPERATOR : STORE_ROLE_MEMBER, op.target_muted,
	    on ? "op" : "deop", on ? "room-op" : "room-deop");
}

/* room_op */
void
rooms_cmd_op(struct client *c, struct rpc_req *req)
{
	rooms_set_op(c, req, 1);
}

/* room_deop */
void
rooms_cmd_deop(struct client *c, struct rpc_req *req)
{
	rooms_set_op(c, req, 0);
}

/* room_transfer: the owner hands the room to a member, staying operator. */
void
rooms_cmd_transfer(struct client *c, struct rpc_req *req)
{
	struct rooms_op		 op;
	struct rooms_pub	 pub;
	int			 muted;
	char			 buf[128];

	if (rooms_prepare(c, req, RIGHT_TRANSFER, 1, &op) != 0)
		return;
	if (op.target_id == c->account_id) {
		rooms_conflict(&op, CS_ERR_ALREADY, "%s already owns %s",
		    op.target, op.room.name);
		return;
	}
	if (op.target_role == STORE_ROLE_NONE) {
		rooms_conflict(&op, CS_ERR_NOT_MEMBER, "%s is not a member "
		    "of %s", op.target, op.room.name);
		return;
	}
	muted = op.x.muted;
	memset(&pub, 0, sizeof pub);
	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (store_member_put(server_store, op.room.id, op.target_id,
	    STORE_ROLE_OWNER, 0, clock_now()) != 0 ||
	    store_member_put(server_store, op.room.id, c->account_id,
	    STORE_ROLE_OPERATOR, muted, clock_now()) != 0 ||
	    rooms_event_add(&op, "transfer", NULL, 0, NULL, &pub) != 0) {
		rooms_fail(&op, &pub);
		return;
	}
	if (rooms_finish(&op, &pub, "room-transfer",
	    rooms_detail(&op, buf, sizeof buf, NULL)) == 0)
		rooms_reply_target(&op);
}

/* room_delete: the room and its whole history go. */
void
rooms_cmd_delete(struct client *c, struct rpc_req *req)
{
	struct rooms_op		 op;
	struct rooms_pub	 pub;
	struct json_object	*r;
	char			 buf[128];

	if (rooms_prepare(c, req, RIGHT_DELETE, 0, &op) != 0)
		return;
	memset(&pub, 0, sizeof pub);
	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (rooms_event_add(&op, "delete", NULL, 0, NULL, &pub) != 0 ||
	    store_room_delete(server_store, op.room.id) != 0) {
		rooms_fail(&op, &pub);
		return;
	}
	if (rooms_finish(&op, &pub, "room-delete",
	    rooms_detail(&op, buf, sizeof buf, NULL)) != 0)
		return;
	r = json_object_new_object();
	json_object_object_add(r, "room", json_object_new_string(op.room.name));
	cmd_reply(c, req->id, r);
}

/* A page of room events being built for sync. */
struct rooms_page {
	struct json_object	*array;
	int			 count;
	int			 more;
	int64_t			 last;
};

/* Sync row callback. */
static int
rooms_sync_cb(void *arg, const struct store_room_event *ev)
{
	struct rooms_page	*pg = arg;

	if (pg->count == CS_ROOM_EVENTS_PAGE) {
		pg->more = 1;
		return (1);
	}
	json_object_array_add(pg->array, rooms_event_json(ev));
	pg->count++;
	pg->last = ev->id;
	return (0);
}

/*
 * The room events for account after since (since < 0: none, only the
 * newest id), as a new array; *more and *last (the id to ask from next)
 * are set.  NULL on a storage failure.
 */
struct json_object *
rooms_sync(int64_t account, int64_t since, int *more, int64_t *last)
{
	struct rooms_page	 pg;

	*more = 0;
	if (since < 0) {
		if (store_room_event_max(server_store, last) != 0)
			return (NULL);
		return (json_object_new_array());
	}
	memset(&pg, 0, sizeof pg);
	pg.array = json_object_new_array();
	pg.last = since;
	if (store_room_event_sync(server_store, account, since,
	    CS_ROOM_EVENTS_PAGE + 1, rooms_sync_cb, &pg) != 0) {
		json_object_put(pg.array);
		return (NULL);
	}
	/* Nothing of this account's after since: skip to the newest id. */
	if (!pg.more && store_room_event_max(server_store, &pg.last) != 0) {
		json_object_put(pg.array);
		return (NULL);
	}
	*more = pg.more;
	*last = pg.last;
	return (pg.array);
}

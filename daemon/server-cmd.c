/* chatsec — chatsecd request table and dispatcher.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "chatsecd.h"
#include "log.h"
#include "proto.h"
#include "rpc.h"

/*
 * Every wire method is one entry of cmd_table: its name, when it is allowed,
 * its parameter spec and its handler.  cmd_dispatch() alone checks the
 * request's shape, the connection's state and the parameters, so a handler
 * starts from a request it can trust.  Handlers answer with cmd_reply() or
 * cmd_error(), now or later (after a hash or a commit).
 */

static void	 cmd_hello(struct client *, struct rpc_req *);
static void	 cmd_ping(struct client *, struct rpc_req *);

/* Strings are checked for length here and for their rules by handlers. */
static const struct rpc_param cmd_hello_params[] = {
	{ "version", RPC_INT, RPC_REQUIRED, 0, INT32_MAX },
	{ "client", RPC_STRING, 0, 0, 256 },
	{ .name = NULL }
};
static const struct rpc_param cmd_register_params[] = {
	{ "user", RPC_STRING, RPC_REQUIRED, 0, 256 },
	{ "password", RPC_STRING, RPC_REQUIRED, 0, 4 * PASSWORD_MAX },
	{ .name = NULL }
};
static const struct rpc_param cmd_confirm_params[] = {
	{ "code", RPC_STRING, RPC_REQUIRED, 0, 64 },
	{ .name = NULL }
};
static const struct rpc_param cmd_login_params[] = {
	{ "user", RPC_STRING, RPC_REQUIRED, 0, 256 },
	{ "password", RPC_STRING, RPC_REQUIRED, 0, 4 * PASSWORD_MAX },
	{ "code", RPC_STRING, RPC_REQUIRED, 0, 64 },
	{ .name = NULL }
};
static const struct rpc_param cmd_password_change_params[] = {
	{ "password", RPC_STRING, RPC_REQUIRED, 0, 4 * PASSWORD_MAX },
	{ "new_password", RPC_STRING, RPC_REQUIRED, 0, 4 * PASSWORD_MAX },
	{ .name = NULL }
};
static const struct rpc_param cmd_resume_params[] = {
	{ "token", RPC_STRING, RPC_REQUIRED, 0, 256 },
	{ .name = NULL }
};
static const struct rpc_param cmd_send_params[] = {
	{ "to", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "cid", RPC_STRING, RPC_REQUIRED, 1, CS_CID_MAX },
	{ "body", RPC_STRING, RPC_REQUIRED, 0, CS_WIRE_FRAME_MAX },
	{ "epoch", RPC_INT, 0, 0, INT64_MAX },
	{ "file", RPC_STRING, 0, 1, 64 },
	{ .name = NULL }
};
static const struct rpc_param cmd_delete_params[] = {
	{ "id", RPC_INT, RPC_REQUIRED, 1, INT64_MAX },
	{ .name = NULL }
};
/* Files (doc/files.md): ids are checked by the handlers (1062). */
static const struct rpc_param cmd_file_begin_params[] = {
	{ "to", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "size", RPC_INT, RPC_REQUIRED, 17, INT64_MAX },
	{ "chunks", RPC_INT, RPC_REQUIRED, 1, INT32_MAX },
	{ .name = NULL }
};
static const struct rpc_param cmd_file_put_params[] = {
	{ "file", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "seq", RPC_INT, RPC_REQUIRED, 0, INT32_MAX },
	{ "data", RPC_STRING, RPC_REQUIRED, 1,
	    (CS_FILE_CHUNK_MAX + 2) / 3 * 4 },
	{ .name = NULL }
};
static const struct rpc_param cmd_file_params[] = {
	{ "file", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ .name = NULL }
};
static const struct rpc_param cmd_file_get_params[] = {
	{ "file", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "seq", RPC_INT, RPC_REQUIRED, 0, INT32_MAX },
	{ .name = NULL }
};
static const struct rpc_param cmd_keys_publish_params[] = {
	{ "sign_pk", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "box_pk", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "sig", RPC_STRING, RPC_REQUIRED, 1, 128 },
	{ .name = NULL }
};

static const struct rpc_param cmd_keys_get_params[] = {
	{ "users", RPC_ARRAY, RPC_REQUIRED, 1, CS_KEYS_GET_MAX },
	{ .name = NULL }
};

static const struct rpc_param cmd_sync_params[] = {
	{ "since", RPC_INT, 0, 0, INT64_MAX },
	{ "room_since", RPC_INT, 0, 0, INT64_MAX },
	{ .name = NULL }
};
static const struct rpc_param cmd_history_params[] = {
	{ "conv", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "before", RPC_INT, 0, 1, INT64_MAX },
	{ "limit", RPC_INT, 0, 1, CS_HISTORY_MAX },
	{ .name = NULL }
};
static const struct rpc_param cmd_none_params[] = {
	{ .name = NULL }
};
/* Rooms: names are checked by the handlers (1025), users too (1007). */
static const struct rpc_param cmd_room_create_params[] = {
	{ "room", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "invite_only", RPC_BOOL, 0, 0, 0 },
	{ "topic", RPC_STRING, 0, 0, CS_TOPIC_MAX },
	{ .name = NULL }
};
static const struct rpc_param cmd_room_params[] = {
	{ "room", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ .name = NULL }
};
static const struct rpc_param cmd_room_topic_params[] = {
	{ "room", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "topic", RPC_STRING, 0, 0, CS_TOPIC_MAX },
	{ .name = NULL }
};
static const struct rpc_param cmd_room_user_params[] = {
	{ "room", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "user", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ .name = NULL }
};
static const struct rpc_param cmd_room_kick_params[] = {
	{ "room", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "user", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "reason", RPC_STRING, 0, 0, CS_REASON_MAX },
	{ .name = NULL }
};
static const struct rpc_param cmd_room_ban_params[] = {
	{ "room", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "user", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ "reason", RPC_STRING, 0, 0, CS_REASON_MAX },
	{ "expires_in", RPC_INT, 0, 1, CS_BAN_MAX },
	{ .name = NULL }
};
static const struct rpc_param cmd_away_params[] = {
	{ "text", RPC_STRING, 0, 0, CS_AWAY_MAX },
	{ .name = NULL }
};
static const struct rpc_param cmd_typing_params[] = {
	{ "to", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ .name = NULL }
};
static const struct rpc_param cmd_user_params[] = {
	{ "user", RPC_STRING, RPC_REQUIRED, 1, 64 },
	{ .name = NULL }
};
static const struct rpc_param cmd_audit_params[] = {
	{ "account", RPC_STRING, 0, 1, 64 },
	{ "addr", RPC_STRING, 0, 1, 64 },
	{ "kind", RPC_STRING, 0, 1, 64 },
	{ "since", RPC_INT, 0, 0, INT64_MAX },
	{ "until", RPC_INT, 0, 0, INT64_MAX },
	{ "limit", RPC_INT, 0, 1, CS_AUDIT_MAX },
	{ .name = NULL }
};

static const struct cmd_entry cmd_table[] = {
	{ "hello", CMD_NOHELLO|CMD_PRELOGIN, cmd_hello_params, cmd_hello },
	{ "ping", CMD_PRELOGIN, cmd_none_params, cmd_ping },
	{ "register", CMD_PRELOGIN|CMD_ANON, cmd_register_params,
	    auth_cmd_register },
	{ "register_confirm", CMD_PRELOGIN|CMD_ANON, cmd_confirm_params,
	    auth_cmd_register_confirm },
	{ "login", CMD_PRELOGIN|CMD_ANON, cmd_login_params, auth_cmd_login },
	{ "resume", CMD_PRELOGIN|CMD_ANON, cmd_resume_params,
	    auth_cmd_resume },
	{ "logout", 0, cmd_none_params, auth_cmd_logout },
	{ "password_change", CMD_SECRET, cmd_password_change_params,
	    auth_cmd_password_change },
	{ "send", 0, cmd_send_params, msg_cmd_send },
	{ "sync", 0, cmd_sync_params, msg_cmd_sync },
	{ "history", 0, cmd_history_params, msg_cmd_history },
	{ "who", 0, cmd_none_params, msg_cmd_who },
	{ "away", 0, cmd_away_params, msg_cmd_away },
	{ "typing", 0, cmd_typing_params, typing_cmd },
	{ "delete", 0, cmd_delete_params, msg_cmd_delete },
	{ "file_begin", 0, cmd_file_begin_params, files_cmd_begin },
	{ "file_put", 0, cmd_file_put_params, files_cmd_put },
	{ "file_end", 0, cmd_file_params, files_cmd_end },
	{ "file_status", 0, cmd_file_params, files_cmd_status },
	{ "file_get", 0, cmd_file_get_params, files_cmd_get },
	{ "keys_publish", 0, cmd_keys_publish_params, keys_cmd_publish },
	{ "keys_get", 0, cmd_keys_get_params, keys_cmd_get },
	{ "room_create", 0, cmd_room_create_params, rooms_cmd_create },
	{ "room_list", 0, cmd_none_params, rooms_cmd_list },
	{ "room_join", 0, cmd_room_params, rooms_cmd_join },
	{ "room_leave", 0, cmd_room_params, rooms_cmd_leave },
	{ "room_topic", 0, cmd_room_topic_params, rooms_cmd_topic },
	{ "room_members", 0, cmd_room_params, rooms_cmd_members },
	{ "room_invite", 0, cmd_room_user_params, rooms_cmd_invite },
	{ "room_kick", 0, cmd_room_kick_params, rooms_cmd_kick },
	{ "room_ban", 0, cmd_room_ban_params, rooms_cmd_ban },
	{ "room_unban", 0, cmd_room_user_params, rooms_cmd_unban },
	{ "room_mute", 0, cmd_room_user_params, rooms_cmd_mute },
	{ "room_unmute", 0, cmd_room_user_params, rooms_cmd_unmute },
	{ "room_op", 0, cmd_room_user_params, rooms_cmd_op },
	{ "room_deop", 0, cmd_room_user_params, rooms_cmd_deop },
	{ "room_transfer", 0, cmd_room_user_params, rooms_cmd_transfer },
	{ "room_delete", 0, cmd_room_params, rooms_cmd_delete },
	{ "admin_accounts", 0, cmd_none_params, admin_cmd_accounts },
	{ "admin_disable", 0, cmd_user_params, admin_cmd_disable },
	{ "admin_enable", 0, cmd_user_params, admin_cmd_enable },
	{ "admin_revoke_sessions", 0, cmd_user_params,
	    admin_cmd_revoke_sessions },
	{ "admin_audit", 0, cmd_audit_params, admin_cmd_audit },
};

/* Find a method's entry; NULL if unknown. */
static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof cmd_table / sizeof cmd_table[0]; i++) {
		if (strcmp(cmd_table[i].name, name) == 0)
			return (&cmd_table[i]);
	}
	return (NULL);
}

/* Answer request id with result (taken over); nothing for a notification. */
void
cmd_reply(struct client *c, struct json_object *id, struct json_object *result)
{
	if (id == NULL) {
		json_object_put(result);
		return;
	}
	client_send(c, rpc_result(json_object_get(id), result));
}

/* Answer request id with an error (data taken over); NULL message: default. */
void
cmd_error(struct client *c, struct json_object *id, int code,
    const char *message, struct json_object *data)
{
	if (id == NULL) {
		json_object_put(data);
		return;
	}
	client_send(c, rpc_error(json_object_get(id), code, message, data));
}

/* Answer "too many attempts" with data.retry_after. */
void
cmd_error_retry(struct client *c, struct json_object *id, int64_t retry_after)
{
	struct json_object	*data;

	data = json_object_new_object();
	json_object_object_add(data, "retry_after",
	    json_object_new_int64(retry_after));
	cmd_error(c, id, CS_ERR_RATE_LIMITED, NULL, data);
}

/* An id usable in an error reply to a request that failed rpc_parse(). */
static struct json_object *
cmd_bad_request_id(struct json_object *obj)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, "id", &v) || v == NULL)
		return (NULL);
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get(v));
}

/*
 * Whether a logged-in frame is a request whose parameters hold passwords
 * (its bytes are wiped after parsing and it is never dumped).
 */
int
cmd_is_secret(struct json_object *obj)
{
	const struct cmd_entry	*ce;
	struct json_object	*v;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "method", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (ce = cmd_find(json_object_get_string(v))) == NULL)
		return (0);
	return ((ce->flags & CMD_SECRET) != 0);
}

/*
 * --dump-frames (a debugging aid for tests): append a logged-in client's
 * frame as one JSON line.  Frames before login carry passwords and codes
 * and are never written, nor are the logged-in ones that carry passwords.
 */
static void
cmd_dump_frame(struct client *c, struct json_object *obj)
{
	static FILE	*f;

	if (server_cfg.dump_frames == NULL || !client_logged_in(c) ||
	    cmd_is_secret(obj))
		return;
	if (f == NULL && (f = fopen(server_cfg.dump_frames, "a")) == NULL) {
		log_warn("%s: %s", __func__, server_cfg.dump_frames);
		return;
	}
	fprintf(f, "%s\n", json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN));
	fflush(f);
}

/*
 * Handle one frame (taken over): check it is a request, that its method
 * exists and is allowed in this state, and its parameters, then run the
 * handler.
 */
void
cmd_dispatch(struct client *c, struct json_object *obj)
{
	const struct cmd_entry	*ce;
	struct rpc_req		 req;
	char			 msg[256];
	int			 code;

	cmd_dump_frame(c, obj);
	if ((code = rpc_parse(obj, &req, msg, sizeof msg)) != 0) {
		client_send(c, rpc_error(cmd_bad_request_id(obj), code, msg,
		    NULL));
		json_object_put(obj);
		return;
	}

	if (req.has_id && req.id == NULL) {
		/* Only agents speak the wire, and they never send a null id. */
		client_send(c, rpc_error(NULL, CS_ERR_INVALID_REQUEST,
		    "id must be an integer or a string", NULL));
		goto out;
	}
	if ((ce = cmd_find(req.method)) == NULL) {
		snprintf(msg, sizeof msg, "unknown method: %s", req.method);
		cmd_error(c, req.id, CS_ERR_METHOD, msg, NULL);
		goto out;
	}
	if (c->state == CLIENT_GREETING && (~ce->flags & CMD_NOHELLO)) {
		cmd_error(c, req.id, CS_ERR_STATE, "hello must come first",
		    NULL);
		goto out;
	}
	if (!client_logged_in(c) && (~ce->flags & CMD_PRELOGIN)) {
		cmd_error(c, req.id, CS_ERR_AUTH_REQUIRED, NULL, NULL);
		goto out;
	}
	if (client_logged_in(c) && (ce->flags & CMD_ANON)) {
		cmd_error(c, req.id, CS_ERR_STATE, "already logged in", NULL);
		goto out;
	}
	if (rpc_check_params(req.params, ce->params, msg, sizeof msg) != 0) {
		cmd_error(c, req.id, CS_ERR_PARAMS, msg, NULL);
		goto out;
	}
	log_debug("client %llu: %s", (unsigned long long)c->id, ce->name);
	ce->handler(c, &req);

out:
	rpc_req_free(&req);
}

/* hello: agree on the protocol version; a version we don't speak closes. */
static void
cmd_hello(struct client *c, struct rpc_req *req)
{
	struct json_object	*result, *limits;
	int64_t			 version;
	char			 msg[128];

	version = rpc_get_int(req->params, "version", 0);
	if (version != CS_PROTO_VERSION) {
		snprintf(msg, sizeof msg, "protocol version %lld is not "
		    "supported (this server speaks %d)", (long long)version,
		    CS_PROTO_VERSION);
		cmd_error(c, req->id, CS_ERR_VERSION, msg, NULL);
		client_close_after_flush(c, "unsupported protocol version");
		return;
	}

	limits = json_object_new_object();
	json_object_object_add(limits, "frame",
	    json_object_new_int(CS_WIRE_FRAME_MAX));
	json_object_object_add(limits, "body", json_object_new_int(CS_BODY_MAX));
	json_object_object_add(limits, "history",
	    json_object_new_int(CS_HISTORY_MAX));
	result = json_object_new_object();
	json_object_object_add(result, "version",
	    json_object_new_int(CS_PROTO_VERSION));
	json_object_object_add(result, "server",
	    json_object_new_string("chatsecd/" PACKAGE_VERSION));
	json_object_object_add(result, "limits", limits);
	cmd_reply(c, req->id, result);

	if (c->state == CLIENT_GREETING)
		client_enter_state(c, CLIENT_ANON);
}

/* ping: keep the connection alive. */
static void
cmd_ping(struct client *c, struct rpc_req *req)
{
	cmd_reply(c, req->id, json_object_new_object());
}

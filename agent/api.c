/* chatsec — the agent API: Unix socket server and dispatcher.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "frame.h"
#include "fsutil.h"
#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "xmalloc.h"

#include "agent.h"

/*
 * JSON-RPC 2.0 over a Unix stream socket, one object per line.  Every
 * method is one entry of api_methods: the dispatcher checks the request,
 * its parameters and the login state before the handler runs, so handlers
 * only do their work.  A handler answers through its api_pending record,
 * now or later (after a server round trip); if the client is gone by then
 * the answer is dropped.
 */

#define API_LOGIN	0x1	/* needs a session (1001 otherwise) */
#define API_SECRET	0x2	/* params hold secrets: wipe them after */

#define API_STR(n, f, lo, hi)	{ n, RPC_STRING, f, lo, hi }
#define API_INT(n, f, lo, hi)	{ n, RPC_INT, f, lo, hi }
#define API_ARR(n, f, lo, hi)	{ n, RPC_ARRAY, f, lo, hi }
#define API_BOOL(n, f)		{ n, RPC_BOOL, f, 0, 0 }

static const struct rpc_param api_p_none[] = { { .name = NULL } };
static const struct rpc_param api_p_register[] = {
	API_STR("user", RPC_REQUIRED, 0, 1024),
	API_STR("password", RPC_REQUIRED, 0, 65536),
	{ .name = NULL }
};
static const struct rpc_param api_p_register_confirm[] = {
	API_STR("code", RPC_REQUIRED, 0, 64),
	{ .name = NULL }
};
static const struct rpc_param api_p_login[] = {
	API_STR("user", RPC_REQUIRED, 0, 1024),
	API_STR("password", RPC_REQUIRED, 0, 65536),
	API_STR("code", RPC_REQUIRED, 0, 64),
	{ .name = NULL }
};
static const struct rpc_param api_p_password_change[] = {
	API_STR("password", RPC_REQUIRED, 0, 65536),
	API_STR("new_password", RPC_REQUIRED, 0, 65536),
	{ .name = NULL }
};
static const struct rpc_param api_p_send[] = {
	API_STR("to", RPC_REQUIRED, 1, 1024),
	API_STR("text", RPC_REQUIRED, 1, CS_API_FRAME_MAX),
	API_STR("cid", 0, 1, CS_CID_MAX),
	{ .name = NULL }
};
static const struct rpc_param api_p_history[] = {
	API_STR("conv", RPC_REQUIRED, 1, 1024),
	API_INT("before", 0, 1, INT64_MAX),
	API_INT("limit", 0, 1, CS_HISTORY_MAX),
	{ .name = NULL }
};
static const struct rpc_param api_p_subscribe[] = {
	API_INT("since", 0, 0, INT64_MAX),
	API_ARR("types", 0, 0, 16),
	API_STR("conv", 0, 1, 1024),
	{ .name = NULL }
};
static const struct rpc_param api_p_events[] = {
	API_INT("since", 0, 0, INT64_MAX),
	API_INT("limit", 0, 1, 1000),
	API_ARR("types", 0, 0, 16),
	API_STR("conv", 0, 1, 1024),
	{ .name = NULL }
};

static const struct rpc_param api_p_room_create[] = {
	API_STR("room", RPC_REQUIRED, 1, 64),
	API_BOOL("invite_only", 0),
	API_STR("topic", 0, 0, CS_TOPIC_MAX),
	{ .name = NULL }
};
static const struct rpc_param api_p_room[] = {
	API_STR("room", RPC_REQUIRED, 1, 64),
	{ .name = NULL }
};
static const struct rpc_param api_p_room_topic[] = {
	API_STR("room", RPC_REQUIRED, 1, 64),
	API_STR("topic", 0, 0, CS_TOPIC_MAX),
	{ .name = NULL }
};
static const struct rpc_param api_p_room_user[] = {
	API_STR("room", RPC_REQUIRED, 1, 64),
	API_STR("user", RPC_REQUIRED, 1, 64),
	{ .name = NULL }
};
static const struct rpc_param api_p_room_kick[] = {
	API_STR("room", RPC_REQUIRED, 1, 64),
	API_STR("user", RPC_REQUIRED, 1, 64),
	API_STR("reason", 0, 0, CS_REASON_MAX),
	{ .name = NULL }
};
static const struct rpc_param api_p_room_ban[] = {
	API_STR("room", RPC_REQUIRED, 1, 64),
	API_STR("user", RPC_REQUIRED, 1, 64),
	API_STR("reason", 0, 0, CS_REASON_MAX),
	API_INT("expires_in", 0, 1, CS_BAN_MAX),
	{ .name = NULL }
};
static const struct rpc_param api_p_user[] = {
	API_STR("user", RPC_REQUIRED, 1, 64),
	{ .name = NULL }
};
static const struct rpc_param api_p_audit[] = {
	API_STR("account", 0, 1, 64),
	API_STR("addr", 0, 1, 64),
	API_STR("kind", 0, 1, 64),
	API_INT("since", 0, 0, INT64_MAX),
	API_INT("until", 0, 0, INT64_MAX),
	API_INT("limit", 0, 1, CS_AUDIT_MAX),
	{ .name = NULL }
};

static const struct rpc_param api_p_keys_user[] = {
	API_STR("user", 0, 1, 64),
	{ .name = NULL }
};
static const struct rpc_param api_p_keys_verify[] = {
	API_STR("user", RPC_REQUIRED, 1, 64),
	API_STR("safety_number", 0, 1, 128),
	API_STR("fingerprint", 0, 1, 128),
	{ .name = NULL }
};
static const struct rpc_param api_p_keys_unlock[] = {
	API_STR("password", RPC_REQUIRED, 0, 65536),
	{ .name = NULL }
};
static const struct rpc_param api_p_keys_export[] = {
	API_STR("passphrase", RPC_REQUIRED, 0, 65536),
	{ .name = NULL }
};
static const struct rpc_param api_p_keys_import[] = {
	API_STR("blob", RPC_REQUIRED, 1, 16384),
	API_STR("passphrase", RPC_REQUIRED, 0, 65536),
	API_STR("password", RPC_REQUIRED, 0, 65536),
	{ .name = NULL }
};
static const struct rpc_param api_p_keys_reset[] = {
	API_STR("password", RPC_REQUIRED, 0, 65536),
	API_BOOL("confirm", 0),
	{ .name = NULL }
};
static const struct rpc_param api_p_file_send[] = {
	API_STR("to", RPC_REQUIRED, 1, 1024),
	API_STR("path", RPC_REQUIRED, 1, 4096),
	API_STR("name", 0, 1, 1024),
	API_STR("type", 0, 1, 255),
	API_STR("text", 0, 0, 65536),
	API_BOOL("wait", 0),
	{ .name = NULL }
};
static const struct rpc_param api_p_file_fetch[] = {
	API_INT("id", RPC_REQUIRED, 1, INT64_MAX),
	API_STR("dir", RPC_REQUIRED, 1, 4096),
	API_BOOL("wait", 0),
	{ .name = NULL }
};
static const struct rpc_param api_p_file_cancel[] = {
	API_STR("transfer", RPC_REQUIRED, 1, 32),
	{ .name = NULL }
};
static const struct rpc_param api_p_typing[] = {
	API_STR("to", RPC_REQUIRED, 1, 64),
	{ .name = NULL }
};
static const struct rpc_param api_p_away[] = {
	API_STR("text", 0, 0, CS_AWAY_MAX),
	{ .name = NULL }
};
static const struct rpc_param api_p_delete[] = {
	API_INT("id", RPC_REQUIRED, 1, INT64_MAX),
	{ .name = NULL }
};

/* One API method: the whole of what the dispatcher knows about it. */
struct api_method {
	const char		*name;
	int			 flags;
	const struct rpc_param	*params;
	void			(*handler)(struct api_pending *,
				    struct json_object *);
};

static const struct api_method api_methods[] = {
	{ "hello", 0, api_p_none, api_hello },
	{ "status", 0, api_p_none, api_status },
	{ "register", API_SECRET, api_p_register, api_register },
	{ "register_confirm", API_SECRET, api_p_register_confirm,
	    api_register_confirm },
	{ "login", API_SECRET, api_p_login, api_login },
	{ "logout", 0, api_p_none, api_logout },
	{ "password_change", API_LOGIN|API_SECRET, api_p_password_change,
	    api_password_change },
	{ "send", API_LOGIN, api_p_send, api_send },
	{ "history", API_LOGIN, api_p_history, api_history },
	{ "who", API_LOGIN, api_p_none, api_who },
	{ "away", API_LOGIN, api_p_away, api_away },
	{ "typing", API_LOGIN, api_p_typing, api_typing },
	{ "delete", API_LOGIN, api_p_delete, api_forward },
	{ "file_send", API_LOGIN, api_p_file_send, api_file_send },
	{ "file_fetch", API_LOGIN, api_p_file_fetch, api_file_fetch },
	{ "file_transfers", 0, api_p_none, api_file_transfers },
	{ "file_cancel", 0, api_p_file_cancel, api_file_cancel },
	{ "subscribe", 0, api_p_subscribe, api_subscribe },
	{ "unsubscribe", 0, api_p_none, api_unsubscribe },
	{ "events", 0, api_p_events, api_events },
	{ "room_create", API_LOGIN, api_p_room_create, api_room },
	{ "room_list", API_LOGIN, api_p_none, api_forward },
	{ "room_join", API_LOGIN, api_p_room, api_room },
	{ "room_leave", API_LOGIN, api_p_room, api_room },
	{ "room_topic", API_LOGIN, api_p_room_topic, api_room },
	{ "room_members", API_LOGIN, api_p_room, api_room },
	{ "room_invite", API_LOGIN, api_p_room_user, api_room },
	{ "room_kick", API_LOGIN, api_p_room_kick, api_room },
	{ "room_ban", API_LOGIN, api_p_room_ban, api_room },
	{ "room_unban", API_LOGIN, api_p_room_user, api_room },
	{ "room_mute", API_LOGIN, api_p_room_user, api_room },
	{ "room_unmute", API_LOGIN, api_p_room_user, api_room },
	{ "room_op", API_LOGIN, api_p_room_user, api_room },
	{ "room_deop", API_LOGIN, api_p_room_user, api_room },
	{ "room_transfer", API_LOGIN, api_p_room_user, api_room },
	{ "room_delete", API_LOGIN, api_p_room, api_room },
	{ "admin_accounts", API_LOGIN, api_p_none, api_forward },
	{ "admin_disable", API_LOGIN, api_p_user, api_admin_user },
	{ "admin_enable", API_LOGIN, api_p_user, api_admin_user },
	{ "admin_revoke_sessions", API_LOGIN, api_p_user, api_admin_user },
	{ "admin_audit", API_LOGIN, api_p_audit, api_admin_audit },
	{ "keys_fingerprint", API_LOGIN, api_p_keys_user,
	    api_keys_fingerprint },
	{ "keys_safety_number", API_LOGIN, api_p_user,
	    api_keys_safety_number },
	{ "keys_verify", API_LOGIN, api_p_keys_verify, api_keys_verify },
	{ "keys_unverify", API_LOGIN, api_p_user, api_keys_unverify },
	{ "keys_accept", API_LOGIN, api_p_user, api_keys_unverify },
	{ "keys_list", API_LOGIN, api_p_none, api_keys_list },
	{ "keys_unlock", API_LOGIN|API_SECRET, api_p_keys_unlock,
	    api_keys_unlock },
	{ "keys_reset", API_LOGIN|API_SECRET, api_p_keys_reset,
	    api_keys_reset },
	{ "keys_export", API_LOGIN|API_SECRET, api_p_keys_export,
	    api_keys_export },
	{ "keys_import", API_LOGIN|API_SECRET, api_p_keys_import,
	    api_keys_import },
};

static int		 api_fd = -1;
static char		*api_path;
static struct event	*api_ev;
static struct event	*api_ev_retry;
static unsigned int	 api_next_n;
static TAILQ_HEAD(, api_client) api_clients =
    TAILQ_HEAD_INITIALIZER(api_clients);

static void	api_client_close(struct api_client *, const char *);
static void	api_client_process(struct api_client *);

/* Look a method up by name. */
static const struct api_method *
api_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof api_methods / sizeof api_methods[0]; i++) {
		if (strcmp(api_methods[i].name, name) == 0)
			return (&api_methods[i]);
	}
	return (NULL);
}

/*
 * Create the listening socket at path (before daemonising, so errors reach
 * the terminal): a private directory, no other live agent on it, mode 0600.
 * Returns the fd or -1 with a message logged.
 */
int
api_listen(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	char			*copy, *dir;
	mode_t			 mask;
	int			 fd, probe;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path) >=
	    sizeof sun.sun_path) {
		log_warnx("socket path too long: %s", path);
		return (-1);
	}
	copy = xstrdup(path);
	dir = dirname(copy);
	if (fs_mkdir_private(dir, 0700) != 0) {
		log_warn("socket directory %s (must be ours, mode 0700)", dir);
		free(copy);
		return (-1);
	}
	free(copy);

	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			log_warnx("%s exists and is not a socket", path);
			return (-1);
		}
		probe = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0);
		if (probe != -1 && connect(probe, (struct sockaddr *)&sun,
		    sizeof sun) == 0) {
			close(probe);
			log_warnx("another agent is already listening on %s",
			    path);
			return (-1);
		}
		if (probe != -1)
			close(probe);
		log_debug("%s: removing stale socket %s", __func__, path);
		if (unlink(path) != 0 && errno != ENOENT) {
			log_warn("unlink %s", path);
			return (-1);
		}
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK,
	    0)) == -1) {
		log_warn("socket");
		return (-1);
	}
	mask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		umask(mask);
		log_warn("bind %s", path);
		close(fd);
		return (-1);
	}
	umask(mask);
	if (chmod(path, 0600) != 0 || listen(fd, 64) != 0) {
		log_warn("listen %s", path);
		close(fd);
		unlink(path);
		return (-1);
	}
	free(api_path);
	api_path = xstrdup(path);
	api_fd = fd;
	return (fd);
}

/* Turn accepting back on after running out of file descriptors. */
static void
api_retry_cb(int fd, short what, void *arg)
{
	event_add(api_ev, NULL);
}

/* Free a dead client from the loop, or carry on reading a live one. */
static void
api_defer_cb(int fd, short what, void *arg)
{
	struct api_client	*c = arg;

	if (c->flags & API_CLIENT_DEAD) {
		TAILQ_REMOVE(&api_clients, c, entry);
		event_free(c->ev_defer);
		free(c);
		return;
	}
	api_client_process(c);
}

/* Stop reading from c until its output drains or answers come in. */
static void
api_client_pause(struct api_client *c)
{
	if (c->flags & API_CLIENT_PAUSED)
		return;
	c->flags |= API_CLIENT_PAUSED;
	bufferevent_disable(c->bev, EV_READ);
	log_debug("%s: client %u paused", __func__, c->n);
}

/* Resume reading from c if it has room again; input is processed later. */
static void
api_client_resume(struct api_client *c)
{
	if (!(c->flags & API_CLIENT_PAUSED) || (c->flags & API_CLIENT_DEAD))
		return;
	if (c->npending >= AGENT_PENDING_MAX ||
	    api_client_outlen(c) >= AGENT_OUT_PAUSE)
		return;
	c->flags &= ~API_CLIENT_PAUSED;
	if (!(c->flags & API_CLIENT_EOF))
		bufferevent_enable(c->bev, EV_READ);
	event_active(c->ev_defer, 0, 0);
	log_debug("%s: client %u resumed", __func__, c->n);
}

/* Close c once it has shut down its side and has nothing left to get. */
static void
api_client_maybe_done(struct api_client *c)
{
	if ((c->flags & (API_CLIENT_EOF|API_CLIENT_DEAD)) != API_CLIENT_EOF)
		return;
	if (c->npending != 0 || c->subscribed || api_client_outlen(c) != 0 ||
	    evbuffer_get_length(bufferevent_get_input(c->bev)) != 0)
		return;
	api_client_close(c, NULL);
}

/*
 * Close c now: its pending requests are cut loose (their replies will be
 * dropped) and the structure is freed from the event loop, so callers up
 * the stack may still look at its flags.
 */
static void
api_client_close(struct api_client *c, const char *why)
{
	struct api_pending	*p;

	if (c->flags & API_CLIENT_DEAD)
		return;
	if (why != NULL)
		log_info("%s: client %u: %s", __func__, c->n, why);
	else
		log_debug("%s: client %u closed", __func__, c->n);
	c->flags |= API_CLIENT_DEAD;
	while ((p = TAILQ_FIRST(&c->pending)) != NULL) {
		TAILQ_REMOVE(&c->pending, p, entry);
		p->client = NULL;
	}
	c->npending = 0;
	events_unsubscribe(c);
	bufferevent_free(c->bev);
	c->bev = NULL;
	event_active(c->ev_defer, 0, 0);
}

/* Bytes waiting to be written to c. */
size_t
api_client_outlen(struct api_client *c)
{
	if (c->bev == NULL)
		return (0);
	return (evbuffer_get_length(bufferevent_get_output(c->bev)));
}

/*
 * Queue one JSON object (borrowed) as a line to c.  Returns 0, -1 if c is
 * dead, -2 if the line would exceed the API frame limit.  Applies
 * back-pressure: reading pauses above AGENT_OUT_PAUSE, and a client that
 * lets AGENT_OUT_HARD pile up is disconnected.
 */
int
api_client_write(struct api_client *c, struct json_object *obj)
{
	size_t	 len;

	if (c == NULL || (c->flags & API_CLIENT_DEAD))
		return (-1);
	if (frame_write(bufferevent_get_output(c->bev), obj,
	    CS_API_FRAME_MAX) != 0)
		return (-2);
	len = api_client_outlen(c);
	if (len > AGENT_OUT_HARD) {
		api_client_close(c, "not reading its output; disconnected");
		return (-1);
	}
	if (len >= AGENT_OUT_PAUSE)
		api_client_pause(c);
	return (0);
}

/* Send an error object to c for request id (borrowed; NULL: null id). */
static void
api_client_error(struct api_client *c, struct json_object *id, int code,
    const char *message)
{
	struct json_object	*e;

	e = rpc_error(json_object_get(id), code, message, NULL);
	api_client_write(c, e);
	json_object_put(e);
}

/* Record a request of c that is being worked on. */
static struct api_pending *
api_pending_new(struct api_client *c, const struct rpc_req *req,
    const char *method)
{
	struct api_pending	*p;

	p = xcalloc(1, sizeof *p);
	p->client = c;
	p->id = json_object_get(req->id);
	p->has_id = req->has_id;
	p->method = method;
	TAILQ_INSERT_TAIL(&c->pending, p, entry);
	c->npending++;
	return (p);
}

/* Forget a completed request; its client may read more now. */
static void
api_pending_done(struct api_pending *p)
{
	struct api_client	*c = p->client;

	if (c != NULL) {
		TAILQ_REMOVE(&c->pending, p, entry);
		c->npending--;
		api_client_resume(c);
		api_client_maybe_done(c);
	}
	json_object_put(p->id);
	free(p);
}

/*
 * Answer p with result (taken over) and forget p.  A notification (no id
 * member) or a departed client gets nothing.
 */
void
api_reply(struct api_pending *p, struct json_object *result)
{
	struct json_object	*r;

	if (p->client != NULL && p->has_id) {
		r = rpc_result(json_object_get(p->id), result);
		if (api_client_write(p->client, r) == -2) {
			log_warnx("%s: %s reply over the frame limit",
			    __func__, p->method);
			api_client_error(p->client, p->id, CS_ERR_INTERNAL,
			    "reply too large");
		}
		json_object_put(r);
	} else
		json_object_put(result);
	api_pending_done(p);
}

/*
 * Answer p with an error (message NULL: the standard sentence for code;
 * data taken over) and forget p.
 */
void
api_error(struct api_pending *p, int code, const char *message,
    struct json_object *data)
{
	struct json_object	*e;

	if (message == NULL)
		message = rpc_strerror(code);
	if (p->client != NULL && p->has_id) {
		e = rpc_error(json_object_get(p->id), code, message, data);
		api_client_write(p->client, e);
		json_object_put(e);
	} else
		json_object_put(data);
	api_pending_done(p);
}

/* api_error() with a formatted message and no data. */
void
api_errorf(struct api_pending *p, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	api_error(p, code, msg, NULL);
}

/* The id of a request that failed rpc_parse, if it has a usable one. */
static struct json_object *
api_guess_id(struct json_object *obj)
{
	struct json_object	*id;

	if (!json_object_object_get_ex(obj, "id", &id))
		return (NULL);
	if (json_object_is_type(id, json_type_int) ||
	    json_object_is_type(id, json_type_string))
		return (id);
	return (NULL);
}

/*
 * Check and run one request object (taken over): JSON-RPC shape, method,
 * parameters, login state; then the handler.
 */
static void
api_dispatch(struct api_client *c, struct json_object *obj)
{
	const struct api_method	*m;
	struct rpc_req		 req;
	struct api_pending	*p;
	char			 msg[256];
	int			 code;

	if ((code = rpc_parse(obj, &req, msg, sizeof msg)) != 0) {
		api_client_error(c, api_guess_id(obj), code, msg);
		json_object_put(obj);
		return;
	}
	log_debug("%s: client %u: %s", __func__, c->n,
	    log_safe(req.method));
	if ((m = api_find(req.method)) == NULL) {
		snprintf(msg, sizeof msg, "unknown method: %s", req.method);
		code = CS_ERR_METHOD;
	} else if ((code = rpc_check_params(req.params, m->params, msg,
	    sizeof msg)) != 0)
		;
	else if ((m->flags & API_LOGIN) && !link_logged_in()) {
		code = CS_ERR_AUTH_REQUIRED;
		snprintf(msg, sizeof msg, "not logged in");
	}
	if (code != 0) {
		if (req.has_id)
			api_client_error(c, req.id, code, msg);
	} else {
		p = api_pending_new(c, &req, m->name);
		m->handler(p, req.params);
	}
	if (m != NULL && (m->flags & API_SECRET))
		agent_wipe_json(req.params);
	rpc_req_free(&req);
}

/*
 * frame_read() reports every line that is not a JSON object as FRAME_BAD,
 * but doc/api.md wants -32600 for valid JSON that is not an object (an
 * array, a number) and -32700 only for what is not JSON at all.  So peek at
 * the next complete line: if it does not start with '{', parse it wrapped
 * in an object to tell the two apart.  Returns the code to use if
 * frame_read() then says FRAME_BAD.
 */
static int
api_peek_bad_code(struct evbuffer *in, size_t max)
{
	struct evbuffer_ptr	 eol;
	struct json_object	*obj;
	size_t			 eol_len, len, i;
	char			*buf, err[64];
	int			 code = CS_ERR_PARSE;

	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos <= 0 || (size_t)eol.pos > max)
		return (code);
	len = (size_t)eol.pos;
	buf = xmalloc(len + 8);
	memcpy(buf, "{\"x\":", 5);
	evbuffer_copyout(in, buf + 5, len);
	for (i = 5; i < len + 5 && strchr(" \t\r", buf[i]) != NULL; i++)
		;
	if (i < len + 5 && buf[i] != '{') {
		buf[len + 5] = '}';
		if (frame_parse(buf, len + 6, &obj, err, sizeof err) ==
		    FRAME_OK) {
			json_object_put(obj);
			code = CS_ERR_INVALID_REQUEST;
		}
	}
	free(buf);
	return (code);
}

/* Run every complete line c has sent, as long as it has room for answers. */
static void
api_client_process(struct api_client *c)
{
	struct evbuffer		*in;
	struct json_object	*obj;
	int			 bad;

	while (!(c->flags & (API_CLIENT_DEAD|API_CLIENT_PAUSED))) {
		if (c->npending >= AGENT_PENDING_MAX ||
		    api_client_outlen(c) >= AGENT_OUT_PAUSE) {
			api_client_pause(c);
			break;
		}
		in = bufferevent_get_input(c->bev);
		obj = NULL;
		bad = c->reader.skipping ? CS_ERR_PARSE :
		    api_peek_bad_code(in, c->reader.max);
		switch (frame_read(&c->reader, in, &obj)) {
		case FRAME_MORE:
			api_client_maybe_done(c);
			return;
		case FRAME_TOOBIG:
			api_client_error(c, NULL, CS_ERR_TOO_BIG,
			    "line longer than 262144 bytes");
			break;
		case FRAME_BAD:
			api_client_error(c, NULL, bad, bad == CS_ERR_PARSE ?
			    c->reader.error : "not a JSON-RPC request object");
			break;
		case FRAME_OK:
			api_dispatch(c, obj);
			break;
		}
	}
}

/* Bytes arrived from a client. */
static void
api_read_cb(struct bufferevent *bev, void *arg)
{
	api_client_process(arg);
}

/* A client's output drained: let it read again, continue its replay. */
static void
api_write_cb(struct bufferevent *bev, void *arg)
{
	struct api_client	*c = arg;

	if (c->replaying)
		events_replay(c);
	if (c->flags & API_CLIENT_DEAD)
		return;
	api_client_resume(c);
	api_client_maybe_done(c);
}

/*
 * End of input or an error on a client.  After EOF the client still gets
 * the answers to what it sent (shell clients half-close after writing).
 */
static void
api_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct api_client	*c = arg;
	struct evbuffer		*in;

	if (what & BEV_EVENT_ERROR) {
		api_client_close(c, NULL);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		c->flags |= API_CLIENT_EOF;
		/* Take a last line without its newline as a line. */
		in = bufferevent_get_input(bev);
		if (evbuffer_get_length(in) != 0) {
			evbuffer_unfreeze(in, 0);
			evbuffer_add(in, "\n", 1);
			evbuffer_freeze(in, 0);
		}
		api_client_process(c);
		api_client_maybe_done(c);
	}
}

/* Accept a client, refusing peers of another uid. */
static void
api_accept_cb(int lfd, short what, void *arg)
{
	struct api_client	*c;
	struct bufferevent	*bev;
	struct ucred		 cred;
	socklen_t		 len = sizeof cred;
	struct timeval		 tv = { 1, 0 };
	int			 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK|SOCK_CLOEXEC)) ==
	    -1) {
		if (errno == EMFILE || errno == ENFILE) {
			log_warn("%s: accept", __func__);
			event_del(api_ev);
			evtimer_add(api_ev_retry, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("%s: accept", __func__);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    cred.uid != getuid()) {
		log_warnx("%s: refused a client of uid %ld", __func__,
		    len == sizeof cred ? (long)cred.uid : -1L);
		close(fd);
		return;
	}

	bev = bufferevent_socket_new(agent_base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		FATALX("bufferevent_socket_new failed");
	c = api_client_new(bev);
	log_debug("%s: client %u (pid %ld)", __func__, c->n, (long)cred.pid);
}

/* A client on bev (taken over), its requests read from now on. */
struct api_client *
api_client_new(struct bufferevent *bev)
{
	struct api_client	*c;

	c = xcalloc(1, sizeof *c);
	c->n = ++api_next_n;
	TAILQ_INIT(&c->pending);
	frame_reader_init(&c->reader, CS_API_FRAME_MAX);
	c->ev_defer = event_new(agent_base, -1, 0, api_defer_cb, c);
	c->bev = bev;
	bufferevent_setcb(c->bev, api_read_cb, api_write_cb, api_event_cb, c);
	bufferevent_enable(c->bev, EV_READ|EV_WRITE);
	TAILQ_INSERT_TAIL(&api_clients, c, entry);
	return (c);
}

/* Start accepting clients on the socket api_listen() made. */
void
api_start(int fd)
{
	api_ev = event_new(agent_base, fd, EV_READ|EV_PERSIST, api_accept_cb,
	    NULL);
	api_ev_retry = evtimer_new(agent_base, api_retry_cb, NULL);
	event_add(api_ev, NULL);
}

/* Close every client and the socket, and remove the socket file. */
void
api_stop(void)
{
	struct api_client	*c, *c1;

	TAILQ_FOREACH_SAFE(c, &api_clients, entry, c1) {
		api_client_close(c, NULL);
		TAILQ_REMOVE(&api_clients, c, entry);
		event_free(c->ev_defer);
		free(c);
	}
	if (api_ev != NULL)
		event_free(api_ev);
	if (api_ev_retry != NULL)
		event_free(api_ev_retry);
	api_ev = api_ev_retry = NULL;
	if (api_fd != -1)
		close(api_fd);
	api_fd = -1;
	if (api_path != NULL)
		unlink(api_path);
	free(api_path);
	api_path = NULL;
}

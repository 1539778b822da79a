/* chatsec — the agent's link to chatsecd.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <json-c/json.h>

#include "frame.h"
#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "sec.h"
#include "xmalloc.h"

#include "agent.h"

/*
 * The TLS connection to chatsecd, as an explicit state machine:
 *
 *   disconnected -> connecting -> handshake -> authenticating -> syncing
 *	-> ready;  any failure -> backoff -> connecting;
 *   a certificate that does not match the pin -> untrusted -> connecting.
 *
 * connecting resolves the name and makes the TCP connection; handshake is
 * TLS plus the trust check (link-tls.c); authenticating sends hello, then
 * resume if the profile holds a session token; syncing pulls sync pages
 * until more is false (the server pushes events after that); ready pings
 * every minute.  Requests are matched to replies by id and each may have
 * its own timeout.  Every transition is logged and is a `link` event.
 */

/* A request sent to the server and not yet answered. */
struct link_req {
	int64_t			 id;
	const char		*method;	/* static */
	void			(*cb)(LINK_CB_ARGS);
	void			*arg;
	struct event		*timer;
	TAILQ_ENTRY(link_req)	 entry;
};

/* Someone waiting for the link to become ready. */
struct link_waiter {
	void			(*cb)(void *, int);
	void			*arg;
	struct event		*timer;
	TAILQ_ENTRY(link_waiter) entry;
};

static struct link_ctx {
	enum link_state		 state;
	unsigned int		 gen;		/* bumped by each teardown */
	struct bufferevent	*bev;
	int			 fd;		/* while connecting */
	struct event		*ev_connect;
	struct event		*timer;		/* deadline, backoff, retry */
	struct event		*ping;
	struct evdns_base	*dns;
	struct evdns_getaddrinfo_request *dns_req;
	struct evutil_addrinfo	*ai;
	struct evutil_addrinfo	*ai_next;
	struct frame_reader	 reader;
	int64_t			 next_id;
	unsigned int		 attempts;
	int			 ping_outstanding;
	int			 resync;	/* sync again after this one */
	TAILQ_HEAD(, link_req)	 reqs;
	TAILQ_HEAD(link_waiters, link_waiter) waiters;

	char			 last_error[512];
	int			 quiet;		/* reconnecting unseen */
	enum link_state		 reported;	/* last state in an event */
	char			 reported_error[512];
	char			 fingerprint[SEC_FPR_STRLEN];

	char			*token;		/* session, NULL if none */
	char			*user;
	int			 admin;
	int			 reg_pending;
} lnk = {
	.fd = -1,
	.reqs = TAILQ_HEAD_INITIALIZER(lnk.reqs),
	.waiters = TAILQ_HEAD_INITIALIZER(lnk.waiters),
};

static void	link_enter_state(enum link_state, const char *);
static void	link_connect(void);
static void	link_try_next(const char *);
static void	link_fail(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* Methods whose parameters are secrets: the request is wiped once sent. */
static const char *link_secret_methods[] = {
	"register", "register_confirm", "login", "resume",
};

/* Names of the states as the API shows them. */
static const char *link_state_names[] = {
	[LINK_DISCONNECTED] = "disconnected",
	[LINK_CONNECTING] = "connecting",
	[LINK_HANDSHAKE] = "handshake",
	[LINK_AUTHENTICATING] = "authenticating",
	[LINK_SYNCING] = "syncing",
	[LINK_READY] = "ready",
	[LINK_BACKOFF] = "backoff",
	[LINK_UNTRUSTED] = "untrusted",
};

/* The API name of a state. */
const char *
link_state_name(enum link_state st)
{
	return (link_state_names[st]);
}

/* The current state. */
enum link_state
link_get_state(void)
{
	return (lnk.state);
}

/* The last connection error as a sentence, or NULL. */
const char *
link_last_error(void)
{
	return (lnk.last_error[0] != '\0' ? lnk.last_error : NULL);
}

/* The server's certificate fingerprint (last seen or pinned), or NULL. */
const char *
link_fingerprint(void)
{
	return (lnk.fingerprint[0] != '\0' ? lnk.fingerprint : NULL);
}

/* Whether the profile holds a session. */
int
link_logged_in(void)
{
	return (lnk.token != NULL);
}

/* The logged-in username (display form), or NULL. */
const char *
link_user(void)
{
	return (lnk.token != NULL ? lnk.user : NULL);
}

/* Whether this connection holds a pending registration. */
int
link_reg_pending(void)
{
	return (lnk.reg_pending);
}

/* Note that a registration is (or is no longer) pending on the server. */
void
link_set_reg_pending(int on)
{
	lnk.reg_pending = on;
}

/* Whether requests can be sent in the current state. */
static int
link_connected(void)
{
	return (lnk.state == LINK_AUTHENTICATING ||
	    lnk.state == LINK_SYNCING || lnk.state == LINK_READY);
}

/* Call the completion of req with an error and free it. */
static void
link_req_fail(struct link_req *req, int code, const char *message)
{
	void	(*cb)(LINK_CB_ARGS) = req->cb;
	void	*arg = req->arg;

	TAILQ_REMOVE(&lnk.reqs, req, entry);
	if (req->timer != NULL)
		event_free(req->timer);
	free(req);
	if (cb != NULL)
		cb(arg, code, message, NULL, NULL);
}

/* A request went unanswered for its timeout. */
static void
link_req_timeout_cb(int fd, short what, void *arg)
{
	struct link_req	*req = arg;

	log_warnx("%s: %s %lld: no answer from the server", __func__,
	    req->method, (long long)req->id);
	link_req_fail(req, CS_ERR_TIMEOUT, "the server did not answer in time");
}

/*
 * Send a request (params taken over) and call cb with the answer, or with
 * CS_ERR_NOT_CONNECTED if the link drops first, or CS_ERR_TIMEOUT after
 * timeout_ms (0: no timeout).  Returns 0 (and the id in *idp) or an error
 * code (cb is not called then).
 */
int
link_request(const char *method, struct json_object *params, int timeout_ms,
    void (*cb)(LINK_CB_ARGS), void *arg, int64_t *idp)
{
	struct json_object	*obj;
	struct link_req		*req;
	struct timeval		 tv;
	size_t			 i;
	int			 rc, secret = 0;

	for (i = 0; i < sizeof link_secret_methods /
	    sizeof link_secret_methods[0]; i++) {
		if (strcmp(method, link_secret_methods[i]) == 0)
			secret = 1;
	}
	if (!link_connected()) {
		if (secret)
			agent_wipe_json(params);
		json_object_put(params);
		return (CS_ERR_NOT_CONNECTED);
	}
	obj = rpc_request(++lnk.next_id, method, params);
	rc = frame_write(bufferevent_get_output(lnk.bev), obj,
	    CS_WIRE_FRAME_MAX);
	if (secret)
		agent_wipe_json(obj);
	json_object_put(obj);
	if (rc != 0) {
		log_warnx("%s: %s request over the frame limit", __func__,
		    method);
		return (CS_ERR_INTERNAL);
	}
	log_debug("%s: -> %s %lld", __func__, method, (long long)lnk.next_id);

	req = xcalloc(1, sizeof *req);
	req->id = lnk.next_id;
	req->method = method;
	req->cb = cb;
	req->arg = arg;
	if (timeout_ms > 0) {
		req->timer = evtimer_new(agent_base, link_req_timeout_cb, req);
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		evtimer_add(req->timer, &tv);
	}
	TAILQ_INSERT_TAIL(&lnk.reqs, req, entry);
	if (idp != NULL)
		*idp = req->id;
	return (0);
}

/* Forget request id: its answer, if it comes, is ignored. */
void
link_cancel(int64_t id)
{
	struct link_req	*req;

	TAILQ_FOREACH(req, &lnk.reqs, entry) {
		if (req->id == id) {
			req->cb = NULL;
			return;
		}
	}
}

/* Finish a waiter with code and free it. */
static void
link_waiter_done(struct link_waiter *w, int code)
{
	TAILQ_REMOVE(&lnk.waiters, w, entry);
	event_free(w->timer);
	w->cb(w->arg, code);
	free(w);
}

/* A waiter gave up. */
static void
link_waiter_timeout_cb(int fd, short what, void *arg)
{
	link_waiter_done(arg, CS_ERR_NOT_CONNECTED);
}

/* Finish every waiter (present now) with code. */
static void
link_waiters_run(int code)
{
	struct link_waiter	*w, *last;

	if ((last = TAILQ_LAST(&lnk.waiters, link_waiters)) == NULL)
		return;
	do {
		w = TAILQ_FIRST(&lnk.waiters);
		link_waiter_done(w, code);
	} while (w != last);
}

/*
 * Call cb with 0 once the link is ready: now if it is, else when it gets
 * there (a link in backoff tries again at once).  cb gets
 * CS_ERR_NOT_CONNECTED if the attempt fails or takes too long, and
 * CS_ERR_TRUST if the server is not trusted.
 */
void
link_when_ready(void (*cb)(void *, int), void *arg)
{
	struct link_waiter	*w;
	struct timeval		 tv = { AGENT_WAIT_TIMEOUT / 1000, 0 };

	switch (lnk.state) {
	case LINK_READY:
		cb(arg, 0);
		return;
	case LINK_UNTRUSTED:
		cb(arg, CS_ERR_TRUST);
		return;
	case LINK_DISCONNECTED:
		cb(arg, CS_ERR_NOT_CONNECTED);
		return;
	default:
		break;
	}
	w = xcalloc(1, sizeof *w);
	w->cb = cb;
	w->arg = arg;
	w->timer = evtimer_new(agent_base, link_waiter_timeout_cb, w);
	evtimer_add(w->timer, &tv);
	TAILQ_INSERT_TAIL(&lnk.waiters, w, entry);
	if (lnk.state == LINK_BACKOFF) {
		log_debug("%s: retrying now for a waiting request", __func__);
		link_enter_state(LINK_CONNECTING, NULL);
	}
}

/*
 * Tear the connection down (whatever stage it is in) and fail every
 * outstanding request with CS_ERR_NOT_CONNECTED.  A pending registration
 * dies with the connection.
 */
static void
link_close(void)
{
	struct link_req	*req;

	lnk.gen++;
	if (lnk.dns_req != NULL) {
		evdns_getaddrinfo_cancel(lnk.dns_req);
		lnk.dns_req = NULL;
	}
	if (lnk.ai != NULL) {
		evutil_freeaddrinfo(lnk.ai);
		lnk.ai = lnk.ai_next = NULL;
	}
	if (lnk.ev_connect != NULL) {
		event_free(lnk.ev_connect);
		lnk.ev_connect = NULL;
	}
	if (lnk.fd != -1) {
		close(lnk.fd);
		lnk.fd = -1;
	}
	if (lnk.bev != NULL) {
		bufferevent_free(lnk.bev);
		lnk.bev = NULL;
	}
	if (lnk.ping != NULL)
		evtimer_del(lnk.ping);
	lnk.ping_outstanding = 0;
	evtimer_del(lnk.timer);
	frame_reader_init(&lnk.reader, CS_WIRE_FRAME_MAX);
	lnk.reg_pending = 0;
	/* link_req_fail() unlinks req before freeing it (the analyzer
	 * loses track of TAILQ_REMOVE). */
	while ((req = TAILQ_FIRST(&lnk.reqs)) != NULL)
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		link_req_fail(req, CS_ERR_NOT_CONNECTED,
		    "not connected to the server");
}

/* Drop the connection because of an error and back off. */
static void
link_fail(const char *fmt, ...)
{
	va_list	 ap;
	char	 why[512];

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	link_close();
	link_enter_state(LINK_BACKOFF, why);
}

/* Delay before the next attempt: exponential from 0.5 s, capped, jittered. */
static int
link_backoff_ms(void)
{
	int64_t	 d = AGENT_BACKOFF_MIN;
	unsigned int i;

	for (i = 0; i < lnk.attempts && d < agent_conf.backoff_max_ms; i++)
		d *= 2;
	if (d > agent_conf.backoff_max_ms)
		d = agent_conf.backoff_max_ms;
	if (lnk.attempts < 32)
		lnk.attempts++;
	/* "Equal jitter": half fixed, half random. */
	return ((int)(d / 2 + sec_random_uniform((uint32_t)(d / 2) + 1)));
}

/* Arm the state timer for ms milliseconds. */
static void
link_timer_set(int ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(lnk.timer, &tv);
}

/* The state timer fired: a deadline passed or a wait is over. */
static void
link_timer_cb(int fd, short what, void *arg)
{
	switch (lnk.state) {
	case LINK_CONNECTING:
	case LINK_HANDSHAKE:
		link_fail("connecting to %s timed out", agent_conf.server);
		break;
	case LINK_BACKOFF:
	case LINK_UNTRUSTED:
		link_enter_state(LINK_CONNECTING, NULL);
		break;
	default:
		break;
	}
}

/* The answer to a ping. */
static void
link_pong_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	lnk.ping_outstanding = 0;
	if (code == CS_ERR_TIMEOUT)
		link_fail("the server did not answer a ping");
}

/* Ping the server so it and we both notice a dead connection. */
static void
link_ping_cb(int fd, short what, void *arg)
{
	if (lnk.state != LINK_READY || lnk.ping_outstanding)
		return;
	if (link_request("ping", json_object_new_object(), AGENT_REQ_TIMEOUT,
	    link_pong_cb, NULL, NULL) == 0)
		lnk.ping_outstanding = 1;
}

/*
 * Deliver messages from the server (one object, or an array of them) in
 * one store transaction: a message, the sync cursor and its event are
 * stored together or not at all, so a crash can neither lose an event nor
 * show one twice.  Events go out once committed.  If the store fails the
 * link is dropped, and the next sync fetches the messages again.
 */
static int
link_deliver(struct json_object *msgs)
{
	size_t	 i;
	int	 rc;

	lstore_begin();
	events_hold();
	if (json_object_is_type(msgs, json_type_array)) {
		for (i = 0; i < json_object_array_length(msgs); i++)
			msg_deliver(json_object_array_get_idx(msgs, i));
	} else
		msg_deliver(msgs);
	rc = lstore_commit();
	events_release(rc == 0);
	if (rc != 0) {
		link_fail("cannot store messages from the server");
		return (-1);
	}
	return (0);
}

/*
 * Answer to a sync page: deliver its messages (in one transaction) and ask
 * for the next page, or become ready after the last.
 */
static void
link_sync_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct json_object	*msgs, *v;
	int64_t			 before, after, last, room_before, room_after;
	size_t			 n = 0;
	int			 more = 0, room_more = 0;

	if (code == CS_ERR_NOT_CONNECTED)
		return;
	if (code != 0) {
		link_fail("sync failed: %s", log_safe(message));
		return;
	}
	/* Room events first (api-rooms.c), then the messages. */
	room_before = lstore_kv_get_int("room_cursor", -1);
	if (json_object_object_get_ex(result, "room_events", &msgs) &&
	    json_object_is_type(msgs, json_type_array) &&
	    rooms_deliver(msgs) != 0) {
		link_fail("cannot store room events from the server");
		return;
	}
	if (json_object_object_get_ex(result, "room_more", &v))
		room_more = json_object_get_boolean(v);
	if (json_object_object_get_ex(result, "room_last", &v) &&
	    json_object_is_type(v, json_type_int) &&
	    (last = json_object_get_int64(v)) >
	    lstore_kv_get_int("room_cursor", -1))
		lstore_kv_set_int("room_cursor", last);
	room_after = lstore_kv_get_int("room_cursor", -1);
	before = lstore_kv_get_int("cursor", 0);
	if (json_object_object_get_ex(result, "messages", &msgs) &&
	    json_object_is_type(msgs, json_type_array)) {
		n = json_object_array_length(msgs);
		if (link_deliver(msgs) != 0)
			return;
	}
	if (json_object_object_get_ex(result, "more", &v))
		more = json_object_get_boolean(v);
	after = lstore_kv_get_int("cursor", 0);
	log_debug("%s: %zu messages, cursor %lld, more %d", __func__, n,
	    (long long)after, more);
	if ((more && after > before) ||
	    (room_more && room_after > room_before)) {
		link_enter_state(LINK_SYNCING, NULL);
		return;
	}
	/* A stalled delivery (keys.c) keeps the cursor before the message. */
	if (!msg_stalled() && json_object_object_get_ex(result, "last_id",
	    &v) && json_object_is_type(v, json_type_int) &&
	    (last = json_object_get_int64(v)) > after)
		lstore_kv_set_int("cursor", last);
	if (lnk.resync && !msg_stalled()) {
		lnk.resync = 0;
		lnk.quiet = 1;
		link_enter_state(LINK_SYNCING, NULL);
		return;
	}
	link_enter_state(LINK_READY, NULL);
}

/* Ask for the next sync page from our cursor. */
static void
link_sync(void)
{
	struct json_object	*params;
	int64_t			 cursor;

	params = json_object_new_object();
	if ((cursor = lstore_kv_get_int("cursor", 0)) > 0)
		json_object_object_add(params, "since",
		    json_object_new_int64(cursor));
	if ((cursor = lstore_kv_get_int("room_cursor", -1)) >= 0)
		json_object_object_add(params, "room_since",
		    json_object_new_int64(cursor));
	if (link_request("sync", params, AGENT_REQ_TIMEOUT, link_sync_cb,
	    NULL, NULL) != 0)
		link_fail("cannot send sync");
}

/*
 * Sync again from the cursor (keys arrived for a message that waited):
 * now if ready, else when the sync under way ends.
 */
void
link_resync(void)
{
	if (lnk.state == LINK_READY && lnk.token != NULL) {
		lnk.quiet = 1;		/* not a link event */
		link_enter_state(LINK_SYNCING, NULL);
	} else if (lnk.state == LINK_SYNCING)
		lnk.resync = 1;
}

/* Set the session in memory (token and user copied). */
static void
link_session_set(const char *user, const char *token, int admin)
{
	if (lnk.token != NULL) {
		sec_wipe(lnk.token, strlen(lnk.token));
		free(lnk.token);
	}
	lnk.token = token != NULL ? xstrdup(token) : NULL;
	free(lnk.user);
	lnk.user = user != NULL ? xstrdup(user) : NULL;
	lnk.admin = admin;
}

/*
 * A login or a confirmed registration gave us a session: keep it in the
 * profile and sync.  Logging in as another account than the profile had
 * forgets the old account's local history.
 */
void
link_session_begin(const char *user, const char *token, int admin)
{
	char	*old;

	old = lstore_kv_get("user");
	if (old != NULL && !msg_same_user(old, user)) {
		log_info("%s: profile moves from %s to %s: forgetting the "
		    "old local history", __func__, log_safe(old),
		    log_safe(user));
		lstore_msg_clear();
		lstore_kv_del("cursor");
		lstore_kv_del("room_cursor");
		away_forget();
	}
	free(old);
	lstore_kv_set("user", user);
	lstore_kv_set("token", token);
	lstore_kv_set_int("admin", admin);
	link_session_set(user, token, admin);
	keys_session_begin(user);
	lnk.reg_pending = 0;
	log_info("%s: logged in as %s", __func__, log_safe(user));
	if (lnk.state == LINK_READY)
		link_enter_state(LINK_SYNCING, NULL);
}

/*
 * The server replaced this session's token (a password change revoked
 * every other): keep the new one, in memory and in the profile, so a
 * restart resumes with it.
 */
void
link_session_token(const char *token)
{
	if (lnk.token == NULL)
		return;
	sec_wipe(lnk.token, strlen(lnk.token));
	free(lnk.token);
	lnk.token = xstrdup(token);
	lstore_kv_set("token", token);
}

/*
 * The session is over (logout, or the server refused the token): forget
 * the token and fail queued sends with code.
 */
void
link_session_end(int code, const char *why)
{
	if (lnk.token == NULL)
		return;
	log_info("%s: session ended: %s", __func__, why);
	lstore_kv_del("token");
	link_session_set(NULL, NULL, 0);
	keys_session_end();
	files_fail_all("cancelled", why);
	outbox_fail_all(code, why);
}

/* Answer to resume: logged in again, or the token is no good. */
static void
link_resume_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct json_object	*v;
	const char		*why;

	if (code == CS_ERR_NOT_CONNECTED)
		return;
	if (code == CS_ERR_SESSION || code == CS_ERR_AUTH_FAILED) {
		why = "session expired or revoked: log in again";
		link_enter_state(LINK_READY, NULL);
		link_session_end(CS_ERR_SESSION, why);
		snprintf(lnk.last_error, sizeof lnk.last_error, "%s", why);
		return;
	}
	if (code != 0) {
		link_fail("resume failed: %s", log_safe(message));
		return;
	}
	if (json_object_object_get_ex(result, "user", &v) &&
	    json_object_is_type(v, json_type_string)) {
		free(lnk.user);
		lnk.user = xstrdup(json_object_get_string(v));
	}
	link_enter_state(LINK_SYNCING, NULL);
}

/* Answer to hello: resume the session if we have one. */
static void
link_hello_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct json_object	*params;

	if (code == CS_ERR_NOT_CONNECTED)
		return;
	if (code == CS_ERR_VERSION) {
		link_fail("the server does not speak protocol version %d",
		    CS_PROTO_VERSION);
		return;
	}
	if (code != 0) {
		link_fail("hello failed: %s", log_safe(message));
		return;
	}
	if (lnk.token == NULL) {
		link_enter_state(LINK_READY, NULL);
		return;
	}
	params = json_object_new_object();
	json_object_object_add(params, "token",
	    json_object_new_string(lnk.token));
	if (link_request("resume", params, AGENT_REQ_TIMEOUT, link_resume_cb,
	    NULL, NULL) != 0)
		link_fail("cannot send resume");
}

/* Send hello, the first frame on a new connection. */
static void
link_hello(void)
{
	struct json_object	*params;

	params = json_object_new_object();
	json_object_object_add(params, "version",
	    json_object_new_int(CS_PROTO_VERSION));
	json_object_object_add(params, "client",
	    json_object_new_string("chatsec-agent/" PACKAGE_VERSION));
	if (link_request("hello", params, AGENT_REQ_TIMEOUT, link_hello_cb,
	    NULL, NULL) != 0)
		link_fail("cannot send hello");
}

/* Entering ready: reset the backoff, start pinging, let waiters go. */
static void
link_ready(void)
{
	struct timeval	 tv = { AGENT_PING_INTERVAL / 1000, 0 };

	lnk.attempts = 0;
	lnk.last_error[0] = '\0';
	evtimer_del(lnk.timer);
	if (lnk.ping == NULL)
		lnk.ping = event_new(agent_base, -1, EV_PERSIST, link_ping_cb,
		    NULL);
	if (!evtimer_pending(lnk.ping, NULL))
		evtimer_add(lnk.ping, &tv);
	link_waiters_run(0);
	if (lnk.state == LINK_READY && lnk.token != NULL) {
		keys_link_ready();
		outbox_link_ready();
		files_link_ready();
		away_link_ready();
	}
	relogin_link_ready();
}

/* What each state does on entry (after the transition is recorded). */
static void
link_on_enter(enum link_state st)
{
	switch (st) {
	case LINK_DISCONNECTED:
		link_close();
		link_waiters_run(CS_ERR_NOT_CONNECTED);
		break;
	case LINK_CONNECTING:
		msg_unstall();
		lnk.resync = 0;
		link_connect();
		break;
	case LINK_HANDSHAKE:
		break;
	case LINK_AUTHENTICATING:
		link_hello();
		break;
	case LINK_SYNCING:
		link_sync();
		break;
	case LINK_READY:
		link_ready();
		break;
	case LINK_BACKOFF:
		link_timer_set(link_backoff_ms());
		link_waiters_run(CS_ERR_NOT_CONNECTED);
		break;
	case LINK_UNTRUSTED:
		link_timer_set(agent_conf.backoff_max_ms);
		link_waiters_run(CS_ERR_TRUST);
		break;
	}
}

/*
 * Whether a transition only repeats a failed attempt: the retry after a
 * backoff, and a failure just like the last one reported.  Those are
 * logged under -v only and are not events, so a long outage does not push
 * messages out of the event log.
 */
static int
link_repeat(enum link_state old, enum link_state st, const char *error)
{
	if (st == LINK_CONNECTING)
		return (old == LINK_BACKOFF || old == LINK_UNTRUSTED);
	if (st != LINK_BACKOFF && st != LINK_UNTRUSTED)
		return (0);
	return (lnk.reported == st && error != NULL &&
	    strcmp(error, lnk.reported_error) == 0);
}

/*
 * Move to state st, logging the transition and emitting a `link` event
 * (with error, if the move was caused by one), then run the state's entry
 * action.  Syncing again for the next page is not a transition.
 */
static void
link_enter_state(enum link_state st, const char *error)
{
	struct json_object	*ev;
	enum link_state		 old = lnk.state;

	if (error != NULL)
		snprintf(lnk.last_error, sizeof lnk.last_error, "%s", error);
	lnk.state = st;
	if (lnk.quiet && error == NULL) {
		log_debug("link: %s -> %s (quietly)", link_state_names[old],
		    link_state_names[st]);
		if (st == LINK_READY)
			lnk.quiet = 0;
	} else if (old != st && link_repeat(old, st, error))
		log_debug("link: %s -> %s%s%s (again)", link_state_names[old],
		    link_state_names[st], error != NULL ? ": " : "",
		    error != NULL ? error : "");
	else if (old != st || error != NULL) {
		lnk.quiet = 0;
		if (error != NULL)
			log_info("link: %s -> %s: %s", link_state_names[old],
			    link_state_names[st], error);
		else
			log_info("link: %s -> %s", link_state_names[old],
			    link_state_names[st]);
		lnk.reported = st;
		snprintf(lnk.reported_error, sizeof lnk.reported_error, "%s",
		    error != NULL ? error : "");
		ev = json_object_new_object();
		json_object_object_add(ev, "state",
		    json_object_new_string(link_state_names[st]));
		if (error != NULL)
			json_object_object_add(ev, "error",
			    json_object_new_string(error));
		events_emit("link", NULL, ev);
	}
	link_on_enter(st);
}

/* A presence notification from the server. */
static void
link_on_presence(struct json_object *params)
{
	struct json_object	*user, *online, *away, *ev;
	const char		*text = NULL;

	if (!json_object_object_get_ex(params, "user", &user) ||
	    !json_object_is_type(user, json_type_string) ||
	    !json_object_object_get_ex(params, "online", &online) ||
	    !json_object_is_type(online, json_type_boolean))
		return;
	if (json_object_object_get_ex(params, "away", &away) &&
	    json_object_is_type(away, json_type_string))
		text = json_object_get_string(away);
	away_on_presence(json_object_get_string(user),
	    json_object_get_boolean(online), text);
	ev = json_object_new_object();
	json_object_object_add(ev, "user", json_object_get(user));
	json_object_object_add(ev, "online", json_object_get(online));
	if (text != NULL)
		json_object_object_add(ev, "away", json_object_get(away));
	events_emit("presence", NULL, ev);
}

/*
 * A message notification from the server.  Taken only when ready: while
 * a sync is under way (a resync after a stalled message, say) the pages
 * bring every message committed before each of them, so one pushed now is
 * in a page too; delivering it first would move the cursor past the
 * messages the sync is still to bring, and they would never be events.
 */
static void
link_on_message(struct json_object *params)
{
	if (lnk.state != LINK_READY)
		return;
	link_deliver(params);
}

/* A room event notification from the server (api-rooms.c). */
static void
link_on_room(struct json_object *params)
{
	if (lnk.state != LINK_READY && lnk.state != LINK_SYNCING)
		return;
	if (rooms_deliver(params) != 0)
		link_fail("cannot store a room event from the server");
}

/* Notifications the server pushes. */
static const struct {
	const char	*method;
	void		(*fn)(struct json_object *);
} link_notifications[] = {
	{ "message", link_on_message },
	{ "presence", link_on_presence },
	{ "room", link_on_room },
	{ "keys", keys_on_event },
	{ "typing", typing_on_event },
};

/* Route one frame from the server: a response or a notification. */
static void
link_frame(struct json_object *obj)
{
	struct rpc_resp		 resp;
	struct link_req		*req;
	struct json_object	*m, *params;
	void			(*cb)(LINK_CB_ARGS);
	int64_t			 id;
	size_t			 i;

	if (rpc_is_response(obj)) {
		if (rpc_parse_response(obj, &resp) != 0 || resp.id == NULL ||
		    !json_object_is_type(resp.id, json_type_int)) {
			log_warnx("%s: bad response from the server",
			    __func__);
			return;
		}
		id = json_object_get_int64(resp.id);
		TAILQ_FOREACH(req, &lnk.reqs, entry) {
			if (req->id == id)
				break;
		}
		if (req == NULL) {
			log_debug("%s: answer to unknown request %lld",
			    __func__, (long long)id);
			return;
		}
		log_debug("%s: <- %s %lld%s", __func__, req->method,
		    (long long)id, resp.result != NULL ? "" : " (error)");
		TAILQ_REMOVE(&lnk.reqs, req, entry);
		if (req->timer != NULL)
			event_free(req->timer);
		cb = req->cb;
		if (cb != NULL) {
			if (resp.result != NULL)
				cb(req->arg, 0, NULL, resp.result, NULL);
			else
				cb(req->arg, resp.code, resp.message != NULL ?
				    resp.message : rpc_strerror(resp.code),
				    NULL, resp.data);
		}
		free(req);
		return;
	}
	if (!json_object_object_get_ex(obj, "method", &m) ||
	    !json_object_is_type(m, json_type_string))
		return;
	if (!json_object_object_get_ex(obj, "params", &params) ||
	    !json_object_is_type(params, json_type_object))
		return;
	for (i = 0; i < sizeof link_notifications /
	    sizeof link_notifications[0]; i++) {
		if (strcmp(link_notifications[i].method,
		    json_object_get_string(m)) == 0) {
			link_notifications[i].fn(params);
			return;
		}
	}
	log_debug("%s: ignoring %s from the server", __func__,
	    log_safe(json_object_get_string(m)));
}

/* Frames arrived from the server. */
static void
link_read_cb(struct bufferevent *bev, void *arg)
{
	struct json_object	*obj;
	unsigned int		 gen = lnk.gen;

	while (lnk.gen == gen && lnk.bev != NULL) {
		obj = NULL;
		switch (frame_read(&lnk.reader, bufferevent_get_input(bev),
		    &obj)) {
		case FRAME_MORE:
			return;
		case FRAME_TOOBIG:
			link_fail("the server sent a line over %d bytes",
			    CS_WIRE_FRAME_MAX);
			return;
		case FRAME_BAD:
			link_fail("the server sent a bad frame: %s",
			    lnk.reader.error);
			return;
		case FRAME_OK:
			link_frame(obj);
			json_object_put(obj);
			break;
		}
	}
}

/* TLS is up (check trust), or the connection failed or closed. */
static void
link_event_cb(struct bufferevent *bev, short what, void *arg)
{
	char	 err[512];
	int	 rc;

	if (what & BEV_EVENT_CONNECTED) {
		rc = link_tls_verify(bev, agent_conf.server, lnk.fingerprint,
		    sizeof lnk.fingerprint, err, sizeof err);
		if (rc == CS_ERR_TRUST) {
			link_close();
			link_enter_state(LINK_UNTRUSTED, err);
		} else if (rc != 0)
			link_fail("%s", err);
		else {
			evtimer_del(lnk.timer);
			link_enter_state(LINK_AUTHENTICATING, NULL);
		}
		return;
	}
	if (lnk.state == LINK_HANDSHAKE && (what & BEV_EVENT_ERROR)) {
		if (link_tls_failure(bev, agent_conf.server, err,
		    sizeof err)) {
			link_close();
			link_enter_state(LINK_UNTRUSTED, err);
		} else
			link_fail("%s", err);
		return;
	}
	if (lnk.state == LINK_READY && lnk.token == NULL) {
		/*
		 * The server closes connections that stay logged out for a
		 * while (its login deadline).  Open a new one at once, and
		 * without events unless that fails: nothing changed for
		 * clients.
		 */
		log_debug("%s: logged-out link closed by the server; "
		    "reconnecting", __func__);
		link_close();
		lnk.quiet = 1;
		link_enter_state(LINK_CONNECTING, NULL);
		return;
	}
	if (what & BEV_EVENT_EOF)
		link_fail("the server closed the connection");
	else if (what & BEV_EVENT_ERROR) {
		link_tls_failure(bev, agent_conf.server, err, sizeof err);
		link_fail("connection to %s lost: %s", agent_conf.server, err);
	} else if (what & BEV_EVENT_TIMEOUT)
		link_fail("connection timed out");
}

/* The TCP connection is up or failed: start TLS or try the next address. */
static void
link_connect_cb(int fd, short what, void *arg)
{
	socklen_t	 len = sizeof(int);
	int		 err = 0, one = 1;

	event_free(lnk.ev_connect);
	lnk.ev_connect = NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		close(fd);
		lnk.fd = -1;
		link_try_next(strerror(err));
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	evutil_freeaddrinfo(lnk.ai);
	lnk.ai = lnk.ai_next = NULL;

	lnk.fd = -1;	/* the bufferevent owns it now */
	if ((lnk.bev = link_tls_wrap(agent_base, fd, agent_conf.host)) ==
	    NULL) {
		close(fd);
		link_fail("cannot start TLS");
		return;
	}
	frame_reader_init(&lnk.reader, CS_WIRE_FRAME_MAX);
	bufferevent_setcb(lnk.bev, link_read_cb, NULL, link_event_cb, NULL);
	bufferevent_enable(lnk.bev, EV_READ|EV_WRITE);
	link_enter_state(LINK_HANDSHAKE, NULL);
}

/* Try the next resolved address; fail with why when none is left. */
static void
link_try_next(const char *why)
{
	struct evutil_addrinfo	*ai;
	int			 fd;

	while ((ai = lnk.ai_next) != NULL) {
		lnk.ai_next = ai->ai_next;
		fd = socket(ai->ai_family, ai->ai_socktype|SOCK_NONBLOCK|
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			why = strerror(errno);
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
		    errno != EINPROGRESS) {
			why = strerror(errno);
			close(fd);
			continue;
		}
		lnk.fd = fd;
		lnk.ev_connect = event_new(agent_base, fd, EV_WRITE,
		    link_connect_cb, NULL);
		event_add(lnk.ev_connect, NULL);
		return;
	}
	link_fail("cannot connect to %s: %s", agent_conf.server,
	    why != NULL ? why : "no address");
}

/* The server's name resolved (or not). */
static void
link_resolved_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	if (result == EVUTIL_EAI_CANCEL)
		return;
	lnk.dns_req = NULL;
	if (result != 0) {
		link_fail("cannot resolve %s: %s", agent_conf.host,
		    evutil_gai_strerror(result));
		return;
	}
	lnk.ai = lnk.ai_next = res;
	link_try_next(NULL);
}

/* Entering connecting: resolve the name (asynchronously) and connect. */
static void
link_connect(void)
{
	struct evutil_addrinfo		 hints;
	struct evdns_getaddrinfo_request *req;

	link_close();
	link_timer_set(AGENT_CONNECT_TIMEOUT);
	if (lnk.dns == NULL)
		lnk.dns = evdns_base_new(agent_base,
		    EVDNS_BASE_INITIALIZE_NAMESERVERS|
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	req = evdns_getaddrinfo(lnk.dns, agent_conf.host, agent_conf.port,
	    &hints, link_resolved_cb, NULL);
	/* NULL: the callback already ran (numeric host, or failure). */
	if (req != NULL)
		lnk.dns_req = req;
}

/* Load the session from the profile and start connecting. */
void
link_start(void)
{
	char	*token, *user;

	lnk.timer = evtimer_new(agent_base, link_timer_cb, NULL);
	frame_reader_init(&lnk.reader, CS_WIRE_FRAME_MAX);
	token = lstore_kv_get("token");
	user = lstore_kv_get("user");
	if (token != NULL && user != NULL)
		link_session_set(user, token,
		    (int)lstore_kv_get_int("admin", 0));
	if (token != NULL) {
		sec_wipe(token, strlen(token));
		free(token);
	}
	free(user);
	if (!agent_conf.ca_file) {
		if ((token = link_tls_pinned(agent_conf.server)) != NULL) {
			snprintf(lnk.fingerprint, sizeof lnk.fingerprint,
			    "%s", token);
			free(token);
		}
	}
	link_enter_state(LINK_CONNECTING, NULL);
}

/* Close the link for good (agent exit); no events after this. */
void
link_stop(void)
{
	link_close();
	link_waiters_run(CS_ERR_NOT_CONNECTED);
	lnk.state = LINK_DISCONNECTED;
	if (lnk.timer != NULL)
		event_free(lnk.timer);
	if (lnk.ping != NULL)
		event_free(lnk.ping);
	lnk.timer = lnk.ping = NULL;
	if (lnk.dns != NULL)
		evdns_base_free(lnk.dns, 1);
	lnk.dns = NULL;
	link_session_set(NULL, NULL, 0);
}

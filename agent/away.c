/* chatsec — chatsec-agent: the away status.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

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
 * The server keeps an account's away text only while the account has a
 * connection (doc/protocol.md), so the agent remembers it in the profile
 * ("away") and sets it again each time the link is ready with a session:
 * after a reconnect, a server restart, an agent restart, a new login.
 * Another agent of the same account may change it: the server's presence
 * event about our own user keeps what we remember in step.  An explicit
 * logout, or a login as another account, forgets it.
 */

/* The text we remember (owned by the caller), or NULL: not away. */
char *
away_get(void)
{
	char	*t = lstore_kv_get("away");

	if (t != NULL && *t == '\0') {
		free(t);
		return (NULL);
	}
	return (t);
}

/* Remember text (NULL or "": not away). */
static void
away_remember(const char *text)
{
	if (text == NULL || *text == '\0') {
		if (lstore_kv_del("away") != 0)
			log_warnx("%s: cannot forget the away text", __func__);
	} else if (lstore_kv_set("away", text) != 0)
		log_warnx("%s: cannot keep the away text", __func__);
}

/* Forget the away text (logout, another account). */
void
away_forget(void)
{
	away_remember(NULL);
}

/* The server answered an away request from an API client. */
static void
away_cb(void *arg, int code, const char *message, struct json_object *result,
    struct json_object *data)
{
	struct api_pending	*p = arg;
	struct json_object	*v, *r;
	const char		*text = NULL;

	if (code == CS_ERR_NOT_CONNECTED) {
		api_error(p, code, "the connection to the server dropped; "
		    "try again", NULL);
		return;
	}
	if (code != 0) {
		api_error(p, code, message, json_object_get(data));
		return;
	}
	if (json_object_object_get_ex(result, "away", &v) &&
	    json_object_is_type(v, json_type_string))
		text = json_object_get_string(v);
	away_remember(text);
	r = json_object_new_object();
	json_object_object_add(r, "away", text != NULL ?
	    json_object_new_string(text) : NULL);
	api_reply(p, r);
}

/* A request waiting for the link: who asked, and the text. */
struct away_req {
	struct api_pending	*p;
	char			*text;
};

/* The link is ready (or not): send the away request. */
static void
away_ready_cb(void *arg, int code)
{
	struct away_req		*a = arg;
	struct json_object	*w;

	if (code == 0) {
		w = json_object_new_object();
		json_object_object_add(w, "text",
		    json_object_new_string(a->text));
		code = link_request("away", w, AGENT_REQ_TIMEOUT, away_cb,
		    a->p, NULL);
	}
	if (code == CS_ERR_TRUST)
		api_error(a->p, code, link_last_error(), NULL);
	else if (code != 0)
		api_error(a->p, CS_ERR_NOT_CONNECTED, "not connected to the "
		    "server", NULL);
	free(a->text);
	free(a);
}

/*
 * away: set the away text (text) or clear it (empty or absent).  A text
 * that breaks the rules is refused here and nothing changes; the server
 * decides the rest and the profile remembers what it accepted.
 */
void
api_away(struct api_pending *p, struct json_object *params)
{
	struct json_object	*v;
	struct away_req		*a;
	const char		*text = "", *why;
	size_t			 len = 0;

	if ((v = rpc_get(params, "text")) != NULL) {
		text = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
	}
	if ((why = name_away_check(text, len)) != NULL) {
		api_errorf(p, CS_ERR_PARAMS, "parameter text: %s", why);
		return;
	}
	a = xcalloc(1, sizeof *a);
	a->p = p;
	a->text = xstrdup(text);
	link_when_ready(away_ready_cb, a);
}

/* The server answered an away text we set again by ourselves. */
static void
away_resend_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	if (code != 0 && code != CS_ERR_NOT_CONNECTED)
		log_warnx("%s: the server refused the away text: %s", __func__,
		    log_safe(message));
}

/* The link is ready with a session: set the away text we remember again. */
void
away_link_ready(void)
{
	struct json_object	*w;
	char			*text;

	if ((text = away_get()) == NULL)
		return;
	w = json_object_new_object();
	json_object_object_add(w, "text", json_object_new_string(text));
	if (link_request("away", w, AGENT_REQ_TIMEOUT, away_resend_cb, NULL,
	    NULL) != 0)
		log_warnx("%s: cannot send the away text", __func__);
	free(text);
}

/*
 * A presence event from the server: when it is about our own account
 * online, it says what the away text is now (another agent of ours may
 * have changed it).
 */
void
away_on_presence(const char *user, int online, const char *away)
{
	const char	*self = link_user();

	if (!online || self == NULL || !msg_same_user(self, user))
		return;
	away_remember(away);
}

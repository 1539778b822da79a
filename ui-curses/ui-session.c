/* chatsec — the curses UI: attach, login state and events.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * What happens on attach: hello and status; if the agent is logged in,
 * subscribe (since the newest event seen in this process, so nothing is
 * missed or shown twice across a reattach), learn the DMs from recent
 * events on the first attach and the rooms from room_list, then fetch the
 * newest history of every window.  Events keep the windows, presence and link state current.
 */

struct ui_state		 ui = {
	.mode = UI_MODE_ATTACHING,
	.last_seq = -1,
};

/* A user online, as far as we know, and their away text. */
struct session_user {
	char		*user;		/* owned */
	char		*away;		/* owned; NULL: not away */
};
static struct session_user *session_online;	/* sorted, owned */
static u_int		  session_nonline;
static int		  session_fresh = 1;	/* windows not filled yet */


/* Replace *p with a copy of s (NULL clears; s may be *p itself). */
void
session_set_str(char **p, const char *s)
{
	char	*copy = s != NULL ? xstrdup(s) : NULL;

	free(*p);
	*p = copy;
}

/* Borrowed string member of obj, or NULL. */
static const char *
session_str(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* Put an error line in the current window, or on the login screen. */
static void
session_error(const char *what, struct ui_reply *r)
{
	if (ui.mode == UI_MODE_MAIN)
		window_add_line(NULL, UI_LINE_ERROR, "%s: %s", what,
		    r->message);
	else
		log_info("%s: %s: %s", __func__, what, log_safe(r->message));
}

/*
 * A reply that says the session is gone (1001, 1012): go back to the
 * login screen.  Returns 1 if it was one.
 */
int
session_check_auth(struct ui_reply *r)
{
	if (r->code != CS_ERR_AUTH_REQUIRED && r->code != CS_ERR_SESSION)
		return (0);
	if (ui.logged_in || ui.mode == UI_MODE_MAIN)
		session_logged_out(r->message);
	return (1);
}

/* Online set: binary search position of user, or where it would go. */
static u_int
session_online_pos(const char *user, int *found)
{
	u_int	 lo = 0, hi = session_nonline, mid;
	int	 c;

	*found = 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcasecmp(session_online[mid].user, user);
		if (c == 0) {
			*found = 1;
			return (mid);
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* Mark user online (away: their away text, NULL if none) or offline. */
static void
session_online_set(const char *user, int online, const char *away)
{
	u_int	 pos;
	int	 found;

	if (away != NULL && *away == '\0')
		away = NULL;
	pos = session_online_pos(user, &found);
	if (online && found)
		session_set_str(&session_online[pos].away, away);
	else if (online && session_nonline < UI_ONLINE_MAX) {
		session_online = xreallocarray(session_online,
		    session_nonline + 1, sizeof *session_online);
		memmove(&session_online[pos + 1], &session_online[pos],
		    (session_nonline - pos) * sizeof *session_online);
		session_online[pos].user = xstrdup(user);
		session_online[pos].away = away != NULL ? xstrdup(away) : NULL;
		session_nonline++;
	} else if (!online && found) {
		free(session_online[pos].user);
		free(session_online[pos].away);
		memmove(&session_online[pos], &session_online[pos + 1],
		    (session_nonline - pos - 1) * sizeof *session_online);
		session_nonline--;
	}
}

/* Forget who is online. */
static void
session_online_clear(void)
{
	u_int	 i;

	for (i = 0; i < session_nonline; i++) {
		free(session_online[i].user);
		free(session_online[i].away);
	}
	free(session_online);
	session_online = NULL;
	session_nonline = 0;
}

/* Is user online, as far as we know? */
int
session_is_online(const char *user)
{
	int	 found;

	session_online_pos(user, &found);
	return (found);
}

/* How many users are online, as far as we know. */
u_int
session_online_count(void)
{
	return (session_nonline);
}

/* The i-th online user (borrowed), in case-insensitive order. */
const char *
session_online_get(u_int i)
{
	return (i < session_nonline ? session_online[i].user : NULL);
}

/* The away text of user (borrowed), or NULL: not away, or not online. */
const char *
session_away_of(const char *user)
{
	u_int	 pos;
	int	 found;

	pos = session_online_pos(user, &found);
	return (found ? session_online[pos].away : NULL);
}

/* Our own away text changed (NULL or "": back). */
static void
session_self_away(const char *text)
{
	if (text != NULL && *text == '\0')
		text = NULL;
	session_set_str(&ui.away, text);
	if (ui.user != NULL)
		session_online_set(ui.user, 1, text);
}

/* away reply: what the agent and the server now say. */
static void
session_away_cb(struct ui_reply *r, void *arg)
{
	struct json_object	*v;
	const char		*text = NULL;

	if (r->code != 0) {
		if (!session_check_auth(r))
			session_error("/away", r);
		screen_update();
		return;
	}
	if (json_object_object_get_ex(r->result, "away", &v) &&
	    json_object_is_type(v, json_type_string))
		text = json_object_get_string(v);
	session_self_away(text);
	if (text != NULL)
		window_add_line(NULL, UI_LINE_INFO, "You are away: %s", text);
	else
		window_add_line(NULL, UI_LINE_INFO, "You are back");
	screen_update();
}

/* Set our away text (NULL or "": clear it) through the agent. */
void
session_away(const char *text)
{
	struct json_object	*params;

	params = json_object_new_object();
	if (text != NULL && *text != '\0')
		json_object_object_add(params, "text",
		    json_object_new_string(text));
	if (ui_conn_request("away", params, 0, session_away_cb, NULL) != 0)
		window_add_line(NULL, UI_LINE_ERROR, "/away: not attached to "
		    "the agent");
}

/*
 * who reply: refresh the online set and away texts; print it if asked
 * (arg: window name), away users marked with their text.
 */
static void
session_who_cb(struct ui_reply *r, void *arg)
{
	struct json_object	*online, *away = NULL, *v, *a;
	struct ui_window	*w;
	const char		*user, *text;
	char			*name = arg, *list = NULL, *tmp;
	size_t			 i, n;

	if (r->code != 0) {
		if (!session_check_auth(r) && name != NULL)
			session_error("who", r);
		free(name);
		return;
	}
	if (json_object_object_get_ex(r->result, "away", &v) &&
	    json_object_is_type(v, json_type_object))
		away = v;
	if (json_object_object_get_ex(r->result, "online", &online) &&
	    json_object_is_type(online, json_type_array)) {
		session_online_clear();
		n = json_object_array_length(online);
		for (i = 0; i < n; i++) {
			v = json_object_array_get_idx(online, i);
			if (!json_object_is_type(v, json_type_string))
				continue;
			user = json_object_get_string(v);
			text = NULL;
			if (away != NULL &&
			    json_object_object_get_ex(away, user, &a) &&
			    json_object_is_type(a, json_type_string))
				text = json_object_get_string(a);
			session_online_set(user, 1, text);
		}
		if (ui.user != NULL)
			session_set_str(&ui.away, session_away_of(ui.user));
	}
	if (name != NULL && (w = window_find(name)) != NULL) {
		for (i = 0; i < session_nonline; i++) {
			text = session_online[i].away;
			xasprintf(&tmp, "%s%s%s%s%s%s", list != NULL ? list :
			    "", list != NULL ? " " : "", session_online[i].user,
			    text != NULL ? " (away: " : "",
			    text != NULL ? text : "", text != NULL ? ")" : "");
			free(list);
			list = tmp;
		}
		window_add_line(w, UI_LINE_INFO, "%u online: %s",
		    session_nonline, list != NULL ? list : "nobody");
		free(list);
	}
	free(name);
	screen_update();
}

/* Ask who is online; print the answer in window print_to (may be NULL). */
void
session_who(const char *print_to)
{
	char	*arg = print_to != NULL ? xstrdup(print_to) : NULL;

	if (ui_conn_request("who", NULL, 0, session_who_cb, arg) != 0) {
		if (arg != NULL)
			window_add_line(NULL, UI_LINE_ERROR, "who: not "
			    "attached to the agent");
		free(arg);
	}
}

/* events reply on first attach: open a window for every recent DM. */
static void
session_discover_cb(struct ui_reply *r, void *arg)
{
	struct json_object	*events, *ev;
	struct ui_window	*w;
	const char		*conv;
	size_t			 i, n;

	if (r->code == 0 &&
	    json_object_object_get_ex(r->result, "events", &events) &&
	    json_object_is_type(events, json_type_array)) {
		n = json_object_array_length(events);
		for (i = 0; i < n; i++) {
			ev = json_object_array_get_idx(events, i);
			conv = session_str(ev, "conv");
			if (conv != NULL && *conv != '\0' && *conv != '#')
				window_get(conv);
		}
	}
	TAILQ_FOREACH(w, &windows, entry)
		window_fetch_history(w, 0);
	screen_update();
}

/* subscribe reply: remember the cursor, then fill the windows. */
static void
session_subscribe_cb(struct ui_reply *r, void *arg)
{
	struct json_object	*params, *types;
	struct ui_window	*w;
	int64_t			 cursor = 0;
	struct json_object	*v;
	int			 fresh = session_fresh;

	if (r->code != 0) {
		if (!session_check_auth(r))
			session_error("subscribe", r);
		return;
	}
	if (json_object_object_get_ex(r->result, "cursor", &v) &&
	    json_object_is_type(v, json_type_int))
		cursor = json_object_get_int64(v);
	if (ui.last_seq < 0)
		ui.last_seq = cursor;
	session_fresh = 0;
	rooms_refresh();

	if (fresh) {
		params = json_object_new_object();
		json_object_object_add(params, "since", json_object_new_int64(
		    cursor > UI_DISCOVER_EVENTS ? cursor - UI_DISCOVER_EVENTS :
		    0));
		json_object_object_add(params, "limit",
		    json_object_new_int(UI_DISCOVER_EVENTS));
		types = json_object_new_array();
		json_object_array_add(types, json_object_new_string("message"));
		json_object_object_add(params, "types", types);
		if (ui_conn_request("events", params, 0, session_discover_cb,
		    NULL) == 0)
			return;
	}
	TAILQ_FOREACH(w, &windows, entry)
		window_fetch_history(w, 0);
	screen_update();
}

/*
 * The agent is logged in as user: show the main screen and start the
 * event stream and history.
 */
void
session_logged_in(const char *user)
{
	struct json_object	*params;

	session_set_str(&ui.user, user);
	ui.logged_in = 1;
	login_leave();
	ui.mode = UI_MODE_MAIN;
	if (window_current == NULL)
		window_select(window_get(CS_GENERAL));
	if (ui.notice != NULL) {
		window_add_line(NULL, UI_LINE_INFO, "%s", ui.notice);
		session_set_str(&ui.notice, NULL);
	}

	/*
	 * From here every event counts towards last_seq: what the link-only
	 * stream left out is after `since`, so the replay brings it.
	 */
	params = json_object_new_object();
	if (ui.last_seq >= 0)
		json_object_object_add(params, "since",
		    json_object_new_int64(ui.last_seq));
	if (ui_conn_request("subscribe", params, 0, session_subscribe_cb,
	    NULL) != 0)
		window_add_line(NULL, UI_LINE_ERROR, "subscribe: not attached "
		    "to the agent");
	else
		ui.subscribed = UI_SUB_FULL;
	session_who(NULL);
	screen_update();
}

/* subscribe reply for the login screen's link-only stream. */
static void
session_subscribe_link_cb(struct ui_reply *r, void *arg)
{
	if (r->code != 0) {
		if (r->code != UI_ERR_DETACHED)
			log_warnx("%s: %s", __func__, log_safe(r->message));
		return;
	}
	/*
	 * The link may have changed between the status reply that sent us
	 * here and this subscription: ask again, events cover what follows.
	 */
	session_status();
}

/*
 * On the login screen, follow the link state (no messages yet): a stream
 * of link events only, unless a full one is already running.
 */
static void
session_subscribe_link(void)
{
	struct json_object	*params, *types;

	if (ui.subscribed != UI_SUB_NONE)
		return;
	params = json_object_new_object();
	types = json_object_new_array();
	json_object_array_add(types, json_object_new_string("link"));
	json_object_object_add(params, "types", types);
	if (ui_conn_request("subscribe", params, 0, session_subscribe_link_cb,
	    NULL) == 0)
		ui.subscribed = UI_SUB_LINK;
}

/* The session ended (logout here or elsewhere, expiry): back to login. */
void
session_logged_out(const char *why)
{
	session_set_str(&ui.user, NULL);
	session_set_str(&ui.away, NULL);
	ui.logged_in = 0;
	window_free_all();
	rooms_free();
	session_online_clear();
	session_fresh = 1;
	login_enter(why);
	session_subscribe_link();
	screen_update();
}

/* hello reply: note the agent's version. */
static void
session_hello_cb(struct ui_reply *r, void *arg)
{
	if (r->code != 0)
		return;
	session_set_str(&ui.agent_version, session_str(r->result, "agent"));
	session_set_str(&ui.link, session_str(r->result, "link"));
}

/* status reply: link, server, account; decides login or main screen. */
static void
session_status_cb(struct ui_reply *r, void *arg)
{
	struct json_object	*v;
	const char		*user;
	int			 logged_in = 0;

	if (r->code != 0) {
		if (r->code != UI_ERR_DETACHED)
			log_warnx("%s: %s", __func__, log_safe(r->message));
		return;
	}
	session_set_str(&ui.link, session_str(r->result, "link"));
	session_set_str(&ui.server, session_str(r->result, "server"));
	session_set_str(&ui.link_error, session_str(r->result, "last_error"));
	session_set_str(&ui.keys, session_str(r->result, "keys"));
	if (json_object_object_get_ex(r->result, "logged_in", &v))
		logged_in = json_object_get_boolean(v);
	user = session_str(r->result, "user");
	session_set_str(&ui.away, logged_in ? session_str(r->result, "away") :
	    NULL);

	if (logged_in && user != NULL) {
		if (!ui.logged_in || ui.user == NULL ||
		    strcasecmp(ui.user, user) != 0) {
			if (ui.user != NULL && strcasecmp(ui.user, user) != 0)
				session_logged_out(NULL);
			session_logged_in(user);
		}
	} else if (ui.logged_in || ui.mode != UI_MODE_LOGIN)
		session_logged_out(ui.mode == UI_MODE_MAIN ?
		    "the agent is not logged in" : NULL);
	screen_update();
}

/* Ask for the agent's status. */
void
session_status(void)
{
	ui_conn_request("status", NULL, 0, session_status_cb, NULL);
}

/* Connected to the agent: introduce ourselves and learn its state. */
void
session_attached(void)
{
	ui.attached = 1;
	ui.ever_attached = 1;
	ui.subscribed = UI_SUB_NONE;
	session_set_str(&ui.detach_reason, NULL);
	ui_conn_request("hello", NULL, 0, session_hello_cb, NULL);
	session_status();
	if (ui.logged_in) {
		/* Resubscribe from where we were; status confirms the rest. */
		session_logged_in(ui.user);
	}
	screen_update();
}

/* The agent connection went away; the main screen stays, marked detached. */
void
session_detached(const char *why)
{
	struct ui_window	*w;

	ui.attached = 0;
	ui.subscribed = UI_SUB_NONE;
	session_set_str(&ui.detach_reason, why);
	TAILQ_FOREACH(w, &windows, entry)
		w->fetching = 0;
	if (ui.mode == UI_MODE_MAIN)
		window_add_line(NULL, UI_LINE_ERROR, "%s; attaching again "
		    "when it is back", why);
	else if (ui.mode == UI_MODE_LOGIN) {
		login_leave();
		ui.mode = UI_MODE_ATTACHING;
	}
}

/*
 * A presence event: someone came, went, or changed their away text (ours
 * too, maybe from another UI).  A DM window with them says so.
 */
static void
session_presence(struct json_object *params)
{
	struct json_object	*v;
	struct ui_window	*w;
	const char		*user, *away, *old;
	char			*was_away;
	int			 online, was;

	if ((user = session_str(params, "user")) == NULL ||
	    !json_object_object_get_ex(params, "online", &v))
		return;
	online = json_object_get_boolean(v);
	away = online ? session_str(params, "away") : NULL;
	was = session_is_online(user);
	old = session_away_of(user);
	was_away = old != NULL ? xstrdup(old) : NULL;
	session_online_set(user, online, away);
	if (online && ui.user != NULL && strcasecmp(ui.user, user) == 0)
		session_set_str(&ui.away, away);
	if ((w = window_find(user)) != NULL && w->dm) {
		if (was != online)
			window_add_line(w, UI_LINE_INFO, "%s is %s", user,
			    online ? "online" : "offline");
		if (away != NULL && (was_away == NULL ||
		    strcmp(was_away, away) != 0))
			window_add_line(w, UI_LINE_INFO, "%s is away: %s",
			    user, away);
		else if (online && away == NULL && was_away != NULL)
			window_add_line(w, UI_LINE_INFO, "%s is back", user);
	}
	free(was_away);
}

/* A link event: the agent's connection to the server changed state. */
static void
session_link(struct json_object *params)
{
	const char	*state;

	if ((state = session_str(params, "state")) == NULL)
		return;
	session_set_str(&ui.link, state);
	session_set_str(&ui.link_error, session_str(params, "error"));
	/* A session may have ended or begun while we were not looking. */
	if (strcmp(state, "ready") == 0 || strcmp(state, "untrusted") == 0)
		session_status();
}

/* An event notification from the agent. */
void
session_event(struct json_object *params)
{
	struct json_object	*v;
	const char		*type;

	if (ui.subscribed == UI_SUB_FULL &&
	    json_object_object_get_ex(params, "seq", &v) &&
	    json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) > ui.last_seq)
		ui.last_seq = json_object_get_int64(v);
	if ((type = session_str(params, "type")) == NULL)
		return;
	if (strcmp(type, "message") == 0) {
		typing_message(session_str(params, "conv"),
		    session_str(params, "from"));
		if (ui.logged_in)
			window_add_message(params, 1);
	} else if (strcmp(type, "typing") == 0)
		typing_event(params);
	else if (strcmp(type, "presence") == 0)
		session_presence(params);
	else if (strcmp(type, "link") == 0)
		session_link(params);
	else if (strcmp(type, "room") == 0)
		rooms_event(params);
	else if (strcmp(type, "key_change") == 0 ||
	    strcmp(type, "forged") == 0 || strcmp(type, "undecryptable") == 0)
		security_event(type, params);
	else if (strncmp(type, "file_", 5) == 0)
		files_event(type, params);
	screen_update();
}

/* Free what the session holds, at exit. */
void
session_free(void)
{
	session_online_clear();
	free(ui.agent_version);
	free(ui.link);
	free(ui.link_error);
	free(ui.server);
	free(ui.user);
	free(ui.detach_reason);
	free(ui.notice);
	free(ui.keys);
	free(ui.away);
}

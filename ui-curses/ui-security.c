/* chatsec — the curses UI: security warnings.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "proto.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * The agent's security events (doc/api.md): key_change (a peer's keys, or
 * our own as the server serves them, are not the ones pinned), forged (a
 * message failed its signature or header checks and was not shown) and
 * undecryptable.  The first two must not be missed: a highlighted line in
 * the affected window and in the current one, a mark on the window in the
 * list, the bell, and a mark on the status line until every affected
 * window has been looked at.
 */

/* Borrowed string member of obj, or NULL. */
static const char *
security_str(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* Boolean member of obj, or 0. */
static int
security_bool(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	return (obj != NULL && json_object_object_get_ex(obj, key, &v) &&
	    json_object_get_boolean(v));
}

/* Integer member of obj, or 0. */
static int64_t
security_int(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (0);
	return (json_object_get_int64(v));
}

/*
 * Put warning text in w (marked until looked at) and, when the user is
 * looking elsewhere, a pointer to it in the current window.
 */
static void
security_warn(struct ui_window *w, const char *text)
{
	struct ui_window	*cur = window_current;

	if (w == NULL)
		w = cur;
	if (w == NULL)
		return;
	window_add_line(w, UI_LINE_WARN, "%s", text);
	if (cur != NULL && cur != w) {
		w->alert = 1;
		window_add_line(cur, UI_LINE_WARN, "%s (in window %u, %s)",
		    text, window_index(w) + 1, w->name);
	}
	screen_bell();
}

/* key_change: a peer's keys changed (or our own, as served). */
static void
security_key_change(struct json_object *params)
{
	const char	*user, *old, *new;
	char		*text;
	int		 verified;

	if ((user = security_str(params, "user")) == NULL)
		return;
	old = security_str(params, "old_fingerprint");
	new = security_str(params, "new_fingerprint");
	verified = security_bool(params, "was_verified");
	if (security_bool(params, "self") ||
	    (ui.user != NULL && strcasecmp(user, ui.user) == 0)) {
		xasprintf(&text, "KEY CHANGE: the server served other keys for "
		    "YOUR account (%s, yours %s); the agent published yours "
		    "again. If you did not reset or import keys elsewhere, "
		    "someone may be impersonating you",
		    new != NULL ? new : "?", old != NULL && *old != '\0' ?
		    old : "none");
		security_warn(NULL, text);
		free(text);
		return;
	}
	xasprintf(&text, "KEY CHANGE: %s has new keys (%s, was %s)%s. "
	    "Messages from %s may now come from someone else: compare "
	    "safety numbers with %s in person before trusting them", user,
	    new != NULL ? new : "?", old != NULL && *old != '\0' ? old :
	    "none", verified ? "; you had VERIFIED the old ones, so sending "
	    "to them waits until you verify again" : "", user, user);
	security_warn(window_get(user), text);
	free(text);
}

/* forged or undecryptable: a message that was not shown. */
static void
security_message(int forged, struct json_object *params)
{
	struct ui_window	*w;
	const char		*from, *conv, *reason;
	char			*text;
	int64_t			 id;

	from = security_str(params, "from");
	conv = security_str(params, "conv");
	reason = security_str(params, "reason");
	id = security_int(params, "id");
	if (from == NULL || conv == NULL || *conv == '\0')
		return;
	w = window_get(conv);
	if (!forged) {
		window_add_line(w, UI_LINE_ERROR, "a message from %s (id %lld) "
		    "could not be decrypted (%s) and is not shown", from,
		    (long long)id, reason != NULL ? reason : "?");
		return;
	}
	xasprintf(&text, "FORGED MESSAGE: a message claiming to be from %s "
	    "in %s (id %lld) failed its check (%s) and was not shown: "
	    "someone may be forging messages as %s", from, conv,
	    (long long)id, reason != NULL ? reason : "?", from);
	security_warn(w, text);
	free(text);
}

/* A security event from the agent. */
void
security_event(const char *type, struct json_object *params)
{
	if (!ui.logged_in)
		return;
	if (strcmp(type, "key_change") == 0)
		security_key_change(params);
	else if (strcmp(type, "forged") == 0)
		security_message(1, params);
	else if (strcmp(type, "undecryptable") == 0)
		security_message(0, params);
	screen_update();
}

/*
 * How many windows hold a warning not yet looked at; their names,
 * separated by spaces and cut to fit, in names.
 */
u_int
security_alerts(char *names, size_t len)
{
	struct ui_window	*w;
	u_int			 n = 0;
	size_t			 used = 0;
	int			 r;

	if (len > 0)
		names[0] = '\0';
	TAILQ_FOREACH(w, &windows, entry) {
		if (!w->alert)
			continue;
		if (used < len) {
			r = snprintf(names + used, len - used, "%s%s",
			    n > 0 ? " " : "", w->name);
			used += r > 0 ? (size_t)r : 0;
		}
		n++;
	}
	return (n);
}

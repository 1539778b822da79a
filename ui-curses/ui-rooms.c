/* chatsec — the curses UI: rooms, their members and events.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "log.h"
#include "proto.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * What the UI knows of rooms lives in their windows: topic, our role,
 * counts from room_list and, once asked for (the member pane, /names),
 * the member list.  room_list on every attach opens a window for each
 * room we are a member of; `room` events then keep windows, topics and
 * member lists current without asking the agent again, and are shown in
 * the room's window as IRC-like lines.  The names of the rooms seen in
 * room_list are kept, bounded, for Tab.
 */

static char	**rooms_known;		/* sorted, owned */
static u_int	  rooms_nknown;

/* Borrowed string member of obj, or NULL. */
static const char *
rooms_str(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* Integer member of obj, or 0. */
static int64_t
rooms_int(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (0);
	return (json_object_get_int64(v));
}

/* Is user this account? */
static int
rooms_is_me(const char *user)
{
	return (user != NULL && ui.user != NULL &&
	    strcasecmp(user, ui.user) == 0);
}

/* UI_ROLE_* of a role name from the API (NULL or unknown: member). */
int
rooms_role_parse(const char *role)
{
	if (role == NULL)
		return (UI_ROLE_MEMBER);
	if (strcmp(role, "owner") == 0)
		return (UI_ROLE_OWNER);
	if (strcmp(role, "operator") == 0)
		return (UI_ROLE_OPERATOR);
	return (UI_ROLE_MEMBER);
}

/* The mark before a member's name: ~ owner, @ operator, - muted. */
const char *
rooms_role_mark(int role, int muted)
{
	if (role == UI_ROLE_OWNER)
		return ("~");
	if (role == UI_ROLE_OPERATOR)
		return ("@");
	if (muted)
		return ("-");
	return ("");
}

/* Remember a room name for completion. */
void
rooms_known_add(const char *room)
{
	u_int	 lo = 0, hi = rooms_nknown, mid;
	int	 c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcasecmp(rooms_known[mid], room)) == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (rooms_nknown >= UI_ROOMS_MAX)
		return;
	rooms_known = xreallocarray(rooms_known, rooms_nknown + 1,
	    sizeof *rooms_known);
	memmove(&rooms_known[lo + 1], &rooms_known[lo],
	    (rooms_nknown - lo) * sizeof *rooms_known);
	rooms_known[lo] = xstrdup(room);
	rooms_nknown++;
}

/* How many room names are known. */
u_int
rooms_known_count(void)
{
	return (rooms_nknown);
}

/* The i-th known room name (borrowed). */
const char *
rooms_known_get(u_int i)
{
	return (i < rooms_nknown ? rooms_known[i] : NULL);
}

/* Forget the member list of w. */
void
rooms_members_free(struct ui_window *w)
{
	u_int	 i;

	for (i = 0; i < w->nmembers; i++)
		free(w->members[i].user);
	free(w->members);
	w->members = NULL;
	w->nmembers = 0;
	w->members_width = 0;
	w->members_loaded = 0;
}

/* Member order: owner, operators, members; by name within each. */
static int
rooms_member_cmp(const void *a, const void *b)
{
	const struct ui_member	*ma = a, *mb = b;

	if (ma->role != mb->role)
		return (mb->role - ma->role);
	return (strcasecmp(ma->user, mb->user));
}

/* Find user among w's members, or NULL. */
static struct ui_member *
rooms_member_find(struct ui_window *w, const char *user)
{
	u_int	 i;

	for (i = 0; i < w->nmembers; i++) {
		if (strcasecmp(w->members[i].user, user) == 0)
			return (&w->members[i]);
	}
	return (NULL);
}

/* Add user to w's members (if not there and under the limit). */
static struct ui_member *
rooms_member_add(struct ui_window *w, const char *user, int role, int muted)
{
	struct ui_member	*m;

	if ((m = rooms_member_find(w, user)) != NULL)
		return (m);
	if (w->nmembers >= UI_MEMBERS_MAX)
		return (NULL);
	w->members = xreallocarray(w->members, w->nmembers + 1,
	    sizeof *w->members);
	m = &w->members[w->nmembers++];
	m->user = xstrdup(user);
	m->role = role;
	m->muted = muted;
	return (m);
}

/* Take user out of w's members. */
static void
rooms_member_remove(struct ui_window *w, const char *user)
{
	struct ui_member	*m;
	u_int			 i;

	if ((m = rooms_member_find(w, user)) == NULL)
		return;
	i = (u_int)(m - w->members);
	free(m->user);
	memmove(&w->members[i], &w->members[i + 1],
	    (w->nmembers - i - 1) * sizeof *w->members);
	w->nmembers--;
}

/* Keep the member list in display order, and note its widest name. */
static void
rooms_members_sort(struct ui_window *w)
{
	u_int	 i;
	int	 width;

	if (w->nmembers > 1)
		qsort(w->members, w->nmembers, sizeof *w->members,
		    rooms_member_cmp);
	w->members_width = 0;
	for (i = 0; i < w->nmembers; i++) {
		/* Names are ASCII (the server's rules): bytes are columns. */
		width = (int)strlen(w->members[i].user) + 1;
		if (width > w->members_width)
			w->members_width = width;
	}
}

/*
 * Note what a room_create, room_join or room_list entry says of its room:
 * topic, our role, counts.
 */
void
rooms_set_info(struct ui_window *w, struct json_object *obj)
{
	const char		*topic;
	struct json_object	*v;

	if ((topic = rooms_str(obj, "topic")) != NULL)
		session_set_str(&w->topic, *topic != '\0' ? topic : NULL);
	if (json_object_object_get_ex(obj, "role", &v)) {
		if (json_object_is_type(v, json_type_string)) {
			w->member = 1;
			w->role = rooms_role_parse(json_object_get_string(v));
		} else
			w->member = 0;
	}
	if (json_object_object_get_ex(obj, "members", &v) &&
	    json_object_is_type(v, json_type_int))
		w->count_members = (u_int)json_object_get_int64(v);
	if (json_object_object_get_ex(obj, "online", &v) &&
	    json_object_is_type(v, json_type_int))
		w->count_online = (u_int)json_object_get_int64(v);
	screen_update();
}

/* room_list reply on attach: a window for every room we are a member of. */
static void
rooms_refresh_cb(struct ui_reply *r, void *arg)
{
	struct json_object	*rooms, *e;
	struct ui_window	*w;
	const char		*name;
	size_t			 i, n;

	if (r->code != 0) {
		if (r->code != UI_ERR_DETACHED && !session_check_auth(r))
			log_warnx("%s: %s", __func__, log_safe(r->message));
		return;
	}
	if (!json_object_object_get_ex(r->result, "rooms", &rooms) ||
	    !json_object_is_type(rooms, json_type_array))
		return;
	n = json_object_array_length(rooms);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(rooms, i);
		if ((name = rooms_str(e, "room")) == NULL || *name != '#')
			continue;
		rooms_known_add(name);
		if ((w = window_find(name)) == NULL) {
			if (rooms_str(e, "role") == NULL)
				continue;
			if ((w = window_get(name)) == NULL)
				continue;
		}
		rooms_set_info(w, e);
		if (w->member && w->nlines == 0 && !w->fetching)
			window_fetch_history(w, 0);
	}
	rooms_members_want(window_current, 0);
	screen_update();
}

/* Ask for the rooms we can see (on attach). */
void
rooms_refresh(void)
{
	ui_conn_request("room_list", NULL, 0, rooms_refresh_cb, NULL);
}

/* Print w's members in w: ~ owner, @ operator, - muted, then (away). */
static void
rooms_members_print(struct ui_window *w)
{
	struct ui_member	*m;
	char			*list = NULL, *tmp;
	u_int			 i, online = 0;

	for (i = 0; i < w->nmembers; i++) {
		m = &w->members[i];
		if (session_is_online(m->user))
			online++;
		if (i >= UI_NAMES_SHOWN)
			continue;
		xasprintf(&tmp, "%s%s%s%s%s", list != NULL ? list : "",
		    list != NULL ? " " : "", rooms_role_mark(m->role,
		    m->muted), m->user, session_away_of(m->user) != NULL ?
		    " (away)" : "");
		free(list);
		list = tmp;
	}
	window_add_line(w, UI_LINE_INFO, "%s: %u members, %u online: %s%s",
	    w->name, w->nmembers, online, list != NULL ? list : "nobody",
	    w->nmembers > UI_NAMES_SHOWN ? " …" : "");
	free(list);
}

/* room_members reply: the window's member list; printed if asked. */
static void
rooms_members_cb(struct ui_reply *r, void *arg)
{
	struct json_object	*members, *e, *v;
	struct ui_window	*w;
	char			*name = arg;
	const char		*user;
	int			 print = name[0] == '!', muted;
	size_t			 i, n;

	if ((w = window_find(name + 1)) == NULL)
		goto out;
	w->members_fetching = 0;
	if (r->code != 0) {
		if (r->code != UI_ERR_DETACHED && !session_check_auth(r) &&
		    print)
			window_add_line(w, UI_LINE_ERROR, "/names: %s",
			    r->message);
		goto out;
	}
	rooms_members_free(w);
	if (json_object_object_get_ex(r->result, "members", &members) &&
	    json_object_is_type(members, json_type_array)) {
		n = json_object_array_length(members);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(members, i);
			if ((user = rooms_str(e, "user")) == NULL)
				continue;
			muted = json_object_object_get_ex(e, "muted", &v) &&
			    json_object_get_boolean(v);
			rooms_member_add(w, user, rooms_role_parse(
			    rooms_str(e, "role")), muted);
		}
	}
	rooms_members_sort(w);
	w->members_loaded = 1;
	if (print)
		rooms_members_print(w);
	screen_update();
out:
	free(name);
}

/*
 * The member list of w is needed: for the pane (when it shows and the
 * list is not loaded) or, with print, for /names.  One request per
 * window at a time; events keep a loaded list current.
 */
void
rooms_members_want(struct ui_window *w, int print)
{
	struct json_object	*params;
	char			*arg;

	if (w == NULL || w->dm || w->status || w->dead)
		return;
	if (!print && (!ui_conf.members || w->members_loaded ||
	    w->members_fetching))
		return;
	params = json_object_new_object();
	json_object_object_add(params, "room", json_object_new_string(w->name));
	xasprintf(&arg, "%c%s", print ? '!' : ' ', w->name);
	if (ui_conn_request("room_members", params, 0, rooms_members_cb,
	    arg) != 0) {
		if (print)
			window_add_line(w, UI_LINE_ERROR, "/names: not "
			    "attached to the agent");
		free(arg);
		return;
	}
	w->members_fetching = 1;
}

/* A ban's end as words: "until 18:10" or "until 2026-11-24 18:10". */
static void
rooms_expiry(int64_t expires, char *buf, size_t len)
{
	struct tm	 tm, now_tm;
	time_t		 t = (time_t)expires, now = time(NULL);

	if (expires <= 0) {
		snprintf(buf, len, "for good");
		return;
	}
	if (localtime_r(&t, &tm) == NULL || localtime_r(&now, &now_tm) ==
	    NULL) {
		snprintf(buf, len, "for a while");
		return;
	}
	if (tm.tm_year == now_tm.tm_year && tm.tm_yday == now_tm.tm_yday)
		strftime(buf, len, "until %H:%M", &tm);
	else
		strftime(buf, len, "until %Y-%m-%d %H:%M", &tm);
}

/* Apply a room event to w's member list, if it is loaded. */
static void
rooms_event_members(struct ui_window *w, const char *action,
    const char *actor, const char *target)
{
	struct ui_member	*m;

	if (!w->members_loaded)
		return;
	if (strcmp(action, "join") == 0 && actor != NULL)
		rooms_member_add(w, actor, UI_ROLE_MEMBER, 0);
	else if (strcmp(action, "create") == 0 && actor != NULL)
		rooms_member_add(w, actor, UI_ROLE_OWNER, 0);
	else if (strcmp(action, "leave") == 0 && actor != NULL)
		rooms_member_remove(w, actor);
	else if ((strcmp(action, "kick") == 0 ||
	    strcmp(action, "ban") == 0) && target != NULL)
		rooms_member_remove(w, target);
	else if (target != NULL && (m = rooms_member_find(w, target)) != NULL) {
		if (strcmp(action, "op") == 0)
			m->role = UI_ROLE_OPERATOR;
		else if (strcmp(action, "deop") == 0)
			m->role = UI_ROLE_MEMBER;
		else if (strcmp(action, "mute") == 0)
			m->muted = 1;
		else if (strcmp(action, "unmute") == 0)
			m->muted = 0;
		else if (strcmp(action, "transfer") == 0) {
			m->role = UI_ROLE_OWNER;
			if (actor != NULL &&
			    (m = rooms_member_find(w, actor)) != NULL)
				m->role = UI_ROLE_OPERATOR;
		}
	}
	rooms_members_sort(w);
}

/* Our own role and membership after an event. */
static void
rooms_event_self(struct ui_window *w, const char *action, const char *actor,
    const char *target)
{
	int	 by_me = rooms_is_me(actor), on_me = rooms_is_me(target);

	if ((strcmp(action, "join") == 0 || strcmp(action, "create") == 0) &&
	    by_me) {
		w->member = 1;
		w->dead = 0;
		w->role = strcmp(action, "create") == 0 ? UI_ROLE_OWNER :
		    UI_ROLE_MEMBER;
	} else if (strcmp(action, "leave") == 0 && by_me)
		w->member = 0;
	else if ((strcmp(action, "kick") == 0 || strcmp(action, "ban") == 0) &&
	    on_me) {
		w->member = 0;
		rooms_members_free(w);
	} else if (strcmp(action, "op") == 0 && on_me)
		w->role = UI_ROLE_OPERATOR;
	else if (strcmp(action, "deop") == 0 && on_me)
		w->role = UI_ROLE_MEMBER;
	else if (strcmp(action, "transfer") == 0) {
		if (on_me)
			w->role = UI_ROLE_OWNER;
		else if (by_me)
			w->role = UI_ROLE_OPERATOR;
	} else if (strcmp(action, "delete") == 0) {
		w->member = 0;
		w->dead = 1;
		rooms_members_free(w);
	}
}

/*
 * The line a room event shows as, IRC-like: "bob was kicked by alice
 * (spam)".  Owned by the caller.
 */
static char *
rooms_event_text(const char *room, const char *action, const char *actor,
    const char *target, const char *reason, const char *topic,
    int64_t expires)
{
	char		*s, *why = NULL, until[64];
	const char	*a = actor != NULL ? actor : "someone";
	const char	*t = target != NULL ? target : "someone";

	if (reason != NULL && *reason != '\0')
		xasprintf(&why, " (%s)", reason);
	else
		why = xstrdup("");
	if (strcmp(action, "create") == 0) {
		if (topic != NULL && *topic != '\0')
			xasprintf(&s, "%s created %s, topic: %s", a, room,
			    topic);
		else
			xasprintf(&s, "%s created %s", a, room);
	} else if (strcmp(action, "join") == 0)
		xasprintf(&s, "%s has joined %s", a, room);
	else if (strcmp(action, "leave") == 0)
		xasprintf(&s, "%s has left %s", a, room);
	else if (strcmp(action, "invite") == 0)
		xasprintf(&s, "%s invited %s to %s", a, t, room);
	else if (strcmp(action, "kick") == 0)
		xasprintf(&s, "%s was kicked by %s%s", t, a, why);
	else if (strcmp(action, "ban") == 0) {
		rooms_expiry(expires, until, sizeof until);
		xasprintf(&s, "%s was banned by %s %s%s", t, a, until, why);
	} else if (strcmp(action, "unban") == 0)
		xasprintf(&s, "%s was unbanned by %s", t, a);
	else if (strcmp(action, "mute") == 0)
		xasprintf(&s, "%s was muted by %s", t, a);
	else if (strcmp(action, "unmute") == 0)
		xasprintf(&s, "%s was unmuted by %s", t, a);
	else if (strcmp(action, "op") == 0)
		xasprintf(&s, "%s made %s an operator", a, t);
	else if (strcmp(action, "deop") == 0)
		xasprintf(&s, "%s took operator rights from %s", a, t);
	else if (strcmp(action, "topic") == 0) {
		if (topic != NULL && *topic != '\0')
			xasprintf(&s, "%s changed the topic of %s to: %s", a,
			    room, topic);
		else
			xasprintf(&s, "%s cleared the topic of %s", a, room);
	} else if (strcmp(action, "transfer") == 0)
		xasprintf(&s, "%s handed %s over to %s, the new owner", a,
		    room, t);
	else if (strcmp(action, "delete") == 0)
		xasprintf(&s, "%s deleted %s: this window stays for reading "
		    "(/close closes it)", a, room);
	else
		xasprintf(&s, "%s: %s by %s", room, action, a);
	free(why);
	return (s);
}

/*
 * A room event: update the window, its topic and member list, and show
 * the line.  An event about us in a room we have no window for (an
 * invitation, a ban) shows in the current window instead; our own join
 * or create opens the room's window; other events of a room without a
 * window (closed with /close) are not shown.
 */
void
rooms_event(struct json_object *params)
{
	struct ui_window	*w;
	const char		*room, *action, *actor, *target, *reason, *topic;
	char			*text;
	int64_t			 expires;
	int			 by_me, on_me;

	room = rooms_str(params, "room");
	action = rooms_str(params, "action");
	if (room == NULL || *room != '#' || action == NULL || !ui.logged_in)
		return;
	actor = rooms_str(params, "actor");
	target = rooms_str(params, "target");
	reason = rooms_str(params, "reason");
	topic = rooms_str(params, "topic");
	expires = rooms_int(params, "expires");
	by_me = rooms_is_me(actor);
	on_me = rooms_is_me(target);
	rooms_known_add(room);

	if ((w = window_find(room)) == NULL) {
		if ((strcmp(action, "join") == 0 ||
		    strcmp(action, "create") == 0) && by_me) {
			if ((w = window_get(room)) == NULL)
				return;
			window_fetch_history(w, 0);
		} else if (on_me || by_me || strcmp(action, "delete") == 0) {
			/* Not (or no longer) in the room: say it here. */
			text = rooms_event_text(room, action, actor, target,
			    reason, topic, expires);
			window_add_line(NULL, UI_LINE_INFO, "%s%s", text,
			    on_me && strcmp(action, "invite") == 0 ?
			    " — /join accepts" : "");
			free(text);
			return;
		} else {
			/* A window closed with /close: its messages reopen it. */
			return;
		}
	}
	if (strcmp(action, "topic") == 0 || (strcmp(action, "create") == 0 &&
	    topic != NULL))
		session_set_str(&w->topic, topic != NULL && *topic != '\0' ?
		    topic : NULL);
	rooms_event_self(w, action, actor, target);
	rooms_event_members(w, action, actor, target);

	text = rooms_event_text(w->name, action, actor, target, reason, topic,
	    expires);
	window_add_line(w, UI_LINE_INFO, "%s", text);
	free(text);
	if (on_me && (strcmp(action, "kick") == 0 ||
	    strcmp(action, "ban") == 0 || strcmp(action, "mute") == 0)) {
		if (w != window_current)
			w->highlight = 1;
		screen_bell();
	}
	if (w != window_current && strcmp(action, "delete") == 0)
		w->highlight = 1;
	rooms_members_want(window_current, 0);
	screen_update();
}

/* Forget the known room names (logout, exit). */
void
rooms_free(void)
{
	u_int	 i;

	for (i = 0; i < rooms_nknown; i++)
		free(rooms_known[i]);
	free(rooms_known);
	rooms_known = NULL;
	rooms_nknown = 0;
}

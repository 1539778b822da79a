/* chatsec — the curses UI: room commands.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "clock.h"
#include "names.h"
#include "proto.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * The room commands of cmd_table.  Each checks what it can locally (room
 * and nick rules, lengths), sends one room_* request and handles the
 * reply in a callback; a refusal from the server (1020-1028) is shown on
 * an error line as the server's own sentence.  Changes the server makes
 * come back as room events (ui-rooms.c), so success is mostly silent.
 */

/* What a room request was for; freed by its callback. */
struct cmd_room_req {
	const char	*cmd;		/* the command's name (static) */
	char		*room;
	char		*user;
};

/* The API method of each command acting on a user (ui_conn_request keeps
 * the pointer, so these are static). */
static const struct {
	const char	*cmd;
	const char	*method;
} cmd_room_methods[] = {
	{ "invite", "room_invite" },
	{ "kick", "room_kick" },
	{ "unban", "room_unban" },
	{ "mute", "room_mute" },
	{ "unmute", "room_unmute" },
	{ "op", "room_op" },
	{ "deop", "room_deop" },
	{ "transfer", "room_transfer" },
};

/* /delete waits for a second /delete of the same room within a while. */
static char		*cmd_delete_room;
static int64_t		 cmd_delete_at;

/* The method for command cmd, or NULL. */
static const char *
cmd_room_method(const char *cmd)
{
	size_t	 i;

	for (i = 0; i < sizeof cmd_room_methods / sizeof cmd_room_methods[0];
	    i++) {
		if (strcmp(cmd_room_methods[i].cmd, cmd) == 0)
			return (cmd_room_methods[i].method);
	}
	return (NULL);
}

/* Borrowed string member of obj, or NULL. */
static const char *
cmd_room_str(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* Integer member of obj, or 0. */
static int64_t
cmd_room_int(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (0);
	return (json_object_get_int64(v));
}

/* A new request record. */
static struct cmd_room_req *
cmd_room_req_new(const struct cmd_entry *ce, const char *room,
    const char *user)
{
	struct cmd_room_req	*req;

	req = xcalloc(1, sizeof *req);
	req->cmd = ce->name;
	req->room = xstrdup(room);
	req->user = user != NULL ? xstrdup(user) : NULL;
	return (req);
}

/* Free a request record. */
static void
cmd_room_req_free(struct cmd_room_req *req)
{
	if (req == NULL)
		return;
	free(req->room);
	free(req->user);
	free(req);
}

/*
 * Send method with params for req; the callback owns req from here.
 * Returns 0, or -1 with an error line (req freed).
 */
static int
cmd_room_send(const char *method, struct json_object *params,
    void (*cb)(struct ui_reply *, void *), struct cmd_room_req *req)
{
	if (ui_conn_request(method, params, 0, cb, req) != 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: %s", req->cmd,
		    ui.attached ? "too many requests waiting for the agent" :
		    "not attached to the agent");
		cmd_room_req_free(req);
		return (-1);
	}
	return (0);
}

/* A refused request: the server's (or agent's) sentence on an error line. */
static void
cmd_room_error(struct cmd_room_req *req, struct ui_reply *r)
{
	if (session_check_auth(r))
		return;
	window_add_line(NULL, UI_LINE_ERROR, "/%s: %s", req->cmd, r->message);
}

/* Check a room name argument; 0, or -1 with an error line. */
static int
cmd_room_check(const struct cmd_entry *ce, const char *room)
{
	const char	*why;

	if ((why = name_room_check(room)) != NULL) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: %s: %s", ce->name,
		    room, why);
		return (-1);
	}
	return (0);
}

/*
 * The room a command acts on: the "#room" given first, else the current
 * window's.  NULL, with an error line, when there is none.
 */
static const char *
cmd_room_target(const struct cmd_entry *ce)
{
	struct ui_window	*w = window_current;

	if (cmd_room_arg != NULL) {
		if (cmd_room_check(ce, cmd_room_arg) != 0)
			return (NULL);
		if ((w = window_find(cmd_room_arg)) == NULL)
			return (cmd_room_arg);
	}
	if (w == NULL || w->dm || w->status) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: this is not a room "
		    "window: go to one, or name the room (/%s #room ...)",
		    ce->name, ce->name);
		return (NULL);
	}
	if (w->dead) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: %s was deleted",
		    ce->name, w->name);
		return (NULL);
	}
	return (w->name);
}

/* A new params object with the room (and user). */
static struct json_object *
cmd_room_params(const char *room, const char *user)
{
	struct json_object	*params;

	params = json_object_new_object();
	json_object_object_add(params, "room", json_object_new_string(room));
	if (user != NULL)
		json_object_object_add(params, "user",
		    json_object_new_string(user));
	return (params);
}

/* Open (or find) the window of a room we are now in, and go to it. */
static void
cmd_room_enter(const char *room, struct json_object *info)
{
	struct ui_window	*w;

	if ((w = window_get(room)) == NULL) {
		window_add_line(NULL, UI_LINE_ERROR, "too many windows: "
		    "/close some");
		return;
	}
	if (info != NULL)
		rooms_set_info(w, info);
	w->member = 1;
	w->dead = 0;
	rooms_known_add(w->name);
	window_select(w);
	if (w->nlines == 0 && !w->fetching)
		window_fetch_history(w, 0);
	rooms_members_want(w, 0);
}

/* room_join reply. */
static void
cmd_room_join_cb(struct ui_reply *r, void *arg)
{
	struct cmd_room_req	*req = arg;
	const char		*room = req->room;
	struct json_object	*v;

	if (r->code == 0) {
		if (json_object_object_get_ex(r->result, "room", &v) &&
		    json_object_is_type(v, json_type_string))
			room = json_object_get_string(v);
		cmd_room_enter(room, r->result);
	} else if (r->code == CS_ERR_ALREADY)
		cmd_room_enter(room, NULL);
	else if (r->code == CS_ERR_GENERAL)
		window_select(window_get(CS_GENERAL));
	else if (r->code == CS_ERR_NO_SUCH_ROOM)
		window_add_line(NULL, UI_LINE_ERROR, "/%s: %s: /create %s "
		    "makes it", req->cmd, r->message, req->room);
	else
		cmd_room_error(req, r);
	cmd_room_req_free(req);
	screen_update();
}

/* /join #ROOM */
void
cmd_room_join(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ui_window	*w;
	const char		*room = argv[0];

	if (cmd_room_check(ce, room) != 0)
		return;
	if (strcasecmp(room, CS_GENERAL) == 0) {
		window_select(window_get(CS_GENERAL));
		return;
	}
	if ((w = window_find(room)) != NULL && w->member && !w->dead) {
		window_select(w);
		return;
	}
	cmd_room_send("room_join", cmd_room_params(room, NULL),
	    cmd_room_join_cb, cmd_room_req_new(ce, room, NULL));
}

/* room_create reply: go to the new room. */
static void
cmd_room_create_cb(struct ui_reply *r, void *arg)
{
	struct cmd_room_req	*req = arg;
	const char		*room = req->room;
	struct json_object	*v;

	if (r->code == 0) {
		if (json_object_object_get_ex(r->result, "room", &v) &&
		    json_object_is_type(v, json_type_string))
			room = json_object_get_string(v);
		cmd_room_enter(room, r->result);
	} else
		cmd_room_error(req, r);
	cmd_room_req_free(req);
	screen_update();
}

/* /create #ROOM [-invite] [TOPIC] */
void
cmd_room_create(const struct cmd_entry *ce, int argc, char **argv)
{
	struct json_object	*params;
	const char		*topic = argc > 1 ? argv[1] : NULL;
	int			 invite = 0;

	if (cmd_room_check(ce, argv[0]) != 0)
		return;
	if (topic != NULL && strncmp(topic, "-invite", 7) == 0 &&
	    (topic[7] == '\0' || topic[7] == ' ')) {
		invite = 1;
		topic += 7;
		while (*topic == ' ')
			topic++;
	}
	if (topic != NULL && strlen(topic) > CS_TOPIC_MAX) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: the topic is too "
		    "long (at most %d bytes)", ce->name, CS_TOPIC_MAX);
		return;
	}
	params = cmd_room_params(argv[0], NULL);
	if (invite)
		json_object_object_add(params, "invite_only",
		    json_object_new_boolean(1));
	if (topic != NULL && *topic != '\0')
		json_object_object_add(params, "topic",
		    json_object_new_string(topic));
	cmd_room_send("room_create", params, cmd_room_create_cb,
	    cmd_room_req_new(ce, argv[0], NULL));
}

/* room_leave reply: the window goes. */
static void
cmd_room_part_cb(struct ui_reply *r, void *arg)
{
	struct cmd_room_req	*req = arg;
	struct ui_window	*w;

	if (r->code == 0 || r->code == CS_ERR_NOT_MEMBER) {
		if ((w = window_find(req->room)) != NULL && !w->dm &&
		    !w->status)
			window_close(w);
		if (r->code != 0)
			window_add_line(NULL, UI_LINE_INFO, "%s", r->message);
	} else
		cmd_room_error(req, r);
	cmd_room_req_free(req);
	screen_update();
}

/* /part [#ROOM|WINDOW]: leave a room, or close a DM or the status window. */
void
cmd_room_part(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ui_window	*w = window_current;
	const char		*room;

	if (argc == 1 && (w = window_find(argv[0])) == NULL) {
		if (argv[0][0] != '#') {
			window_add_line(NULL, UI_LINE_ERROR, "/%s: no window %s",
			    ce->name, argv[0]);
			return;
		}
		if (cmd_room_check(ce, argv[0]) != 0)
			return;
	}
	if (w == NULL && argc == 0)
		return;
	if (w != NULL && (w->dm || w->status)) {
		window_close(w);
		return;
	}
	room = w != NULL ? w->name : argv[0];
	if (strcasecmp(room, CS_GENERAL) == 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: #general is "
		    "everyone's room and can't be left", ce->name);
		return;
	}
	if (w != NULL && (!w->member || w->dead)) {
		window_close(w);
		return;
	}
	cmd_room_send("room_leave", cmd_room_params(room, NULL),
	    cmd_room_part_cb, cmd_room_req_new(ce, room, NULL));
}

/* /close [WINDOW]: close a window; a room's membership stays. */
void
cmd_room_close(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ui_window	*w = window_current;
	int			 member;
	char			*name;

	if (argc == 1 && (w = window_find(argv[0])) == NULL) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: no window %s",
		    ce->name, argv[0]);
		return;
	}
	if (w == NULL)
		return;
	if (strcasecmp(w->name, CS_GENERAL) == 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: #general can't be "
		    "closed", ce->name);
		return;
	}
	member = !w->dm && !w->status && w->member && !w->dead;
	name = xstrdup(w->name);
	window_close(w);
	if (member)
		window_add_line(NULL, UI_LINE_INFO, "closed %s; you are still "
		    "a member (its messages open it again; /part %s leaves)",
		    name, name);
	free(name);
}

/* room_topic reply: show a topic read; a change comes back as an event. */
static void
cmd_room_topic_cb(struct ui_reply *r, void *arg)
{
	struct cmd_room_req	*req = arg;
	struct ui_window	*w;
	struct json_object	*v;
	const char		*topic = NULL;

	if (r->code != 0) {
		cmd_room_error(req, r);
		goto out;
	}
	if (json_object_object_get_ex(r->result, "topic", &v) &&
	    json_object_is_type(v, json_type_string))
		topic = json_object_get_string(v);
	if ((w = window_find(req->room)) != NULL)
		session_set_str(&w->topic, topic != NULL && *topic != '\0' ?
		    topic : NULL);
	if (req->user == NULL) {	/* a read */
		if (topic != NULL && *topic != '\0')
			window_add_line(w, UI_LINE_INFO, "topic of %s: %s",
			    req->room, topic);
		else
			window_add_line(w, UI_LINE_INFO, "%s has no topic",
			    req->room);
	}
	screen_update();
out:
	cmd_room_req_free(req);
}

/* /topic [#ROOM] [TEXT|-clear]: -clear sets the empty topic (none). */
void
cmd_room_topic(const struct cmd_entry *ce, int argc, char **argv)
{
	struct json_object	*params;
	const char		*room, *topic = NULL;

	if ((room = cmd_room_target(ce)) == NULL)
		return;
	if (argc == 1)
		topic = strcmp(argv[0], "-clear") == 0 ? "" : argv[0];
	if (topic != NULL && strlen(topic) > CS_TOPIC_MAX) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: the topic is too "
		    "long (at most %d bytes)", ce->name, CS_TOPIC_MAX);
		return;
	}
	params = cmd_room_params(room, NULL);
	if (topic != NULL)
		json_object_object_add(params, "topic",
		    json_object_new_string(topic));
	/* req->user marks a change ("set"), not a read. */
	cmd_room_send("room_topic", params, cmd_room_topic_cb,
	    cmd_room_req_new(ce, room, argc == 1 ? "set" : NULL));
}

/* /names [#ROOM]: a room's members, or the two of a DM. */
void
cmd_room_names(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ui_window	*w = window_current;
	const char		*room;

	if (cmd_room_arg == NULL && w != NULL && w->dm) {
		window_add_line(w, UI_LINE_INFO, "in this conversation: %s "
		    "(%s), %s (you)", w->name, session_is_online(w->name) ?
		    "online" : "offline", ui.user != NULL ? ui.user : "?");
		return;
	}
	if ((room = cmd_room_target(ce)) == NULL)
		return;
	if ((w = window_find(room)) == NULL) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: no window for %s: "
		    "/join it first", ce->name, room);
		return;
	}
	rooms_members_want(w, 1);
}

/* room_list reply: the rooms in the status window. */
static void
cmd_room_list_cb(struct ui_reply *r, void *arg)
{
	struct cmd_room_req	*req = arg;
	struct json_object	*rooms, *e, *v;
	struct ui_window	*w, *status;
	const char		*name, *topic, *role;
	size_t			 i, n;
	int			 invite, invited;

	if (r->code != 0) {
		cmd_room_error(req, r);
		goto out;
	}
	if ((status = window_status()) == NULL) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: too many windows",
		    req->cmd);
		goto out;
	}
	if (!json_object_object_get_ex(r->result, "rooms", &rooms) ||
	    !json_object_is_type(rooms, json_type_array))
		goto out;
	n = json_object_array_length(rooms);
	window_add_line(status, UI_LINE_INFO, "%zu room%s you can see "
	    "(~ owner, @ operator, + member):", n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(rooms, i);
		if ((name = cmd_room_str(e, "room")) == NULL)
			continue;
		topic = cmd_room_str(e, "topic");
		role = cmd_room_str(e, "role");
		invite = json_object_object_get_ex(e, "invite_only", &v) &&
		    json_object_get_boolean(v);
		invited = json_object_object_get_ex(e, "invited", &v) &&
		    json_object_get_boolean(v);
		rooms_known_add(name);
		if ((w = window_find(name)) != NULL)
			rooms_set_info(w, e);
		window_add_line(status, UI_LINE_INFO, "%s %-*s %lld members, "
		    "%lld online%s%s%s%s", role == NULL ? " " :
		    (rooms_role_parse(role) == UI_ROLE_MEMBER ? "+" :
		    rooms_role_mark(rooms_role_parse(role), 0)),
		    NAME_ROOM_MAX / 2, name,
		    (long long)cmd_room_int(e, "members"),
		    (long long)cmd_room_int(e, "online"),
		    invite ? ", invite-only" : "",
		    invited ? ", invited (/join accepts)" : "",
		    topic != NULL && *topic != '\0' ? " — " : "",
		    topic != NULL ? topic : "");
	}
	window_select(status);
	screen_update();
out:
	cmd_room_req_free(req);
}

/* /list */
void
cmd_room_list(const struct cmd_entry *ce, int argc, char **argv)
{
	cmd_room_send("room_list", NULL, cmd_room_list_cb,
	    cmd_room_req_new(ce, "", NULL));
}

/*
 * A reply to an action on a user: the room event shows the change; when
 * that room is not the current window, say here that it was done.
 */
static void
cmd_room_user_cb(struct ui_reply *r, void *arg)
{
	struct cmd_room_req	*req = arg;
	struct ui_window	*w;

	if (r->code != 0)
		cmd_room_error(req, r);
	else if ((w = window_find(req->room)) == NULL || w != window_current)
		window_add_line(NULL, UI_LINE_INFO, "/%s %s %s: done",
		    req->cmd, req->room, req->user);
	cmd_room_req_free(req);
	screen_update();
}

/* /invite /kick /mute /unmute /op /deop /transfer /unban [#ROOM] NICK */
void
cmd_room_user(const struct cmd_entry *ce, int argc, char **argv)
{
	struct json_object	*params;
	const char		*room, *method;

	if ((room = cmd_room_target(ce)) == NULL ||
	    cmd_check_nick(ce, argv[0]) != 0)
		return;
	if (argc > 1 && strlen(argv[1]) > CS_REASON_MAX) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: the reason is too "
		    "long (at most %d bytes)", ce->name, CS_REASON_MAX);
		return;
	}
	if ((method = cmd_room_method(ce->name)) == NULL)
		return;
	params = cmd_room_params(room, argv[0]);
	if (argc > 1)
		json_object_object_add(params, "reason",
		    json_object_new_string(argv[1]));
	cmd_room_send(method, params, cmd_room_user_cb,
	    cmd_room_req_new(ce, room, argv[0]));
}

/*
 * A ban's length: a number and a unit (s, m, h, d, w; minutes without
 * one).  Seconds, or -1 if s is not one or is out of bounds.
 */
static long
cmd_room_duration(const char *s)
{
	char	*end;
	long	 n, unit = 60;

	if (!isdigit((u_char)*s))
		return (-1);
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || n <= 0 || n > CS_BAN_MAX)
		return (-1);
	switch (*end) {
	case '\0':
		break;
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		return (-1);
	}
	if (*end != '\0' && end[1] != '\0')
		return (-1);
	if (n > CS_BAN_MAX / unit)
		return (-1);
	return (n * unit);
}

/*
 * Take "-expires DURATION" out of rest (anywhere in it).  The reason is
 * what remains, trimmed, in reason (owned by the caller).  Returns the
 * seconds, 0 without -expires, or -1 with the bad word in *bad.
 */
static long
cmd_room_ban_args(const char *rest, char **reason, const char **bad)
{
	const char	*p, *dur, *after;
	char		*copy, *r, word[32];
	size_t		 len, dlen;
	long		 secs = 0;

	copy = xstrdup(rest != NULL ? rest : "");
	for (p = copy; (p = strstr(p, "-expires")) != NULL; p++) {
		if ((p == copy || p[-1] == ' ') && (p[8] == ' ' ||
		    p[8] == '\0'))
			break;
	}
	if (p != NULL) {
		dur = p + 8;
		while (*dur == ' ')
			dur++;
		dlen = strcspn(dur, " ");
		after = dur + dlen;
		if (dlen == 0 || dlen >= sizeof word) {
			*bad = "-expires needs a duration such as 10m, 2h "
			    "or 3d";
			free(copy);
			return (-1);
		}
		memcpy(word, dur, dlen);
		word[dlen] = '\0';
		if ((secs = cmd_room_duration(word)) < 0) {
			*bad = "-expires: a duration is a number with s, m, "
			    "h, d or w, at most 366 days";
			free(copy);
			return (-1);
		}
		memmove((char *)p, after, strlen(after) + 1);
	}
	r = copy;
	while (*r == ' ')
		r++;
	len = strlen(r);
	while (len > 0 && r[len - 1] == ' ')
		r[--len] = '\0';
	*reason = xstrdup(r);
	free(copy);
	return (secs);
}

/* /ban [#ROOM] NICK [REASON] [-expires DURATION] */
void
cmd_room_ban(const struct cmd_entry *ce, int argc, char **argv)
{
	struct json_object	*params;
	const char		*room, *bad = NULL;
	char			*reason;
	long			 secs;

	if ((room = cmd_room_target(ce)) == NULL ||
	    cmd_check_nick(ce, argv[0]) != 0)
		return;
	if ((secs = cmd_room_ban_args(argc > 1 ? argv[1] : NULL, &reason,
	    &bad)) < 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: %s", ce->name, bad);
		return;
	}
	if (strlen(reason) > CS_REASON_MAX) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: the reason is too "
		    "long (at most %d bytes)", ce->name, CS_REASON_MAX);
		free(reason);
		return;
	}
	params = cmd_room_params(room, argv[0]);
	if (*reason != '\0')
		json_object_object_add(params, "reason",
		    json_object_new_string(reason));
	if (secs > 0)
		json_object_object_add(params, "expires_in",
		    json_object_new_int64(secs));
	free(reason);
	cmd_room_send("room_ban", params, cmd_room_user_cb,
	    cmd_room_req_new(ce, room, argv[0]));
}

/* room_delete reply: the delete event marks the window. */
static void
cmd_room_delete_cb(struct ui_reply *r, void *arg)
{
	struct cmd_room_req	*req = arg;

	if (r->code != 0)
		cmd_room_error(req, r);
	cmd_room_req_free(req);
	screen_update();
}

/*
 * /delete [#ROOM]: the first asks for confirmation, a second for the same
 * room within UI_DELETE_CONFIRM_MS deletes it.
 */
void
cmd_room_delete(const struct cmd_entry *ce, int argc, char **argv)
{
	const char	*room;
	int64_t		 now = clock_now_ms();

	if ((room = cmd_room_target(ce)) == NULL)
		return;
	if (strcasecmp(room, CS_GENERAL) == 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: #general can't be "
		    "deleted", ce->name);
		return;
	}
	if (cmd_delete_room == NULL || strcasecmp(cmd_delete_room, room) != 0 ||
	    now - cmd_delete_at > UI_DELETE_CONFIRM_MS) {
		session_set_str(&cmd_delete_room, room);
		cmd_delete_at = now;
		window_add_line(NULL, UI_LINE_ERROR, "/%s: this deletes %s "
		    "and its whole history, for everyone; type /%s again "
		    "within %d seconds to confirm", ce->name, room, ce->name,
		    UI_DELETE_CONFIRM_MS / 1000);
		return;
	}
	session_set_str(&cmd_delete_room, NULL);
	cmd_room_send("room_delete", cmd_room_params(room, NULL),
	    cmd_room_delete_cb, cmd_room_req_new(ce, room, NULL));
}

/* Free what the room commands hold (exit). */
void
cmd_room_free(void)
{
	session_set_str(&cmd_delete_room, NULL);
}

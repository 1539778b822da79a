/* chatsec — the curses UI: windows and their lines.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "clock.h"
#include "log.h"
#include "proto.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * A window is one conversation: #general first, then rooms and DMs in
 * the order they appeared, and the status window (room lists) when asked
 * for.  Its lines are kept in message id order (local notices
 * stay where they were said), each message id once, at most
 * ui_conf.lines of them: the oldest go first, and paging back stops at
 * the limit.
 */

#define UI_WINDOWS_MAX	256

struct ui_windows	 windows = TAILQ_HEAD_INITIALIZER(windows);
struct ui_window	*window_current;
static u_int		 window_count;

/* Local yyyymmdd of a millisecond timestamp, for day separators. */
static int
window_day(int64_t ts)
{
	struct tm	 tm;
	time_t		 t = (time_t)(ts / 1000);

	if (localtime_r(&t, &tm) == NULL)
		return (0);
	return ((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday);
}

/* Free one line. */
static void
window_line_free(struct ui_line *l)
{
	free(l->from);
	free(l->text);
	free(l->cid);
	free(l->tag);
	free(l);
}

/* Find a window by name (usernames are case-insensitive). */
struct ui_window *
window_find(const char *name)
{
	struct ui_window	*w;

	TAILQ_FOREACH(w, &windows, entry) {
		if (strcasecmp(w->name, name) == 0)
			return (w);
	}
	return (NULL);
}

/*
 * Find or create the window for a conversation.  NULL only when there are
 * already UI_WINDOWS_MAX windows.
 */
struct ui_window *
window_get(const char *name)
{
	struct ui_window	*w;

	if ((w = window_find(name)) != NULL)
		return (w);
	if (window_count >= UI_WINDOWS_MAX)
		return (NULL);
	w = xcalloc(1, sizeof *w);
	w->name = xstrdup(name);
	w->dm = name[0] != '#';
	w->member = !w->dm;	/* room messages reach members only */
	w->more = 1;
	TAILQ_INIT(&w->lines);
	if (strcasecmp(name, CS_GENERAL) == 0)
		TAILQ_INSERT_HEAD(&windows, w, entry);
	else
		TAILQ_INSERT_TAIL(&windows, w, entry);
	window_count++;
	screen_update();
	return (w);
}

/* The status window, made on first use; NULL if there are too many. */
struct ui_window *
window_status(void)
{
	struct ui_window	*w;

	if ((w = window_find(UI_STATUS_WINDOW)) != NULL)
		return (w);
	if ((w = window_get(UI_STATUS_WINDOW)) == NULL)
		return (NULL);
	w->dm = 0;
	w->member = 0;
	w->status = 1;
	w->more = 0;
	return (w);
}

/* Free a window that is out of the list. */
static void
window_free(struct ui_window *w)
{
	window_clear(w);
	rooms_members_free(w);
	free(w->topic);
	free(w->name);
	free(w);
}

/* 0-based position of w in the window list. */
u_int
window_index(struct ui_window *w)
{
	struct ui_window	*loop;
	u_int			 i = 0;

	TAILQ_FOREACH(loop, &windows, entry) {
		if (loop == w)
			break;
		i++;
	}
	return (i);
}

/* The window at 0-based position i, or NULL. */
struct ui_window *
window_at(u_int i)
{
	struct ui_window	*w;

	TAILQ_FOREACH(w, &windows, entry) {
		if (i-- == 0)
			return (w);
	}
	return (NULL);
}

/* Make w the current window; its unread marks are cleared. */
void
window_select(struct ui_window *w)
{
	if (w == NULL)
		return;
	window_current = w;
	w->unread = 0;
	w->highlight = 0;
	w->alert = 0;
	rooms_members_want(w, 0);
	screen_update();
}

/* Ctrl-N: the next window, wrapping. */
void
window_next(void)
{
	struct ui_window	*w;

	if (window_current == NULL)
		return;
	if ((w = TAILQ_NEXT(window_current, entry)) == NULL)
		w = TAILQ_FIRST(&windows);
	window_select(w);
}

/* Ctrl-P: the previous window, wrapping. */
void
window_previous(void)
{
	struct ui_window	*w;

	if (window_current == NULL)
		return;
	if ((w = TAILQ_PREV(window_current, ui_windows, entry)) == NULL)
		w = TAILQ_LAST(&windows, ui_windows);
	window_select(w);
}

/* Drop every line of w. */
void
window_clear(struct ui_window *w)
{
	struct ui_line	*l;

	while ((l = TAILQ_FIRST(&w->lines)) != NULL) {
		TAILQ_REMOVE(&w->lines, l, entry);
		window_line_free(l);
	}
	w->nlines = 0;
	w->oldest_id = 0;
	w->more = 0;
	w->full = 0;
	w->scroll = 0;
	screen_update();
}

/* Close window w (a DM); the one before it becomes current. */
void
window_close(struct ui_window *w)
{
	struct ui_window	*prev;

	if (w == window_current) {
		if ((prev = TAILQ_PREV(w, ui_windows, entry)) == NULL)
			prev = TAILQ_NEXT(w, entry);
		window_current = NULL;
		window_select(prev);
	}
	TAILQ_REMOVE(&windows, w, entry);
	window_count--;
	window_free(w);
	screen_update();
}

/* Close every window (logout, exit). */
void
window_free_all(void)
{
	struct ui_window	*w;

	window_current = NULL;
	while ((w = TAILQ_FIRST(&windows)) != NULL) {
		TAILQ_REMOVE(&windows, w, entry);
		window_free(w);
	}
	window_count = 0;
}

/* Recompute the oldest message id held. */
static void
window_update_oldest(struct ui_window *w)
{
	struct ui_line	*l;

	w->oldest_id = 0;
	TAILQ_FOREACH(l, &w->lines, entry) {
		/* Trimmed lines are unlinked before they are freed (the
		 * analyzer loses track of TAILQ_REMOVE). */
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		if (l->id > 0) {
			w->oldest_id = l->id;
			break;
		}
	}
}

/* Drop the oldest lines over the limit; paging back can fetch them again. */
static void
window_trim(struct ui_window *w)
{
	struct ui_line	*l;
	int		 dropped = 0;

	while (w->nlines > (u_int)ui_conf.lines &&
	    (l = TAILQ_FIRST(&w->lines)) != NULL) {
		TAILQ_REMOVE(&w->lines, l, entry);
		w->nlines--;
		if (l->id > 0)
			dropped = 1;
		window_line_free(l);
	}
	if (dropped) {
		w->more = 1;
		window_update_oldest(w);
	}
}

/*
 * Insert l in id order (a local line, id 0, goes at the end).  Returns 0,
 * or -1 if the id is already there or the line would be older than a full
 * scrollback; l is then not taken.
 */
static int
window_insert(struct ui_window *w, struct ui_line *l)
{
	struct ui_line	*loop, *before = NULL;

	if (l->id > 0) {
		for (loop = TAILQ_LAST(&w->lines, ui_lines); loop != NULL;
		    loop = TAILQ_PREV(loop, ui_lines, entry)) {
			if (loop->id == 0)
				continue;
			if (loop->id == l->id)
				return (-1);
			if (loop->id < l->id)
				break;
			before = loop;
		}
	}
	if (before != NULL && before == TAILQ_FIRST(&w->lines) &&
	    w->nlines >= (u_int)ui_conf.lines) {
		w->full = 1;
		w->more = 0;
		return (-1);
	}
	if (before != NULL)
		TAILQ_INSERT_BEFORE(before, l, entry);
	else {
		TAILQ_INSERT_TAIL(&w->lines, l, entry);
		/* Someone reading back keeps their place. */
		if (w->scroll > 0)
			w->scroll += screen_line_height(l);
	}
	w->nlines++;
	if (l->id > 0 && (w->oldest_id == 0 || l->id < w->oldest_id))
		w->oldest_id = l->id;
	window_trim(w);
	screen_update();
	return (0);
}

/* Does text name user as a word (case-insensitive)? */
int
window_mentions(const char *text, const char *user)
{
	size_t		 ulen;
	const char	*p;

	if (user == NULL || (ulen = strlen(user)) == 0)
		return (0);
	for (p = text; *p != '\0'; p++) {
		if (strncasecmp(p, user, ulen) != 0)
			continue;
		if (p != text && (isalnum((u_char)p[-1]) || p[-1] == '_' ||
		    p[-1] == '-'))
			continue;
		if (isalnum((u_char)p[ulen]) || p[ulen] == '_' ||
		    p[ulen] == '-')
			continue;
		return (1);
	}
	return (0);
}

/* Borrowed string member, or NULL. */
static const char *
window_json_str(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* Integer member, or 0. */
static int64_t
window_json_int(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (0);
	return (json_object_get_int64(v));
}

/*
 * Add a message (from an event or a history page) to its conversation's
 * window.  A live message from someone else marks the window unread when
 * it is not in view, and a DM or a mention rings the bell.
 */
void
window_add_message(struct json_object *msg, int live)
{
	struct ui_window	*w;
	struct ui_line		*l;
	struct json_object	*v, *file;
	const char		*conv, *from, *text;
	int			 self = 0;

	conv = window_json_str(msg, "conv");
	from = window_json_str(msg, "from");
	text = window_json_str(msg, "text");
	if (conv == NULL || *conv == '\0' || from == NULL || text == NULL)
		return;
	if (json_object_object_get_ex(msg, "self", &v))
		self = json_object_get_boolean(v);
	if ((w = window_get(conv)) == NULL)
		return;

	l = xcalloc(1, sizeof *l);
	l->type = UI_LINE_MSG;
	l->id = window_json_int(msg, "id");
	if (json_object_object_get_ex(msg, "file", &file) &&
	    json_object_is_type(file, json_type_object)) {
		l->type = UI_LINE_FILE;
		l->text = files_message_text(l->id, file, text, self);
	} else if (strncmp(text, "/me ", 4) == 0) {
		l->type = UI_LINE_ACTION;
		text += 4;
	}
	l->ts = window_json_int(msg, "ts");
	if (l->ts <= 0)
		l->ts = clock_now_ms();
	l->day = window_day(l->ts);
	l->from = xstrdup(from);
	if (l->text == NULL)
		l->text = xstrdup(text);
	if (self)
		l->flags |= UI_LINE_SELF;
	else if (window_mentions(text, ui.user))
		l->flags |= UI_LINE_MENTION;
	if (l->id <= 0 || window_insert(w, l) != 0) {
		window_line_free(l);
		return;
	}
	if (!live || self)
		return;
	if (w != window_current) {
		w->unread++;
		if (w->dm || (l->flags & UI_LINE_MENTION))
			w->highlight = 1;
	}
	if (w->dm || (l->flags & UI_LINE_MENTION))
		screen_bell();
}

/* Add a local notice or error to w (NULL: the current window). */
void
window_add_line(struct ui_window *w, enum ui_line_type type,
    const char *fmt, ...)
{
	struct ui_line	*l;
	va_list		 ap;

	if (w == NULL && (w = window_current) == NULL &&
	    (w = TAILQ_FIRST(&windows)) == NULL)
		w = window_get(CS_GENERAL);
	l = xcalloc(1, sizeof *l);
	l->type = type;
	l->ts = clock_now_ms();
	l->day = window_day(l->ts);
	va_start(ap, fmt);
	if (vasprintf(&l->text, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	window_insert(w, l);
}

/*
 * Set the text of w's local line tagged tag (NULL w: the current window),
 * in place, where it was first said; the line is made if w has none.
 */
void
window_tag_line(struct ui_window *w, const char *tag, enum ui_line_type type,
    const char *fmt, ...)
{
	struct ui_line	*l;
	char		*text;
	va_list		 ap;

	if (w == NULL && (w = window_current) == NULL &&
	    (w = TAILQ_FIRST(&windows)) == NULL)
		w = window_get(CS_GENERAL);
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	TAILQ_FOREACH_REVERSE(l, &w->lines, ui_lines, entry) {
		if (l->tag != NULL && strcmp(l->tag, tag) == 0) {
			free(l->text);
			l->text = text;
			l->type = type;
			l->rows_width = 0;
			screen_update();
			return;
		}
	}
	l = xcalloc(1, sizeof *l);
	l->type = type;
	l->ts = clock_now_ms();
	l->day = window_day(l->ts);
	l->text = text;
	l->tag = xstrdup(tag);
	window_insert(w, l);
}

/* Show a message we sent at once, dimmed until the agent confirms it. */
void
window_add_pending(struct ui_window *w, const char *text, const char *cid)
{
	struct ui_line	*l;

	l = xcalloc(1, sizeof *l);
	l->type = UI_LINE_MSG;
	if (strncmp(text, "/me ", 4) == 0) {
		l->type = UI_LINE_ACTION;
		text += 4;
	}
	l->flags = UI_LINE_SELF|UI_LINE_PENDING;
	l->ts = clock_now_ms();
	l->day = window_day(l->ts);
	l->from = xstrdup(ui.user != NULL ? ui.user : "me");
	l->text = xstrdup(text);
	l->cid = xstrdup(cid);
	window_insert(w, l);
	w->scroll = 0;
}

/* Find the pending line with client id cid; its window in *wp. */
static struct ui_line *
window_find_cid(const char *cid, struct ui_window **wp)
{
	struct ui_window	*w;
	struct ui_line		*l;

	TAILQ_FOREACH(w, &windows, entry) {
		TAILQ_FOREACH_REVERSE(l, &w->lines, ui_lines, entry) {
			if (l->cid != NULL && strcmp(l->cid, cid) == 0) {
				*wp = w;
				return (l);
			}
		}
	}
	return (NULL);
}

/*
 * The agent stored our message as id: the pending line becomes that
 * message (or goes, if its event already showed it).
 */
void
window_send_done(const char *cid, int64_t id, int64_t ts)
{
	struct ui_window	*w;
	struct ui_line		*l;

	if ((l = window_find_cid(cid, &w)) == NULL)
		return;
	TAILQ_REMOVE(&w->lines, l, entry);
	w->nlines--;
	free(l->cid);
	l->cid = NULL;
	l->flags &= ~UI_LINE_PENDING;
	l->id = id;
	if (ts > 0) {
		l->ts = ts;
		l->day = window_day(ts);
	}
	l->rows_width = 0;
	if (id <= 0 || window_insert(w, l) != 0)
		window_line_free(l);
	screen_update();
}

/* Sending failed: mark the line and say why, here and in its window. */
void
window_send_failed(const char *cid, const char *why)
{
	struct ui_window	*w;
	struct ui_line		*l;

	if ((l = window_find_cid(cid, &w)) == NULL)
		return;
	free(l->cid);
	l->cid = NULL;
	l->flags &= ~UI_LINE_PENDING;
	l->flags |= UI_LINE_FAILED;
	l->rows_width = 0;
	window_add_line(w, UI_LINE_ERROR, "not sent: %s", why);
	if (window_current != NULL && w != window_current)
		window_add_line(window_current, UI_LINE_ERROR,
		    "not sent to %s: %s", w->name, why);
}

/* What a history request was for. */
struct window_fetch {
	char	*name;
	int	 older;
};

/* history reply: insert the page; note whether older messages exist. */
static void
window_history_cb(struct ui_reply *r, void *arg)
{
	struct window_fetch	*f = arg;
	struct ui_window	*w;
	struct json_object	*msgs, *v;
	int64_t			 first = 0;
	size_t			 i, n = 0;
	int			 more = 0;

	if ((w = window_find(f->name)) == NULL)
		goto out;
	w->fetching = 0;
	if (r->code != 0) {
		if (r->code != UI_ERR_DETACHED && !session_check_auth(r))
			window_add_line(w, UI_LINE_ERROR, "history: %s",
			    r->message);
		goto out;
	}
	if (json_object_object_get_ex(r->result, "more", &v))
		more = json_object_get_boolean(v);
	if (json_object_object_get_ex(r->result, "messages", &msgs) &&
	    json_object_is_type(msgs, json_type_array)) {
		n = json_object_array_length(msgs);
		for (i = 0; i < n; i++) {
			v = json_object_array_get_idx(msgs, i);
			if (i == 0)
				first = window_json_int(v, "id");
			window_add_message(v, 0);
		}
	}
	if (w->full || n == 0)
		w->more = 0;
	else if (first > 0 && first <= w->oldest_id)
		w->more = more;	/* the page reached our oldest line */
	screen_update();
out:
	free(f->name);
	free(f);
}

/*
 * Ask the agent for the newest page of w's history, or (older) the page
 * before the oldest message held.
 */
void
window_fetch_history(struct ui_window *w, int older)
{
	struct json_object	*params;
	struct window_fetch	*f;

	if (w->fetching || w->status || w->dead ||
	    (older && (!w->more || w->full)))
		return;
	params = json_object_new_object();
	json_object_object_add(params, "conv", json_object_new_string(w->name));
	json_object_object_add(params, "limit",
	    json_object_new_int(UI_HISTORY_PAGE));
	if (older && w->oldest_id > 0)
		json_object_object_add(params, "before",
		    json_object_new_int64(w->oldest_id));
	f = xcalloc(1, sizeof *f);
	f->name = xstrdup(w->name);
	f->older = older;
	if (ui_conn_request("history", params, 0, window_history_cb, f) != 0) {
		free(f->name);
		free(f);
		return;
	}
	w->fetching = 1;
	screen_update();
}

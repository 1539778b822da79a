/* chatsec — the curses UI: file transfers.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "proto.h"
#include "utf8.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * The agent does the transfers (doc/api.md, "Files"); this module starts
 * them (/file, /save), follows the ones it started by their transfer id
 * with one line each that file_progress events redraw in place, and says
 * how each ended (file_sent, file_saved, file_failed).  File messages show
 * as "[file]" lines with the name made safe for the terminal, the size and
 * the message id that /save takes.  At most UI_FILES_MAX transfers are
 * followed; the oldest is forgotten (its line stays as it was) to make
 * room.
 */

#define FILES_NAME_SHOWN	80	/* bytes of a file name shown */
#define FILES_BAR		20	/* cells of a progress bar */
#define FILES_ID_MAX		23	/* "t" and digits, as the agent makes */

/* A transfer this UI started and follows. */
struct files_xfer {
	char			 id[FILES_ID_MAX + 1];	/* the agent's "t3" */
	char			 tag[32];	/* its line's tag */
	int			 up;
	char			*window;	/* window of its line */
	char			*name;		/* safe to show */
	char			*to;		/* up: the conversation */
	int64_t			 done;
	int64_t			 total;
	TAILQ_ENTRY(files_xfer)	 entry;
};
static TAILQ_HEAD(, files_xfer) files_q = TAILQ_HEAD_INITIALIZER(files_q);
static u_int		 files_n;
static u_int		 files_serial;

/* What a /file or /save request was for, until its reply. */
struct files_req {
	char	*window;
	char	*what;		/* the path or id the user gave, shown */
};

/*
 * Copy s into buf (len bytes) as it may be shown: control characters
 * (C0, DEL, C1), bidirectional controls and invalid UTF-8 become '?', and
 * text that does not fit is cut at a character with "...".
 */
static void
files_safe(const char *s, char *buf, size_t len)
{
	size_t		 n, left = strlen(s), o = 0, max;
	unsigned int	 cp;

	max = len - 1;
	while (left > 0) {
		if ((n = utf8_decode(s, left, &cp)) == 0) {
			cp = '?';
			n = 1;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
		    cp == 0x200f || cp == 0x061c || cp == 0xfeff) {
			if (o + 1 > max)
				break;
			buf[o++] = '?';
		} else {
			if (o + n > max)
				break;
			memcpy(buf + o, s, n);
			o += n;
		}
		s += n;
		left -= n;
	}
	if (left > 0 && max >= 3) {
		/* Back off whole characters until "..." fits. */
		while (o > max - 3) {
			o--;
			while (o > 0 && (buf[o] & 0xc0) == 0x80)
				o--;
		}
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

/* An allocated safe copy of s. */
static char *
files_safe_dup(const char *s)
{
	char	 buf[FILES_NAME_SHOWN + 1];

	files_safe(s, buf, sizeof buf);
	return (xstrdup(buf));
}

/* A byte count for people: "512 B", "1.5 KiB", "12.0 MiB". */
static const char *
files_human(int64_t n, char *buf, size_t len)
{
	static const char	*units[] = { "KiB", "MiB", "GiB", "TiB" };
	double			 v = (double)n;
	size_t			 u = 0;

	if (n < 1024) {
		snprintf(buf, len, "%lld B", (long long)(n < 0 ? 0 : n));
		return (buf);
	}
	v /= 1024;
	while (v >= 1024 && u < sizeof units / sizeof units[0] - 1) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
	return (buf);
}

/* "[#########...........]  45%" for done of total. */
static const char *
files_bar(int64_t done, int64_t total, char *buf, size_t len)
{
	char	 bar[FILES_BAR + 1];
	int	 pct, cells, i;

	if (total <= 0)
		pct = done > 0 ? 100 : 0;
	else if (done >= total)
		pct = 100;
	else
		pct = (int)(done * 100 / total);
	if (pct < 0)
		pct = 0;
	cells = pct * FILES_BAR / 100;
	for (i = 0; i < FILES_BAR; i++)
		bar[i] = i < cells ? '#' : '.';
	bar[FILES_BAR] = '\0';
	snprintf(buf, len, "[%s] %3d%%", bar, pct);
	return (buf);
}

/* Borrowed string member, or NULL. */
static const char *
files_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* Integer member, or -1. */
static int64_t
files_int(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (-1);
	return (json_object_get_int64(v));
}

/*
 * The text of a file message's line (allocated): the name made safe, its
 * size, the caption, and for someone else's file the /save that fetches it.
 */
char *
files_message_text(int64_t id, struct json_object *file, const char *caption,
    int self)
{
	const char	*name;
	char		 safe[FILES_NAME_SHOWN + 1], size[32], *text;
	int64_t		 n;

	if ((name = files_str(file, "name")) == NULL || *name == '\0')
		name = "(no name)";
	files_safe(name, safe, sizeof safe);
	n = files_int(file, "size");
	files_human(n, size, sizeof size);
	if (caption == NULL)
		caption = "";
	if (self)
		xasprintf(&text, "%s (%s)%s%s", safe, size,
		    *caption != '\0' ? " — " : "", caption);
	else
		xasprintf(&text, "%s (%s)%s%s — /save %lld to fetch it", safe,
		    size, *caption != '\0' ? " — " : "", caption,
		    (long long)id);
	return (text);
}

/* Find a followed transfer by the agent's id. */
static struct files_xfer *
files_find(const char *id)
{
	struct files_xfer	*x;

	if (id == NULL)
		return (NULL);
	TAILQ_FOREACH(x, &files_q, entry) {
		if (strcmp(x->id, id) == 0)
			return (x);
	}
	return (NULL);
}

/* Stop following x. */
static void
files_remove(struct files_xfer *x)
{
	TAILQ_REMOVE(&files_q, x, entry);
	files_n--;
	free(x->window);
	free(x->name);
	free(x->to);
	free(x);
}

/*
 * Follow transfer id, whose line goes in window (copied); an older one
 * with the same id (an agent that restarted) or the oldest over the limit
 * is forgotten.
 */
static struct files_xfer *
files_add(const char *id, int up, const char *window, const char *name,
    int64_t total)
{
	struct files_xfer	*x;

	if ((x = files_find(id)) != NULL)
		files_remove(x);
	else if (files_n >= UI_FILES_MAX)
		files_remove(TAILQ_FIRST(&files_q));
	x = xcalloc(1, sizeof *x);
	snprintf(x->id, sizeof x->id, "%s", id);
	snprintf(x->tag, sizeof x->tag, "file-%u", ++files_serial);
	x->up = up;
	x->window = xstrdup(window);
	x->name = files_safe_dup(name);
	x->total = total;
	TAILQ_INSERT_TAIL(&files_q, x, entry);
	files_n++;
	return (x);
}

/* The window of x's line, or NULL once it is closed. */
static struct ui_window *
files_window(struct files_xfer *x)
{
	return (window_find(x->window));
}

/* Redraw x's progress line (none once its window is closed). */
static void
files_show_progress(struct files_xfer *x)
{
	struct ui_window	*w;
	char			 bar[FILES_BAR + 16], done[32], total[32];

	if ((w = files_window(x)) == NULL)
		return;
	files_bar(x->done, x->total, bar, sizeof bar);
	files_human(x->done, done, sizeof done);
	files_human(x->total, total, sizeof total);
	window_tag_line(w, x->tag, UI_LINE_INFO,
	    "%s %s %s %s of %s (%s)", x->up ? "sending" : "fetching",
	    x->name, bar, done, total, x->id);
}

/*
 * Say how a transfer ended: on its line (x may be NULL for one this UI
 * did not start), and in the current window too if that is elsewhere.
 */
static void
files_show_end(struct files_xfer *x, enum ui_line_type type,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
files_show_end(struct files_xfer *x, enum ui_line_type type,
    const char *fmt, ...)
{
	struct ui_window	*w = NULL;
	char			*text;
	va_list			 ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	if (x != NULL && (w = files_window(x)) != NULL)
		window_tag_line(w, x->tag, type, "%s", text);
	else
		window_add_line(NULL, type, "%s", text);
	if (w != NULL && window_current != NULL && w != window_current &&
	    type != UI_LINE_INFO)
		window_add_line(NULL, type, "%s (in %s)", text, w->name);
	free(text);
}

/* A reason from file_failed for people. */
static const char *
files_reason(const char *reason)
{
	static const struct {
		const char	*reason;
		const char	*text;
	} reasons[] = {
		{ "integrity", "integrity check failed, the file was "
		    "damaged or tampered with and is not kept" },
		{ "too_big", "too big for the server" },
		{ "quota", "over your storage quota on the server" },
		{ "not_found", "the file is gone from the server" },
		{ "refused", "refused by the server" },
		{ "io", "file error" },
		{ "cancelled", "cancelled" },
		{ "restarted", "the agent restarted during the transfer" },
	};
	size_t	 i;

	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		if (strcmp(reasons[i].reason, reason) == 0)
			return (reasons[i].text);
	}
	return ("failed");
}

/* file_failed: the transfer's line says why, in a line that stands out. */
static void
files_failed(struct files_xfer *x, struct json_object *params)
{
	const char		*reason, *message, *name, *dir;
	char			 safe[FILES_NAME_SHOWN + 1];
	char			 msg[256];
	enum ui_line_type	 type;

	if ((reason = files_str(params, "reason")) == NULL)
		reason = "io";
	if ((message = files_str(params, "message")) == NULL)
		message = "";
	if ((name = files_str(params, "name")) == NULL)
		name = "";
	files_safe(name, safe, sizeof safe);
	dir = files_str(params, "direction");
	files_safe(message, msg, sizeof msg);
	if (strcmp(msg, reason) == 0 || strcmp(msg, files_reason(reason)) == 0)
		*msg = '\0';	/* says nothing more */
	if (strcmp(reason, "cancelled") == 0)
		type = UI_LINE_ERROR;
	else
		type = UI_LINE_WARN;
	files_show_end(x, type, "%s %s FAILED: %s%s%s",
	    dir != NULL && strcmp(dir, "up") == 0 ? "sending" : "fetching",
	    x != NULL ? x->name : safe, files_reason(reason),
	    *msg != '\0' ? ": " : "", msg);
}

/* A file_* event: move the transfer's line on, or end it. */
void
files_event(const char *type, struct json_object *params)
{
	struct files_xfer	*x;
	const char		*path, *to;
	char			 size[32], safe[PATH_MAX];
	char			 name[FILES_NAME_SHOWN + 1];
	int64_t			 v;

	x = files_find(files_str(params, "transfer"));
	if (strcmp(type, "file_progress") == 0) {
		if (x == NULL)
			return;
		if ((v = files_int(params, "done")) >= 0)
			x->done = v;
		if ((v = files_int(params, "total")) >= 0)
			x->total = v;
		files_show_progress(x);
	} else if (strcmp(type, "file_sent") == 0) {
		if (x == NULL)
			return;	/* the file message shows it */
		if ((to = files_str(params, "to")) == NULL)
			to = x->window;
		files_human(x->total, size, sizeof size);
		files_safe(to, safe, sizeof safe);
		files_show_end(x, UI_LINE_INFO, "sent %s (%s) to %s", x->name,
		    size, safe);
		files_remove(x);
	} else if (strcmp(type, "file_saved") == 0) {
		if ((path = files_str(params, "path")) == NULL)
			path = "?";
		files_human(files_int(params, "size"), size, sizeof size);
		files_safe(path, safe, sizeof safe);
		files_safe(files_str(params, "name") != NULL ?
		    files_str(params, "name") : "a file", name, sizeof name);
		files_show_end(x, UI_LINE_INFO, "saved %s (%s) as %s",
		    x != NULL ? x->name : name, size, safe);
		if (x != NULL)
			files_remove(x);
	} else if (strcmp(type, "file_failed") == 0) {
		files_failed(x, params);
		if (x != NULL)
			files_remove(x);
	}
}

/*
 * Make the path the user typed absolute: "~" and "~/..." are the home
 * folder, "~user/..." user's, anything else not starting with '/' is
 * relative to the current folder.  0, or -1 with a sentence in err.
 */
static int
files_path(const char *in, char *out, size_t len, char *err, size_t errlen)
{
	const char	*home = NULL, *rest, *slash;
	char		 user[256], cwd[PATH_MAX];
	struct passwd	*pw;
	size_t		 ulen;
	int		 n;

	if (*in == '~') {
		slash = strchr(in, '/');
		rest = slash != NULL ? slash : "";
		ulen = (size_t)(slash != NULL ? slash - in - 1 :
		    (ptrdiff_t)strlen(in + 1));
		if (ulen == 0) {
			if ((home = getenv("HOME")) == NULL || *home == '\0') {
				pw = getpwuid(getuid());
				home = pw != NULL ? pw->pw_dir : NULL;
			}
		} else if (ulen < sizeof user) {
			memcpy(user, in + 1, ulen);
			user[ulen] = '\0';
			if ((pw = getpwnam(user)) != NULL)
				home = pw->pw_dir;
		}
		if (home == NULL) {
			snprintf(err, errlen, "no home folder for %.*s",
			    (int)(ulen + 1), in);
			return (-1);
		}
		n = snprintf(out, len, "%s%s", home, rest);
	} else if (*in == '/')
		n = snprintf(out, len, "%s", in);
	else {
		if (getcwd(cwd, sizeof cwd) == NULL) {
			snprintf(err, errlen, "can't tell the current folder: "
			    "%s", strerror(errno));
			return (-1);
		}
		n = snprintf(out, len, "%s/%s", strcmp(cwd, "/") == 0 ? "" :
		    cwd, in);
	}
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "path too long");
		return (-1);
	}
	return (0);
}

/*
 * Take the first word of *s (or a "quoted" string, spaces and all) into
 * buf; *s moves past it and the spaces after.  -1 if a quote is not
 * closed or the word does not fit.
 */
static int
files_word(const char **s, char *buf, size_t len)
{
	const char	*p = *s, *end;
	size_t		 n;

	while (*p == ' ')
		p++;
	if (*p == '"') {
		if ((end = strchr(p + 1, '"')) == NULL)
			return (-1);
		n = (size_t)(end - p - 1);
		p++;
		end++;
	} else {
		end = p + strcspn(p, " ");
		n = (size_t)(end - p);
	}
	if (n >= len)
		return (-1);
	memcpy(buf, p, n);
	buf[n] = '\0';
	while (*end == ' ')
		end++;
	*s = end;
	return (0);
}

/* Free a request's context. */
static void
files_req_free(struct files_req *q)
{
	free(q->window);
	free(q->what);
	free(q);
}

/* A request's context: the current window's name and what was asked. */
static struct files_req *
files_req_new(const char *window, const char *what)
{
	struct files_req	*q;

	q = xcalloc(1, sizeof *q);
	q->window = xstrdup(window);
	q->what = files_safe_dup(what);
	return (q);
}

/* Say a request failed: the agent's sentence, or that it went away. */
static void
files_req_error(const char *cmd, struct files_req *q, struct ui_reply *r)
{
	char	 msg[256];

	if (r->code == UI_ERR_DETACHED) {
		window_add_line(window_find(q->window), UI_LINE_ERROR, "/%s %s: "
		    "the agent went away before it answered", cmd, q->what);
		return;
	}
	if (session_check_auth(r))
		return;
	files_safe(r->message != NULL ? r->message : "failed", msg,
	    sizeof msg);
	window_add_line(window_find(q->window), UI_LINE_ERROR, "/%s %s: %s",
	    cmd, q->what, msg);
	if (r->code == CS_ERR_KEYS_LOCKED)
		window_add_line(window_find(q->window), UI_LINE_ERROR, "type "
		    "/unlock to open your keys with your account password");
}

/* file_send reply: follow the upload. */
static void
files_send_cb(struct ui_reply *r, void *arg)
{
	struct files_req	*q = arg;
	struct files_xfer	*x;
	const char		*id, *name;

	if (r->code != 0)
		files_req_error("file", q, r);
	else if ((id = files_str(r->result, "transfer")) != NULL &&
	    strlen(id) <= FILES_ID_MAX) {
		if ((name = files_str(r->result, "name")) == NULL)
			name = q->what;
		x = files_add(id, 1, q->window, name,
		    files_int(r->result, "size"));
		files_show_progress(x);
	}
	files_req_free(q);
	screen_update();
}

/* /file PATH [CAPTION]: send a file to the current window's conversation. */
void
cmd_file_send(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ui_window	*w = window_current;
	struct json_object	*params;
	struct files_req	*q;
	struct stat		 sb;
	const char		*rest = argv[0];
	char			 word[PATH_MAX], path[PATH_MAX], err[PATH_MAX + 64];
	char			 safe[FILES_NAME_SHOWN + 1];

	if (w == NULL || w->status) {
		window_add_line(NULL, UI_LINE_ERROR, "/file: go to a room or a "
		    "DM window first: this one has no one to send to");
		return;
	}
	if (w->dead) {
		window_add_line(NULL, UI_LINE_ERROR, "/file: %s was deleted",
		    w->name);
		return;
	}
	if (files_word(&rest, word, sizeof word) != 0 || *word == '\0') {
		window_add_line(NULL, UI_LINE_ERROR, "/file: a path, or a "
		    "\"quoted path\" with spaces: usage: /file %s", ce->usage);
		return;
	}
	files_safe(word, safe, sizeof safe);
	if (files_path(word, path, sizeof path, err, sizeof err) != 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/file: %s: %s", safe,
		    err);
		return;
	}
	if (stat(path, &sb) != 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/file: %s: %s", safe,
		    errno == ENOENT ? "no such file" : strerror(errno));
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		window_add_line(NULL, UI_LINE_ERROR, "/file: %s: not a regular "
		    "file", safe);
		return;
	}
	if (access(path, R_OK) != 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/file: %s: %s", safe,
		    strerror(errno));
		return;
	}
	if (strlen(rest) > CS_TEXT_MAX) {
		window_add_line(NULL, UI_LINE_ERROR, "/file: caption too long "
		    "(at most %d bytes)", CS_TEXT_MAX);
		return;
	}

	params = json_object_new_object();
	json_object_object_add(params, "to", json_object_new_string(w->name));
	json_object_object_add(params, "path", json_object_new_string(path));
	if (*rest != '\0')
		json_object_object_add(params, "text",
		    json_object_new_string(rest));
	q = files_req_new(w->name, word);
	if (ui_conn_request("file_send", params, 0, files_send_cb, q) != 0) {
		files_req_free(q);
		window_add_line(NULL, UI_LINE_ERROR, "/file: %s",
		    ui.attached ? "too many requests waiting for the agent" :
		    "not attached to the agent");
	}
}

/*
 * The folder /save writes to without one given: -D, else
 * $XDG_DOWNLOAD_DIR, else ~/Downloads if it exists, else the current
 * folder.  Into buf; 0, or -1 with a sentence in err.
 */
static int
files_download_dir(char *buf, size_t len, char *err, size_t errlen)
{
	const char	*env;
	struct stat	 sb;

	if (ui_conf.download_dir != NULL)
		return (files_path(ui_conf.download_dir, buf, len, err,
		    errlen));
	if ((env = getenv("XDG_DOWNLOAD_DIR")) != NULL && *env != '\0')
		return (files_path(env, buf, len, err, errlen));
	if (files_path("~/Downloads", buf, len, err, errlen) == 0 &&
	    stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode))
		return (0);
	return (files_path(".", buf, len, err, errlen));
}

/* The newest file message from someone else in w, or 0. */
static int64_t
files_latest_offer(struct ui_window *w)
{
	struct ui_line	*l;

	TAILQ_FOREACH_REVERSE(l, &w->lines, ui_lines, entry) {
		if (l->type == UI_LINE_FILE && !(l->flags & UI_LINE_SELF) &&
		    l->id > 0)
			return (l->id);
	}
	return (0);
}

/* file_fetch reply: follow the download. */
static void
files_save_cb(struct ui_reply *r, void *arg)
{
	struct files_req	*q = arg;
	struct files_xfer	*x;
	const char		*id, *name;

	if (r->code != 0)
		files_req_error("save", q, r);
	else if ((id = files_str(r->result, "transfer")) != NULL &&
	    strlen(id) <= FILES_ID_MAX) {
		if ((name = files_str(r->result, "name")) == NULL)
			name = q->what;
		x = files_add(id, 0, q->window, name,
		    files_int(r->result, "size"));
		files_show_progress(x);
	}
	files_req_free(q);
	screen_update();
}

/* /save [ID] [DIR]: fetch a file message's file into a folder. */
void
cmd_file_save(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ui_window	*w = window_current;
	struct json_object	*params;
	struct files_req	*q;
	struct stat		 sb;
	const char		*rest = argc > 0 ? argv[0] : "";
	char			 word[PATH_MAX], dir[PATH_MAX];
	char			 err[PATH_MAX + 64], safe[PATH_MAX], what[32];
	long			 n;
	int64_t			 id = 0;

	if (w == NULL)
		return;
	if (*rest != '\0' && isdigit((u_char)*rest)) {
		if (files_word(&rest, word, sizeof word) != 0 ||
		    cmd_number(word, 1, LONG_MAX, &n) != 0) {
			window_add_line(NULL, UI_LINE_ERROR, "/save: the id is "
			    "the number the file's line shows: usage: /save %s",
			    ce->usage);
			return;
		}
		id = n;
	} else if ((id = files_latest_offer(w)) == 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/save: no file offered in "
		    "this window: /save ID with the number of the file's "
		    "line");
		return;
	}
	if (*rest != '\0') {
		if (files_word(&rest, word, sizeof word) != 0 ||
		    *rest != '\0') {
			window_add_line(NULL, UI_LINE_ERROR, "/save: one "
			    "folder, \"quoted\" if it has spaces: usage: "
			    "/save %s", ce->usage);
			return;
		}
		if (files_path(word, dir, sizeof dir, err, sizeof err) != 0) {
			files_safe(word, safe, sizeof safe);
			window_add_line(NULL, UI_LINE_ERROR, "/save: %s: %s",
			    safe, err);
			return;
		}
	} else if (files_download_dir(dir, sizeof dir, err, sizeof err) != 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/save: %s", err);
		return;
	}
	files_safe(dir, safe, sizeof safe);
	if (stat(dir, &sb) != 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/save: %s: %s", safe,
		    errno == ENOENT ? "no such folder" : strerror(errno));
		return;
	}
	if (!S_ISDIR(sb.st_mode)) {
		window_add_line(NULL, UI_LINE_ERROR, "/save: %s: not a folder",
		    safe);
		return;
	}
	if (access(dir, W_OK|X_OK) != 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/save: %s: can't write "
		    "in it: %s", safe, strerror(errno));
		return;
	}

	params = json_object_new_object();
	json_object_object_add(params, "id", json_object_new_int64(id));
	json_object_object_add(params, "dir", json_object_new_string(dir));
	snprintf(what, sizeof what, "%lld", (long long)id);
	q = files_req_new(w->name, what);
	if (ui_conn_request("file_fetch", params, 0, files_save_cb, q) != 0) {
		files_req_free(q);
		window_add_line(NULL, UI_LINE_ERROR, "/save: %s",
		    ui.attached ? "too many requests waiting for the agent" :
		    "not attached to the agent");
	}
}

/* file_transfers reply: one line per transfer. */
static void
files_list_cb(struct ui_reply *r, void *arg)
{
	struct files_req	*q = arg;
	struct ui_window	*w = window_find(q->window);
	struct json_object	*list, *t;
	const char		*dir, *who, *state;
	char			 id[FILES_ID_MAX + 1], name[FILES_NAME_SHOWN + 1];
	char			 peer[FILES_NAME_SHOWN + 1], st[32];
	char			 done[32], total[32];
	int64_t			 d, n;
	size_t			 i, len;

	if (r->code != 0) {
		files_req_error("files", q, r);
		goto out;
	}
	if (!json_object_object_get_ex(r->result, "transfers", &list) ||
	    !json_object_is_type(list, json_type_array) ||
	    (len = json_object_array_length(list)) == 0) {
		window_add_line(w, UI_LINE_INFO, "no file transfers running");
		goto out;
	}
	window_add_line(w, UI_LINE_INFO, "%zu file transfer%s:", len,
	    len == 1 ? "" : "s");
	for (i = 0; i < len; i++) {
		t = json_object_array_get_idx(list, i);
		files_safe(files_str(t, "transfer") != NULL ?
		    files_str(t, "transfer") : "?", id, sizeof id);
		files_safe(files_str(t, "name") != NULL ?
		    files_str(t, "name") : "?", name, sizeof name);
		files_safe(files_str(t, "state") != NULL ?
		    files_str(t, "state") : "?", st, sizeof st);
		dir = files_str(t, "direction");
		if (dir != NULL && strcmp(dir, "up") == 0) {
			dir = "up";
			who = files_str(t, "to");
		} else {
			dir = "down";
			who = files_str(t, "from");
		}
		files_safe(who != NULL ? who : "?", peer, sizeof peer);
		d = files_int(t, "done");
		n = files_int(t, "total");
		state = st;
		window_add_line(w, UI_LINE_INFO, "  %-5s %-4s %s %s %s — "
		    "%s of %s (%lld%%) %s", id, dir,
		    strcmp(dir, "up") == 0 ? "to" : "from", peer, name,
		    files_human(d, done, sizeof done),
		    files_human(n, total, sizeof total),
		    (long long)(n > 0 && d >= 0 ? d * 100 / n : 0), state);
	}
	window_add_line(w, UI_LINE_INFO, "/cancel ID ends one");
out:
	files_req_free(q);
	screen_update();
}

/* /files: list the agent's running transfers. */
void
cmd_file_list(const struct cmd_entry *ce, int argc, char **argv)
{
	struct files_req	*q;

	if (window_current == NULL)
		return;
	q = files_req_new(window_current->name, "");
	if (ui_conn_request("file_transfers", NULL, 0, files_list_cb,
	    q) != 0) {
		files_req_free(q);
		window_add_line(NULL, UI_LINE_ERROR, "/files: not attached to "
		    "the agent");
	}
}

/* file_cancel reply; the file_failed event says it ended. */
static void
files_cancel_cb(struct ui_reply *r, void *arg)
{
	struct files_req	*q = arg;

	if (r->code != 0)
		files_req_error("cancel", q, r);
	files_req_free(q);
	screen_update();
}

/* /cancel ID: end a transfer. */
void
cmd_file_cancel(const struct cmd_entry *ce, int argc, char **argv)
{
	struct json_object	*params;
	struct files_req	*q;
	const char		*p = argv[0];
	char			 safe[FILES_NAME_SHOWN + 1], id[FILES_ID_MAX + 2];

	if (window_current == NULL)
		return;
	if (*p == 't')
		p++;
	if (*p == '\0' || strlen(argv[0]) > FILES_ID_MAX ||
	    strspn(p, "0123456789") != strlen(p)) {
		files_safe(argv[0], safe, sizeof safe);
		window_add_line(NULL, UI_LINE_ERROR, "/cancel: %s: not a "
		    "transfer id: /files shows them (t1, t2, ...)", safe);
		return;
	}
	/* A bare number is the transfer with that number. */
	snprintf(id, sizeof id, "t%s", p);
	params = json_object_new_object();
	json_object_object_add(params, "transfer", json_object_new_string(id));
	q = files_req_new(window_current->name, id);
	if (ui_conn_request("file_cancel", params, 0, files_cancel_cb,
	    q) != 0) {
		files_req_free(q);
		window_add_line(NULL, UI_LINE_ERROR, "/cancel: not attached to "
		    "the agent");
	}
}

/* Forget every transfer, at exit. */
void
files_free(void)
{
	struct files_xfer	*x;

	while ((x = TAILQ_FIRST(&files_q)) != NULL) {
		/* files_remove unlinks x before it frees it (the analyzer
		 * loses track of TAILQ_REMOVE). */
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		files_remove(x);
	}
}

/* chatsec — the curses UI: commands.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

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

#include "names.h"
#include "proto.h"
#include "sec.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * Every command is one entry of cmd_table: its name, argument synopsis,
 * how many arguments it takes, help, and handler.  cmd_execute splits and
 * counts the arguments (with CMD_REST the last one is the rest of the
 * line, spaces and all) so no handler checks them again.
 */

#define CMD_ARGS_MAX	4
#define CMD_REST	0x1	/* the last argument takes the rest of the line */
#define CMD_LOGIN	0x2	/* needs the main screen (logged in) */

struct cmd_entry {
	const char	*name;
	const char	*usage;		/* arguments, for "usage: /name ..." */
	int		 min;
	int		 max;
	int		 flags;
	const char	*help;
	void		(*exec)(const struct cmd_entry *, int, char **);
};

static void	cmd_clear(const struct cmd_entry *, int, char **);
static void	cmd_help(const struct cmd_entry *, int, char **);
static void	cmd_join(const struct cmd_entry *, int, char **);
static void	cmd_logout(const struct cmd_entry *, int, char **);
static void	cmd_me(const struct cmd_entry *, int, char **);
static void	cmd_msg(const struct cmd_entry *, int, char **);
static void	cmd_names(const struct cmd_entry *, int, char **);
static void	cmd_part(const struct cmd_entry *, int, char **);
static void	cmd_query(const struct cmd_entry *, int, char **);
static void	cmd_quit(const struct cmd_entry *, int, char **);
static void	cmd_set(const struct cmd_entry *, int, char **);
static void	cmd_who(const struct cmd_entry *, int, char **);
static void	cmd_window(const struct cmd_entry *, int, char **);

static const struct cmd_entry cmd_table[] = {
	{ "clear", "", 0, 0, 0,
	  "Clear the current window (paging back stops there).", cmd_clear },
	{ "help", "[COMMAND]", 0, 1, 0,
	  "List the commands, or explain one.", cmd_help },
	{ "join", "#general", 1, 1, 0,
	  "Go to #general (other rooms arrive with rooms support).",
	  cmd_join },
	{ "logout", "", 0, 0, CMD_LOGIN,
	  "Log out: the agent forgets its session; you will need your code "
	  "again.", cmd_logout },
	{ "me", "TEXT", 1, 1, CMD_REST|CMD_LOGIN,
	  "Send TEXT as an action (\"* you TEXT\") to the current window.",
	  cmd_me },
	{ "msg", "NICK TEXT", 2, 2, CMD_REST|CMD_LOGIN,
	  "Send TEXT to NICK privately (or to #general), without leaving "
	  "this window.", cmd_msg },
	{ "names", "", 0, 0, CMD_LOGIN,
	  "Who is in this window: online users for #general, the two of you "
	  "for a DM.", cmd_names },
	{ "part", "[WINDOW]", 0, 1, 0,
	  "Close a DM window (#general can't be left).", cmd_part },
	{ "query", "NICK", 1, 1, CMD_LOGIN,
	  "Open (or go to) the DM window with NICK.", cmd_query },
	{ "quit", "", 0, 0, 0,
	  "Detach and leave; the agent stays running and logged in.",
	  cmd_quit },
	{ "set", "[OPTION [VALUE]]", 0, 2, 0,
	  "Show the options, or set one (bell on|off, lines N).", cmd_set },
	{ "who", "", 0, 0, CMD_LOGIN,
	  "List who is online on the server.", cmd_who },
	{ "window", "NUMBER", 1, 1, 0,
	  "Go to window NUMBER (as Alt-NUMBER does).", cmd_window },
};
#define CMD_NTABLE	(sizeof cmd_table / sizeof cmd_table[0])

/* The options /set knows: a table, like the command line's. */
static const struct cmd_option {
	const char	*name;
	int		 boolean;
	int		*value;
	int		 min;
	int		 max;
	const char	*help;
} cmd_options[] = {
	{ "bell", 1, &ui_conf.bell, 0, 1,
	  "ring the terminal bell on a DM or a mention" },
	{ "lines", 0, &ui_conf.lines, UI_LINES_MIN, UI_LINES_MAX,
	  "lines kept per window" },
};
#define CMD_NOPTIONS	(sizeof cmd_options / sizeof cmd_options[0])

/* Parse a decimal number within [min, max]; 0, or -1 if it is not one. */
static int
cmd_number(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 n;

	if (!isdigit((u_char)*s))
		return (-1);
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return (-1);
	*out = n;
	return (0);
}

/* Find a command by exact name. */
static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < CMD_NTABLE; i++) {
		if (strcmp(cmd_table[i].name, name) == 0)
			return (&cmd_table[i]);
	}
	return (NULL);
}

/* Command names starting with prefix (borrowed), for Tab. */
u_int
cmd_complete(const char *prefix, const char **out, u_int max)
{
	size_t	 i, len = strlen(prefix);
	u_int	 n = 0;

	for (i = 0; i < CMD_NTABLE && n < max; i++) {
		if (strncmp(cmd_table[i].name, prefix, len) == 0)
			out[n++] = cmd_table[i].name;
	}
	return (n);
}

/* Make a client message id: 16 random bytes as hex. */
static char *
cmd_new_cid(void)
{
	uint8_t	 raw[16];
	char	 hex[2 * sizeof raw + 1];

	sec_random(raw, sizeof raw);
	sec_hex(raw, sizeof raw, hex);
	return (xstrdup(hex));
}

/* send reply: the pending line becomes the stored message, or fails. */
static void
cmd_send_cb(struct ui_reply *r, void *arg)
{
	struct json_object	*v;
	char			*cid = arg;
	int64_t			 id = 0, ts = 0;

	if (r->code == 0) {
		if (json_object_object_get_ex(r->result, "id", &v))
			id = json_object_get_int64(v);
		if (json_object_object_get_ex(r->result, "ts", &v))
			ts = json_object_get_int64(v);
		window_send_done(cid, id, ts);
	} else if (r->code == UI_ERR_DETACHED)
		window_send_failed(cid, "the agent went away before it "
		    "confirmed this message; it may still arrive");
	else {
		window_send_failed(cid, r->message);
		session_check_auth(r);
	}
	free(cid);
	screen_update();
}

/* Send text to window w's conversation; it shows at once, dimmed. */
void
cmd_send_text(struct ui_window *w, const char *text)
{
	struct json_object	*params;
	char			*cid;
	size_t			 len = strlen(text);

	if (w == NULL)
		return;
	if (len > CS_TEXT_MAX) {
		window_add_line(NULL, UI_LINE_ERROR, "message too long: %zu "
		    "bytes (at most %d)", len, CS_TEXT_MAX);
		return;
	}
	cid = cmd_new_cid();
	params = json_object_new_object();
	json_object_object_add(params, "to", json_object_new_string(w->name));
	json_object_object_add(params, "text", json_object_new_string(text));
	json_object_object_add(params, "cid", json_object_new_string(cid));
	if (ui_conn_request("send", params, 0, cmd_send_cb, cid) != 0) {
		window_add_line(NULL, UI_LINE_ERROR, "not sent: %s",
		    ui.attached ? "too many requests waiting for the agent" :
		    "not attached to the agent");
		free(cid);
		return;
	}
	window_add_pending(w, text, cid);
}

/*
 * Run an input line: a command if it starts with '/' ("//" sends a line
 * starting with '/'), else a message to the current window.
 */
void
cmd_execute(const char *line)
{
	const struct cmd_entry	*ce;
	char			*copy, *p, *argv[CMD_ARGS_MAX], *name;
	int			 argc = 0;

	if (line[0] != '/' || line[1] == '/') {
		if (line[0] == '/')
			line++;
		if (ui.mode != UI_MODE_MAIN || window_current == NULL)
			return;
		cmd_send_text(window_current, line);
		return;
	}

	p = copy = xstrdup(line + 1);
	name = p;
	while (*p != '\0' && *p != ' ')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	if ((ce = cmd_find(name)) == NULL) {
		window_add_line(NULL, UI_LINE_ERROR, "unknown command /%s: "
		    "/help lists the commands", name);
		free(copy);
		return;
	}
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (argc == CMD_ARGS_MAX || argc > ce->max) {
			argc = ce->max + 1;	/* too many */
			break;
		}
		if ((ce->flags & CMD_REST) && argc == ce->max - 1) {
			argv[argc++] = p;
			break;
		}
		argv[argc++] = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	if (argc < ce->min || argc > ce->max) {
		window_add_line(NULL, UI_LINE_ERROR, "usage: /%s%s%s",
		    ce->name, *ce->usage != '\0' ? " " : "", ce->usage);
		free(copy);
		return;
	}
	if ((ce->flags & CMD_LOGIN) && !ui.logged_in) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: not logged in",
		    ce->name);
		free(copy);
		return;
	}
	ce->exec(ce, argc, argv);
	free(copy);
}

/* Check a nick for /msg and /query; 0, or -1 with an error line. */
static int
cmd_check_nick(const struct cmd_entry *ce, const char *nick)
{
	const char	*why;

	if ((why = name_user_check(nick)) != NULL) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: %s: %s", ce->name,
		    nick, why);
		return (-1);
	}
	return (0);
}

/* The sentence for any room but #general, until rooms arrive. */
static void
cmd_no_rooms(const struct cmd_entry *ce, const char *room)
{
	window_add_line(NULL, UI_LINE_ERROR, "/%s %s: rooms other than "
	    "#general arrive with rooms support", ce->name, room);
}

/* /clear */
static void
cmd_clear(const struct cmd_entry *ce, int argc, char **argv)
{
	if (window_current != NULL)
		window_clear(window_current);
}

/* /help [COMMAND] */
static void
cmd_help(const struct cmd_entry *ce, int argc, char **argv)
{
	const struct cmd_entry	*c;
	const char		*name;
	size_t			 i;

	if (argc == 1) {
		name = argv[0][0] == '/' ? argv[0] + 1 : argv[0];
		if ((c = cmd_find(name)) == NULL) {
			window_add_line(NULL, UI_LINE_ERROR, "/help: no command "
			    "/%s", name);
			return;
		}
		window_add_line(NULL, UI_LINE_INFO, "/%s%s%s", c->name,
		    *c->usage != '\0' ? " " : "", c->usage);
		window_add_line(NULL, UI_LINE_INFO, "    %s", c->help);
		return;
	}
	window_add_line(NULL, UI_LINE_INFO, "commands (/help COMMAND for "
	    "one):");
	for (i = 0; i < CMD_NTABLE; i++) {
		c = &cmd_table[i];
		window_add_line(NULL, UI_LINE_INFO, "  /%-7s %-18s %s",
		    c->name, c->usage, c->help);
	}
	window_add_line(NULL, UI_LINE_INFO, "keys: Alt-1..9 or Ctrl-N/Ctrl-P "
	    "switch windows, PgUp/PgDn scroll, Tab completes, Up/Down "
	    "recall, Ctrl-L redraws");
}

/* /join #general */
static void
cmd_join(const struct cmd_entry *ce, int argc, char **argv)
{
	if (strcasecmp(argv[0], CS_GENERAL) != 0) {
		cmd_no_rooms(ce, argv[0]);
		return;
	}
	window_select(window_get(CS_GENERAL));
}

/* logout reply. */
static void
cmd_logout_cb(struct ui_reply *r, void *arg)
{
	if (r->code != 0 && r->code != CS_ERR_AUTH_REQUIRED) {
		window_add_line(NULL, UI_LINE_ERROR, "logout: %s", r->message);
		return;
	}
	session_logged_out("logged out");
}

/* /logout */
static void
cmd_logout(const struct cmd_entry *ce, int argc, char **argv)
{
	if (ui_conn_request("logout", NULL, 0, cmd_logout_cb, NULL) != 0)
		window_add_line(NULL, UI_LINE_ERROR, "logout: not attached to "
		    "the agent");
}

/* /me TEXT */
static void
cmd_me(const struct cmd_entry *ce, int argc, char **argv)
{
	char	*text;

	xasprintf(&text, "/me %s", argv[0]);
	cmd_send_text(window_current, text);
	free(text);
}

/* /msg NICK TEXT */
static void
cmd_msg(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ui_window	*w;

	if (argv[0][0] == '#') {
		if (strcasecmp(argv[0], CS_GENERAL) != 0) {
			cmd_no_rooms(ce, argv[0]);
			return;
		}
	} else if (cmd_check_nick(ce, argv[0]) != 0)
		return;
	if ((w = window_get(argv[0])) == NULL) {
		window_add_line(NULL, UI_LINE_ERROR, "/msg: too many windows");
		return;
	}
	if (w->nlines == 0 && !w->fetching)
		window_fetch_history(w, 0);
	cmd_send_text(w, argv[1]);
}

/* /names */
static void
cmd_names(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ui_window	*w = window_current;

	if (w == NULL)
		return;
	if (!w->dm) {
		session_who(w->name);
		return;
	}
	window_add_line(w, UI_LINE_INFO, "in this conversation: %s (%s), %s "
	    "(you)", w->name, session_is_online(w->name) ? "online" :
	    "offline", ui.user != NULL ? ui.user : "?");
}

/* /part [WINDOW] */
static void
cmd_part(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ui_window	*w = window_current;

	if (argc == 1 && (w = window_find(argv[0])) == NULL) {
		if (argv[0][0] == '#' && strcasecmp(argv[0], CS_GENERAL) != 0)
			cmd_no_rooms(ce, argv[0]);
		else
			window_add_line(NULL, UI_LINE_ERROR, "/part: no window "
			    "%s", argv[0]);
		return;
	}
	if (w == NULL)
		return;
	if (!w->dm) {
		window_add_line(NULL, UI_LINE_ERROR, "/part: #general is "
		    "everyone's room and can't be left");
		return;
	}
	window_close(w);
}

/* /query NICK */
static void
cmd_query(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ui_window	*w;

	if (argv[0][0] == '#') {
		if (strcasecmp(argv[0], CS_GENERAL) != 0)
			cmd_no_rooms(ce, argv[0]);
		else
			window_select(window_get(CS_GENERAL));
		return;
	}
	if (cmd_check_nick(ce, argv[0]) != 0)
		return;
	if (ui.user != NULL && strcasecmp(argv[0], ui.user) == 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/query: that is you");
		return;
	}
	if ((w = window_get(argv[0])) == NULL) {
		window_add_line(NULL, UI_LINE_ERROR, "/query: too many "
		    "windows");
		return;
	}
	window_select(w);
	if (w->nlines == 0 && !w->fetching)
		window_fetch_history(w, 0);
}

/* /quit */
static void
cmd_quit(const struct cmd_entry *ce, int argc, char **argv)
{
	ui_quit(NULL);
}

/* Set option name to value; 0, or -1 with a sentence in err. */
static int
cmd_set_option(const char *name, const char *value, char *err,
    size_t errlen)
{
	const struct cmd_option	*o = NULL;
	long			 n;
	size_t			 i;

	for (i = 0; i < CMD_NOPTIONS; i++) {
		if (strcmp(cmd_options[i].name, name) == 0)
			o = &cmd_options[i];
	}
	if (o == NULL) {
		snprintf(err, errlen, "no option %s", name);
		return (-1);
	}
	if (o->boolean) {
		if (strcmp(value, "on") == 0 || strcmp(value, "1") == 0 ||
		    strcmp(value, "yes") == 0)
			*o->value = 1;
		else if (strcmp(value, "off") == 0 || strcmp(value, "0") == 0 ||
		    strcmp(value, "no") == 0)
			*o->value = 0;
		else {
			snprintf(err, errlen, "%s is on or off", name);
			return (-1);
		}
		return (0);
	}
	if (cmd_number(value, o->min, o->max, &n) != 0) {
		snprintf(err, errlen, "%s must be a number from %d to %d",
		    name, o->min, o->max);
		return (-1);
	}
	*o->value = (int)n;
	return (0);
}

/* Show one option's value. */
static void
cmd_show_option(const struct cmd_option *o)
{
	if (o->boolean)
		window_add_line(NULL, UI_LINE_INFO, "%s %s — %s", o->name,
		    *o->value ? "on" : "off", o->help);
	else
		window_add_line(NULL, UI_LINE_INFO, "%s %d — %s", o->name,
		    *o->value, o->help);
}

/* /set [OPTION [VALUE]] */
static void
cmd_set(const struct cmd_entry *ce, int argc, char **argv)
{
	char	 err[128];
	size_t	 i;

	if (argc == 2) {
		if (cmd_set_option(argv[0], argv[1], err, sizeof err) != 0) {
			window_add_line(NULL, UI_LINE_ERROR, "/set: %s", err);
			return;
		}
	}
	for (i = 0; i < CMD_NOPTIONS; i++) {
		if (argc == 0 || strcmp(cmd_options[i].name, argv[0]) == 0) {
			cmd_show_option(&cmd_options[i]);
			if (argc != 0)
				return;
		}
	}
	if (argc != 0)
		window_add_line(NULL, UI_LINE_ERROR, "/set: no option %s",
		    argv[0]);
}

/* /who */
static void
cmd_who(const struct cmd_entry *ce, int argc, char **argv)
{
	if (window_current != NULL)
		session_who(window_current->name);
}

/* /window NUMBER */
static void
cmd_window(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ui_window	*w;
	long			 n;

	if (cmd_number(argv[0], 1, 1000, &n) != 0 ||
	    (w = window_at((u_int)n - 1)) == NULL) {
		window_add_line(NULL, UI_LINE_ERROR, "/window: no window %s",
		    argv[0]);
		return;
	}
	window_select(w);
}

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
 * line, spaces and all) so no handler checks them again.  With CMD_ROOM a
 * first word starting with '#' is taken out first, into cmd_room_arg: the
 * room the command acts on instead of the current window's.
 */

const char	*cmd_room_arg;

static void	cmd_clear(const struct cmd_entry *, int, char **);
static void	cmd_help(const struct cmd_entry *, int, char **);
static void	cmd_away(const struct cmd_entry *, int, char **);
static void	cmd_logout(const struct cmd_entry *, int, char **);
static void	cmd_me(const struct cmd_entry *, int, char **);
static void	cmd_msg(const struct cmd_entry *, int, char **);
static void	cmd_query(const struct cmd_entry *, int, char **);
static void	cmd_quit(const struct cmd_entry *, int, char **);
static void	cmd_set(const struct cmd_entry *, int, char **);
static void	cmd_who(const struct cmd_entry *, int, char **);
static void	cmd_window(const struct cmd_entry *, int, char **);

static const struct cmd_entry cmd_table[] = {
	{ "accept", "NICK", 1, 1, CMD_LOGIN,
	  "Take NICK's changed keys (unverified) so you can send to them "
	  "again.", cmd_keys_accept },
	{ "away", "[TEXT]", 0, 1, CMD_REST|CMD_LOGIN,
	  "Set an away message others see, or clear it without TEXT.",
	  cmd_away },
	{ "ban", "[#ROOM] NICK [REASON] [-expires 10m|2h|3d]", 1, 2,
	  CMD_REST|CMD_LOGIN|CMD_ROOM,
	  "Ban NICK from the room (and remove them), for good or for a time "
	  "(s, m, h, d, w).", cmd_room_ban },
	{ "cancel", "ID", 1, 1, CMD_LOGIN,
	  "Stop file transfer ID (as /files shows it, t1, t2, ...).",
	  cmd_file_cancel },
	{ "clear", "", 0, 0, 0,
	  "Clear the current window (paging back stops there).", cmd_clear },
	{ "close", "[WINDOW]", 0, 1, 0,
	  "Close a window without leaving its room (/part leaves).",
	  cmd_room_close },
	{ "create", "#ROOM [-invite] [TOPIC]", 1, 2, CMD_REST|CMD_LOGIN,
	  "Create a room (invite-only with -invite) and go to it; you are "
	  "its owner.", cmd_room_create },
	{ "delete", "[#ROOM]", 0, 0, CMD_LOGIN|CMD_ROOM,
	  "Delete the room with its whole history (owner); asks you to "
	  "repeat it.", cmd_room_delete },
	{ "deop", "[#ROOM] NICK", 1, 1, CMD_LOGIN|CMD_ROOM,
	  "Take operator rights from NICK (owner).", cmd_room_user },
	{ "file", "PATH [CAPTION]", 1, 1, CMD_REST|CMD_LOGIN,
	  "Send a file (\"quote\" a path with spaces; ~ is your home) to "
	  "the current window's room or DM, end-to-end encrypted.",
	  cmd_file_send },
	{ "files", "", 0, 0, CMD_LOGIN,
	  "List the file transfers running: id, direction, name, progress, "
	  "state.", cmd_file_list },
	{ "help", "[COMMAND]", 0, 1, 0,
	  "List the commands, or explain one.", cmd_help },
	{ "invite", "[#ROOM] NICK", 1, 1, CMD_LOGIN|CMD_ROOM,
	  "Invite NICK to the room (operators; needed for invite-only "
	  "rooms).", cmd_room_user },
	{ "join", "#ROOM", 1, 1, CMD_LOGIN,
	  "Join a room and open its window (or go to it).", cmd_room_join },
	{ "kick", "[#ROOM] NICK [REASON]", 1, 2, CMD_REST|CMD_LOGIN|CMD_ROOM,
	  "Remove NICK from the room; they may join again (operators).",
	  cmd_room_user },
	{ "list", "", 0, 0, CMD_LOGIN,
	  "List the rooms you can see, with members and who is online, in "
	  "the status window.", cmd_room_list },
	{ "logout", "", 0, 0, CMD_LOGIN,
	  "Log out: the agent forgets its session; you will need your code "
	  "again.", cmd_logout },
	{ "me", "TEXT", 1, 1, CMD_REST|CMD_LOGIN,
	  "Send TEXT as an action (\"* you TEXT\") to the current window.",
	  cmd_me },
	{ "msg", "NICK TEXT", 2, 2, CMD_REST|CMD_LOGIN,
	  "Send TEXT to NICK privately (NICK may be a #room), without "
	  "leaving this window.", cmd_msg },
	{ "mute", "[#ROOM] NICK", 1, 1, CMD_LOGIN|CMD_ROOM,
	  "Stop NICK sending to the room (operators).", cmd_room_user },
	{ "names", "[#ROOM]", 0, 0, CMD_LOGIN|CMD_ROOM,
	  "List the room's members: ~ owner, @ operator, - muted; or the "
	  "two of you in a DM.", cmd_room_names },
	{ "op", "[#ROOM] NICK", 1, 1, CMD_LOGIN|CMD_ROOM,
	  "Make NICK an operator of the room (owner).", cmd_room_user },
	{ "part", "[#ROOM|WINDOW]", 0, 1, 0,
	  "Leave a room and close its window, or close a DM window.",
	  cmd_room_part },
	{ "passwd", "", 0, 0, CMD_LOGIN,
	  "Change your account password (asked three times, never shown); "
	  "your other sessions are logged out.", cmd_passwd },
	{ "query", "NICK", 1, 1, CMD_LOGIN,
	  "Open (or go to) the DM window with NICK.", cmd_query },
	{ "quit", "", 0, 0, 0,
	  "Detach and leave; the agent stays running and logged in.",
	  cmd_quit },
	{ "save", "[ID] [DIR]", 0, 1, CMD_REST|CMD_LOGIN,
	  "Fetch file ID (the number its line shows; default the newest "
	  "offered here) into DIR or the downloads folder (-D).",
	  cmd_file_save },
	{ "set", "[OPTION [VALUE]]", 0, 2, 0,
	  "Show the options, or set one (bell on|off, lines N, members "
	  "on|off).", cmd_set },
	{ "topic", "[#ROOM] [TEXT|-clear]", 0, 1, CMD_REST|CMD_LOGIN|CMD_ROOM,
	  "Show the room's topic, set it, or clear it with -clear "
	  "(operators).", cmd_room_topic },
	{ "transfer", "[#ROOM] NICK", 1, 1, CMD_LOGIN|CMD_ROOM,
	  "Hand the room over to NICK, a member; you stay an operator "
	  "(owner).", cmd_room_user },
	{ "unban", "[#ROOM] NICK", 1, 1, CMD_LOGIN|CMD_ROOM,
	  "Lift NICK's ban from the room (operators).", cmd_room_user },
	{ "unlock", "", 0, 0, CMD_LOGIN,
	  "Open the agent's end-to-end keys with your account password "
	  "(needed after a reboot).", cmd_keys_unlock },
	{ "unmute", "[#ROOM] NICK", 1, 1, CMD_LOGIN|CMD_ROOM,
	  "Let NICK send to the room again (operators).", cmd_room_user },
	{ "verify", "[NICK [SAFETY-NUMBER]]", 0, 2, CMD_REST|CMD_LOGIN,
	  "Show your fingerprint, or NICK's with your safety number; with "
	  "the number NICK read out, mark them verified.", cmd_keys_verify },
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
	{ "typing", 1, &ui_conf.typing, 0, 1,
	  "tell the others in a window when you are typing to it" },
	{ "lines", 0, &ui_conf.lines, UI_LINES_MIN, UI_LINES_MAX,
	  "lines kept per window" },
	{ "members", 1, &ui_conf.members, 0, 1,
	  "show the member list of a room on the right (F7 toggles)" },
};
#define CMD_NOPTIONS	(sizeof cmd_options / sizeof cmd_options[0])

/* Parse a decimal number within [min, max]; 0, or -1 if it is not one. */
int
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
		if (r->code == CS_ERR_KEYS_LOCKED) {
			window_add_line(NULL, UI_LINE_ERROR, "type /unlock to "
			    "open your keys with your account password");
			session_status();
		}
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
	if (w->status) {
		window_add_line(w, UI_LINE_ERROR, "this is the status window: "
		    "there is no one to send to here");
		return;
	}
	if (w->dead) {
		window_add_line(w, UI_LINE_ERROR, "not sent: %s was deleted",
		    w->name);
		return;
	}
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
	cmd_room_arg = NULL;
	while (*p == ' ')
		p++;
	if ((ce->flags & CMD_ROOM) && *p == '#') {
		cmd_room_arg = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p != '\0')
			*p++ = '\0';
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
	cmd_room_arg = NULL;
	free(copy);
}

/* Check a nick argument; 0, or -1 with an error line. */
int
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

/* /away [TEXT]: set the away text, or clear it. */
static void
cmd_away(const struct cmd_entry *ce, int argc, char **argv)
{
	const char	*text = argc > 0 ? argv[0] : NULL;
	const char	*why;

	if (text != NULL && (why = name_away_check(text, strlen(text))) !=
	    NULL) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: %s", ce->name, why);
		return;
	}
	session_away(text);
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
		window_add_line(NULL, UI_LINE_INFO, "  /%-8s %s", c->name,
		    c->help);
	}
	window_add_line(NULL, UI_LINE_INFO, "keys: Alt-1..9 or Ctrl-N/Ctrl-P "
	    "switch windows, PgUp/PgDn scroll, Tab completes, Up/Down "
	    "recall, F7 shows the members, Ctrl-L redraws");
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

	const char		*why;

	if (argv[0][0] == '#') {
		if ((why = name_room_check(argv[0])) != NULL) {
			window_add_line(NULL, UI_LINE_ERROR, "/msg: %s: %s",
			    argv[0], why);
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

/* /query NICK */
static void
cmd_query(const struct cmd_entry *ce, int argc, char **argv)
{
	struct ui_window	*w;

	if (argv[0][0] == '#') {
		cmd_room_join(ce, argc, argv);
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
		rooms_members_want(window_current, 0);
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

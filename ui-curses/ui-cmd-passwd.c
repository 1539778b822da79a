/* chatsec — the curses UI: /passwd.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "names.h"
#include "proto.h"
#include "sec.h"

#include "chatsec.h"

/*
 * /passwd changes the account password (doc/api.md, password_change).  It
 * asks on the input line, drawn as stars and never kept in the history,
 * for the current password, the new one and the new one again; a mismatch
 * or a new password that breaks the rules is refused here, before anything
 * is sent.  What was typed is wiped once sent or given up.  Every other
 * session of the account ends; this one goes on.
 */

static struct {
	char	*cur;		/* typed so far; wiped and freed */
	char	*new;
} passwd;

/* Wipe and free a typed password. */
static void
cmd_passwd_wipe(char **s)
{
	if (*s != NULL) {
		sec_wipe(*s, strlen(*s));
		free(*s);
	}
	*s = NULL;
}

/* Forget everything typed. */
static void
cmd_passwd_forget(void)
{
	cmd_passwd_wipe(&passwd.cur);
	cmd_passwd_wipe(&passwd.new);
}

/* password_change reply: one line saying what happened. */
static void
cmd_passwd_cb(struct ui_reply *r, void *arg)
{
	struct json_object	*v;
	int			 resealed = 0;

	if (r->code == 0) {
		if (json_object_object_get_ex(r->result, "keys_resealed", &v))
			resealed = json_object_get_boolean(v);
		window_add_line(NULL, UI_LINE_INFO, "password changed: your "
		    "other sessions are logged out; %s", resealed ?
		    "the key file is sealed with the new password" :
		    "the key file was not re-sealed (see /unlock)");
	} else if (!session_check_auth(r)) {
		window_add_line(NULL, UI_LINE_ERROR, "/passwd: %s; the "
		    "password is unchanged", r->message);
	}
	session_status();
	screen_update();
}

/* The new password again: compare, then send both. */
static void
cmd_passwd_again_done(char *again)
{
	struct json_object	*params;
	size_t			 len = strlen(again);
	int			 same;

	if (*again == '\0' || passwd.cur == NULL || passwd.new == NULL) {
		window_add_line(NULL, UI_LINE_INFO, "/passwd: cancelled");
		goto out;
	}
	same = len == strlen(passwd.new) &&
	    sec_equal(again, passwd.new, len) == 0;
	if (!same) {
		window_add_line(NULL, UI_LINE_ERROR, "/passwd: the two new "
		    "passwords differ; the password is unchanged");
		goto out;
	}
	params = json_object_new_object();
	json_object_object_add(params, "password",
	    json_object_new_string(passwd.cur));
	json_object_object_add(params, "new_password",
	    json_object_new_string(passwd.new));
	/* A secret request: wiped once queued. */
	if (ui_conn_request("password_change", params, 1, cmd_passwd_cb,
	    NULL) != 0)
		window_add_line(NULL, UI_LINE_ERROR, "/passwd: not attached "
		    "to the agent");
	else
		window_add_line(NULL, UI_LINE_INFO, "/passwd: changing the "
		    "password...");
out:
	sec_wipe(again, len);
	free(again);
	cmd_passwd_forget();
}

/* The new password: check the rules, then ask for it again. */
static void
cmd_passwd_new_done(char *pw)
{
	const char	*why;

	if (*pw == '\0' || passwd.cur == NULL) {
		window_add_line(NULL, UI_LINE_INFO, "/passwd: cancelled");
		cmd_passwd_wipe(&pw);
		cmd_passwd_forget();
		return;
	}
	if ((why = name_password_check(pw, strlen(pw))) != NULL) {
		window_add_line(NULL, UI_LINE_ERROR, "/passwd: new %s; the "
		    "password is unchanged", why);
		cmd_passwd_wipe(&pw);
		cmd_passwd_forget();
		return;
	}
	passwd.new = pw;
	input_ask_secret("new password again: ", cmd_passwd_again_done);
}

/* The current password: ask for the new one. */
static void
cmd_passwd_cur_done(char *pw)
{
	cmd_passwd_forget();
	if (*pw == '\0') {
		window_add_line(NULL, UI_LINE_INFO, "/passwd: cancelled");
		cmd_passwd_wipe(&pw);
		return;
	}
	passwd.cur = pw;
	input_ask_secret("new password: ", cmd_passwd_new_done);
}

/* /passwd */
void
cmd_passwd(const struct cmd_entry *ce, int argc, char **argv)
{
	cmd_passwd_forget();
	input_ask_secret("current password (Esc cancels): ",
	    cmd_passwd_cur_done);
}

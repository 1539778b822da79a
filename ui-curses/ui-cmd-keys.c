/* chatsec — the curses UI: key commands.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "proto.h"
#include "sec.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * Commands for the agent's end-to-end keys (doc/api.md, "End-to-end
 * encryption").  /unlock asks for the account password on the input line,
 * drawn as stars and wiped once sent, as the login form does.
 */

/* keys_unlock reply. */
static void
cmd_keys_unlock_cb(struct ui_reply *r, void *arg)
{
	if (r->code == 0)
		window_add_line(NULL, UI_LINE_INFO, "keys unlocked: messages "
		    "that waited are opened now");
	else if (!session_check_auth(r))
		window_add_line(NULL, UI_LINE_ERROR, "/unlock: %s",
		    r->message);
	session_status();
	screen_update();
}

/* The password was typed: send it (the request is wiped once queued). */
static void
cmd_keys_unlock_done(char *password)
{
	struct json_object	*params;

	if (*password == '\0') {
		window_add_line(NULL, UI_LINE_INFO, "/unlock: cancelled");
		free(password);
		return;
	}
	params = json_object_new_object();
	json_object_object_add(params, "password",
	    json_object_new_string(password));
	sec_wipe(password, strlen(password));
	free(password);
	if (ui_conn_request("keys_unlock", params, 1, cmd_keys_unlock_cb,
	    NULL) != 0)
		window_add_line(NULL, UI_LINE_ERROR, "/unlock: not attached "
		    "to the agent");
}

/* /unlock */
void
cmd_keys_unlock(const struct cmd_entry *ce, int argc, char **argv)
{
	input_ask_secret("account password (Esc cancels): ",
	    cmd_keys_unlock_done);
}

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
 * drawn as stars and wiped once sent, as the login form does; /verify
 * shows fingerprints and safety numbers and marks a peer verified;
 * /accept takes a peer's changed keys.
 */

/* keys_unlock reply. */
static void
cmd_keys_unlock_cb(struct ui_reply *r, void *arg)
{
	struct json_object	*v;

	if (r->code == 0 && json_object_object_get_ex(r->result,
	    "keys_resealed", &v) && json_object_get_boolean(v))
		window_add_line(NULL, UI_LINE_INFO, "keys unlocked and the key "
		    "file sealed with your current password: messages that "
		    "waited are opened now");
	else if (r->code == 0)
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

/* Borrowed string member of obj, or NULL. */
static const char *
cmd_keys_str(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* Boolean member of obj, or 0. */
static int
cmd_keys_bool(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	return (obj != NULL && json_object_object_get_ex(obj, key, &v) &&
	    json_object_get_boolean(v));
}

/* keys_fingerprint reply: ours, or a peer's with its marks. */
static void
cmd_keys_fingerprint_cb(struct ui_reply *r, void *arg)
{
	const char	*user, *fpr;

	if (r->code != 0) {
		if (!session_check_auth(r))
			window_add_line(NULL, UI_LINE_ERROR, "/verify: %s",
			    r->message);
		return;
	}
	user = cmd_keys_str(r->result, "user");
	fpr = cmd_keys_str(r->result, "fingerprint");
	if (cmd_keys_bool(r->result, "self"))
		window_add_line(NULL, UI_LINE_INFO, "your fingerprint: %s",
		    fpr != NULL ? fpr : "?");
	else
		window_add_line(NULL, UI_LINE_INFO, "%s's fingerprint: %s%s%s",
		    user != NULL ? user : "?", fpr != NULL ? fpr : "?",
		    cmd_keys_bool(r->result, "verified") ? " (verified)" : "",
		    cmd_keys_bool(r->result, "changed") ? " (CHANGED since "
		    "first seen)" : "");
	screen_update();
}

/* keys_safety_number reply. */
static void
cmd_keys_safety_cb(struct ui_reply *r, void *arg)
{
	const char	*user, *sn;

	if (r->code != 0) {
		if (!session_check_auth(r))
			window_add_line(NULL, UI_LINE_ERROR, "/verify: %s",
			    r->message);
		return;
	}
	user = cmd_keys_str(r->result, "user");
	sn = cmd_keys_str(r->result, "safety_number");
	window_add_line(NULL, UI_LINE_INFO, "safety number with %s: %s (%s)",
	    user != NULL ? user : "?", sn != NULL ? sn : "?",
	    cmd_keys_bool(r->result, "verified") ? "verified" :
	    "not verified: compare it with them in person, then /verify "
	    "NICK NUMBER");
	screen_update();
}

/* keys_verify and keys_accept replies (arg: 'v' or 'a', then the user). */
static void
cmd_keys_mark_cb(struct ui_reply *r, void *arg)
{
	char	*user = arg;

	if (r->code != 0) {
		if (!session_check_auth(r))
			window_add_line(NULL, UI_LINE_ERROR, "%s", r->message);
	} else if (cmd_keys_bool(r->result, "verified"))
		window_add_line(NULL, UI_LINE_INFO, "you verified %s's keys",
		    user + 1);
	else
		window_add_line(NULL, UI_LINE_INFO, "%s's new keys accepted "
		    "(not verified: /verify %s)", user + 1, user + 1);
	free(user);
	screen_update();
}

/* Send a keys request about user; 0, or -1 with an error line. */
static int
cmd_keys_request(const char *cmd, const char *method, const char *user,
    struct json_object *params, void (*cb)(struct ui_reply *, void *),
    void *arg)
{
	if (params == NULL)
		params = json_object_new_object();
	if (user != NULL)
		json_object_object_add(params, "user",
		    json_object_new_string(user));
	if (ui_conn_request(method, params, 0, cb, arg) != 0) {
		window_add_line(NULL, UI_LINE_ERROR, "/%s: not attached to "
		    "the agent", cmd);
		return (-1);
	}
	return (0);
}

/*
 * /verify [NICK [SAFETY-NUMBER]]: our fingerprint; a peer's fingerprint
 * and safety number; or mark the peer verified with the number they read
 * out (the agent checks it matches).
 */
void
cmd_keys_verify(const struct cmd_entry *ce, int argc, char **argv)
{
	struct json_object	*params;
	char			*arg;

	if (argc == 0) {
		cmd_keys_request(ce->name, "keys_fingerprint", NULL, NULL,
		    cmd_keys_fingerprint_cb, NULL);
		return;
	}
	if (cmd_check_nick(ce, argv[0]) != 0)
		return;
	if (argc == 1) {
		if (cmd_keys_request(ce->name, "keys_fingerprint", argv[0],
		    NULL, cmd_keys_fingerprint_cb, NULL) == 0)
			cmd_keys_request(ce->name, "keys_safety_number",
			    argv[0], NULL, cmd_keys_safety_cb, NULL);
		return;
	}
	params = json_object_new_object();
	json_object_object_add(params, "safety_number",
	    json_object_new_string(argv[1]));
	xasprintf(&arg, "v%s", argv[0]);
	if (cmd_keys_request(ce->name, "keys_verify", argv[0], params,
	    cmd_keys_mark_cb, arg) != 0)
		free(arg);
}

/* /accept NICK: take a peer's changed keys (unverified). */
void
cmd_keys_accept(const struct cmd_entry *ce, int argc, char **argv)
{
	char	*arg;

	if (cmd_check_nick(ce, argv[0]) != 0)
		return;
	xasprintf(&arg, "a%s", argv[0]);
	if (cmd_keys_request(ce->name, "keys_accept", argv[0], NULL,
	    cmd_keys_mark_cb, arg) != 0)
		free(arg);
}

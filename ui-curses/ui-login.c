/* chatsec — the curses UI: the register-or-login screen.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "names.h"
#include "proto.h"
#include "sec.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * The screen shown while the agent is not logged in.  Three steps:
 *
 *	LOGIN		username, password, code -> login
 *	REGISTER	username, password twice -> register
 *	CONFIRM		the TOTP QR code and secret, then a code ->
 *			register_confirm
 *
 * Passwords are drawn as '*' and wiped from memory once sent; Ctrl-R
 * switches between logging in and registering.
 */

#define LOGIN_FIELD_WIDTH	34

enum login_step {
	LOGIN_STEP_LOGIN,
	LOGIN_STEP_REGISTER,
	LOGIN_STEP_CONFIRM,
};

static struct {
	int			 active;
	enum login_step		 step;
	int			 field;		/* focused field */
	int			 busy;		/* request in flight */
	struct input_line	 user;
	struct input_line	 pass;
	struct input_line	 pass2;
	struct input_line	 code;
	char			*error;
	char			*info;
	char			*reg_user;	/* registration in progress */
	char			*secret;
	char			*uri;
	struct qr_code		*qr;
} login;

/* The fields of the current step, in order; returns how many. */
static int
login_fields(struct input_line **f, const char **labels)
{
	switch (login.step) {
	case LOGIN_STEP_LOGIN:
		f[0] = &login.user;
		labels[0] = "Username";
		f[1] = &login.pass;
		labels[1] = "Password";
		f[2] = &login.code;
		labels[2] = "Code";
		return (3);
	case LOGIN_STEP_REGISTER:
		f[0] = &login.user;
		labels[0] = "Username";
		f[1] = &login.pass;
		labels[1] = "Password";
		f[2] = &login.pass2;
		labels[2] = "Password again";
		return (3);
	case LOGIN_STEP_CONFIRM:
		f[0] = &login.code;
		labels[0] = "Code";
		return (1);
	}
	return (0);
}

/* Show an error sentence (NULL clears); two parts joined by ": ". */
static void
login_set_error(const char *what, const char *why)
{
	free(login.error);
	login.error = NULL;
	if (what != NULL && why != NULL)
		xasprintf(&login.error, "%s: %s", what, why);
	else if (what != NULL)
		login.error = xstrdup(what);
}

/* Show the login screen; info (may be NULL) says why. */
void
login_enter(const char *info)
{
	if (!login.active) {
		memset(&login, 0, sizeof login);
		login.active = 1;
		input_line_init(&login.user, NAME_USER_MAX * 4, 0);
		input_line_init(&login.pass, PASSWORD_MAX, 1);
		input_line_init(&login.pass2, PASSWORD_MAX, 1);
		input_line_init(&login.code, 6, 0);
		login.code.digits = 1;
		login.step = LOGIN_STEP_LOGIN;
	}
	if (info == NULL && ui.notice != NULL) {
		info = ui.notice;	/* shown here instead of in #general */
		session_set_str(&login.info, info);
		session_set_str(&ui.notice, NULL);
	} else
		session_set_str(&login.info, info);
	ui.mode = UI_MODE_LOGIN;
	screen_update();
}

/* Leave the login screen, wiping what was typed. */
void
login_leave(void)
{
	if (!login.active)
		return;
	input_line_free(&login.user);
	input_line_free(&login.pass);
	input_line_free(&login.pass2);
	input_line_free(&login.code);
	free(login.error);
	free(login.info);
	free(login.reg_user);
	if (login.secret != NULL) {
		sec_wipe(login.secret, strlen(login.secret));
		free(login.secret);
	}
	if (login.uri != NULL) {
		sec_wipe(login.uri, strlen(login.uri));
		free(login.uri);
	}
	qr_free(login.qr);
	memset(&login, 0, sizeof login);
}

/* A field's text; wipe and free with login_free_str. */
static char *
login_str(struct input_line *l)
{
	return (input_line_string(l));
}

/* Wipe and free a string that may hold a secret. */
static void
login_free_str(char *s)
{
	if (s == NULL)
		return;
	sec_wipe(s, strlen(s));
	free(s);
}

/* The error to show for a failed request. */
static void
login_reply_error(const char *what, struct ui_reply *r)
{
	if (r->code == CS_ERR_RATE_LIMITED)
		login_set_error(what, "too many attempts; wait a while and "
		    "try again");
	else
		login_set_error(what, r->message);
}

/* Reply to login, register_confirm: we are in. */
static void
login_done_cb(struct ui_reply *r, void *arg)
{
	struct json_object	*v;
	const char		*user = NULL;
	const char		*what;

	if (!login.active)
		return;
	what = login.step == LOGIN_STEP_LOGIN ? "login" : "confirm";
	login.busy = 0;
	if (r->code != 0) {
		login_reply_error(what, r);
		input_line_clear(&login.code);
		login.field = login.step == LOGIN_STEP_LOGIN ? 2 : 0;
		screen_update();
		return;
	}
	if (json_object_object_get_ex(r->result, "user", &v) &&
	    json_object_is_type(v, json_type_string))
		user = json_object_get_string(v);
	if (user == NULL)
		user = login.reg_user;
	if (user == NULL) {
		login_set_error(what, "the agent did not say who we are");
		screen_update();
		return;
	}
	session_logged_in(user);	/* calls login_leave */
}

/* Reply to register: show the QR code and ask for a code. */
static void
login_register_cb(struct ui_reply *r, void *arg)
{
	struct json_object	*v;
	const char		*secret = NULL, *uri = NULL, *user = NULL;

	if (!login.active)
		return;
	login.busy = 0;
	if (r->code != 0) {
		login_reply_error("register", r);
		screen_update();
		return;
	}
	if (json_object_object_get_ex(r->result, "totp_secret", &v) &&
	    json_object_is_type(v, json_type_string))
		secret = json_object_get_string(v);
	if (json_object_object_get_ex(r->result, "totp_uri", &v) &&
	    json_object_is_type(v, json_type_string))
		uri = json_object_get_string(v);
	if (json_object_object_get_ex(r->result, "user", &v) &&
	    json_object_is_type(v, json_type_string))
		user = json_object_get_string(v);
	if (secret == NULL || uri == NULL) {
		login_set_error("register", "the agent sent no TOTP secret");
		screen_update();
		return;
	}
	session_set_str(&login.reg_user, user);
	session_set_str(&login.secret, secret);
	session_set_str(&login.uri, uri);
	qr_free(login.qr);
	login.qr = qr_new(uri);
	input_line_clear(&login.pass);
	input_line_clear(&login.pass2);
	input_line_clear(&login.code);
	login.step = LOGIN_STEP_CONFIRM;
	login.field = 0;
	login_set_error(NULL, NULL);
	screen_update();
}

/* Send a request for the login screen; on failure say so. */
static void
login_request(const char *method, struct json_object *params, int secret,
    void (*cb)(struct ui_reply *, void *), void *arg)
{
	if (ui_conn_request(method, params, secret, cb, arg) != 0) {
		login_set_error(method, "not attached to the agent");
		return;
	}
	login.busy = 1;
	login_set_error(NULL, NULL);
}

/* Is the code field six digits? */
static int
login_code_ok(void)
{
	return (login.code.len == 6);
}

/* Enter on the last field: check what we can here, then ask the agent. */
static void
login_submit(void)
{
	struct json_object	*params;
	char			*user, *pass, *pass2, *code;
	const char		*why;

	user = login_str(&login.user);
	pass = login_str(&login.pass);
	pass2 = login_str(&login.pass2);
	code = login_str(&login.code);

	switch (login.step) {
	case LOGIN_STEP_LOGIN:
	case LOGIN_STEP_REGISTER:
		if ((why = name_user_check(user)) != NULL) {
			login_set_error("username", why);
			login.field = 0;
			goto out;
		}
		if (login.step == LOGIN_STEP_LOGIN) {
			if (*pass == '\0') {
				login_set_error("type your password", NULL);
				login.field = 1;
				goto out;
			}
			if (!login_code_ok()) {
				login_set_error("the code is the 6 digits "
				    "your authenticator app shows", NULL);
				login.field = 2;
				goto out;
			}
			params = json_object_new_object();
			json_object_object_add(params, "user",
			    json_object_new_string(user));
			json_object_object_add(params, "password",
			    json_object_new_string(pass));
			json_object_object_add(params, "code",
			    json_object_new_string(code));
			login_request("login", params, 1, login_done_cb,
			    NULL);
			goto out;
		}
		if ((why = name_password_check(pass, strlen(pass))) != NULL) {
			login_set_error("password", why);
			login.field = 1;
			goto out;
		}
		if (strcmp(pass, pass2) != 0) {
			login_set_error("the two passwords differ", NULL);
			input_line_clear(&login.pass2);
			login.field = 2;
			goto out;
		}
		params = json_object_new_object();
		json_object_object_add(params, "user",
		    json_object_new_string(user));
		json_object_object_add(params, "password",
		    json_object_new_string(pass));
		login_request("register", params, 1, login_register_cb, NULL);
		goto out;
	case LOGIN_STEP_CONFIRM:
		if (!login_code_ok()) {
			login_set_error("the code is the 6 digits your "
			    "authenticator app shows", NULL);
			goto out;
		}
		params = json_object_new_object();
		json_object_object_add(params, "code",
		    json_object_new_string(code));
		login_request("register_confirm", params, 1, login_done_cb,
		    NULL);
		goto out;
	}
out:
	login_free_str(user);
	login_free_str(pass);
	login_free_str(pass2);
	login_free_str(code);
}

/* A key on the login screen. */
void
login_key(int iskey, wint_t key)
{
	struct input_line	*f[4];
	const char		*labels[4];
	int			 n;

	if (!iskey && key == UI_KEY_CTRL('c')) {
		ui_quit(NULL);
		return;
	}
	if (!login.active || login.busy)
		return;
	n = login_fields(f, labels);
	if (login.field >= n)
		login.field = 0;

	if (!iskey && key == UI_KEY_CTRL('r')) {
		login.step = login.step == LOGIN_STEP_LOGIN ?
		    LOGIN_STEP_REGISTER : LOGIN_STEP_LOGIN;
		login.field = 0;
		input_line_clear(&login.pass2);
		input_line_clear(&login.code);
		login_set_error(NULL, NULL);
		return;
	}
	if ((!iskey && key == '\t') || (iskey && key == KEY_DOWN)) {
		login.field = (login.field + 1) % n;
		return;
	}
	if (iskey && (key == KEY_BTAB || key == KEY_UP)) {
		login.field = (login.field + n - 1) % n;
		return;
	}
	if ((!iskey && (key == '\r' || key == '\n')) ||
	    (iskey && key == KEY_ENTER)) {
		if (login.field < n - 1)
			login.field++;
		else
			login_submit();
		return;
	}
	input_line_edit(f[login.field], iskey, key);
}

/* Draw the fields of the step from row y; returns the next free row. */
static int
login_draw_fields(int y, int x, int *cy, int *cx)
{
	struct input_line	*f[4];
	const char		*labels[4];
	char			 label[64];
	int			 i, n, fx, width, col;

	n = login_fields(f, labels);
	fx = x + 17;
	width = COLS - fx - 1;
	if (width > LOGIN_FIELD_WIDTH)
		width = LOGIN_FIELD_WIDTH;
	for (i = 0; i < n; i++, y += 2) {
		snprintf(label, sizeof label, "%s:", labels[i]);
		screen_print(y, x, 16, i == login.field ? A_BOLD : 0, 0, label);
		attrset(A_UNDERLINE);
		mvhline(y, fx, ' ', width);
		attrset(A_NORMAL);
		col = input_line_draw(f[i], y, fx, width);
		if (i == login.field) {
			*cy = y;
			*cx = col;
		}
	}
	return (y);
}

/*
 * Draw the QR code with the secret beside it (or, on a narrow terminal,
 * under it); a terminal too small for the code gets a sentence saying so
 * and the secret alone.  Returns the next free row.
 */
static int
login_draw_qr(int y)
{
	char	 grouped[128], *s;
	size_t	 i, j = 0;
	int	 qx = 2, tx, ty, rows = 0, cols = 0, beside, need;

	for (i = 0; login.secret[i] != '\0' && j + 2 < sizeof grouped; i++) {
		if (i > 0 && i % 4 == 0)
			grouped[j++] = ' ';
		grouped[j++] = login.secret[i];
	}
	grouped[j] = '\0';

	if (login.qr != NULL) {
		rows = qr_rows(login.qr);
		cols = qr_cols(login.qr);
	}
	/* Under the code: two lines of secret, the code field, keys, error. */
	beside = COLS >= qx + cols + 3 + 44;
	need = y + rows + (beside ? 6 : 9);
	if (login.qr != NULL && LINES >= need && COLS >= qx + cols + 2) {
		qr_draw(login.qr, y, qx);
		if (!beside) {
			ty = y + rows;
			xasprintf(&s, "Secret key: %s", grouped);
			screen_print(ty++, 2, COLS - 4, A_BOLD, 0, s);
			free(s);
			xasprintf(&s, "Account %s · issuer chatsec · TOTP, "
			    "SHA-1, 6 digits, 30 s", login.reg_user != NULL ?
			    login.reg_user : "?");
			screen_print(ty++, 2, COLS - 4, 0, 0, s);
			free(s);
			return (ty + 1);
		}
		tx = qx + cols + 3;
		ty = y + 1;
	} else {
		if (login.qr != NULL)
			xasprintf(&s, "The terminal is too small for the QR "
			    "code (it needs %d columns and %d lines): enlarge "
			    "it, or type the secret key into your app.",
			    qx + cols + 2, need);
		else
			xasprintf(&s, "No QR code could be made: type the "
			    "secret key into your app.");
		y += screen_print_wrap(y, 2, COLS - 4, 3, A_BOLD,
		    SCREEN_PAIR_ERROR, s);
		free(s);
		tx = 2;
		ty = ++y;
		rows = 0;
	}
	screen_print(ty++, tx, COLS - tx, A_BOLD, 0, "Secret key:");
	screen_print(ty++, tx + 2, COLS - tx - 2, 0, 0, grouped);
	ty++;
	xasprintf(&s, "Account:  %s", login.reg_user != NULL ?
	    login.reg_user : "?");
	screen_print(ty++, tx, COLS - tx, 0, 0, s);
	free(s);
	screen_print(ty++, tx, COLS - tx, 0, 0, "Issuer:   chatsec");
	screen_print(ty++, tx, COLS - tx, 0, 0, "Type:     time-based "
	    "(TOTP), SHA-1, 6 digits, 30 s");
	if (y + rows + 1 > ty)
		return (y + rows + 1);
	return (ty + 1);
}

/* Draw the login screen, leaving the cursor in the focused field. */
void
login_draw(void)
{
	char		*s;
	const char	*title, *intro, *keys;
	int		 y, cy = -1, cx = 0;
	attr_t		 bar = screen_has_colour() ? 0 : A_REVERSE;

	if (!login.active)
		return;
	switch (login.step) {
	case LOGIN_STEP_LOGIN:
		title = " chatsec — log in";
		intro = "Log in with your username, your password and the "
		    "6-digit code from your authenticator app.";
		keys = "Enter: next field, then log in · Tab/↑/↓: move · "
		    "Ctrl-R: register a new account instead · Ctrl-C: quit";
		break;
	case LOGIN_STEP_REGISTER:
		title = " chatsec — register a new account";
		intro = "Choose a username (letters, digits, _ - .) and a "
		    "password of at least 8 characters.";
		keys = "Enter: next field, then register · Tab/↑/↓: move · "
		    "Ctrl-R: log in instead · Ctrl-C: quit";
		break;
	default:
		title = " chatsec — set up two-factor authentication";
		intro = "Scan the QR code with an authenticator app (Google "
		    "Authenticator, Authy, …) or type the secret key into "
		    "it, then enter the code it shows.";
		keys = "Enter: confirm · Ctrl-R: start again · Ctrl-C: quit";
		break;
	}

	attrset(screen_attr(bar, SCREEN_PAIR_BAR));
	mvhline(0, 0, ' ', COLS);
	attrset(A_NORMAL);
	screen_print(0, 0, COLS, bar, SCREEN_PAIR_BAR, title);

	xasprintf(&s, "agent %s · server %s · link %s%s%s%s",
	    ui.agent_version != NULL ? ui.agent_version : "?",
	    ui.server != NULL ? ui.server : "?",
	    ui.link != NULL ? ui.link : "?",
	    ui.link_error != NULL ? " (" : "",
	    ui.link_error != NULL ? ui.link_error : "",
	    ui.link_error != NULL ? ")" : "");
	screen_print(1, 2, COLS - 4, 0, SCREEN_PAIR_INFO, s);
	free(s);
	y = 2 + screen_print_wrap(2, 2, COLS - 4, 3, 0, 0, intro);
	if (login.step == LOGIN_STEP_CONFIRM && login.secret != NULL)
		y = login_draw_qr(y);
	else
		y++;
	y = login_draw_fields(y, 4, &cy, &cx);
	y += screen_print_wrap(y, 2, COLS - 4, 2, 0, 0, keys);
	y++;
	if (login.busy)
		screen_print(y, 2, COLS - 4, A_BOLD, 0, "waiting for the "
		    "agent …");
	else if (login.error != NULL) {
		xasprintf(&s, "error: %s", login.error);
		screen_print_wrap(y, 2, COLS - 4, 3, A_BOLD,
		    SCREEN_PAIR_ERROR, s);
		free(s);
	} else if (login.info != NULL)
		screen_print_wrap(y, 2, COLS - 4, 3, 0, SCREEN_PAIR_INFO,
		    login.info);

	if (cy >= 0 && !login.busy) {
		move(cy, cx);
		curs_set(1);
	} else
		curs_set(0);
}

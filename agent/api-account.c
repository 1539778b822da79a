/* chatsec — API methods: hello, status, register, login, logout.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
#include "names.h"
#include "proto.h"
#include "rpc.h"
#include "xmalloc.h"

#include "agent.h"
#include "crypto.h"

/*
 * Account methods.  Those that talk to the server (register,
 * register_confirm, login, password_change) share one path: wait for the
 * link to be ready, send the request (its secrets are wiped once written),
 * then finish with a method-specific step.  The dispatcher has already checked parameter
 * types and wipes the API request's secrets after the handler returns.
 */

/* What hello advertises. */
static const char *api_capabilities[] = {
	"register", "login", "logout", "send", "history", "who", "subscribe",
	"events", "status", "rooms", "admin", "e2e", "away", "password_change",
};

/* An account request on its way to the server. */
struct account_op {
	struct api_pending	*p;
	const char		*method;	/* wire method */
	struct json_object	*params;	/* wire params, owned */
	void			(*done)(struct account_op *,
				    struct json_object *);
	char			*old_pw;	/* password_change: locked */
	char			*new_pw;	/* memory, wiped when freed */
};

/* A JSON string, or null for NULL. */
static struct json_object *
account_str_or_null(const char *s)
{
	return (s != NULL ? json_object_new_string(s) : NULL);
}

/* Borrowed string member of obj, or def. */
static const char *
account_get_str(struct json_object *obj, const char *name, const char *def)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (def);
	return (json_object_get_string(v));
}

/* Answer p with "not connected", saying why if the link knows. */
static void
account_not_connected(struct api_pending *p, int code)
{
	const char	*why = link_last_error();

	if (code == CS_ERR_TRUST)
		api_error(p, code, why != NULL ? why : "the server's "
		    "certificate does not match the pinned one", NULL);
	else if (why != NULL)
		api_errorf(p, CS_ERR_NOT_CONNECTED, "not connected to the "
		    "server (%s)", why);
	else
		api_error(p, CS_ERR_NOT_CONNECTED, "not connected to the "
		    "server", NULL);
}

/* Free an op, wiping the secrets its params may still hold. */
static void
account_op_free(struct account_op *op)
{
	if (op->params != NULL) {
		agent_wipe_json(op->params);
		json_object_put(op->params);
	}
	ccrypto_secret_str_free(op->old_pw);
	ccrypto_secret_str_free(op->new_pw);
	free(op);
}

/* The server answered an account request. */
static void
account_answer_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct account_op	*op = arg;

	if (code == CS_ERR_NOT_CONNECTED)
		account_not_connected(op->p, code);
	else if (code != 0) {
		if (code == CS_ERR_STATE &&
		    strcmp(op->method, "register_confirm") == 0)
			link_set_reg_pending(0);
		if (strcmp(op->method, "register_confirm") != 0)
			keys_forget_password();
		api_error(op->p, code, message, json_object_get(data));
	} else
		op->done(op, result);
	account_op_free(op);
}

/* The link is ready (or won't be): send the request. */
static void
account_ready_cb(void *arg, int code)
{
	struct account_op	*op = arg;
	struct json_object	*params = op->params;

	if (code != 0) {
		account_not_connected(op->p, code);
		account_op_free(op);
		return;
	}
	op->params = NULL;	/* link_request takes it over and wipes it */
	if ((code = link_request(op->method, params, AGENT_REQ_TIMEOUT,
	    account_answer_cb, op, NULL)) != 0) {
		account_not_connected(op->p, code);
		account_op_free(op);
	}
}

/* A new account request: params (taken over) are for the server. */
static struct account_op *
account_op_new(struct api_pending *p, const char *method,
    struct json_object *params,
    void (*done)(struct account_op *, struct json_object *))
{
	struct account_op	*op;

	op = xcalloc(1, sizeof *op);
	op->p = p;
	op->method = method;
	op->params = params;
	op->done = done;
	return (op);
}

/* Start an account request: params (taken over) go to the server. */
static void
account_start(struct api_pending *p, const char *method,
    struct json_object *params,
    void (*done)(struct account_op *, struct json_object *))
{
	link_when_ready(account_ready_cb, account_op_new(p, method, params,
	    done));
}

/* Add member name = value (a copy) to obj. */
static void
account_add_str(struct json_object *obj, const char *name, const char *value)
{
	json_object_object_add(obj, name, json_object_new_string(value));
}

/* Return 1 if code is exactly TOTP_DIGITS (6) ASCII digits. */
static int
account_code_ok(const char *code)
{
	size_t	 i;

	for (i = 0; code[i] != '\0'; i++) {
		if (!isdigit((unsigned char)code[i]))
			return (0);
	}
	return (i == 6);
}

/* hello: versions, capabilities, link state and user. */
void
api_hello(struct api_pending *p, struct json_object *params)
{
	struct json_object	*r, *caps;
	size_t			 i;

	caps = json_object_new_array();
	for (i = 0; i < sizeof api_capabilities / sizeof api_capabilities[0];
	    i++)
		json_object_array_add(caps,
		    json_object_new_string(api_capabilities[i]));
	r = json_object_new_object();
	json_object_object_add(r, "api_version",
	    json_object_new_int(CS_API_VERSION));
	account_add_str(r, "agent", "chatsec-agent " PACKAGE_VERSION);
	json_object_object_add(r, "capabilities", caps);
	account_add_str(r, "link", link_state_name(link_get_state()));
	json_object_object_add(r, "user", account_str_or_null(link_user()));
	api_reply(p, r);
}

/* status: the link, the server and its fingerprint, the session. */
void
api_status(struct api_pending *p, struct json_object *params)
{
	struct json_object	*r;
	char			*away;

	r = json_object_new_object();
	account_add_str(r, "link", link_state_name(link_get_state()));
	account_add_str(r, "server", agent_conf.server);
	json_object_object_add(r, "fingerprint",
	    account_str_or_null(link_fingerprint()));
	json_object_object_add(r, "user", account_str_or_null(link_user()));
	json_object_object_add(r, "logged_in",
	    json_object_new_boolean(link_logged_in()));
	json_object_object_add(r, "last_error",
	    account_str_or_null(link_last_error()));
	json_object_object_add(r, "keys",
	    json_object_new_string(keys_state_name()));
	json_object_object_add(r, "keys_detail",
	    account_str_or_null(keys_state_detail()));
	json_object_object_add(r, "unattended",
	    json_object_new_boolean(agent_conf.unattended));
	away = link_logged_in() ? away_get() : NULL;
	json_object_object_add(r, "away", account_str_or_null(away));
	free(away);
	api_reply(p, r);
}

/* register answered: a registration is pending; show the TOTP secret. */
static void
account_register_done(struct account_op *op, struct json_object *result)
{
	struct json_object	*r;

	link_set_reg_pending(1);
	r = json_object_new_object();
	account_add_str(r, "user", account_get_str(result, "user", ""));
	account_add_str(r, "totp_secret",
	    account_get_str(result, "totp_secret", ""));
	account_add_str(r, "totp_uri", account_get_str(result, "totp_uri",
	    ""));
	api_reply(op->p, r);
}

/* register: step one, check the rules locally, then ask the server. */
void
api_register(struct api_pending *p, struct json_object *params)
{
	const char		*user = rpc_get_str(params, "user", "");
	const char		*pw = rpc_get_str(params, "password", "");
	const char		*why;
	struct json_object	*w;

	if (link_logged_in()) {
		api_error(p, CS_ERR_STATE, "already logged in; log out first",
		    NULL);
		return;
	}
	if ((why = name_user_check(user)) != NULL) {
		api_error(p, CS_ERR_BAD_USERNAME, why, NULL);
		return;
	}
	if ((why = name_password_check(pw, strlen(pw))) != NULL) {
		api_error(p, CS_ERR_BAD_PASSWORD, why, NULL);
		return;
	}
	w = json_object_new_object();
	account_add_str(w, "user", user);
	account_add_str(w, "password", pw);
	/* The identity is made at register_confirm, under this password. */
	keys_hold_password(pw, 1);
	account_start(p, "register", w, account_register_done);
}

/* A session reply waiting for the first sync. */
struct account_synced {
	struct api_pending	*p;
	struct json_object	*result;
};

/*
 * The first sync after logging in is over.  The session stands even if
 * the link dropped meanwhile (the agent resumes it), so answer success.
 */
static void
account_synced_cb(void *arg, int code)
{
	struct account_synced	*s = arg;

	api_reply(s->p, s->result);
	free(s);
}

/*
 * A session began (confirmed registration or login): keep it, and answer
 * when the first sync is done.
 */
static void
account_session_done(struct account_op *op, struct json_object *result)
{
	struct account_synced	*s;
	struct json_object	*r, *v;
	const char		*user, *token;
	int			 admin = 0;

	user = account_get_str(result, "user", NULL);
	token = account_get_str(result, "token", NULL);
	if (user == NULL || token == NULL) {
		api_error(op->p, CS_ERR_INTERNAL, "the server's answer has no "
		    "user or token", NULL);
		return;
	}
	if (json_object_object_get_ex(result, "admin", &v))
		admin = json_object_get_boolean(v);
	r = json_object_new_object();
	account_add_str(r, "user", user);
	json_object_object_add(r, "admin", json_object_new_boolean(admin));
	link_session_begin(user, token, admin);

	/* Answer once synced, so the caller finds the link ready. */
	s = xcalloc(1, sizeof *s);
	s->p = op->p;
	s->result = r;
	link_when_ready(account_synced_cb, s);
}

/* register_confirm: step two, the first code completes registration. */
void
api_register_confirm(struct api_pending *p, struct json_object *params)
{
	const char		*code = rpc_get_str(params, "code", "");
	struct json_object	*w;

	if (!account_code_ok(code)) {
		api_error(p, CS_ERR_BAD_CODE_FORMAT, "code must be 6 digits",
		    NULL);
		return;
	}
	if (link_logged_in() || !link_reg_pending() ||
	    link_get_state() != LINK_READY) {
		api_error(p, CS_ERR_STATE, "no registration is pending; "
		    "call register first", NULL);
		return;
	}
	w = json_object_new_object();
	account_add_str(w, "code", code);
	account_start(p, "register_confirm", w, account_session_done);
}

/* login: user, password and code in one request. */
void
api_login(struct api_pending *p, struct json_object *params)
{
	const char		*code = rpc_get_str(params, "code", "");
	struct json_object	*w;

	if (!account_code_ok(code)) {
		api_error(p, CS_ERR_BAD_CODE_FORMAT, "code must be 6 digits",
		    NULL);
		return;
	}
	if (link_logged_in()) {
		api_error(p, CS_ERR_STATE, "already logged in; log out first",
		    NULL);
		return;
	}
	w = json_object_new_object();
	account_add_str(w, "user", rpc_get_str(params, "user", ""));
	account_add_str(w, "password", rpc_get_str(params, "password", ""));
	account_add_str(w, "code", code);
	/* The key file opens with the account password (doc/crypto.md). */
	keys_hold_password(rpc_get_str(params, "password", ""), 0);
	account_start(p, "login", w, account_session_done);
}

/* The server answered logout (or the link went): forget the session. */
static void
account_logout_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct api_pending	*p = arg;

	if (code != 0 && code != CS_ERR_NOT_CONNECTED)
		log_warnx("%s: server: %s", __func__, log_safe(message));
	link_session_end(CS_ERR_AUTH_REQUIRED, "logged out");
	api_reply(p, json_object_new_object());
}

/*
 * logout: revoke the session on the server if we can reach it, and forget
 * the token either way.  Logging out when not logged in is not an error.
 */
void
api_logout(struct api_pending *p, struct json_object *params)
{
	away_forget();
	if (!link_logged_in()) {
		api_reply(p, json_object_new_object());
		return;
	}
	if (link_request("logout", json_object_new_object(), AGENT_REQ_TIMEOUT,
	    account_logout_cb, p, NULL) != 0) {
		link_session_end(CS_ERR_AUTH_REQUIRED, "logged out");
		api_reply(p, json_object_new_object());
	}
}

/*
 * password_change answered: keep the new session token (the others are
 * revoked), re-seal the key file under the new password and, for an
 * --unattended agent, put it in the credentials file.
 */
static void
account_password_done(struct account_op *op, struct json_object *result)
{
	struct json_object	*r;
	const char		*token;
	int			 resealed;

	token = account_get_str(result, "token", NULL);
	if (token == NULL) {
		api_error(op->p, CS_ERR_INTERNAL, "the server's answer has no "
		    "token", NULL);
		return;
	}
	link_session_token(token);
	resealed = keys_password_changed(op->old_pw, strlen(op->old_pw),
	    op->new_pw, strlen(op->new_pw));
	log_info("%s: password changed; key file %s", __func__,
	    resealed ? "re-sealed" : "not re-sealed");
	r = json_object_new_object();
	json_object_object_add(r, "keys_resealed",
	    json_object_new_boolean(resealed));
	if (agent_conf.unattended)
		json_object_object_add(r, "credentials_updated",
		    json_object_new_boolean(relogin_set_password(op->new_pw) ==
		    0));
	api_reply(op->p, r);
}

/*
 * password_change {password, new_password}: the new password is checked
 * here first; the server checks the current one.  Both are held (in
 * locked memory) until the answer, for the key file.
 */
void
api_password_change(struct api_pending *p, struct json_object *params)
{
	struct account_op	*op;
	struct json_object	*w, *v;
	const char		*pw = rpc_get_str(params, "password", "");
	const char		*npw = rpc_get_str(params, "new_password", "");
	const char		*why;
	size_t			 nlen = strlen(npw);

	if (json_object_object_get_ex(params, "new_password", &v))
		nlen = (size_t)json_object_get_string_len(v);
	if ((why = name_password_check(npw, nlen)) != NULL) {
		api_errorf(p, CS_ERR_BAD_PASSWORD, "new_password: %s", why);
		return;
	}
	if (agent_conf.unattended && !relogin_password_storable(npw)) {
		api_error(p, CS_ERR_BAD_PASSWORD, "new_password can't be "
		    "written to this --unattended agent's credentials file "
		    "(it must not start with a blank)", NULL);
		return;
	}
	if (*pw == '\0') {
		api_error(p, CS_ERR_PARAMS, "password: the current password "
		    "is needed", NULL);
		return;
	}
	w = json_object_new_object();
	account_add_str(w, "password", pw);
	account_add_str(w, "new_password", npw);
	op = account_op_new(p, "password_change", w, account_password_done);
	op->old_pw = ccrypto_secret_str(pw, strlen(pw));
	op->new_pw = ccrypto_secret_str(npw, nlen);
	if (op->old_pw == NULL || op->new_pw == NULL) {
		api_error(p, CS_ERR_INTERNAL, "out of locked memory for the "
		    "passwords", NULL);
		account_op_free(op);
		return;
	}
	link_when_ready(account_ready_cb, op);
}

/* chatsec — chatsecd accounts, logins and sessions.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "chatsecd.h"
#include "base32.h"
#include "clock.h"
#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "store.h"
#include "xmalloc.h"

/*
 * register / register_confirm / login / resume / logout / password_change.
 * Password hashing
 * runs on the hash pool: the handler copies what the second half needs into
 * an auth_pending hung on the connection, marks the connection busy (its
 * later requests wait) and the pool's callback finishes the job.  If the
 * connection closes meanwhile the job is cancelled and the pending state
 * freed with it.
 *
 * Unknown user, wrong password, wrong or replayed code and a disabled
 * account all give the same 1002, after the same argon2 work (a dummy hash
 * for unknown users).  The internal reason goes to the audit table only.
 * Passwords, codes, TOTP secrets and tokens are wiped once used.
 */

#define AUTH_ISSUER		"chatsec"
#define AUTH_CONFIRM_TRIES	5
#define AUTH_TOKEN_HEX		(2 * SEC_TOKEN_LEN)

/* A registration waiting for its first code; lives on the connection. */
struct auth_reg {
	char		 name[NAME_USER_MAX + 1];
	char		 folded[NAME_USER_MAX + 1];
	char		*pwhash;
	uint8_t		 secret[TOTP_SECRET_LEN];
	int		 wrong;
};

/* What a request needs once its hash is done. */
struct auth_pending {
	struct json_object	*id;		/* request id, owned reference */
	char			 name[NAME_USER_MAX + 1];
	char			 key[NAME_USER_MAX + 1];	/* folded */
	char			 code[TOTP_DIGITS + 1];
	int64_t			 asked;		/* when the code came, s */
	struct store_account	 acct;
	int			 found;
	int			 refused;	/* stored hash over policy */
	char			*newpw;		/* password_change: owned */
	size_t			 newpwlen;
};

static char	*auth_dummy_hash;

/*
 * Session "last used" updates wait for the message batch's transaction
 * (like audit rows): a burst of resumes or disconnects costs one commit per
 * loop turn, not one synchronous commit each.  Losing one in a crash only
 * makes a session look idle a little longer than it was.
 */
#define AUTH_TOUCH_MAX	1024	/* queued before a forced commit */
static uint8_t		 auth_touch_q[AUTH_TOUCH_MAX][SEC_TOKEN_HASH_LEN];
static size_t		 auth_ntouch;

/* Queue a session's last-used update for the next group commit. */
void
auth_touch(const uint8_t *hash)
{
	if (auth_ntouch == AUTH_TOUCH_MAX)
		msg_flush_wait();
	if (auth_ntouch == AUTH_TOUCH_MAX) {
		/* The flush failed and kept nothing: write this one now. */
		store_session_touch(server_store, hash, clock_now());
		return;
	}
	memcpy(auth_touch_q[auth_ntouch++], hash, SEC_TOKEN_HASH_LEN);
	msg_schedule();
}

/* Updates queued. */
size_t
auth_touch_pending(void)
{
	return (auth_ntouch);
}

/* Write the queued updates (inside the caller's transaction). */
int
auth_touch_flush(struct store *st)
{
	int64_t	 now = clock_now();
	size_t	 i;

	for (i = 0; i < auth_ntouch; i++) {
		if (store_session_touch(st, auth_touch_q[i], now) != 0)
			return (-1);
	}
	return (0);
}

/* Forget the queue (written or not). */
void
auth_touch_clear(void)
{
	sec_wipe(auth_touch_q, auth_ntouch * SEC_TOKEN_HASH_LEN);
	auth_ntouch = 0;
}

/* Make the dummy hash unknown users are checked against. */
int
auth_init(void)
{
	uint8_t	 pw[32];
	char	 hex[2 * sizeof pw + 1];

	sec_random(pw, sizeof pw);
	sec_hex(pw, sizeof pw, hex);
	auth_dummy_hash = hash_make_sync(hex, strlen(hex));
	sec_wipe(pw, sizeof pw);
	sec_wipe(hex, sizeof hex);
	if (auth_dummy_hash == NULL) {
		log_warnx("auth: cannot make the dummy hash (out of memory?)");
		return (-1);
	}
	return (0);
}

/* Free the dummy hash. */
void
auth_free(void)
{
	free(auth_dummy_hash);
	auth_dummy_hash = NULL;
}

/* Wipe and free a pending registration. */
static void
auth_reg_free(struct auth_reg *reg)
{
	if (reg == NULL)
		return;
	if (reg->pwhash != NULL) {
		sec_wipe(reg->pwhash, strlen(reg->pwhash));
		free(reg->pwhash);
	}
	sec_wipe(reg, sizeof *reg);
	free(reg);
}

/* Wipe and free a pending request. */
static void
auth_pending_free(struct auth_pending *p)
{
	if (p == NULL)
		return;
	json_object_put(p->id);
	store_account_clear(&p->acct);
	if (p->newpw != NULL) {
		sec_wipe(p->newpw, p->newpwlen);
		free(p->newpw);
	}
	sec_wipe(p, sizeof *p);
	free(p);
}

/*
 * Hand pw to the hash pool with p waiting on the connection (busy until
 * done calls back); if the pool is full, free p and answer "busy".
 */
static void
auth_hash_start(struct client *c, struct rpc_req *req, struct auth_pending *p,
    enum hash_op op, const char *pw, size_t pwlen, const char *stored,
    void (*done)(void *, int, const char *))
{
	if ((c->job = hash_submit(op, pw, pwlen, stored, done, c)) == NULL) {
		auth_pending_free(p);
		cmd_error(c, req->id, CS_ERR_BUSY, NULL, NULL);
		return;
	}
	p->id = json_object_get(req->id);
	c->pending = p;
	client_set_busy(c, 1);
}

/* Forget everything authentication left on a connection. */
void
auth_client_free(struct client *c)
{
	hash_cancel(c->job);
	c->job = NULL;
	auth_pending_free(c->pending);
	c->pending = NULL;
	auth_reg_free(c->reg);
	c->reg = NULL;
}

/* Drop expired sessions. */
void
auth_maintain(void)
{
	int64_t	 now = clock_now();

	store_session_purge(server_store,
	    now - server_cfg.session_idle_days * 86400,
	    now - server_cfg.session_max_days * 86400);
}

/*
 * Overwrite a string parameter in the request (a password or a code).  The
 * string belongs to the request object, which is ours to scribble on; json-c
 * only hands it out const.
 */
static void
auth_wipe_param(struct rpc_req *req, const char *name)
{
	struct json_object	*v;

	v = rpc_get(req->params, name);
	if (v != NULL && json_object_is_type(v, json_type_string))
		sec_wipe((char *)(uintptr_t)json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
}

/* The length of a string parameter (which may hold NUL-free UTF-8 only). */
static size_t
auth_param_len(struct rpc_req *req, const char *name)
{
	struct json_object	*v;

	v = rpc_get(req->params, name);
	return (v != NULL ? (size_t)json_object_get_string_len(v) : 0);
}

/* Whether code is exactly TOTP_DIGITS ASCII digits. */
static int
auth_code_ok(const char *code)
{
	size_t	 i;

	for (i = 0; i < TOTP_DIGITS; i++) {
		if (code[i] < '0' || code[i] > '9')
			return (0);
	}
	return (code[i] == '\0');
}

/*
 * Open a session for account a: a new random token, stored hashed.  The hex
 * token goes to hex (AUTH_TOKEN_HEX + 1 bytes), its hash to hash.
 */
static int
auth_session_new(int64_t account, char *hex, uint8_t *hash)
{
	uint8_t	 token[SEC_TOKEN_LEN];

	sec_random(token, sizeof token);
	sec_token_hash(token, sizeof token, hash);
	sec_hex(token, sizeof token, hex);
	sec_wipe(token, sizeof token);
	return (store_session_create(server_store, hash, account,
	    clock_now()));
}

/* Reply {user, token, admin} to a successful login or registration. */
static void
auth_reply_login(struct client *c, struct json_object *id,
    const struct store_account *a, char *hex)
{
	struct json_object	*result;

	result = json_object_new_object();
	json_object_object_add(result, "user", json_object_new_string(a->name));
	json_object_object_add(result, "token", json_object_new_string(hex));
	json_object_object_add(result, "admin",
	    json_object_new_boolean(a->is_admin));
	sec_wipe(hex, AUTH_TOKEN_HEX);
	cmd_reply(c, id, result);
}

/* Hash done for register: make the TOTP secret and hand it out. */
static void
auth_register_hashed(void *arg, int ok, const char *hash)
{
	struct client		*c = arg;
	struct auth_pending	*p = c->pending;
	struct auth_reg		*reg;
	struct json_object	*result;
	char			 b32[64], *uri;

	c->job = NULL;
	c->pending = NULL;
	if (!ok) {
		cmd_error(c, p->id, CS_ERR_INTERNAL, "password hashing failed",
		    NULL);
		goto out;
	}

	reg = xcalloc(1, sizeof *reg);
	memcpy(reg->name, p->name, sizeof reg->name);
	memcpy(reg->folded, p->key, sizeof reg->folded);
	reg->pwhash = xstrdup(hash);
	sec_random(reg->secret, sizeof reg->secret);
	if (base32_encode(reg->secret, sizeof reg->secret, b32,
	    sizeof b32) < 0 || (uri = totp_uri(AUTH_ISSUER, reg->name,
	    reg->secret, sizeof reg->secret)) == NULL) {
		auth_reg_free(reg);
		cmd_error(c, p->id, CS_ERR_INTERNAL, NULL, NULL);
		goto out;
	}
	auth_reg_free(c->reg);
	c->reg = reg;
	c->reg_since = clock_mono_ms();
	client_enter_state(c, c->state);	/* re-arm: register deadline */

	result = json_object_new_object();
	json_object_object_add(result, "user",
	    json_object_new_string(reg->name));
	json_object_object_add(result, "totp_secret",
	    json_object_new_string(b32));
	json_object_object_add(result, "totp_uri", json_object_new_string(uri));
	sec_wipe(b32, sizeof b32);
	sec_wipe(uri, strlen(uri));
	free(uri);
	cmd_reply(c, p->id, result);

out:
	auth_pending_free(p);
	client_set_busy(c, 0);
}

/* register: check the name and password, then hash off the loop. */
void
auth_cmd_register(struct client *c, struct rpc_req *req)
{
	struct store_account	 a;
	struct auth_pending	*p;
	const char		*user, *pw, *why;
	size_t			 pwlen;
	int64_t			 retry;
	char			 folded[NAME_USER_MAX + 1];
	int			 rc;

	user = rpc_get_str(req->params, "user", "");
	pw = rpc_get_str(req->params, "password", "");
	pwlen = auth_param_len(req, "password");

	if ((why = name_user_check(user)) != NULL) {
		cmd_error(c, req->id, CS_ERR_BAD_USERNAME, why, NULL);
		goto out;
	}
	if ((why = name_password_check(pw, pwlen)) != NULL) {
		cmd_error(c, req->id, CS_ERR_BAD_PASSWORD, why, NULL);
		goto out;
	}
	if (limit_check_addr(client_addr(c), &retry)) {
		audit_log("limited", user, client_addr(c), "register");
		cmd_error_retry(c, req->id, retry);
		goto out;
	}
	name_fold(user, folded, sizeof folded);
	rc = store_account_by_name(server_store, folded, &a);
	store_account_clear(&a);
	if (rc == 0) {
		cmd_error(c, req->id, CS_ERR_USER_TAKEN, NULL, NULL);
		goto out;
	}
	if (rc != STORE_NOTFOUND) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		goto out;
	}

	p = xcalloc(1, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", user);
	memcpy(p->key, folded, sizeof p->key);
	auth_hash_start(c, req, p, HASH_MAKE, pw, pwlen, NULL,
	    auth_register_hashed);

out:
	auth_wipe_param(req, "password");
}

/* register_confirm: check the first code, then create the account. */
void
auth_cmd_register_confirm(struct client *c, struct rpc_req *req)
{
	struct auth_reg		*reg = c->reg;
	struct store_account	 a;
	const char		*code;
	uint8_t			 hash[SEC_TOKEN_HASH_LEN];
	char			 hex[AUTH_TOKEN_HEX + 1];
	int64_t			 step;
	int			 rc;

	code = rpc_get_str(req->params, "code", "");
	if (reg == NULL) {
		cmd_error(c, req->id, CS_ERR_STATE, "no registration is pending",
		    NULL);
		goto out;
	}
	if (!auth_code_ok(code)) {
		cmd_error(c, req->id, CS_ERR_BAD_CODE_FORMAT, NULL, NULL);
		goto out;
	}
	if (totp_verify(reg->secret, sizeof reg->secret, code, clock_now(),
	    &step) != 0) {
		limit_fail(LIMIT_OTHER, NULL, client_addr(c));
		audit_log("register-failed", reg->name, client_addr(c),
		    "bad code");
		if (++reg->wrong >= AUTH_CONFIRM_TRIES) {
			auth_reg_free(reg);
			c->reg = NULL;
		}
		cmd_error(c, req->id, CS_ERR_AUTH_FAILED, NULL, NULL);
		goto out;
	}

	memset(&a, 0, sizeof a);
	memcpy(a.name, reg->name, sizeof a.name);
	memcpy(a.folded, reg->folded, sizeof a.folded);
	a.pwhash = reg->pwhash;
	memcpy(a.totp_secret, reg->secret, sizeof a.totp_secret);
	a.totp_last_step = step;
	a.created = clock_now();
	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		goto wipe;
	}
	if ((rc = store_account_create(server_store, &a)) != 0 ||
	    auth_session_new(a.id, hex, hash) != 0 ||
	    store_commit(server_store) != 0) {
		store_rollback(server_store);
		if (rc == STORE_EXISTS) {
			audit_log("register-failed", reg->name, client_addr(c),
			    "name taken meanwhile");
			auth_reg_free(reg);
			c->reg = NULL;
			cmd_error(c, req->id, CS_ERR_USER_TAKEN, NULL, NULL);
		} else
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		goto wipe;
	}
	audit_log("register", a.name, client_addr(c),
	    a.is_admin ? "admin" : NULL);
	c->reg = NULL;
	client_login(c, &a, hash);
	auth_reply_login(c, req->id, &a, hex);
	auth_reg_free(reg);

wipe:
	a.pwhash = NULL;
	sec_wipe(&a, sizeof a);
	sec_wipe(hex, sizeof hex);
out:
	auth_wipe_param(req, "code");
}

/*
 * Hash checked for login: decide, count a failure or open a session.  The
 * order of the checks is fixed and every failure answers the same.
 */
static void
auth_login_verified(void *arg, int ok, const char *rehash)
{
	struct client		*c = arg;
	struct auth_pending	*p = c->pending;
	struct store_account	*a = &p->acct;
	enum limit_kind		 kind = LIMIT_PASSWORD;
	const char		*reason = NULL;
	uint8_t			 hash[SEC_TOKEN_HASH_LEN];
	char			 hex[AUTH_TOKEN_HEX + 1];
	int64_t			 step;
	int			 rc;

	c->job = NULL;
	c->pending = NULL;

	if (!p->found)
		reason = "unknown user";
	else if (p->refused) {
		reason = "stored hash over the policy maximum";
		kind = LIMIT_OTHER;
	} else if (!ok)
		reason = "bad password";
	else if (a->disabled) {
		reason = "account disabled";
		kind = LIMIT_OTHER;
	} else if (totp_verify(a->totp_secret, sizeof a->totp_secret, p->code,
	    p->asked, &step) != 0) {
		reason = "bad code";
		kind = LIMIT_CODE;
	} else if (step <= a->totp_last_step) {
		reason = "replayed code";
		kind = LIMIT_CODE;
	} else if ((rc = store_account_totp_advance(server_store, a->id,
	    step)) != 0) {
		if (rc != STORE_EXISTS) {
			cmd_error(c, p->id, CS_ERR_INTERNAL, NULL, NULL);
			goto out;
		}
		reason = "replayed code";
		kind = LIMIT_CODE;
	}

	if (reason != NULL) {
		limit_fail(kind, p->key, client_addr(c));
		audit_log("login-failed", p->key, client_addr(c), reason);
		cmd_error(c, p->id, CS_ERR_AUTH_FAILED, NULL, NULL);
		goto out;
	}

	if (auth_session_new(a->id, hex, hash) != 0) {
		cmd_error(c, p->id, CS_ERR_INTERNAL, NULL, NULL);
		goto out;
	}
	if (rehash != NULL &&
	    store_account_pwhash(server_store, a->id, rehash) == 0)
		log_info("auth: password hash of %s upgraded",
		    log_safe(a->name));
	audit_log("login", a->name, client_addr(c), NULL);
	auth_reg_free(c->reg);
	c->reg = NULL;
	client_login(c, a, hash);
	auth_reply_login(c, p->id, a, hex);

out:
	sec_wipe(hex, sizeof hex);
	auth_pending_free(p);
	client_set_busy(c, 0);
}

/* login: rate limits, then the password (hashed off the loop), then the code. */
void
auth_cmd_login(struct client *c, struct rpc_req *req)
{
	struct auth_pending	*p;
	const char		*user, *pw, *code, *stored;
	size_t			 pwlen;
	int64_t			 retry;
	int			 rc;

	user = rpc_get_str(req->params, "user", "");
	pw = rpc_get_str(req->params, "password", "");
	pwlen = auth_param_len(req, "password");
	code = rpc_get_str(req->params, "code", "");

	if (!auth_code_ok(code)) {
		cmd_error(c, req->id, CS_ERR_BAD_CODE_FORMAT, NULL, NULL);
		goto out;
	}
	p = xcalloc(1, sizeof *p);
	limit_key(user, p->key, sizeof p->key);
	if (limit_check_login(p->key, client_addr(c), &retry)) {
		audit_log("limited", p->key, client_addr(c), "login");
		auth_pending_free(p);
		cmd_error_retry(c, req->id, retry);
		goto out;
	}

	stored = auth_dummy_hash;
	if (name_user_check(user) == NULL) {
		rc = store_account_by_name(server_store, p->key, &p->acct);
		if (rc == -1) {
			auth_pending_free(p);
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
			goto out;
		}
		if (rc == 0) {
			p->found = 1;
			if (hash_policy_ok(p->acct.pwhash))
				stored = p->acct.pwhash;
			else {
				log_warnx("auth: stored hash of %s is over the "
				    "policy maximum; refused",
				    log_safe(p->acct.name));
				p->refused = 1;
			}
		}
	}
	memcpy(p->code, code, sizeof p->code);
	/*
	 * The code is checked against the time it came, not the time the
	 * hash pool got to it: a login queued behind a storm of others for
	 * longer than a TOTP step is still the right code.  Replay is still
	 * refused by the stored last step.
	 */
	p->asked = clock_now();

	auth_hash_start(c, req, p, HASH_VERIFY, pw, pwlen, stored,
	    auth_login_verified);

out:
	auth_wipe_param(req, "password");
	auth_wipe_param(req, "code");
}

/* resume: log in with a session token that is live and not expired. */
void
auth_cmd_resume(struct client *c, struct rpc_req *req)
{
	struct store_account	 a;
	struct json_object	*result;
	const char		*token, *reason = NULL;
	uint8_t			 raw[SEC_TOKEN_LEN], hash[SEC_TOKEN_HASH_LEN];
	int64_t			 account, created, last_used, now = clock_now();
	int			 rc;

	memset(&a, 0, sizeof a);
	token = rpc_get_str(req->params, "token", "");
	if (strlen(token) != AUTH_TOKEN_HEX ||
	    sec_unhex(token, raw, sizeof raw) != SEC_TOKEN_LEN) {
		reason = "malformed token";
		goto fail;
	}
	sec_token_hash(raw, sizeof raw, hash);
	sec_wipe(raw, sizeof raw);

	rc = store_session_get(server_store, hash, &account, &created,
	    &last_used);
	if (rc == -1)
		goto internal;
	if (rc != 0) {
		reason = "unknown token";
		goto fail;
	}
	if (now - last_used > server_cfg.session_idle_days * 86400 ||
	    now - created > server_cfg.session_max_days * 86400) {
		store_session_delete(server_store, hash);
		reason = "expired token";
		goto fail;
	}
	if ((rc = store_account_by_id(server_store, account, &a)) == -1)
		goto internal;
	if (rc != 0 || a.disabled) {
		reason = rc != 0 ? "account gone" : "account disabled";
		goto fail;
	}
	auth_touch(hash);

	audit_log("resume", a.name, client_addr(c), NULL);
	auth_reg_free(c->reg);
	c->reg = NULL;
	client_login(c, &a, hash);
	result = json_object_new_object();
	json_object_object_add(result, "user", json_object_new_string(a.name));
	json_object_object_add(result, "admin",
	    json_object_new_boolean(a.is_admin));
	cmd_reply(c, req->id, result);
	goto out;

internal:
	cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
	goto out;
fail:
	audit_log("resume-failed", a.name[0] != '\0' ? a.name : NULL,
	    client_addr(c), reason);
	cmd_error(c, req->id, CS_ERR_SESSION, NULL, NULL);
out:
	store_account_clear(&a);
	sec_wipe(hash, sizeof hash);
	auth_wipe_param(req, "token");
}

/* logout: revoke this connection's session and go back to logged out. */
void
auth_cmd_logout(struct client *c, struct rpc_req *req)
{
	if (c->has_token &&
	    store_session_delete(server_store, c->token_hash) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	audit_log("logout", client_user(c), client_addr(c), NULL);
	client_logout(c);
	cmd_reply(c, req->id, json_object_new_object());
}

/*
 * password_change, last step: the new hash is made.  In one transaction
 * store it, revoke every session of the account and open a new one for
 * this connection; then close the account's other connections the way
 * admin_revoke_sessions does, and hand out the new token.
 */
static void
auth_pwchange_hashed(void *arg, int ok, const char *newhash)
{
	struct client		*c = arg;
	struct auth_pending	*p = c->pending;
	struct json_object	*result;
	uint8_t			 hash[SEC_TOKEN_HASH_LEN];
	char			 hex[AUTH_TOKEN_HEX + 1], detail[64];
	unsigned int		 closed;

	c->job = NULL;
	c->pending = NULL;
	if (!ok) {
		audit_log("password-change-failed", p->acct.name,
		    client_addr(c), "hashing failed");
		cmd_error(c, p->id, CS_ERR_INTERNAL, "password hashing failed",
		    NULL);
		goto out;
	}
	if (store_begin(server_store) != 0 ||
	    store_account_pwhash(server_store, p->acct.id, newhash) != 0 ||
	    store_session_delete_account(server_store, p->acct.id) != 0 ||
	    auth_session_new(p->acct.id, hex, hash) != 0 ||
	    store_commit(server_store) != 0) {
		store_rollback(server_store);
		audit_log("password-change-failed", p->acct.name,
		    client_addr(c), "storage failure");
		cmd_error(c, p->id, CS_ERR_INTERNAL, NULL, NULL);
		goto out;
	}
	memcpy(c->token_hash, hash, sizeof c->token_hash);
	c->has_token = 1;
	closed = client_close_account(p->acct.id, c,
	    "password changed: sessions revoked");
	snprintf(detail, sizeof detail, "%u other connections closed", closed);
	audit_log("password-change", p->acct.name, client_addr(c), detail);
	log_info("auth: %s changed their password (%u other connections "
	    "closed)", log_safe(p->acct.name), closed);

	result = json_object_new_object();
	json_object_object_add(result, "token", json_object_new_string(hex));
	cmd_reply(c, p->id, result);

out:
	sec_wipe(hex, sizeof hex);
	sec_wipe(hash, sizeof hash);
	auth_pending_free(p);
	client_set_busy(c, 0);
}

/*
 * password_change, first step done: the current password is checked.  A
 * wrong one counts like a wrong password at login; a right one sends the
 * new password to be hashed (still busy meanwhile).
 */
static void
auth_pwchange_verified(void *arg, int ok, const char *rehash)
{
	struct client		*c = arg;
	struct auth_pending	*p = c->pending;

	c->job = NULL;
	if (!ok) {
		c->pending = NULL;
		limit_fail(LIMIT_PASSWORD, p->key, client_addr(c));
		audit_log("password-change-failed", p->acct.name,
		    client_addr(c), "bad password");
		cmd_error(c, p->id, CS_ERR_WRONG_PASSWORD,
		    "the current password is wrong", NULL);
		auth_pending_free(p);
		client_set_busy(c, 0);
		return;
	}
	c->job = hash_submit(HASH_MAKE, p->newpw, p->newpwlen, NULL,
	    auth_pwchange_hashed, c);
	sec_wipe(p->newpw, p->newpwlen);
	if (c->job == NULL) {
		c->pending = NULL;
		audit_log("password-change-failed", p->acct.name,
		    client_addr(c), "hash pool busy");
		cmd_error(c, p->id, CS_ERR_BUSY, NULL, NULL);
		auth_pending_free(p);
		client_set_busy(c, 0);
	}
}

/*
 * password_change {password, new_password}: the new password must follow
 * the rules (checked before any hashing), the limits of login apply, and
 * both hashes run on the pool.  The passwords are wiped from the request
 * whatever happens.
 */
void
auth_cmd_password_change(struct client *c, struct rpc_req *req)
{
	struct auth_pending	*p;
	const char		*pw, *newpw, *why, *user = client_user(c);
	size_t			 pwlen, newpwlen;
	int64_t			 retry;

	pw = rpc_get_str(req->params, "password", "");
	pwlen = auth_param_len(req, "password");
	newpw = rpc_get_str(req->params, "new_password", "");
	newpwlen = auth_param_len(req, "new_password");

	if ((why = name_password_check(newpw, newpwlen)) != NULL) {
		audit_log("password-change-failed", user, client_addr(c),
		    "new password breaks the rules");
		cmd_error(c, req->id, CS_ERR_BAD_PASSWORD, why, NULL);
		goto out;
	}
	p = xcalloc(1, sizeof *p);
	limit_key(user != NULL ? user : "", p->key, sizeof p->key);
	if (limit_check_login(p->key, client_addr(c), &retry)) {
		audit_log("limited", user, client_addr(c), "password_change");
		auth_pending_free(p);
		cmd_error_retry(c, req->id, retry);
		goto out;
	}
	if (store_account_by_id(server_store, c->account_id, &p->acct) != 0) {
		auth_pending_free(p);
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		goto out;
	}
	if (!hash_policy_ok(p->acct.pwhash)) {
		log_warnx("auth: stored hash of %s is over the policy maximum; "
		    "refused", log_safe(p->acct.name));
		audit_log("password-change-failed", p->acct.name,
		    client_addr(c), "stored hash over the policy maximum");
		auth_pending_free(p);
		cmd_error(c, req->id, CS_ERR_INTERNAL, "the stored password "
		    "hash is refused by the server's policy: ask an admin",
		    NULL);
		goto out;
	}
	p->newpw = xmalloc(newpwlen + 1);
	memcpy(p->newpw, newpw, newpwlen);
	p->newpw[newpwlen] = '\0';
	p->newpwlen = newpwlen;

	auth_hash_start(c, req, p, HASH_VERIFY, pw, pwlen, p->acct.pwhash,
	    auth_pwchange_verified);

out:
	auth_wipe_param(req, "password");
	auth_wipe_param(req, "new_password");
}

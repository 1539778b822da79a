/* chatsec — chatsecd server administration.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "chatsecd.h"
#include "clock.h"
#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "store.h"

/*
 * The admin_* requests (list accounts, disable and enable an account,
 * revoke a user's sessions, read the audit log), each allowed by the
 * rights table to server admins only, and the offline commands
 * `chatsecd --admin-grant NAME` / `--admin-revoke NAME`, which change a
 * stopped server's database directly.
 *
 * Audit rows of admin actions name the admin in `account` and the user
 * acted on in `detail`.
 */

/* Check the caller is an admin; -1 with the request answered if not. */
static int
admin_allowed(struct client *c, struct rpc_req *req)
{
	struct right_ctx	 x;
	char			 msg[256];
	int			 code;

	memset(&x, 0, sizeof x);
	x.is_admin = c->is_admin;
	if ((code = rights_check(RIGHT_ADMIN, &x, msg, sizeof msg)) != 0) {
		cmd_error(c, req->id, code, msg, NULL);
		return (-1);
	}
	return (0);
}

/*
 * Look up the "user" parameter into *a (clear it after).  -1 with the
 * request answered if there is no such account.
 */
static int
admin_target(struct client *c, struct rpc_req *req, struct store_account *a)
{
	const char	*user = rpc_get_str(req->params, "user", "");
	char		 folded[NAME_USER_MAX + 1], msg[128];
	int		 rc = STORE_NOTFOUND;

	memset(a, 0, sizeof *a);
	if (name_user_check(user) == NULL) {
		name_fold(user, folded, sizeof folded);
		rc = store_account_by_name(server_store, folded, a);
	}
	if (rc == 0)
		return (0);
	store_account_clear(a);
	if (rc == -1)
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
	else {
		snprintf(msg, sizeof msg, "no such user: %s", user);
		cmd_error(c, req->id, CS_ERR_NO_SUCH_USER, msg, NULL);
	}
	return (-1);
}

/* admin_accounts row callback. */
static int
admin_accounts_cb(void *arg, const struct store_account *a)
{
	struct json_object	*array = arg, *o;

	o = json_object_new_object();
	json_object_object_add(o, "user", json_object_new_string(a->name));
	json_object_object_add(o, "admin", json_object_new_boolean(a->is_admin));
	json_object_object_add(o, "disabled",
	    json_object_new_boolean(a->disabled));
	json_object_object_add(o, "created", json_object_new_int64(a->created));
	json_object_object_add(o, "online",
	    json_object_new_boolean(client_online(a->id)));
	json_object_array_add(array, o);
	return (0);
}

/* admin_accounts: every account, by name. */
void
admin_cmd_accounts(struct client *c, struct rpc_req *req)
{
	struct json_object	*r, *array;

	if (admin_allowed(c, req) != 0)
		return;
	array = json_object_new_array();
	if (store_account_list(server_store, admin_accounts_cb, array) != 0) {
		json_object_put(array);
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "accounts", array);
	cmd_reply(c, req->id, r);
}

/* Reply {user, ...} with one boolean or integer member. */
static void
admin_reply(struct client *c, struct rpc_req *req, const char *user,
    const char *key, struct json_object *value)
{
	struct json_object	*r;

	r = json_object_new_object();
	json_object_object_add(r, "user", json_object_new_string(user));
	json_object_object_add(r, key, value);
	cmd_reply(c, req->id, r);
}

/*
 * admin_disable / admin_enable.  Disabling revokes every session and
 * closes every connection of the account at once; its logins then fail
 * with the generic 1002.
 */
static void
admin_set_disabled(struct client *c, struct rpc_req *req, int on)
{
	struct store_account	 a;
	char			 detail[128], msg[128];

	if (admin_allowed(c, req) != 0 || admin_target(c, req, &a) != 0)
		return;
	if (on && a.id == c->account_id) {
		cmd_error(c, req->id, CS_ERR_FORBIDDEN, "you can't disable "
		    "your own account (ask another admin)", NULL);
		goto out;
	}
	if (a.disabled == on) {
		snprintf(msg, sizeof msg, "%s is already %s", a.name,
		    on ? "disabled" : "enabled");
		cmd_error(c, req->id, CS_ERR_ALREADY, msg, NULL);
		goto out;
	}
	if (store_begin(server_store) != 0 ||
	    store_account_set_disabled(server_store, a.id, on) != 0 ||
	    (on && store_session_delete_account(server_store, a.id) != 0) ||
	    store_commit(server_store) != 0) {
		store_rollback(server_store);
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		goto out;
	}
	if (on)
		client_close_account(a.id, NULL, "account disabled");
	snprintf(detail, sizeof detail, "%s %s", on ? "disabled" : "enabled",
	    a.name);
	audit_log(on ? "admin-disable" : "admin-enable", client_user(c),
	    client_addr(c), detail);
	admin_reply(c, req, a.name, "disabled", json_object_new_boolean(on));
out:
	store_account_clear(&a);
}

/* admin_disable */
void
admin_cmd_disable(struct client *c, struct rpc_req *req)
{
	admin_set_disabled(c, req, 1);
}

/* admin_enable */
void
admin_cmd_enable(struct client *c, struct rpc_req *req)
{
	admin_set_disabled(c, req, 0);
}

/*
 * admin_revoke_sessions: every session token of the user stops working
 * and their connections close (the caller's own too, after the reply).
 */
void
admin_cmd_revoke_sessions(struct client *c, struct rpc_req *req)
{
	struct store_account	 a;
	unsigned int		 closed;
	char			 detail[128];

	if (admin_allowed(c, req) != 0 || admin_target(c, req, &a) != 0)
		return;
	if (store_session_delete_account(server_store, a.id) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		goto out;
	}
	snprintf(detail, sizeof detail, "revoked the sessions of %s", a.name);
	audit_log("admin-revoke-sessions", client_user(c), client_addr(c),
	    detail);
	/* Reply first: the caller's own connection may be among them. */
	admin_reply(c, req, a.name, "connections",
	    json_object_new_int(client_count_account(a.id)));
	closed = client_close_account(a.id, NULL,
	    "sessions revoked by an admin");
	log_info("admin: %s revoked the sessions of %s (%u connections)",
	    log_safe(client_user(c) != NULL ? client_user(c) : "-"),
	    log_safe(a.name), closed);
out:
	store_account_clear(&a);
}

/* A page of audit rows. */
struct admin_page {
	struct json_object	*array;
	int			 limit;
	int			 count;
	int			 more;
};

/* admin_audit row callback: stop after the limit, noting there is more. */
static int
admin_audit_cb(void *arg, const struct store_audit *e)
{
	struct admin_page	*pg = arg;
	struct json_object	*o;

	if (pg->count == pg->limit) {
		pg->more = 1;
		return (1);
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(e->id));
	json_object_object_add(o, "ts", json_object_new_int64(e->ts));
	json_object_object_add(o, "kind", json_object_new_string(e->kind));
	json_object_object_add(o, "account", e->account != NULL ?
	    json_object_new_string(e->account) : NULL);
	json_object_object_add(o, "addr", e->addr != NULL ?
	    json_object_new_string(e->addr) : NULL);
	json_object_object_add(o, "detail", e->detail != NULL ?
	    json_object_new_string(e->detail) : NULL);
	json_object_array_add(pg->array, o);
	pg->count++;
	return (0);
}

/* admin_audit: audit rows matching the filters, newest first. */
void
admin_cmd_audit(struct client *c, struct rpc_req *req)
{
	struct store_audit_filter	 f;
	struct admin_page		 pg;
	struct json_object		*r;

	if (admin_allowed(c, req) != 0)
		return;
	/* Rows queued by this loop turn's requests are written first. */
	msg_flush_wait();
	memset(&f, 0, sizeof f);
	f.account = rpc_get_str(req->params, "account", NULL);
	f.addr = rpc_get_str(req->params, "addr", NULL);
	f.kind = rpc_get_str(req->params, "kind", NULL);
	f.since = rpc_get_int(req->params, "since", 0);
	f.until = rpc_get_int(req->params, "until", 0);
	memset(&pg, 0, sizeof pg);
	pg.limit = (int)rpc_get_int(req->params, "limit", 100);
	f.limit = pg.limit + 1;
	pg.array = json_object_new_array();
	if (store_audit_query(server_store, &f, admin_audit_cb, &pg) != 0) {
		json_object_put(pg.array);
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "entries", pg.array);
	json_object_object_add(r, "more", json_object_new_boolean(pg.more));
	cmd_reply(c, req->id, r);
}

/*
 * `chatsecd -d DIR --admin-grant NAME` / `--admin-revoke NAME`: change
 * the admin flag of an account in a stopped server's database (the caller
 * holds the data dir's lock) and record it in the audit log.  Returns the
 * exit status.
 */
int
admin_offline(const char *grant, const char *revoke)
{
	struct store_account	 a;
	struct store		*st;
	const char		*user = grant != NULL ? grant : revoke;
	char			*path, folded[NAME_USER_MAX + 1];
	char			 detail[128];
	int			 rc, on = grant != NULL, status = 1;

	if (grant != NULL && revoke != NULL) {
		fprintf(stderr, "chatsecd: --admin-grant and --admin-revoke "
		    "can't be used together\n");
		return (2);
	}
	if (name_user_check(user) != NULL) {
		fprintf(stderr, "chatsecd: no such user: %s\n", user);
		return (1);
	}
	if (asprintf(&path, "%s/chatsecd.db", server_cfg.datadir) == -1)
		return (1);
	st = store_open(path);
	free(path);
	if (st == NULL) {
		fprintf(stderr, "chatsecd: cannot open the database in %s\n",
		    server_cfg.datadir);
		return (1);
	}
	name_fold(user, folded, sizeof folded);
	rc = store_account_by_name(st, folded, &a);
	if (rc != 0) {
		fprintf(stderr, "chatsecd: %s\n", rc == STORE_NOTFOUND ?
		    "no such user" : "cannot read the database");
		goto out;
	}
	snprintf(detail, sizeof detail, "%s %s (offline)",
	    on ? "granted admin to" : "revoked admin from", a.name);
	if (store_begin(st) != 0 ||
	    store_account_set_admin(st, a.id, on) != 0 ||
	    store_audit_add(st, clock_now_ms(), on ? "admin-grant" :
	    "admin-revoke", NULL, "local", detail) != 0 ||
	    store_commit(st) != 0) {
		store_rollback(st);
		fprintf(stderr, "chatsecd: cannot write the database\n");
		goto out;
	}
	printf("chatsecd: %s is %s an admin\n", a.name, on ? "now" :
	    "no longer");
	status = 0;
out:
	store_account_clear(&a);
	store_close(st);
	return (status);
}

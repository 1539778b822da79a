/* chatsec — chatsecd: public key bundles for end-to-end encryption.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "clock.h"
#include "log.h"
#include "names.h"
#include "proto.h"
#include "rpc.h"
#include "sec.h"

#include "chatsecd.h"
#include "bus.h"
#include "store.h"

/*
 * keys_publish and keys_get (doc/protocol.md, doc/crypto.md).  The server
 * keeps each account's public keys and serves them; it never sees a
 * private key and never checks a bundle's signature: agents verify it
 * and pin what they saw, so the server is trusted here for nothing but
 * availability.
 */

/* Decode member name of params (base64) into exactly len bytes. */
static int
keys_b64(struct json_object *params, const char *name, uint8_t *out,
    size_t len)
{
	const char	*s = rpc_get_str(params, name, "");
	uint8_t		 buf[128];
	int		 n;

	n = sec_b64_decode(s, strlen(s), buf, sizeof buf);
	if (n < 0 || (size_t)n != len)
		return (-1);
	memcpy(out, buf, len);
	return (0);
}

/* keys_publish: store the caller's bundle; tell every synced connection. */
void
keys_cmd_publish(struct client *c, struct rpc_req *req)
{
	struct store_keys	 k;
	struct json_object	*r, *ev;
	int64_t			 since_id = 0;

	memset(&k, 0, sizeof k);
	if (keys_b64(req->params, "sign_pk", k.sign_pk, STORE_PK_LEN) != 0 ||
	    keys_b64(req->params, "box_pk", k.box_pk, STORE_PK_LEN) != 0 ||
	    keys_b64(req->params, "sig", k.sig, STORE_SIG_LEN) != 0) {
		cmd_error(c, req->id, CS_ERR_PARAMS, "sign_pk and box_pk are "
		    "32 bytes, sig 64 bytes, in base64", NULL);
		return;
	}
	k.ts = clock_now_ms();
	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (store_keys_put(server_store, c->account_id, &k, &since_id) != 0) {
		store_rollback(server_store);
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (store_commit(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	audit_log("keys-publish", client_user(c), client_addr(c), NULL);
	r = json_object_new_object();
	json_object_object_add(r, "since_id", json_object_new_int64(since_id));
	cmd_reply(c, req->id, r);

	ev = json_object_new_object();
	json_object_object_add(ev, "user",
	    json_object_new_string(client_user(c)));
	json_object_object_add(ev, "since_id", json_object_new_int64(since_id));
	bus_publish_keys(ev);
}

/* Add a base64 member. */
static void
keys_add_b64(struct json_object *obj, const char *name, const uint8_t *p,
    size_t len)
{
	char	 buf[128];

	sec_b64_encode(p, len, buf, sizeof buf);
	json_object_object_add(obj, name, json_object_new_string(buf));
}

/* keys_get: the bundles of up to CS_KEYS_GET_MAX users. */
void
keys_cmd_get(struct client *c, struct rpc_req *req)
{
	struct json_object	*users, *keys, *missing, *unknown, *o, *r, *u;
	struct store_account	 a;
	struct store_keys	 k;
	char			 folded[NAME_USER_MAX + 1];
	const char		*name;
	size_t			 i, n;
	int			 rc;

	users = rpc_get(req->params, "users");
	n = json_object_array_length(users);
	keys = json_object_new_array();
	missing = json_object_new_array();
	unknown = json_object_new_array();
	for (i = 0; i < n; i++) {
		u = json_object_array_get_idx(users, i);
		if (!json_object_is_type(u, json_type_string)) {
			json_object_put(keys);
			json_object_put(missing);
			json_object_put(unknown);
			cmd_error(c, req->id, CS_ERR_PARAMS, "parameter users: "
			    "an array of usernames", NULL);
			return;
		}
		name = json_object_get_string(u);
		rc = STORE_NOTFOUND;
		if (name_user_check(name) == NULL) {
			name_fold(name, folded, sizeof folded);
			rc = store_keys_get(server_store, folded, &k);
		}
		if (rc == STORE_NOTFOUND && name_user_check(name) == NULL) {
			/* Without keys, or without an account at all? */
			rc = store_account_by_name(server_store, folded, &a);
			store_account_clear(&a);
			if (rc == STORE_NOTFOUND)
				json_object_array_add(unknown,
				    json_object_get(u));
			rc = rc == -1 ? -1 : STORE_NOTFOUND;
		} else if (rc == STORE_NOTFOUND)
			json_object_array_add(unknown, json_object_get(u));
		if (rc == -1) {
			json_object_put(keys);
			json_object_put(missing);
			json_object_put(unknown);
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
			return;
		}
		if (rc != 0) {
			json_object_array_add(missing, json_object_get(u));
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "user",
		    json_object_new_string(k.name));
		keys_add_b64(o, "sign_pk", k.sign_pk, STORE_PK_LEN);
		keys_add_b64(o, "box_pk", k.box_pk, STORE_PK_LEN);
		keys_add_b64(o, "sig", k.sig, STORE_SIG_LEN);
		json_object_object_add(o, "since_id",
		    json_object_new_int64(k.since_id));
		json_object_array_add(keys, o);
	}
	r = json_object_new_object();
	json_object_object_add(r, "keys", keys);
	json_object_object_add(r, "missing", missing);
	json_object_object_add(r, "unknown", unknown);
	cmd_reply(c, req->id, r);
}

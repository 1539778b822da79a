/* chatsec — API methods: server administration.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <json-c/json.h>

#include "names.h"
#include "proto.h"
#include "rpc.h"

#include "agent.h"

/*
 * admin_accounts, admin_disable, admin_enable, admin_revoke_sessions and
 * admin_audit.  The server alone decides who is an admin (the agent's
 * idea of it is only what login said); these handlers check what they
 * can without it and forward (api-rooms.c).
 */

/* admin_* with a user: a name that can't be an account is 1007 at once. */
void
api_admin_user(struct api_pending *p, struct json_object *params)
{
	const char	*user = rpc_get_str(params, "user", "");

	if (name_user_check(user) != NULL) {
		api_errorf(p, CS_ERR_NO_SUCH_USER, "no such user: %s", user);
		return;
	}
	api_forward(p, params);
}

/* admin_audit: since must not be after until. */
void
api_admin_audit(struct api_pending *p, struct json_object *params)
{
	int64_t	 since = rpc_get_int(params, "since", 0);
	int64_t	 until = rpc_get_int(params, "until", 0);

	if (until != 0 && since > until) {
		api_error(p, CS_ERR_PARAMS, "parameter since: after until",
		    NULL);
		return;
	}
	api_forward(p, params);
}

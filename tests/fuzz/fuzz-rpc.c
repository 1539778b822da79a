/* chatsec — fuzz JSON-RPC request checking.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "frame.h"
#include "fuzz.h"
#include "proto.h"
#include "rpc.h"
#include "utf8.h"

/*
 * What the server's dispatcher and the agent's API do with a decoded line
 * before any handler runs: rpc_parse(), then rpc_check_params() against a
 * method's table, then the accessors handlers use.  After a check passes,
 * every accessor must agree with the spec (a string is valid UTF-8 within
 * its bounds, an integer within its range), because handlers rely on it.
 * The error reply built for a refused request must always serialise.
 */
static const struct rpc_param spec_a[] = {
	{ "user", RPC_STRING, RPC_REQUIRED, 2, 32 },
	{ "password", RPC_STRING, 0, 0, 4096 },
	{ "limit", RPC_INT, 0, 1, 200 },
	{ "wait", RPC_BOOL, 0, 0, 0 },
	{ NULL, RPC_STRING, 0, 0, 0 }
};
static const struct rpc_param spec_b[] = {
	{ "users", RPC_ARRAY, RPC_REQUIRED, 1, 1000 },
	{ "filter", RPC_OBJECT, 0, 0, 0 },
	{ "since", RPC_INT, 0, 0, INT64_MAX },
	{ "to", RPC_STRING, 0, 1, 64 },
	{ NULL, RPC_STRING, 0, 0, 0 }
};
static const struct rpc_param *const specs[] = { spec_a, spec_b };

static void
check_accessors(struct json_object *params, const struct rpc_param *spec)
{
	const struct rpc_param	*p;
	struct json_object	*v;
	const char		*s;
	int64_t			 n;
	size_t			 len;

	for (p = spec; p->name != NULL; p++) {
		v = rpc_get(params, p->name);
		if (v == NULL) {
			FUZZ_ASSERT(!(p->flags & RPC_REQUIRED));
			continue;
		}
		switch (p->type) {
		case RPC_STRING:
			s = rpc_get_str(params, p->name, NULL);
			FUZZ_ASSERT(s != NULL);
			len = strlen(s);
			/* Embedded NULs are refused, so strlen is the length. */
			FUZZ_ASSERT((int64_t)len == json_object_get_string_len(v));
			FUZZ_ASSERT((int64_t)len >= p->min &&
			    (int64_t)len <= p->max);
			FUZZ_ASSERT(utf8_valid(s, len));
			break;
		case RPC_INT:
			n = rpc_get_int(params, p->name, -1);
			FUZZ_ASSERT(n >= p->min && n <= p->max);
			break;
		case RPC_BOOL:
			(void)rpc_get_bool(params, p->name, 0);
			break;
		case RPC_ARRAY:
			FUZZ_ASSERT(json_object_is_type(v, json_type_array));
			FUZZ_ASSERT((int64_t)json_object_array_length(v) >=
			    p->min && (int64_t)json_object_array_length(v) <=
			    p->max);
			break;
		case RPC_OBJECT:
			FUZZ_ASSERT(json_object_is_type(v, json_type_object));
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct json_object	*obj, *reply;
	struct rpc_req		 req;
	struct rpc_resp		 resp;
	struct evbuffer		*out;
	char			 msg[256], err[128];
	size_t			 i;
	int			 rc;

	if (frame_parse((const char *)data, len, &obj, err, sizeof err) !=
	    FRAME_OK)
		return (0);

	if (rpc_is_response(obj)) {
		if (rpc_parse_response(obj, &resp) == 0 && resp.result == NULL)
			FUZZ_ASSERT(resp.message != NULL);
		json_object_put(obj);
		return (0);
	}

	out = evbuffer_new();
	FUZZ_ASSERT(out != NULL);
	memset(&req, 0, sizeof req);
	if ((rc = rpc_parse(obj, &req, msg, sizeof msg)) != 0) {
		FUZZ_ASSERT(rc == CS_ERR_INVALID_REQUEST);
		FUZZ_ASSERT(msg[0] != '\0');
		reply = rpc_error(NULL, rc, msg, NULL);
		FUZZ_ASSERT(frame_write(out, reply, CS_WIRE_FRAME_MAX) == 0);
		json_object_put(reply);
		json_object_put(obj);
		evbuffer_free(out);
		return (0);
	}
	FUZZ_ASSERT(req.method != NULL && req.params != NULL);
	FUZZ_ASSERT(json_object_is_type(req.params, json_type_object));
	for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		if (rpc_check_params(req.params, specs[i], msg,
		    sizeof msg) == 0)
			check_accessors(req.params, specs[i]);
		else {
			FUZZ_ASSERT(msg[0] != '\0');
			reply = rpc_error(req.id ? json_object_get(req.id) :
			    NULL, CS_ERR_PARAMS, msg, NULL);
			FUZZ_ASSERT(frame_write(out, reply,
			    CS_WIRE_FRAME_MAX) == 0);
			json_object_put(reply);
		}
	}
	rpc_req_free(&req);
	evbuffer_free(out);
	return (0);
}

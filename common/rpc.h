/* chatsec — JSON-RPC 2.0 helpers.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_RPC_H
#define CHATSEC_RPC_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct evbuffer;

/*
 * JSON-RPC 2.0 shapes shared by the wire protocol (agent <-> chatsecd) and
 * the agent API (clients <-> agent).  Error codes live in proto.h.
 */

/* A request or notification, as checked by rpc_parse(). */
struct rpc_req {
	const char		*method;	/* borrowed from obj */
	struct json_object	*id;		/* borrowed; NULL for a notification
						   and for "id":null */
	int			 has_id;	/* 0 only for a notification */
	struct json_object	*params;	/* borrowed; an object, never NULL
						   (an empty one is supplied) */
	struct json_object	*obj;		/* the whole request, owned */
};

/* A response, as checked by rpc_parse_response(). */
struct rpc_resp {
	struct json_object	*id;		/* borrowed */
	struct json_object	*result;	/* borrowed; NULL on error */
	int			 code;		/* error code when result is NULL */
	const char		*message;	/* borrowed error message */
	struct json_object	*data;		/* borrowed error data or NULL */
};

/*
 * Check obj is a JSON-RPC 2.0 request: "jsonrpc":"2.0", string "method",
 * optional id (integer, string or null), optional params (must be an
 * object: chatsec uses named parameters only).  On success takes ownership
 * of obj into req and returns 0.  On failure returns a proto.h error code
 * (CS_ERR_INVALID_REQUEST), fills msg, and does not take ownership.
 */
int	 rpc_parse(struct json_object *obj, struct rpc_req *req,
	    char *msg, size_t msglen);
void	 rpc_req_free(struct rpc_req *);

/* Return 1 if obj looks like a response (has "result" or "error" and no "method"). */
int	 rpc_is_response(struct json_object *obj);
/* Fill resp from obj (borrowed; obj stays owned by the caller).  0 or -1. */
int	 rpc_parse_response(struct json_object *obj, struct rpc_resp *resp);

/* Parameter specs: one constant table per method. */
enum rpc_ptype {
	RPC_STRING,	/* valid UTF-8, length within [min, max] bytes */
	RPC_INT,	/* integer within [min, max] */
	RPC_BOOL,
	RPC_OBJECT,
	RPC_ARRAY,	/* length within [min, max] */
};
#define RPC_REQUIRED	0x1

struct rpc_param {
	const char	*name;
	enum rpc_ptype	 type;
	int		 flags;
	int64_t		 min;
	int64_t		 max;
};
/* Terminate a table with { .name = NULL }. */

/*
 * Check params against spec: every required name present, every present
 * name known, each of the right type and within bounds.  Returns 0, or
 * CS_ERR_PARAMS with msg naming the offending parameter ("missing
 * parameter: user", "parameter text: too long (max 16384 bytes)").
 */
int	 rpc_check_params(struct json_object *params,
	    const struct rpc_param *spec, char *msg, size_t msglen);

/* Accessors for already-checked params; absent gives the default. */
const char *rpc_get_str(struct json_object *params, const char *name,
	    const char *def);
int64_t	 rpc_get_int(struct json_object *params, const char *name,
	    int64_t def);
int	 rpc_get_bool(struct json_object *params, const char *name, int def);
/* Borrowed. */
struct json_object *rpc_get(struct json_object *params, const char *name);

/*
 * Builders.  Each returns a new object owned by the caller; `id` and
 * `result`/`params`/`data` are taken over (the caller gives up its
 * reference; pass json_object_get(x) to keep one).
 */
struct json_object *rpc_result(struct json_object *id, struct json_object *result);
struct json_object *rpc_error(struct json_object *id, int code,
	    const char *message, struct json_object *data);
struct json_object *rpc_request(int64_t id, const char *method,
	    struct json_object *params);
struct json_object *rpc_notification(const char *method,
	    struct json_object *params);

/* Default sentence for a proto.h error code ("unknown error" if none). */
const char *rpc_strerror(int code);

#endif

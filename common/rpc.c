/* chatsec — JSON-RPC 2.0 helpers.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "proto.h"
#include "rpc.h"
#include "utf8.h"

#define RPC_NAME_SHOWN	64	/* bytes of an unknown name put in a message */

static void	 rpc_msg(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static const struct {
	int		 code;
	const char	*text;
} rpc_errors[] = {
	{ CS_ERR_PARSE, "parse error" },
	{ CS_ERR_INVALID_REQUEST, "invalid request" },
	{ CS_ERR_METHOD, "method not found" },
	{ CS_ERR_PARAMS, "invalid parameters" },
	{ CS_ERR_INTERNAL, "internal error" },
	{ CS_ERR_TOO_BIG, "line too long" },
	{ CS_ERR_AUTH_REQUIRED, "log in first" },
	{ CS_ERR_AUTH_FAILED, "wrong username, password or code" },
	{ CS_ERR_RATE_LIMITED, "too many attempts; try again later" },
	{ CS_ERR_USER_TAKEN, "username already taken" },
	{ CS_ERR_BAD_USERNAME, "username breaks the rules" },
	{ CS_ERR_BAD_PASSWORD, "password breaks the rules" },
	{ CS_ERR_NO_SUCH_USER, "no such user" },
	{ CS_ERR_NO_SUCH_CONV, "no such conversation" },
	{ CS_ERR_NOT_CONNECTED, "not connected to the server" },
	{ CS_ERR_BUSY, "server busy; try again" },
	{ CS_ERR_STATE, "not valid in this state" },
	{ CS_ERR_SESSION, "session expired or revoked: log in again" },
	{ CS_ERR_BODY_TOO_BIG, "message over the size limit" },
	{ CS_ERR_VERSION, "protocol version not supported" },
	{ CS_ERR_TRUST, "server certificate not trusted" },
	{ CS_ERR_TIMEOUT, "server did not answer in time" },
	{ CS_ERR_BAD_CODE_FORMAT, "code must be 6 digits" },
	{ CS_ERR_DISABLED, "account disabled" },
};

/*
 * Format an error sentence into msg, then cut any UTF-8 sequence that
 * truncation left half-written, so the sentence is safe to put on the wire.
 */
static void
rpc_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list		 ap;
	size_t		 len, start;
	unsigned int	 cp;

	if (msg == NULL || msglen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	len = strlen(msg);
	start = len;
	while (start > 0 && ((unsigned char)msg[start - 1] & 0xc0) == 0x80)
		start--;
	if (start > 0 && (unsigned char)msg[start - 1] >= 0x80) {
		start--;
		if (utf8_decode(msg + start, len - start, &cp) != len - start)
			msg[start] = '\0';
	}
}

/* Copy at most RPC_NAME_SHOWN bytes of an untrusted name, on a UTF-8 boundary. */
static void
rpc_shorten(const char *name, char *out, size_t outlen)
{
	size_t		 len = 0, n;
	unsigned int	 cp;

	while (name[len] != '\0') {
		n = utf8_decode(name + len, strlen(name + len), &cp);
		if (n == 0 || len + n > RPC_NAME_SHOWN || len + n >= outlen)
			break;
		len += n;
	}
	memcpy(out, name, len);
	out[len] = '\0';
	if (name[len] != '\0' && len + 3 < outlen)
		memcpy(out + len, "...", 4);
}

/*
 * Check the shape of a JSON-RPC 2.0 request and take ownership of it.  A
 * missing params member is replaced by an empty object inside obj, so
 * handlers never see NULL.  An explicit "id":null leaves req->id NULL but
 * sets has_id: it is a request to answer (with a null id), not a notification.
 */
int
rpc_parse(struct json_object *obj, struct rpc_req *req, char *msg,
    size_t msglen)
{
	struct json_object	*v, *params;

	memset(req, 0, sizeof *req);
	if (!json_object_is_type(obj, json_type_object)) {
		rpc_msg(msg, msglen, "request must be a JSON object");
		return (CS_ERR_INVALID_REQUEST);
	}
	if (!json_object_object_get_ex(obj, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0") != 0) {
		rpc_msg(msg, msglen, "jsonrpc must be \"2.0\"");
		return (CS_ERR_INVALID_REQUEST);
	}
	if (!json_object_object_get_ex(obj, "method", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0) {
		rpc_msg(msg, msglen, "method must be a non-empty string");
		return (CS_ERR_INVALID_REQUEST);
	}
	req->method = json_object_get_string(v);
	if (json_object_object_get_ex(obj, "id", &v)) {
		if (v != NULL && !json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_string)) {
			rpc_msg(msg, msglen,
			    "id must be an integer, a string or null");
			memset(req, 0, sizeof *req);
			return (CS_ERR_INVALID_REQUEST);
		}
		req->id = v;
		req->has_id = 1;
	}
	if (json_object_object_get_ex(obj, "params", &params)) {
		if (!json_object_is_type(params, json_type_object)) {
			rpc_msg(msg, msglen,
			    "params must be an object (named parameters)");
			memset(req, 0, sizeof *req);
			return (CS_ERR_INVALID_REQUEST);
		}
	} else {
		if ((params = json_object_new_object()) == NULL ||
		    json_object_object_add(obj, "params", params) != 0) {
			json_object_put(params);
			rpc_msg(msg, msglen, "out of memory");
			memset(req, 0, sizeof *req);
			return (CS_ERR_INTERNAL);
		}
	}
	req->params = params;
	req->obj = obj;
	return (0);
}

/* Release the request object; accepts NULL and a zeroed request. */
void
rpc_req_free(struct rpc_req *req)
{
	if (req == NULL)
		return;
	json_object_put(req->obj);
	memset(req, 0, sizeof *req);
}

/* Return 1 if obj has "result" or "error" and no "method". */
int
rpc_is_response(struct json_object *obj)
{
	if (!json_object_is_type(obj, json_type_object))
		return (0);
	if (json_object_object_get_ex(obj, "method", NULL))
		return (0);
	return (json_object_object_get_ex(obj, "result", NULL) ||
	    json_object_object_get_ex(obj, "error", NULL));
}

/*
 * Fill resp from a response object: exactly one of "result" and "error",
 * and an error must carry an integer code and a string message.  On
 * success resp->code is 0.  Everything in resp is borrowed from obj.
 */
int
rpc_parse_response(struct json_object *obj, struct rpc_resp *resp)
{
	struct json_object	*v, *err, *code, *message;
	int			 has_result, has_error;

	memset(resp, 0, sizeof *resp);
	if (!json_object_is_type(obj, json_type_object))
		return (-1);
	if (!json_object_object_get_ex(obj, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0") != 0)
		return (-1);
	if (!json_object_object_get_ex(obj, "id", &resp->id))
		return (-1);
	has_result = json_object_object_get_ex(obj, "result", &v);
	has_error = json_object_object_get_ex(obj, "error", &err);
	if (has_result == has_error)
		goto fail;
	if (has_result) {
		resp->result = v;
		return (0);
	}
	if (!json_object_is_type(err, json_type_object) ||
	    !json_object_object_get_ex(err, "code", &code) ||
	    !json_object_is_type(code, json_type_int) ||
	    !json_object_object_get_ex(err, "message", &message) ||
	    !json_object_is_type(message, json_type_string))
		goto fail;
	resp->code = json_object_get_int(code);
	resp->message = json_object_get_string(message);
	if (!json_object_object_get_ex(err, "data", &resp->data))
		resp->data = NULL;
	return (0);

fail:
	memset(resp, 0, sizeof *resp);
	return (-1);
}

/* Find the spec entry for name, or NULL. */
static const struct rpc_param *
rpc_find_param(const struct rpc_param *spec, const char *name)
{
	for (; spec->name != NULL; spec++) {
		if (strcmp(spec->name, name) == 0)
			return (spec);
	}
	return (NULL);
}

/* Check one present parameter against its spec entry. */
static int
rpc_check_one(const struct rpc_param *p, struct json_object *v, char *msg,
    size_t msglen)
{
	const char	*s;
	size_t		 len;
	int64_t		 n;

	switch (p->type) {
	case RPC_STRING:
		if (!json_object_is_type(v, json_type_string)) {
			rpc_msg(msg, msglen, "parameter %s: expected a string",
			    p->name);
			return (CS_ERR_PARAMS);
		}
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (memchr(s, '\0', len) != NULL) {
			rpc_msg(msg, msglen,
			    "parameter %s: contains a NUL character", p->name);
			return (CS_ERR_PARAMS);
		}
		if (!utf8_valid(s, len)) {
			rpc_msg(msg, msglen, "parameter %s: not valid UTF-8",
			    p->name);
			return (CS_ERR_PARAMS);
		}
		if (p->min > 0 && (int64_t)len < p->min) {
			rpc_msg(msg, msglen,
			    "parameter %s: too short (min %lld bytes)",
			    p->name, (long long)p->min);
			return (CS_ERR_PARAMS);
		}
		if (p->max > 0 && (int64_t)len > p->max) {
			rpc_msg(msg, msglen,
			    "parameter %s: too long (max %lld bytes)",
			    p->name, (long long)p->max);
			return (CS_ERR_PARAMS);
		}
		break;
	case RPC_INT:
		if (!json_object_is_type(v, json_type_int)) {
			rpc_msg(msg, msglen,
			    "parameter %s: expected an integer", p->name);
			return (CS_ERR_PARAMS);
		}
		n = json_object_get_int64(v);
		if (p->min < p->max && (n < p->min || n > p->max)) {
			rpc_msg(msg, msglen,
			    "parameter %s: out of range (%lld..%lld)",
			    p->name, (long long)p->min, (long long)p->max);
			return (CS_ERR_PARAMS);
		}
		break;
	case RPC_BOOL:
		if (!json_object_is_type(v, json_type_boolean)) {
			rpc_msg(msg, msglen,
			    "parameter %s: expected a boolean", p->name);
			return (CS_ERR_PARAMS);
		}
		break;
	case RPC_OBJECT:
		if (!json_object_is_type(v, json_type_object)) {
			rpc_msg(msg, msglen,
			    "parameter %s: expected an object", p->name);
			return (CS_ERR_PARAMS);
		}
		break;
	case RPC_ARRAY:
		if (!json_object_is_type(v, json_type_array)) {
			rpc_msg(msg, msglen,
			    "parameter %s: expected an array", p->name);
			return (CS_ERR_PARAMS);
		}
		len = json_object_array_length(v);
		if (p->min > 0 && (int64_t)len < p->min) {
			rpc_msg(msg, msglen,
			    "parameter %s: too few items (min %lld)",
			    p->name, (long long)p->min);
			return (CS_ERR_PARAMS);
		}
		if (p->max > 0 && (int64_t)len > p->max) {
			rpc_msg(msg, msglen,
			    "parameter %s: too many items (max %lld)",
			    p->name, (long long)p->max);
			return (CS_ERR_PARAMS);
		}
		break;
	default:
		rpc_msg(msg, msglen, "parameter %s: bad specification",
		    p->name);
		return (CS_ERR_INTERNAL);
	}
	return (0);
}

/*
 * Check params against a spec table: unknown names first (a misspelt
 * optional name is more useful to hear about than a missing one), then
 * each spec entry in order.  A JSON null counts as present, of the wrong type.
 */
int
rpc_check_params(struct json_object *params, const struct rpc_param *spec,
    char *msg, size_t msglen)
{
	const struct rpc_param	*p;
	struct json_object	*v;
	char			 shown[RPC_NAME_SHOWN + 4];
	int			 error;

	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if (params != NULL && !json_object_is_type(params, json_type_object)) {
		rpc_msg(msg, msglen,
		    "params must be an object (named parameters)");
		return (CS_ERR_PARAMS);
	}
	if (params != NULL) {
		json_object_object_foreach(params, key, val) {
			(void)val;
			if (rpc_find_param(spec, key) == NULL) {
				rpc_shorten(key, shown, sizeof shown);
				rpc_msg(msg, msglen, "unknown parameter: %s",
				    shown);
				return (CS_ERR_PARAMS);
			}
		}
	}
	for (p = spec; p->name != NULL; p++) {
		if (params == NULL ||
		    !json_object_object_get_ex(params, p->name, &v)) {
			if (p->flags & RPC_REQUIRED) {
				rpc_msg(msg, msglen, "missing parameter: %s",
				    p->name);
				return (CS_ERR_PARAMS);
			}
			continue;
		}
		if ((error = rpc_check_one(p, v, msg, msglen)) != 0)
			return (error);
	}
	return (0);
}

/* String parameter, borrowed from params; def if absent or not a string. */
const char *
rpc_get_str(struct json_object *params, const char *name, const char *def)
{
	struct json_object	*v;

	if (params == NULL || !json_object_object_get_ex(params, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (def);
	return (json_object_get_string(v));
}

/* Integer parameter; def if absent or not an integer. */
int64_t
rpc_get_int(struct json_object *params, const char *name, int64_t def)
{
	struct json_object	*v;

	if (params == NULL || !json_object_object_get_ex(params, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (def);
	return (json_object_get_int64(v));
}

/* Boolean parameter; def if absent or not a boolean. */
int
rpc_get_bool(struct json_object *params, const char *name, int def)
{
	struct json_object	*v;

	if (params == NULL || !json_object_object_get_ex(params, name, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return (def);
	return (json_object_get_boolean(v) ? 1 : 0);
}

/* Any parameter, borrowed; NULL if absent or JSON null. */
struct json_object *
rpc_get(struct json_object *params, const char *name)
{
	struct json_object	*v;

	if (params == NULL || !json_object_object_get_ex(params, name, &v))
		return (NULL);
	return (v);
}

/*
 * Add key/val to obj, taking over val.  On failure val is released and -1
 * returned, so builders can unwind with a single put of obj.
 */
static int
rpc_add(struct json_object *obj, const char *key, struct json_object *val)
{
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		return (-1);
	}
	return (0);
}

/* Start a message with "jsonrpc":"2.0"; NULL on failure. */
static struct json_object *
rpc_new(void)
{
	struct json_object	*obj, *v;

	if ((obj = json_object_new_object()) == NULL)
		return (NULL);
	if ((v = json_object_new_string("2.0")) == NULL ||
	    rpc_add(obj, "jsonrpc", v) != 0) {
		json_object_put(obj);
		return (NULL);
	}
	return (obj);
}

/* {"jsonrpc":"2.0","id":id,"result":result}; takes over id and result. */
struct json_object *
rpc_result(struct json_object *id, struct json_object *result)
{
	struct json_object	*obj, *v;

	if ((obj = rpc_new()) == NULL)
		goto fail;
	v = id;
	id = NULL;
	if (rpc_add(obj, "id", v) != 0)
		goto fail;
	v = result;
	result = NULL;
	if (rpc_add(obj, "result", v) != 0)
		goto fail;
	return (obj);

fail:
	json_object_put(id);
	json_object_put(result);
	json_object_put(obj);
	return (NULL);
}

/*
 * {"jsonrpc":"2.0","id":id,"error":{"code":c,"message":m[,"data":d]}};
 * message NULL gives rpc_strerror(code).  Takes over id and data.
 */
struct json_object *
rpc_error(struct json_object *id, int code, const char *message,
    struct json_object *data)
{
	struct json_object	*obj = NULL, *err = NULL, *v;

	if (message == NULL)
		message = rpc_strerror(code);
	if ((err = json_object_new_object()) == NULL)
		goto fail;
	if ((v = json_object_new_int(code)) == NULL ||
	    rpc_add(err, "code", v) != 0)
		goto fail;
	if ((v = json_object_new_string(message)) == NULL ||
	    rpc_add(err, "message", v) != 0)
		goto fail;
	if (data != NULL) {
		v = data;
		data = NULL;
		if (rpc_add(err, "data", v) != 0)
			goto fail;
	}
	if ((obj = rpc_new()) == NULL)
		goto fail;
	v = id;
	id = NULL;
	if (rpc_add(obj, "id", v) != 0)
		goto fail;
	v = err;
	err = NULL;
	if (rpc_add(obj, "error", v) != 0)
		goto fail;
	return (obj);

fail:
	json_object_put(id);
	json_object_put(data);
	json_object_put(err);
	json_object_put(obj);
	return (NULL);
}

/* Build a message with method and optional params, plus id if has_id. */
static struct json_object *
rpc_call(int has_id, int64_t id, const char *method,
    struct json_object *params)
{
	struct json_object	*obj, *v;

	if ((obj = rpc_new()) == NULL)
		goto fail;
	if (has_id) {
		if ((v = json_object_new_int64(id)) == NULL ||
		    rpc_add(obj, "id", v) != 0)
			goto fail;
	}
	if ((v = json_object_new_string(method)) == NULL ||
	    rpc_add(obj, "method", v) != 0)
		goto fail;
	if (params != NULL) {
		v = params;
		params = NULL;
		if (rpc_add(obj, "params", v) != 0)
			goto fail;
	}
	return (obj);

fail:
	json_object_put(params);
	json_object_put(obj);
	return (NULL);
}

/*
 * {"jsonrpc":"2.0","id":id,"method":m,"params":p}; params is taken over
 * and left out when NULL.
 */
struct json_object *
rpc_request(int64_t id, const char *method, struct json_object *params)
{
	return (rpc_call(1, id, method, params));
}

/* {"jsonrpc":"2.0","method":m,"params":p}: an event, with no reply. */
struct json_object *
rpc_notification(const char *method, struct json_object *params)
{
	return (rpc_call(0, 0, method, params));
}

/* Default sentence for a proto.h error code. */
const char *
rpc_strerror(int code)
{
	size_t	i;

	for (i = 0; i < sizeof rpc_errors / sizeof rpc_errors[0]; i++) {
		if (rpc_errors[i].code == code)
			return (rpc_errors[i].text);
	}
	return ("unknown error");
}

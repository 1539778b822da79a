/* chatsec — JSON-RPC helper tests.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <json-c/json.h>

#include "proto.h"
#include "rpc.h"

static const struct rpc_param test_spec[] = {
	{ "user", RPC_STRING, RPC_REQUIRED, 2, 32 },
	{ "text", RPC_STRING, 0, 0, CS_TEXT_MAX },
	{ "limit", RPC_INT, 0, 1, CS_HISTORY_MAX },
	{ "any", RPC_INT, 0, 0, 0 },
	{ "flag", RPC_BOOL, 0, 0, 0 },
	{ "opts", RPC_OBJECT, 0, 0, 0 },
	{ "ids", RPC_ARRAY, 0, 1, 3 },
	{ .name = NULL }
};

/* Parse text into a JSON object (test input is always valid). */
static struct json_object *
test_json(const char *s)
{
	struct json_object	*obj = json_tokener_parse(s);

	assert_non_null(obj);
	return (obj);
}

/* Serialise compactly; borrowed from obj. */
static const char *
test_str(struct json_object *obj)
{
	return (json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* A full request parses, borrowing from the owned object. */
static void
test_rpc_parse_good(void **state)
{
	struct rpc_req	 req;
	char		 msg[128];

	assert_int_equal(rpc_parse(test_json("{\"jsonrpc\":\"2.0\",\"id\":7,"
	    "\"method\":\"send\",\"params\":{\"to\":\"#general\"}}"), &req, msg,
	    sizeof msg), 0);
	assert_string_equal(req.method, "send");
	assert_non_null(req.id);
	assert_int_equal(json_object_get_int(req.id), 7);
	assert_string_equal(rpc_get_str(req.params, "to", NULL), "#general");
	rpc_req_free(&req);
	assert_null(req.obj);
	rpc_req_free(&req);	/* twice is harmless */
	rpc_req_free(NULL);

	/* String id; no params gives an empty object. */
	assert_int_equal(rpc_parse(test_json("{\"jsonrpc\":\"2.0\",\"id\":\"x1\","
	    "\"method\":\"ping\"}"), &req, msg, sizeof msg), 0);
	assert_string_equal(json_object_get_string(req.id), "x1");
	assert_non_null(req.params);
	assert_true(json_object_is_type(req.params, json_type_object));
	assert_int_equal(json_object_object_length(req.params), 0);
	rpc_req_free(&req);

	/* Notification: no id. */
	assert_int_equal(rpc_parse(test_json("{\"jsonrpc\":\"2.0\","
	    "\"method\":\"typing\",\"params\":{}}"), &req, msg, sizeof msg), 0);
	assert_null(req.id);
	rpc_req_free(&req);

	/* Null id is allowed. */
	assert_int_equal(rpc_parse(test_json("{\"jsonrpc\":\"2.0\",\"id\":null,"
	    "\"method\":\"ping\"}"), &req, msg, sizeof msg), 0);
	assert_null(req.id);
	rpc_req_free(&req);
}

/* Check a request is refused with a message containing why. */
static void
test_bad_req(const char *text, const char *why)
{
	struct json_object	*obj = test_json(text);
	struct rpc_req		 req;
	char			 msg[128];

	assert_int_equal(rpc_parse(obj, &req, msg, sizeof msg),
	    CS_ERR_INVALID_REQUEST);
	assert_null(req.obj);
	if (strstr(msg, why) == NULL)
		fail_msg("message \"%s\" does not mention \"%s\"", msg, why);
	/* Not taken over: still ours to release. */
	assert_int_equal(json_object_put(obj), 1);
}

/* Requests of the wrong shape are refused and not taken over. */
static void
test_rpc_parse_bad(void **state)
{
	struct rpc_req	req;
	char		msg[128];

	test_bad_req("{\"id\":1,\"method\":\"x\"}", "jsonrpc");
	test_bad_req("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"x\"}",
	    "jsonrpc");
	test_bad_req("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"x\"}", "jsonrpc");
	test_bad_req("{\"jsonrpc\":\"2.0\",\"id\":1}", "method");
	test_bad_req("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", "method");
	test_bad_req("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"x\"}", "id");
	test_bad_req("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"x\"}", "id");
	test_bad_req("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"x\"}", "id");
	test_bad_req("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\","
	    "\"params\":[1,2]}", "params must be an object (named parameters)");
	test_bad_req("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\","
	    "\"params\":\"s\"}", "params must be an object (named parameters)");

	assert_int_equal(rpc_parse(NULL, &req, msg, sizeof msg),
	    CS_ERR_INVALID_REQUEST);
}

/* Check params against test_spec; expect the exact sentence (or success). */
static void
test_params(const char *params, const char *want)
{
	struct json_object	*obj = test_json(params);
	char			 msg[128];
	int			 error;

	error = rpc_check_params(obj, test_spec, msg, sizeof msg);
	if (want == NULL) {
		if (error != 0)
			fail_msg("%s refused: %s", params, msg);
	} else {
		assert_int_equal(error, CS_ERR_PARAMS);
		assert_string_equal(msg, want);
	}
	json_object_put(obj);
}

/* Good parameter sets pass. */
static void
test_rpc_params_good(void **state)
{
	test_params("{\"user\":\"al\"}", NULL);
	test_params("{\"user\":\"alice\",\"text\":\"h\xc3\xa9\",\"limit\":1,"
	    "\"any\":-99999999999,\"flag\":false,\"opts\":{},\"ids\":[1]}", NULL);
	test_params("{\"user\":\"alice\",\"limit\":200,\"ids\":[1,2,3]}", NULL);
	test_params("{\"user\":\"alice\",\"text\":\"\"}", NULL);
}

/* Each kind of bad parameter gives its sentence. */
static void
test_rpc_params_bad(void **state)
{
	char	big[CS_TEXT_MAX + 64];

	test_params("{}", "missing parameter: user");
	test_params("{\"text\":\"x\"}", "missing parameter: user");
	test_params("{\"user\":\"al\",\"foo\":1}", "unknown parameter: foo");
	test_params("{\"usr\":\"al\"}", "unknown parameter: usr");
	test_params("{\"user\":5}", "parameter user: expected a string");
	test_params("{\"user\":null}", "parameter user: expected a string");
	test_params("{\"user\":\"a\"}", "parameter user: too short (min 2 bytes)");
	test_params("{\"user\":\"abcdefghijklmnopqrstuvwxyz0123456\"}",
	    "parameter user: too long (max 32 bytes)");
	test_params("{\"user\":\"a\\u0000b\"}",
	    "parameter user: contains a NUL character");
	test_params("{\"user\":\"al\",\"limit\":0}",
	    "parameter limit: out of range (1..200)");
	test_params("{\"user\":\"al\",\"limit\":201}",
	    "parameter limit: out of range (1..200)");
	test_params("{\"user\":\"al\",\"limit\":\"5\"}",
	    "parameter limit: expected an integer");
	test_params("{\"user\":\"al\",\"limit\":5.0}",
	    "parameter limit: expected an integer");
	test_params("{\"user\":\"al\",\"flag\":1}",
	    "parameter flag: expected a boolean");
	test_params("{\"user\":\"al\",\"opts\":[]}",
	    "parameter opts: expected an object");
	test_params("{\"user\":\"al\",\"ids\":{}}",
	    "parameter ids: expected an array");
	test_params("{\"user\":\"al\",\"ids\":[]}",
	    "parameter ids: too few items (min 1)");
	test_params("{\"user\":\"al\",\"ids\":[1,2,3,4]}",
	    "parameter ids: too many items (max 3)");

	/* Text one byte over the limit. */
	memset(big, 0, sizeof big);
	memcpy(big, "{\"user\":\"al\",\"text\":\"", 21);
	memset(big + 21, 'x', CS_TEXT_MAX + 1);
	memcpy(big + 21 + CS_TEXT_MAX + 1, "\"}", 2);
	test_params(big, "parameter text: too long (max 16384 bytes)");
	/* Exactly at the limit is fine. */
	memcpy(big + 21 + CS_TEXT_MAX, "\"}", 3);
	test_params(big, NULL);
}

/* Strings that json-c accepted but are not valid UTF-8 are refused. */
static void
test_rpc_params_utf8(void **state)
{
	struct json_object	*obj = json_object_new_object();
	char			 msg[128];

	json_object_object_add(obj, "user",
	    json_object_new_string_len("a\xff", 2));
	assert_int_equal(rpc_check_params(obj, test_spec, msg, sizeof msg),
	    CS_ERR_PARAMS);
	assert_string_equal(msg, "parameter user: not valid UTF-8");
	json_object_put(obj);
}

/* A long unknown name is shortened, on a character boundary. */
static void
test_rpc_params_long_name(void **state)
{
	struct json_object	*obj = json_object_new_object();
	char			 name[300], msg[256];
	size_t			 i;

	for (i = 0; i + 2 < sizeof name; i += 2)
		memcpy(name + i, "\xc3\xa9", 2);
	name[i] = '\0';
	json_object_object_add(obj, name, json_object_new_int(1));
	assert_int_equal(rpc_check_params(obj, test_spec, msg, sizeof msg),
	    CS_ERR_PARAMS);
	assert_int_equal(strncmp(msg, "unknown parameter: \xc3\xa9", 21), 0);
	assert_true(strlen(msg) < 100);
	assert_string_equal(msg + strlen(msg) - 5, "\xc3\xa9...");
	json_object_put(obj);
}

/* Accessors give values or defaults. */
static void
test_rpc_getters(void **state)
{
	struct json_object	*p = test_json("{\"s\":\"v\",\"i\":-5,\"b\":true,"
	    "\"n\":null}");

	assert_string_equal(rpc_get_str(p, "s", "d"), "v");
	assert_string_equal(rpc_get_str(p, "i", "d"), "d");
	assert_string_equal(rpc_get_str(p, "missing", "d"), "d");
	assert_null(rpc_get_str(p, "missing", NULL));
	assert_int_equal(rpc_get_int(p, "i", 3), -5);
	assert_int_equal(rpc_get_int(p, "s", 3), 3);
	assert_int_equal(rpc_get_bool(p, "b", 0), 1);
	assert_int_equal(rpc_get_bool(p, "missing", 1), 1);
	assert_non_null(rpc_get(p, "s"));
	assert_null(rpc_get(p, "n"));
	assert_null(rpc_get(p, "missing"));
	assert_int_equal(rpc_get_int(NULL, "x", 9), 9);
	json_object_put(p);
}

/* Builders produce exactly the documented JSON. */
static void
test_rpc_builders(void **state)
{
	struct json_object	*obj, *params;

	obj = rpc_result(json_object_new_int(1), json_object_new_string("ok"));
	assert_string_equal(test_str(obj),
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"ok\"}");
	json_object_put(obj);

	obj = rpc_result(NULL, NULL);
	assert_string_equal(test_str(obj),
	    "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":null}");
	json_object_put(obj);

	obj = rpc_error(json_object_new_string("a"), CS_ERR_PARAMS,
	    "missing parameter: user", NULL);
	assert_string_equal(test_str(obj), "{\"jsonrpc\":\"2.0\",\"id\":\"a\","
	    "\"error\":{\"code\":-32602,\"message\":\"missing parameter: user\"}}");
	json_object_put(obj);

	obj = rpc_error(NULL, CS_ERR_AUTH_FAILED, NULL,
	    json_object_new_int(30));
	assert_string_equal(test_str(obj), "{\"jsonrpc\":\"2.0\",\"id\":null,"
	    "\"error\":{\"code\":1002,\"message\":"
	    "\"wrong username, password or code\",\"data\":30}}");
	json_object_put(obj);

	params = json_object_new_object();
	json_object_object_add(params, "to", json_object_new_string("#general"));
	obj = rpc_request(12, "send", params);
	assert_string_equal(test_str(obj), "{\"jsonrpc\":\"2.0\",\"id\":12,"
	    "\"method\":\"send\",\"params\":{\"to\":\"#general\"}}");
	json_object_put(obj);

	obj = rpc_request(1, "ping", NULL);
	assert_string_equal(test_str(obj),
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
	json_object_put(obj);

	obj = rpc_notification("presence", json_object_new_object());
	assert_string_equal(test_str(obj),
	    "{\"jsonrpc\":\"2.0\",\"method\":\"presence\",\"params\":{}}");
	json_object_put(obj);
}

/* A built request round-trips through rpc_parse. */
static void
test_rpc_roundtrip(void **state)
{
	struct rpc_req	 req;
	char		 msg[128];

	assert_int_equal(rpc_parse(rpc_request(3, "history", NULL), &req, msg,
	    sizeof msg), 0);
	assert_string_equal(req.method, "history");
	assert_int_equal(json_object_get_int64(req.id), 3);
	rpc_req_free(&req);
}

/* Responses: results, errors, and malformed ones. */
static void
test_rpc_responses(void **state)
{
	struct json_object	*obj;
	struct rpc_resp		 resp;

	obj = test_json("{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"a\":1}}");
	assert_true(rpc_is_response(obj));
	assert_int_equal(rpc_parse_response(obj, &resp), 0);
	assert_int_equal(json_object_get_int(resp.id), 4);
	assert_non_null(resp.result);
	assert_int_equal(resp.code, 0);
	json_object_put(obj);

	obj = test_json("{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":1003,"
	    "\"message\":\"slow down\",\"data\":{\"retry\":5}}}");
	assert_true(rpc_is_response(obj));
	assert_int_equal(rpc_parse_response(obj, &resp), 0);
	assert_null(resp.result);
	assert_int_equal(resp.code, CS_ERR_RATE_LIMITED);
	assert_string_equal(resp.message, "slow down");
	assert_non_null(resp.data);
	json_object_put(obj);

	obj = test_json("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"result\":1}");
	assert_false(rpc_is_response(obj));
	json_object_put(obj);

	obj = test_json("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"x\","
	    "\"message\":\"m\"}}");
	assert_int_equal(rpc_parse_response(obj, &resp), -1);
	json_object_put(obj);

	obj = test_json("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,"
	    "\"error\":{\"code\":1,\"message\":\"m\"}}");
	assert_int_equal(rpc_parse_response(obj, &resp), -1);
	json_object_put(obj);

	obj = test_json("{\"jsonrpc\":\"2.0\",\"result\":1}");
	assert_int_equal(rpc_parse_response(obj, &resp), -1);
	json_object_put(obj);
}

/* Every proto.h code has its own sentence. */
static void
test_rpc_strerror(void **state)
{
	static const int codes[] = {
		CS_ERR_PARSE, CS_ERR_INVALID_REQUEST, CS_ERR_METHOD,
		CS_ERR_PARAMS, CS_ERR_INTERNAL, CS_ERR_TOO_BIG,
		CS_ERR_AUTH_REQUIRED, CS_ERR_AUTH_FAILED, CS_ERR_RATE_LIMITED,
		CS_ERR_USER_TAKEN, CS_ERR_BAD_USERNAME, CS_ERR_BAD_PASSWORD,
		CS_ERR_NO_SUCH_USER, CS_ERR_NO_SUCH_CONV, CS_ERR_NOT_CONNECTED,
		CS_ERR_BUSY, CS_ERR_STATE, CS_ERR_SESSION, CS_ERR_BODY_TOO_BIG,
		CS_ERR_VERSION, CS_ERR_TRUST, CS_ERR_TIMEOUT,
		CS_ERR_BAD_CODE_FORMAT, CS_ERR_DISABLED,
	};
	size_t	i, j;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		assert_string_not_equal(rpc_strerror(codes[i]),
		    "unknown error");
		for (j = 0; j < i; j++)
			assert_string_not_equal(rpc_strerror(codes[i]),
			    rpc_strerror(codes[j]));
	}
	assert_string_equal(rpc_strerror(CS_ERR_METHOD), "method not found");
	assert_string_equal(rpc_strerror(4242), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rpc_parse_good),
		cmocka_unit_test(test_rpc_parse_bad),
		cmocka_unit_test(test_rpc_params_good),
		cmocka_unit_test(test_rpc_params_bad),
		cmocka_unit_test(test_rpc_params_utf8),
		cmocka_unit_test(test_rpc_params_long_name),
		cmocka_unit_test(test_rpc_getters),
		cmocka_unit_test(test_rpc_builders),
		cmocka_unit_test(test_rpc_roundtrip),
		cmocka_unit_test(test_rpc_responses),
		cmocka_unit_test(test_rpc_strerror),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/* chatsec — frame reader/writer tests.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "frame.h"

/* Read one frame and check its status. */
static enum frame_status
test_read(struct frame_reader *r, struct evbuffer *in, struct json_object **out)
{
	*out = (struct json_object *)0x1;	/* must be reset */
	return (frame_read(r, in, out));
}

/* Integer member of obj, or -1. */
static int64_t
test_int(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, key, &v))
		return (-1);
	return (json_object_get_int64(v));
}

/* A line split over one-byte adds is only complete after its '\n'. */
static void
test_frame_byte_by_byte(void **state)
{
	const char		*line = "{\"id\":42,\"method\":\"send\"}\n";
	struct frame_reader	 r;
	struct evbuffer		*in = evbuffer_new();
	struct json_object	*obj;
	size_t			 i, n = strlen(line);

	frame_reader_init(&r, 1024);
	for (i = 0; i < n; i++) {
		assert_int_equal(evbuffer_add(in, line + i, 1), 0);
		if (i < n - 1) {
			assert_int_equal(test_read(&r, in, &obj), FRAME_MORE);
			assert_null(obj);
			assert_int_equal(evbuffer_get_length(in), i + 1);
		}
	}
	assert_int_equal(test_read(&r, in, &obj), FRAME_OK);
	assert_non_null(obj);
	assert_int_equal(test_int(obj, "id"), 42);
	assert_int_equal(evbuffer_get_length(in), 0);
	json_object_put(obj);
	assert_int_equal(test_read(&r, in, &obj), FRAME_MORE);
	evbuffer_free(in);
}

/* Many frames in one buffer come out one per call, in order. */
static void
test_frame_many(void **state)
{
	struct frame_reader	 r;
	struct evbuffer		*in = evbuffer_new();
	struct json_object	*obj;
	int			 i;

	frame_reader_init(&r, 1024);
	for (i = 0; i < 100; i++)
		evbuffer_add_printf(in, "{\"n\":%d}\n", i);
	evbuffer_add_printf(in, "{\"n\":");	/* partial tail */
	for (i = 0; i < 100; i++) {
		assert_int_equal(test_read(&r, in, &obj), FRAME_OK);
		assert_int_equal(test_int(obj, "n"), i);
		json_object_put(obj);
	}
	assert_int_equal(test_read(&r, in, &obj), FRAME_MORE);
	assert_int_equal(evbuffer_get_length(in), 5);
	evbuffer_add_printf(in, "100}\n");
	assert_int_equal(test_read(&r, in, &obj), FRAME_OK);
	assert_int_equal(test_int(obj, "n"), 100);
	json_object_put(obj);
	evbuffer_free(in);
}

/*
 * An over-long line arriving in pieces gives exactly one FRAME_TOOBIG, is
 * never held whole, and the next good line parses.
 */
static void
test_frame_toobig_streamed(void **state)
{
	struct frame_reader	 r;
	struct evbuffer		*in = evbuffer_new();
	struct json_object	*obj;
	char			 chunk[40];
	int			 i, toobig = 0;
	enum frame_status	 st;

	frame_reader_init(&r, 64);
	memset(chunk, 'x', sizeof chunk);
	evbuffer_add(in, "{\"a\":\"", 6);
	for (i = 0; i < 50; i++) {
		evbuffer_add(in, chunk, sizeof chunk);
		while ((st = test_read(&r, in, &obj)) != FRAME_MORE) {
			assert_int_equal(st, FRAME_TOOBIG);
			assert_null(obj);
			toobig++;
		}
		/* Never more than max plus one chunk buffered. */
		assert_true(evbuffer_get_length(in) <= 64 + sizeof chunk);
	}
	assert_int_equal(toobig, 1);
	assert_int_equal(r.skipping, 1);
	evbuffer_add_printf(in, "\"}\n{\"ok\":1}\n");
	assert_int_equal(test_read(&r, in, &obj), FRAME_OK);
	assert_int_equal(test_int(obj, "ok"), 1);
	assert_int_equal(r.skipping, 0);
	json_object_put(obj);
	assert_int_equal(test_read(&r, in, &obj), FRAME_MORE);
	evbuffer_free(in);
}

/* A complete over-long line in the buffer is one TOOBIG; the next parses. */
static void
test_frame_toobig_whole(void **state)
{
	struct frame_reader	 r;
	struct evbuffer		*in = evbuffer_new();
	struct json_object	*obj;

	frame_reader_init(&r, 16);
	evbuffer_add_printf(in, "{\"a\":\"0123456789\"}\n{\"b\":2}\n");
	assert_int_equal(test_read(&r, in, &obj), FRAME_TOOBIG);
	assert_null(obj);
	assert_int_equal(r.skipping, 0);
	assert_int_equal(test_read(&r, in, &obj), FRAME_OK);
	assert_int_equal(test_int(obj, "b"), 2);
	json_object_put(obj);
	assert_int_equal(test_read(&r, in, &obj), FRAME_MORE);

	/* Exactly max bytes is fine, max + 1 is not. */
	evbuffer_add_printf(in, "{\"a\":\"12345678\"}\n");	/* 16 bytes */
	assert_int_equal(test_read(&r, in, &obj), FRAME_OK);
	json_object_put(obj);
	evbuffer_add_printf(in, "{\"a\":\"123456789\"}\n");	/* 17 bytes */
	assert_int_equal(test_read(&r, in, &obj), FRAME_TOOBIG);
	assert_int_equal(evbuffer_get_length(in), 0);
	evbuffer_free(in);
}

/* Check a whole line gives FRAME_BAD, mentions why, and is consumed. */
static void
test_bad_line(const char *line, size_t len, const char *why)
{
	struct frame_reader	 r;
	struct evbuffer		*in = evbuffer_new();
	struct json_object	*obj;

	frame_reader_init(&r, 1024);
	evbuffer_add(in, line, len);
	evbuffer_add_printf(in, "\n{\"next\":7}\n");
	assert_int_equal(test_read(&r, in, &obj), FRAME_BAD);
	assert_null(obj);
	if (strstr(r.error, why) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", r.error, why);
	assert_int_equal(test_read(&r, in, &obj), FRAME_OK);
	assert_int_equal(test_int(obj, "next"), 7);
	json_object_put(obj);
	evbuffer_free(in);
}

#define TEST_BAD(s, why) test_bad_line(s, sizeof (s) - 1, why)

/* Bad UTF-8 of several kinds is refused. */
static void
test_frame_bad_utf8(void **state)
{
	TEST_BAD("{\"a\":\"\xff\"}", "UTF-8");
	TEST_BAD("{\"a\":\"\xc0\xaf\"}", "UTF-8");	/* overlong */
	TEST_BAD("{\"a\":\"\xed\xa0\x80\"}", "UTF-8"); /* surrogate */
	TEST_BAD("{\"a\":\"\xc3\"}", "UTF-8");	/* truncated */
}

/* A raw NUL byte is refused. */
static void
test_frame_nul(void **state)
{
	TEST_BAD("{\"a\":\"x\0y\"}", "NUL");
}

/* Trailing garbage, broken JSON and non-objects are refused. */
static void
test_frame_bad_json(void **state)
{
	TEST_BAD("{\"a\":1} x", "invalid JSON");
	TEST_BAD("{\"a\":1}{}", "invalid JSON");
	TEST_BAD("{\"a\":", "invalid JSON");
	TEST_BAD("{\"a\" 1}", "invalid JSON");
	TEST_BAD("[1,2]", "not a JSON object");
	TEST_BAD("42", "not a JSON object");
	TEST_BAD("\"str\"", "not a JSON object");
	TEST_BAD("null", "not a JSON object");
	TEST_BAD("   ", "not a JSON object");
}

/* Build {"a":{"a":...1...}} with depth levels of objects. */
static char *
test_nested(int depth)
{
	char	*s, *p;
	int	 i;

	p = s = malloc((size_t)depth * 6 + 2);
	assert_non_null(s);
	for (i = 0; i < depth; i++) {
		memcpy(p, "{\"a\":", 5);
		p += 5;
	}
	*p++ = '1';
	for (i = 0; i < depth; i++)
		*p++ = '}';
	*p = '\0';
	return (s);
}

/* Nesting of 16 levels is allowed, 17 is refused. */
static void
test_frame_depth(void **state)
{
	struct json_object	*obj;
	char			 err[128], *s;

	s = test_nested(FRAME_MAX_DEPTH);
	assert_int_equal(frame_parse(s, strlen(s), &obj, err, sizeof err),
	    FRAME_OK);
	json_object_put(obj);
	free(s);

	s = test_nested(FRAME_MAX_DEPTH + 1);
	assert_int_equal(frame_parse(s, strlen(s), &obj, err, sizeof err),
	    FRAME_BAD);
	assert_null(obj);
	assert_non_null(strstr(err, "deep"));
	test_bad_line(s, strlen(s), "deep");
	free(s);

	TEST_BAD("{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", "deep");
}

/* CRLF line ends, empty lines and whitespace around the object are fine. */
static void
test_frame_crlf(void **state)
{
	struct frame_reader	 r;
	struct evbuffer		*in = evbuffer_new();
	struct json_object	*obj;

	frame_reader_init(&r, 1024);
	evbuffer_add_printf(in, "\r\n\n{\"a\":1}\r\n  {\"b\":2}  \n");
	assert_int_equal(test_read(&r, in, &obj), FRAME_OK);
	assert_int_equal(test_int(obj, "a"), 1);
	json_object_put(obj);
	assert_int_equal(test_read(&r, in, &obj), FRAME_OK);
	assert_int_equal(test_int(obj, "b"), 2);
	json_object_put(obj);
	assert_int_equal(test_read(&r, in, &obj), FRAME_MORE);
	assert_int_equal(evbuffer_get_length(in), 0);
	evbuffer_free(in);
}

/* frame_parse on its own: valid UTF-8 text survives intact. */
static void
test_frame_parse_utf8(void **state)
{
	const char		*line = "{\"t\":\"h\xc3\xa9llo \xf0\x9f\x98\x80\"}";
	struct json_object	*obj, *v;
	char			 err[128];

	assert_int_equal(frame_parse(line, strlen(line), &obj, err,
	    sizeof err), FRAME_OK);
	assert_true(json_object_object_get_ex(obj, "t", &v));
	assert_string_equal(json_object_get_string(v),
	    "h\xc3\xa9llo \xf0\x9f\x98\x80");
	json_object_put(obj);
}

/* frame_write is compact, does not escape '/', and respects max. */
static void
test_frame_write(void **state)
{
	struct evbuffer		*out = evbuffer_new();
	struct json_object	*obj = json_object_new_object();
	char			 buf[128];
	size_t			 len;

	json_object_object_add(obj, "path", json_object_new_string("a/b"));
	json_object_object_add(obj, "n", json_object_new_int(5));
	json_object_object_add(obj, "l", json_object_new_array());
	assert_int_equal(frame_write(out, obj, 1024), 0);
	len = evbuffer_get_length(out);
	assert_true(len < sizeof buf);
	evbuffer_remove(out, buf, len);
	buf[len] = '\0';
	assert_string_equal(buf, "{\"path\":\"a/b\",\"n\":5,\"l\":[]}\n");

	/* 27 bytes without '\n': 27 fits, 26 does not. */
	assert_int_equal(frame_write(out, obj, 27), 0);
	assert_int_equal(evbuffer_get_length(out), 28);
	evbuffer_drain(out, 28);
	assert_int_equal(frame_write(out, obj, 26), -1);
	assert_int_equal(evbuffer_get_length(out), 0);
	assert_int_equal(frame_write(out, NULL, 1024), -1);

	json_object_put(obj);
	evbuffer_free(out);
}

/* What frame_write produces, frame_read reads back. */
static void
test_frame_roundtrip(void **state)
{
	struct frame_reader	 r;
	struct evbuffer		*buf = evbuffer_new();
	struct json_object	*obj, *back;

	obj = json_tokener_parse("{\"a\":\"line\\nbreak \\u0001 \\\"q\\\"\","
	    "\"b\":[1,2,{\"c\":null}],\"d\":-3}");
	assert_non_null(obj);
	frame_reader_init(&r, 1024);
	assert_int_equal(frame_write(buf, obj, 1024), 0);
	assert_int_equal(test_read(&r, buf, &back), FRAME_OK);
	assert_true(json_object_equal(obj, back));
	json_object_put(obj);
	json_object_put(back);
	evbuffer_free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_byte_by_byte),
		cmocka_unit_test(test_frame_many),
		cmocka_unit_test(test_frame_toobig_streamed),
		cmocka_unit_test(test_frame_toobig_whole),
		cmocka_unit_test(test_frame_bad_utf8),
		cmocka_unit_test(test_frame_nul),
		cmocka_unit_test(test_frame_bad_json),
		cmocka_unit_test(test_frame_depth),
		cmocka_unit_test(test_frame_crlf),
		cmocka_unit_test(test_frame_parse_utf8),
		cmocka_unit_test(test_frame_write),
		cmocka_unit_test(test_frame_roundtrip),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/* chatsec — UTF-8 and log encoding tests.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "log.h"
#include "utf8.h"

#define VALID(s)	utf8_valid(s, sizeof (s) - 1)

/* Well-formed text of every length class is valid. */
static void
test_utf8_good(void **state)
{
	assert_true(utf8_valid("", 0));
	assert_true(VALID("hello"));
	assert_true(VALID("\xc2\x80"));			/* U+0080 */
	assert_true(VALID("\xdf\xbf"));			/* U+07FF */
	assert_true(VALID("\xe0\xa0\x80"));		/* U+0800 */
	assert_true(VALID("\xed\x9f\xbf"));		/* U+D7FF */
	assert_true(VALID("\xee\x80\x80"));		/* U+E000 */
	assert_true(VALID("\xef\xbf\xbf"));		/* U+FFFF */
	assert_true(VALID("\xf0\x90\x80\x80"));		/* U+10000 */
	assert_true(VALID("\xf4\x8f\xbf\xbf"));		/* U+10FFFF */
	assert_true(VALID("h\xc3\xa9llo \xf0\x9f\x98\x80 \x7f"));
}

/* Overlongs, surrogates, out-of-range, truncation, stray bytes, NUL. */
static void
test_utf8_bad(void **state)
{
	assert_false(VALID("a\0b"));
	assert_false(VALID("\x80"));
	assert_false(VALID("\xbf"));
	assert_false(VALID("\xc0\x80"));		/* overlong NUL */
	assert_false(VALID("\xc1\xbf"));
	assert_false(VALID("\xe0\x9f\xbf"));		/* overlong */
	assert_false(VALID("\xf0\x8f\xbf\xbf"));	/* overlong */
	assert_false(VALID("\xed\xa0\x80"));		/* U+D800 */
	assert_false(VALID("\xed\xbf\xbf"));		/* U+DFFF */
	assert_false(VALID("\xf4\x90\x80\x80"));	/* U+110000 */
	assert_false(VALID("\xf5\x80\x80\x80"));
	assert_false(VALID("\xff"));
	assert_false(VALID("\xfe"));
	assert_false(VALID("\xc3"));			/* truncated */
	assert_false(VALID("\xe2\x82"));
	assert_false(VALID("\xf0\x9f\x98"));
	assert_false(VALID("\xc3\x28"));		/* bad continuation */
	/* Length is honoured: a valid prefix of a longer buffer. */
	assert_true(utf8_valid("ab\xff", 2));
	assert_false(utf8_valid("\xc3\xa9", 1));
}

/* utf8_decode returns lengths and code points. */
static void
test_utf8_decode(void **state)
{
	unsigned int	cp = 0;

	assert_int_equal(utf8_decode("A", 1, &cp), 1);
	assert_int_equal(cp, 0x41);
	assert_int_equal(utf8_decode("\xc3\xa9x", 3, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(utf8_decode("\xe2\x82\xac", 3, &cp), 3);
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	assert_int_equal(utf8_decode("\xf0\x9f\x98\x80", 3, &cp), 0);
	assert_int_equal(utf8_decode("", 0, &cp), 0);
	assert_int_equal(utf8_decode("\xed\xa0\x80", 3, &cp), 0);
}

/* log_safe encodes what could forge or colour a log line. */
static void
test_log_safe(void **state)
{
	char	long_in[600];

	assert_string_equal(log_safe("alice"), "alice");
	assert_string_equal(log_safe(NULL), "(null)");
	assert_string_equal(log_safe("a\nb"), "a\\x0ab");
	assert_string_equal(log_safe("\x1b[31mred"), "\\x1b[31mred");
	assert_string_equal(log_safe("back\\slash"), "back\\x5cslash");
	assert_string_equal(log_safe("del\x7f"), "del\\x7f");
	assert_string_equal(log_safe("caf\xc3\xa9 \xf0\x9f\x98\x80"),
	    "caf\xc3\xa9 \xf0\x9f\x98\x80");
	assert_string_equal(log_safe("bad\xff\xc3("), "bad\\xff\\xc3(");
	assert_string_equal(log_safe("c1\xc2\x9b"), "c1\\xc2\\x9b");

	/* Long input is cut, ends in "...", and stays valid UTF-8. */
	memset(long_in, 'x', sizeof long_in - 1);
	long_in[sizeof long_in - 1] = '\0';
	assert_int_equal(strlen(log_safe(long_in)), 255);
	assert_string_equal(log_safe(long_in) + 252, "...");
	memset(long_in, '\n', 300);
	assert_true(strlen(log_safe(long_in)) <= 255);
	assert_string_equal(log_safe(long_in) + strlen(log_safe(long_in)) - 7,
	    "\\x0a...");
	memset(long_in, 0, sizeof long_in);
	memset(long_in, 'x', 255);
	assert_string_equal(log_safe(long_in), long_in);	/* fits exactly */
	long_in[255] = 'y';
	assert_string_equal(log_safe(long_in) + 252, "...");
	memset(long_in, 0, sizeof long_in);
	for (size_t i = 0; i < 300; i += 2)
		memcpy(long_in + i, "\xc3\xa9", 2);
	assert_true(utf8_valid(log_safe(long_in), strlen(log_safe(long_in))));

	/* The ring keeps eight results alive. */
	{
		const char	*p[8];
		char		 in[8][4];
		int		 i;

		for (i = 0; i < 8; i++) {
			in[i][0] = (char)('a' + i);
			in[i][1] = '\n';
			in[i][2] = '\0';
			p[i] = log_safe(in[i]);
		}
		for (i = 0; i < 8; i++) {
			assert_int_equal(p[i][0], 'a' + i);
			assert_string_equal(p[i] + 1, "\\x0a");
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_good),
		cmocka_unit_test(test_utf8_bad),
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_log_safe),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

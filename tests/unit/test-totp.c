/* chatsec — TOTP and base32 tests.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "clock.h"
#include "totp.h"

static const uint8_t test_key1[] = "12345678901234567890";
static const uint8_t test_key256[] = "12345678901234567890123456789012";
static const uint8_t test_key512[] =
    "1234567890123456789012345678901234567890123456789012345678901234";

/* Open the RFC 6238 vector file from $CHATSEC_VECTORS or the source tree. */
static FILE *
test_open_vectors(void)
{
	const char	*dir = getenv("CHATSEC_VECTORS");
	char		 path[4096];
	FILE		*f;

	if (dir != NULL && *dir != '\0') {
		snprintf(path, sizeof path, "%s/totp-rfc6238.tsv", dir);
		if ((f = fopen(path, "r")) != NULL)
			return (f);
	}
	if ((f = fopen("tests/vectors/totp-rfc6238.tsv", "r")) == NULL)
		fail_msg("cannot open totp-rfc6238.tsv (set CHATSEC_VECTORS)");
	return (f);
}

/* Every RFC 6238 Appendix B vector, 8 digits and 6, all three hashes. */
static void
test_totp_rfc6238(void **state)
{
	FILE		*f = test_open_vectors();
	char		 line[256], thex[32], code[16], alg[16];
	long long	 t;
	unsigned long long step;
	const uint8_t	*key = NULL;
	size_t		 keylen = 0;
	enum totp_alg	 a = TOTP_SHA1;
	int		 count = 0;

	while (fgets(line, sizeof line, f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%lld\t%31s\t%15s\t%15s", &t, thex, code,
		    alg) != 4)
			fail_msg("bad vector line: %s", line);
		if (strcmp(alg, "SHA1") == 0) {
			a = TOTP_SHA1;
			key = test_key1;
			keylen = 20;
		} else if (strcmp(alg, "SHA256") == 0) {
			a = TOTP_SHA256;
			key = test_key256;
			keylen = 32;
		} else if (strcmp(alg, "SHA512") == 0) {
			a = TOTP_SHA512;
			key = test_key512;
			keylen = 64;
		} else
			fail_msg("unknown algorithm %s", alg);
		step = strtoull(thex, NULL, 16);
		assert_int_equal(totp_step(t), (int64_t)step);
		assert_int_equal(totp_code(key, keylen, totp_step(t), a, 8),
		    strtoll(code, NULL, 10));
		assert_int_equal(totp_code(key, keylen, totp_step(t), a, 6),
		    strtoll(code + 2, NULL, 10));
		if (a == TOTP_SHA1)
			assert_int_equal(totp_verify(key, keylen, code + 2,
			    t, NULL), 0);
		count++;
	}
	fclose(f);
	assert_int_equal(count, 18);
}

/* Bad digit counts and algorithms are errors, not codes. */
static void
test_totp_code_args(void **state)
{
	assert_int_equal(totp_code(test_key1, 20, 1, TOTP_SHA1, 5), -1);
	assert_int_equal(totp_code(test_key1, 20, 1, TOTP_SHA1, 9), -1);
	assert_int_equal(totp_code(test_key1, 20, -1, TOTP_SHA1, 6), -1);
	assert_int_equal(totp_code(test_key1, 20, 1, (enum totp_alg)7, 6), -1);
	assert_int_equal(totp_code(test_key1, 20, 1, TOTP_SHA1, 7), 4287082);
	assert_int_equal(totp_step(-1), -1);
	assert_int_equal(totp_step(29), 0);
	assert_int_equal(totp_step(30), 1);
}

/* Format the 6-digit code of a step. */
static void
test_code_at(int64_t step, char out[7])
{
	int64_t	c = totp_code(test_key1, 20, step, TOTP_SHA1, 6);

	assert_true(c >= 0);
	snprintf(out, 7, "%06lld", (long long)c);
}

/* Steps T-1, T, T+1 are accepted and reported; T-2 and T+2 are not. */
static void
test_totp_window(void **state)
{
	int64_t	now = 1234567890, t = totp_step(now), matched;
	char	code[7];
	int	d;

	for (d = -1; d <= 1; d++) {
		test_code_at(t + d, code);
		matched = -99;
		assert_int_equal(totp_verify(test_key1, 20, code, now,
		    &matched), 0);
		assert_int_equal(matched, t + d);
	}
	for (d = -3; d <= 3; d += 1) {
		if (d >= -1 && d <= 1)
			continue;
		test_code_at(t + d, code);
		assert_int_equal(totp_verify(test_key1, 20, code, now,
		    &matched), -1);
	}
	/* The window is around now, not fixed: the same code later fails. */
	test_code_at(t, code);
	assert_int_equal(totp_verify(test_key1, 20, code, now + 60, NULL), -1);
	assert_int_equal(totp_verify(test_key1, 20, code, now + 30, NULL), 0);
	/* A different key does not verify. */
	assert_int_equal(totp_verify((const uint8_t *)"abcdefghijklmnopqrst",
	    20, code, now, NULL), -1);
}

/* Anything but exactly six ASCII digits is refused. */
static void
test_totp_malformed(void **state)
{
	int64_t	now = 1234567890, t = totp_step(now);
	char	code[7], longer[16];

	test_code_at(t, code);
	assert_int_equal(totp_verify(test_key1, 20, code, now, NULL), 0);

	snprintf(longer, sizeof longer, "%s0", code);
	assert_int_equal(totp_verify(test_key1, 20, longer, now, NULL), -1);
	snprintf(longer, sizeof longer, " %s", code);
	assert_int_equal(totp_verify(test_key1, 20, longer, now, NULL), -1);
	snprintf(longer, sizeof longer, "%s\n", code);
	assert_int_equal(totp_verify(test_key1, 20, longer, now, NULL), -1);
	assert_int_equal(totp_verify(test_key1, 20, code + 1, now, NULL), -1);
	assert_int_equal(totp_verify(test_key1, 20, "", now, NULL), -1);
	assert_int_equal(totp_verify(test_key1, 20, NULL, now, NULL), -1);
	assert_int_equal(totp_verify(test_key1, 20, "12a456", now, NULL), -1);
	assert_int_equal(totp_verify(test_key1, 20, "-12345", now, NULL), -1);
	assert_int_equal(totp_verify(test_key1, 20, "+12345", now, NULL), -1);
	assert_int_equal(totp_verify(test_key1, 20, "\xd9\xa1" "2345", now,
	    NULL), -1);
}

/* The enrolment URI has the documented shape, with percent-encoding. */
static void
test_totp_uri(void **state)
{
	char	*uri;

	uri = totp_uri("chatsec", "alice", test_key1, 20);
	assert_non_null(uri);
	assert_string_equal(uri, "otpauth://totp/chatsec:alice?"
	    "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=chatsec"
	    "&algorithm=SHA1&digits=6&period=30");
	free(uri);

	uri = totp_uri("My Chat:1", "b\xc3\xb6" "b@x/y~z_a.b-c", test_key1, 20);
	assert_non_null(uri);
	assert_string_equal(uri, "otpauth://totp/My%20Chat%3A1:"
	    "b%C3%B6b%40x%2Fy~z_a.b-c?"
	    "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=My%20Chat%3A1"
	    "&algorithm=SHA1&digits=6&period=30");
	free(uri);

	assert_null(totp_uri(NULL, "a", test_key1, 20));
	assert_null(totp_uri("i", NULL, test_key1, 20));
}

/* RFC 4648 §10 vectors, unpadded, and decoding back. */
static void
test_base32(void **state)
{
	static const char *vec[][2] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" },
		{ "foo", "MZXW6" }, { "foob", "MZXW6YQ" },
		{ "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
	};
	char	out[32];
	uint8_t	bin[32];
	size_t	i, n;

	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		n = strlen(vec[i][0]);
		assert_int_equal(base32_encode((const uint8_t *)vec[i][0], n,
		    out, sizeof out), (int)strlen(vec[i][1]));
		assert_string_equal(out, vec[i][1]);
		assert_int_equal(base32_decode(vec[i][1], bin, sizeof bin),
		    (int)n);
		assert_memory_equal(bin, vec[i][0], n);
	}
	/* Lower case, spaces and padding are accepted. */
	assert_int_equal(base32_decode("mzxw 6ytb oi======", bin, sizeof bin),
	    6);
	assert_memory_equal(bin, "foobar", 6);
	/* Bad characters, impossible lengths and overflow are not. */
	assert_int_equal(base32_decode("MZXW1", bin, sizeof bin), -1);
	assert_int_equal(base32_decode("M", bin, sizeof bin), -1);
	assert_int_equal(base32_decode("MZX", bin, sizeof bin), -1);
	assert_int_equal(base32_decode("MZXW6YTBOI", bin, 5), -1);
	/* Output too small for the encoding plus NUL. */
	assert_int_equal(base32_encode((const uint8_t *)"foo", 3, out, 5), -1);
	assert_int_equal(base32_encode((const uint8_t *)"foo", 3, out, 6), 5);
}

static int64_t test_fake_ms = 59000;

/* A fake wall clock for clock_set_source. */
static int64_t
test_fake_clock(void)
{
	return (test_fake_ms);
}

/* The injected clock replaces the wall clock and drives TOTP steps. */
static void
test_clock_source(void **state)
{
	int64_t	real = clock_now(), m1, m2;

	assert_true(real > 1700000000);
	clock_set_source(test_fake_clock);
	assert_int_equal(clock_now(), 59);
	assert_int_equal(clock_now_ms(), 59000);
	assert_int_equal(totp_step(clock_now()), 1);
	test_fake_ms = -1500;
	assert_int_equal(clock_now(), -2);
	clock_set_source(NULL);
	assert_true(clock_now() >= real);
	m1 = clock_mono_ms();
	m2 = clock_mono_ms();
	assert_true(m2 >= m1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_totp_rfc6238),
		cmocka_unit_test(test_totp_code_args),
		cmocka_unit_test(test_totp_window),
		cmocka_unit_test(test_totp_malformed),
		cmocka_unit_test(test_totp_uri),
		cmocka_unit_test(test_base32),
		cmocka_unit_test(test_clock_source),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/* chatsec — fuzz TOTP secrets and codes.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "fuzz.h"
#include "totp.h"

/*
 * The input is "SECRET\nCODE\nTIME": a base32 secret as a user or a
 * credentials file gives it, a code as a login carries it, and a clock.
 * base32 must round-trip what it accepts; a code must be accepted only
 * if it is 6 ASCII digits equal to the HOTP value of a step within the
 * window, and then the matched step is that step.
 */
#define FUZZ_KEY_MAX	128

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char		*buf, *secret, *code, *when, *nl, enc[FUZZ_KEY_MAX * 2];
	uint8_t		 key[FUZZ_KEY_MAX], again[FUZZ_KEY_MAX];
	int64_t		 now, matched, step, want;
	int		 n, m, ok, i;
	char		 digits[16];

	if (len > 4096)
		return (0);
	if ((buf = malloc(len + 1)) == NULL)
		return (0);
	memcpy(buf, data, len);
	buf[len] = '\0';
	secret = buf;
	code = when = NULL;
	if ((nl = strchr(secret, '\n')) != NULL) {
		*nl = '\0';
		code = nl + 1;
		if ((nl = strchr(code, '\n')) != NULL) {
			*nl = '\0';
			when = nl + 1;
		}
	}

	n = base32_decode(secret, key, sizeof key);
	FUZZ_ASSERT(n >= -1 && n <= (int)sizeof key);
	if (n > 0) {
		FUZZ_ASSERT(base32_encode(key, (size_t)n, enc, sizeof enc) > 0);
		m = base32_decode(enc, again, sizeof again);
		FUZZ_ASSERT(m == n && memcmp(key, again, (size_t)n) == 0);
	}
	if (n <= 0 || code == NULL)
		goto out;

	now = when != NULL ? strtoll(when, NULL, 10) : 1763900000;
	if (now < 0 || now > 4102444800LL)	/* up to 2100 */
		now = 1763900000;
	matched = -1;
	ok = totp_verify(key, (size_t)n, code, now, &matched) == 0;
	if (!ok)
		goto out;
	FUZZ_ASSERT(strlen(code) == TOTP_DIGITS);
	for (i = 0; i < TOTP_DIGITS; i++)
		FUZZ_ASSERT(code[i] >= '0' && code[i] <= '9');
	step = totp_step(now);
	FUZZ_ASSERT(matched >= step - TOTP_WINDOW &&
	    matched <= step + TOTP_WINDOW);
	want = totp_code(key, (size_t)n, matched, TOTP_SHA1, TOTP_DIGITS);
	snprintf(digits, sizeof digits, "%06lld", (long long)want);
	FUZZ_ASSERT(strcmp(digits, code) == 0);
out:
	free(buf);
	return (0);
}

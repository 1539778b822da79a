/* chatsec — RFC 6238 TOTP.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base32.h"
#include "sec.h"
#include "totp.h"

/* The time step of a unix time: floor(t / 30), also for negative t. */
int64_t
totp_step(int64_t unix_time)
{
	if (unix_time < 0)
		return ((unix_time - (TOTP_STEP - 1)) / TOTP_STEP);
	return (unix_time / TOTP_STEP);
}

/*
 * HOTP (RFC 4226) of key for counter step with dynamic truncation to
 * digits digits.  The HMAC output is wiped before returning.
 */
int64_t
totp_code(const uint8_t *key, size_t keylen, int64_t step, enum totp_alg alg,
    int digits)
{
	static const uint8_t	 empty[1];
	const EVP_MD		*md;
	uint8_t			 msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0, off;
	uint32_t		 bin;
	int64_t			 mod = 1;
	int			 i;

	if (digits < 6 || digits > 8 || step < 0 || keylen > INT_MAX)
		return (-1);
	switch (alg) {
	case TOTP_SHA1:
		md = EVP_sha1();
		break;
	case TOTP_SHA256:
		md = EVP_sha256();
		break;
	case TOTP_SHA512:
		md = EVP_sha512();
		break;
	default:
		return (-1);
	}
	if (key == NULL)
		key = empty;
	for (i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(step & 0xff);
		step >>= 8;
	}
	if (HMAC(md, key, (int)keylen, msg, sizeof msg, mac, &maclen) == NULL ||
	    maclen < 20) {
		sec_wipe(mac, sizeof mac);
		return (-1);
	}
	off = mac[maclen - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) |
	    ((uint32_t)mac[off + 1] << 16) |
	    ((uint32_t)mac[off + 2] << 8) |
	    (uint32_t)mac[off + 3];
	sec_wipe(mac, sizeof mac);
	for (i = 0; i < digits; i++)
		mod *= 10;
	return ((int64_t)bin % mod);
}

/*
 * Check a 6-digit code against steps now-1..now+1.  Every step is computed
 * and compared in constant time, so timing tells nothing about which step
 * (or how many digits) matched.
 */
int
totp_verify(const uint8_t *key, size_t keylen, const char *code, int64_t now,
    int64_t *matched)
{
	char		 want[TOTP_DIGITS + 1];
	int64_t		 step, c, found_step = 0;
	int		 d, i, found = 0, eq;

	if (code == NULL || strnlen(code, TOTP_DIGITS + 1) != TOTP_DIGITS)
		return (-1);
	for (i = 0; i < TOTP_DIGITS; i++) {
		if (code[i] < '0' || code[i] > '9')
			return (-1);
	}
	step = totp_step(now);
	for (d = -TOTP_WINDOW; d <= TOTP_WINDOW; d++) {
		if ((c = totp_code(key, keylen, step + d, TOTP_SHA1,
		    TOTP_DIGITS)) < 0)
			continue;
		for (i = TOTP_DIGITS - 1; i >= 0; i--) {
			want[i] = (char)('0' + c % 10);
			c /= 10;
		}
		want[TOTP_DIGITS] = '\0';
		eq = (sec_equal(want, code, TOTP_DIGITS) == 0);
		/* Keep the first match, but go on computing the others. */
		if (eq && !found) {
			found = 1;
			found_step = step + d;
		}
	}
	sec_wipe(want, sizeof want);
	if (!found)
		return (-1);
	if (matched != NULL)
		*matched = found_step;
	return (0);
}

/* Percent-encode s into out (3 * strlen(s) + 1), keeping RFC 3986 unreserved. */
static void
totp_pct(const char *s, char *out)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			*out++ = (char)c;
		else {
			*out++ = '%';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 15];
		}
	}
	*out = '\0';
}

/*
 * Build the otpauth:// enrolment URI.  The result holds the secret in
 * base32, so it is wiped and freed by the caller like any secret.
 */
char *
totp_uri(const char *issuer, const char *account, const uint8_t *key,
    size_t keylen)
{
	char	*iss = NULL, *acc = NULL, *b32 = NULL, *uri = NULL;
	size_t	 b32len, urilen;
	int	 n;

	if (issuer == NULL || account == NULL || key == NULL || keylen == 0 ||
	    keylen > 1024)
		return (NULL);
	b32len = (keylen * 8 + 4) / 5 + 1;
	if ((iss = malloc(3 * strlen(issuer) + 1)) == NULL ||
	    (acc = malloc(3 * strlen(account) + 1)) == NULL ||
	    (b32 = malloc(b32len)) == NULL)
		goto out;
	totp_pct(issuer, iss);
	totp_pct(account, acc);
	if (base32_encode(key, keylen, b32, b32len) < 0)
		goto out;

	urilen = 2 * strlen(iss) + strlen(acc) + strlen(b32) + 128;
	if ((uri = malloc(urilen)) == NULL)
		goto out;
	n = snprintf(uri, urilen, "otpauth://totp/%s:%s?secret=%s&issuer=%s"
	    "&algorithm=SHA1&digits=%d&period=%d", iss, acc, b32, iss,
	    TOTP_DIGITS, TOTP_STEP);
	if (n < 0 || (size_t)n >= urilen) {
		free(uri);
		uri = NULL;
	}

out:
	if (b32 != NULL) {
		sec_wipe(b32, b32len);
		free(b32);
	}
	free(iss);
	free(acc);
	return (uri);
}

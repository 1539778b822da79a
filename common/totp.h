/* chatsec — RFC 6238 TOTP.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_TOTP_H
#define CHATSEC_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN	20	/* 160 bits, RFC 4226 recommendation */
#define TOTP_STEP	30	/* seconds */
#define TOTP_DIGITS	6
#define TOTP_WINDOW	1	/* accept T-1, T, T+1 */

enum totp_alg { TOTP_SHA1, TOTP_SHA256, TOTP_SHA512 };

/* The time step for a unix time (floor(t / 30)). */
int64_t	 totp_step(int64_t unix_time);

/*
 * HOTP value of key for counter `step`, truncated to `digits` digits
 * (6..8).  Returns the code (0 .. 10^digits-1) or -1 on error.  HMAC is
 * computed with OpenSSL.
 */
int64_t	 totp_code(const uint8_t *key, size_t keylen, int64_t step,
	    enum totp_alg alg, int digits);

/*
 * Check a code string (exactly TOTP_DIGITS ASCII digits) against the
 * window around now.  On a match stores the matching step in *matched and
 * returns 0.  Returns -1 when no step in the window matches or the code is
 * malformed.  Comparison does not short-circuit on the first digit.  The
 * caller enforces replay protection (a step at or below the last accepted
 * one must be refused).
 */
int	 totp_verify(const uint8_t *key, size_t keylen, const char *code,
	    int64_t now, int64_t *matched);

/*
 * Build the otpauth:// URI Google Authenticator understands:
 * otpauth://totp/ISSUER:ACCOUNT?secret=B32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * with ISSUER and ACCOUNT percent-encoded.  Returns a malloc'd string owned
 * by the caller, or NULL.
 */
char	*totp_uri(const char *issuer, const char *account, const uint8_t *key,
	    size_t keylen);

#endif

/* chatsec — secrets helpers.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "sec.h"

/* Initialise libsodium; safe to call more than once.  0 or -1. */
int
sec_init(void)
{
	if (sodium_init() < 0)
		return (-1);
	return (0);
}

/* Fill buf with len bytes from the system CSPRNG. */
void
sec_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

/* A uniform random number in [0, upper), without modulo bias. */
uint32_t
sec_random_uniform(uint32_t upper)
{
	return (randombytes_uniform(upper));
}

/* Wipe a secret so the compiler cannot optimise the store away. */
void
sec_wipe(void *buf, size_t len)
{
	if (buf != NULL && len > 0)
		sodium_memzero(buf, len);
}

/* Compare two buffers in constant time; 0 if equal, -1 if not. */
int
sec_equal(const void *a, const void *b, size_t len)
{
	if (len == 0)
		return (0);
	return (sodium_memcmp(a, b, len) == 0 ? 0 : -1);
}

/* Lower-case hex of in into out (2*len+1 bytes); returns out. */
char *
sec_hex(const uint8_t *in, size_t len, char *out)
{
	return (sodium_bin2hex(out, 2 * len + 1, in, len));
}

/*
 * Decode a whole hex string (either case).  Odd lengths, any non-hex
 * character and output overflow are refused with -1.
 */
int
sec_unhex(const char *in, uint8_t *out, size_t outlen)
{
	size_t	inlen, binlen, i;

	if (in == NULL)
		return (-1);
	inlen = strlen(in);
	if (inlen % 2 != 0 || inlen / 2 > outlen || inlen / 2 > INT_MAX)
		return (-1);
	for (i = 0; i < inlen; i++) {
		if (!((in[i] >= '0' && in[i] <= '9') ||
		    (in[i] >= 'a' && in[i] <= 'f') ||
		    (in[i] >= 'A' && in[i] <= 'F')))
			return (-1);
	}
	if (sodium_hex2bin(out, outlen, in, inlen, NULL, &binlen, NULL) != 0)
		return (-1);
	return ((int)binlen);
}

/* Size of the base64 encoding of binlen bytes, including the NUL. */
size_t
sec_b64_len(size_t binlen)
{
	return (sodium_base64_ENCODED_LEN(binlen,
	    sodium_base64_VARIANT_ORIGINAL));
}

/* Standard padded base64 of in into out; NULL if out is too small. */
char *
sec_b64_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	if (outlen < sec_b64_len(len))
		return (NULL);
	return (sodium_bin2base64(out, outlen, in, len,
	    sodium_base64_VARIANT_ORIGINAL));
}

/* Decode exactly inlen bytes of padded base64; -1 on bad input or overflow. */
int
sec_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
	size_t	binlen;

	if (in == NULL)
		return (-1);
	if (sodium_base642bin(out, outlen, in, inlen, NULL, &binlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return (-1);
	if (binlen > INT_MAX)
		return (-1);
	return ((int)binlen);
}

/* BLAKE2b-256 of a session token: what the server stores instead of it. */
void
sec_token_hash(const uint8_t *token, size_t len,
    uint8_t out[SEC_TOKEN_HASH_LEN])
{
	crypto_generichash(out, SEC_TOKEN_HASH_LEN, token, len, NULL, 0);
}

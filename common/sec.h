/* chatsec — secrets helpers.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_SEC_H
#define CHATSEC_SEC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Thin wrappers over libsodium for what both programs need: randomness,
 * wiping, constant-time comparison, hex/base64, and hashing of session
 * tokens.  End-to-end message crypto lives in agent/crypto.c, not here.
 * sec_init() must be called once before anything else (it is idempotent).
 */
#define SEC_TOKEN_LEN		32	/* 256-bit session tokens */
#define SEC_TOKEN_HASH_LEN	32

int	 sec_init(void);
void	 sec_random(void *buf, size_t len);
uint32_t sec_random_uniform(uint32_t upper);
void	 sec_wipe(void *buf, size_t len);
/* 0 if equal; constant time for equal lengths. */
int	 sec_equal(const void *a, const void *b, size_t len);

/* Lower-case hex; out must hold 2*len+1.  Returns out. */
char	*sec_hex(const uint8_t *in, size_t len, char *out);
/* Returns bytes written or -1. */
int	 sec_unhex(const char *in, uint8_t *out, size_t outlen);

/* Standard base64 with padding (RFC 4648 §4). */
size_t	 sec_b64_len(size_t binlen);		/* incl. NUL */
char	*sec_b64_encode(const uint8_t *in, size_t len, char *out, size_t outlen);
/* Decode; returns bytes written or -1 on bad input or overflow. */
int	 sec_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen);

/* BLAKE2b-256 of a token, for storing session tokens hashed. */
void	 sec_token_hash(const uint8_t *token, size_t len,
	    uint8_t out[SEC_TOKEN_HASH_LEN]);

/* SHA-256 fingerprint helper output format: "SHA256:" + 64 hex chars. */
#define SEC_FPR_STRLEN	(7 + 64 + 1)

#endif

/* chatsec — RFC 4648 base32.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_BASE32_H
#define CHATSEC_BASE32_H

#include <stddef.h>
#include <stdint.h>

/*
 * Encode len bytes as upper-case base32 without padding into out (size
 * outlen, NUL-terminated).  Returns the string length or -1 if out is small.
 */
int	 base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen);

/*
 * Decode base32 (case-insensitive; spaces and '=' padding ignored) into out.
 * Returns the number of bytes written or -1 on a bad character or overflow.
 */
int	 base32_decode(const char *in, uint8_t *out, size_t outlen);

#endif

/* chatsec — UTF-8 validation.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_UTF8_H
#define CHATSEC_UTF8_H

#include <stddef.h>

/*
 * Return 1 if buf[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF) and contains no NUL byte; else 0.
 */
int	 utf8_valid(const char *buf, size_t len);

/*
 * Decode one code point at s (at most len bytes).  Returns the number of
 * bytes consumed and stores the code point in *cp, or returns 0 on invalid
 * or truncated input.
 */
size_t	 utf8_decode(const char *s, size_t len, unsigned int *cp);

#endif

/* chatsec — UTF-8 validation.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>

#include "utf8.h"

/*
 * Decode one code point per RFC 3629: overlong forms, surrogates and values
 * above U+10FFFF are invalid.  NUL decodes as U+0000 (utf8_valid refuses it).
 */
size_t
utf8_decode(const char *s, size_t len, unsigned int *cp)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned int		 c, min;
	size_t			 n, i;

	if (len == 0)
		return (0);
	c = p[0];
	if (c < 0x80) {
		*cp = c;
		return (1);
	} else if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return (0);
	if (len < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	*cp = c;
	return (n);
}

/* Return 1 if buf is well-formed UTF-8 without NUL bytes, else 0. */
int
utf8_valid(const char *buf, size_t len)
{
	const unsigned char	*p = (const unsigned char *)buf;
	unsigned int		 cp;
	size_t			 i = 0, n;

	while (i < len) {
		/* Fast path for ASCII runs. */
		if (p[i] >= 0x01 && p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] == 0)
			return (0);
		if ((n = utf8_decode(buf + i, len - i, &cp)) == 0)
			return (0);
		i += n;
	}
	return (1);
}

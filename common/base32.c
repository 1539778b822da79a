/* chatsec — RFC 4648 base32.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "base32.h"

static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Encode without padding (as otpauth:// URIs want it), NUL-terminated. */
int
base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	size_t		 need, i, o = 0;
	unsigned int	 acc = 0, bits = 0;

	if (len > (SIZE_MAX - 5) / 8)
		return (-1);
	need = (len * 8 + 4) / 5;
	if (need >= outlen || need > INT_MAX)
		return (-1);
	for (i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = base32_alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = base32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return ((int)o);
}

/* Value of one base32 character (either case), or -1. */
static int
base32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a');
	if (c >= '2' && c <= '7')
		return (c - '2' + 26);
	return (-1);
}

/*
 * Decode, ignoring spaces and '='.  A trailing character that carries no
 * whole byte (an impossible length) is refused, as is overflow.
 */
int
base32_decode(const char *in, uint8_t *out, size_t outlen)
{
	size_t		 o = 0;
	unsigned int	 acc = 0, bits = 0;
	int		 v;

	for (; *in != '\0'; in++) {
		if (*in == ' ' || *in == '=')
			continue;
		if ((v = base32_value(*in)) == -1)
			return (-1);
		acc = ((acc << 5) | (unsigned int)v) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			if (o >= outlen || o >= INT_MAX)
				return (-1);
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	if (bits >= 5)
		return (-1);
	return ((int)o);
}

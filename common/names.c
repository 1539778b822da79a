/* chatsec — username rules.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "names.h"
#include "proto.h"
#include "utf8.h"

/* Return 1 for the punctuation allowed in usernames. */
static int
name_is_punct(char c)
{
	return (c == '_' || c == '-' || c == '.');
}

/* Return 1 for an ASCII letter. */
static int
name_is_alpha(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

/* Return 1 for an ASCII digit. */
static int
name_is_digit(char c)
{
	return (c >= '0' && c <= '9');
}

/*
 * Check a username against the rules in names.h; NULL if valid, else a
 * static sentence fit to show the user.
 */
const char *
name_user_check(const char *name)
{
	size_t	len, i;

	if (name == NULL)
		return ("username is missing");
	len = strnlen(name, NAME_USER_MAX + 1);
	if (len < NAME_USER_MIN)
		return ("username is too short (min 2 characters)");
	if (len > NAME_USER_MAX)
		return ("username is too long (max 32 characters)");
	for (i = 0; i < len; i++) {
		if (!name_is_alpha(name[i]) && !name_is_digit(name[i]) &&
		    !name_is_punct(name[i]))
			return ("username may contain only ASCII letters, "
			    "digits, '_', '-' and '.'");
	}
	if (!name_is_alpha(name[0]))
		return ("username must start with a letter");
	if (name[len - 1] == '.' || name[len - 1] == '-')
		return ("username must not end with '.' or '-'");
	for (i = 1; i < len; i++) {
		if (name_is_punct(name[i]) && name_is_punct(name[i - 1]))
			return ("username must not have two punctuation "
			    "characters in a row");
	}
	return (NULL);
}

/* Fold a username to ASCII lower case, the key for uniqueness. */
char *
name_fold(const char *name, char *out, size_t outlen)
{
	size_t	i;

	if (outlen == 0)
		return (out);
	for (i = 0; i < outlen - 1 && name[i] != '\0'; i++) {
		if (name[i] >= 'A' && name[i] <= 'Z')
			out[i] = (char)(name[i] - 'A' + 'a');
		else
			out[i] = name[i];
	}
	out[i] = '\0';
	return (out);
}

/* Check a password: 8..1024 bytes of UTF-8 without NUL; NULL if fine. */
const char *
name_password_check(const char *pw, size_t len)
{
	if (pw == NULL)
		return ("password is missing");
	if (len < PASSWORD_MIN)
		return ("password is too short (min 8 bytes)");
	if (len > PASSWORD_MAX)
		return ("password is too long (max 1024 bytes)");
	if (!utf8_valid(pw, len))
		return ("password must be valid UTF-8 without NUL characters");
	return (NULL);
}

/*
 * Check a room name against the rules in names.h; NULL if valid, else a
 * static sentence fit to show the user.
 */
const char *
name_room_check(const char *name)
{
	size_t	len, i;

	if (name == NULL)
		return ("room name is missing");
	if (name[0] != '#')
		return ("room name must start with '#'");
	len = strnlen(name + 1, NAME_ROOM_MAX + 1);
	if (len < NAME_ROOM_MIN)
		return ("room name is too short (min 2 characters after '#')");
	if (len > NAME_ROOM_MAX)
		return ("room name is too long (max 32 characters after '#')");
	for (i = 1; i <= len; i++) {
		if (!name_is_alpha(name[i]) && !name_is_digit(name[i]) &&
		    name[i] != '-' && name[i] != '_')
			return ("room name may contain only ASCII letters, "
			    "digits, '-' and '_' after '#'");
	}
	if (!name_is_alpha(name[1]) && !name_is_digit(name[1]))
		return ("room name must start with a letter or a digit "
		    "after '#'");
	return (NULL);
}

/* Fold a room name to ASCII lower case, the key for uniqueness. */
char *
name_room_fold(const char *name, char *out, size_t outlen)
{
	return (name_fold(name, out, outlen));
}

/*
 * Check an away text against the rules in names.h; NULL if fit, else a
 * static sentence fit to show the user.
 */
const char *
name_away_check(const char *text, size_t len)
{
	unsigned int	 cp;
	size_t		 n;

	if (text == NULL)
		return ("away text is missing");
	_Static_assert(CS_AWAY_MAX == 256, "the sentence below says 256");
	if (len > CS_AWAY_MAX)
		return ("away text is too long (max 256 bytes)");
	if (!utf8_valid(text, len))
		return ("away text must be valid UTF-8 without NUL characters");
	while (len > 0) {
		if ((n = utf8_decode(text, len, &cp)) == 0)
			return ("away text must be valid UTF-8");
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return ("away text must not contain control "
			    "characters");
		text += n;
		len -= n;
	}
	return (NULL);
}

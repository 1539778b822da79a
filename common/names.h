/* chatsec — username rules.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_NAMES_H
#define CHATSEC_NAMES_H

#include <stddef.h>

/*
 * Usernames: 2 to 32 bytes of ASCII letters, digits, '_', '-' and '.';
 * they start with a letter, do not end with '.' or '-', and have no two
 * punctuation characters in a row.  Uniqueness is case-insensitive: the
 * folded form (ASCII lower case) is the key.  ASCII only on purpose: no
 * confusable look-alikes, no normalisation questions.
 */
#define NAME_USER_MIN	2
#define NAME_USER_MAX	32

/* Passwords: 8..1024 bytes of valid UTF-8, never truncated. */
#define PASSWORD_MIN	8
#define PASSWORD_MAX	1024

/* Return NULL if name is a valid username, else a static sentence saying why. */
const char *name_user_check(const char *name);

/* Fold a valid username into out (size >= NAME_USER_MAX + 1).  Returns out. */
char	*name_fold(const char *name, char *out, size_t outlen);

/* Return NULL if pw is an acceptable password, else a static sentence. */
const char *name_password_check(const char *pw, size_t len);

/*
 * Room names: '#' then 2 to 32 ASCII letters, digits, '-' and '_', the
 * first of them a letter or a digit.  Unique without regard to case (the
 * folded form is the key); the display form keeps its case.  ASCII only,
 * so no confusable look-alikes and no control or invisible characters.
 */
#define NAME_ROOM_MIN	2	/* characters after '#' */
#define NAME_ROOM_MAX	32
#define NAME_ROOM_SIZE	(NAME_ROOM_MAX + 2)	/* '#', name, NUL */

/* Return NULL if name is a valid room name, else a static sentence. */
const char *name_room_check(const char *name);

/* Fold a room name into out (size >= NAME_ROOM_SIZE).  Returns out. */
char	*name_room_fold(const char *name, char *out, size_t outlen);

/*
 * Away texts: at most CS_AWAY_MAX (256) bytes of UTF-8 without control
 * characters (C0, DEL, C1), so they print on one line anywhere.  The empty
 * text means "not away".
 */
/* Return NULL if text (len bytes) is a fit away text, else a static sentence. */
const char *name_away_check(const char *text, size_t len);

#endif

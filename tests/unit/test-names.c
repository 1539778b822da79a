/* chatsec — username and password rule tests.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "names.h"
#include "proto.h"

/* Assert name is accepted. */
static void
test_ok(const char *name)
{
	const char	*why = name_user_check(name);

	if (why != NULL)
		fail_msg("\"%s\" refused: %s", name, why);
}

/* Assert name is refused with a sentence containing want. */
static void
test_no(const char *name, const char *want)
{
	const char	*why = name_user_check(name);

	if (why == NULL)
		fail_msg("\"%s\" accepted", name);
	if (strstr(why, want) == NULL)
		fail_msg("\"%s\": \"%s\" does not mention \"%s\"", name, why,
		    want);
}

/* Names within the rules pass. */
static void
test_names_good(void **state)
{
	test_ok("al");
	test_ok("Alice");
	test_ok("a1");
	test_ok("bob_smith");
	test_ok("bob.smith-2");
	test_ok("x_");
	test_ok("a_b.c-d_e");
	test_ok("abcdefghijklmnopqrstuvwxyz012345");	/* 32 */
}

/* Each rule is enforced with its own sentence. */
static void
test_names_bad(void **state)
{
	test_no(NULL, "missing");
	test_no("", "too short");
	test_no("a", "too short");
	test_no("abcdefghijklmnopqrstuvwxyz0123456", "too long");
	test_no("1abc", "start with a letter");
	test_no("_abc", "start with a letter");
	test_no(".abc", "start with a letter");
	test_no("abc.", "end with");
	test_no("abc-", "end with");
	test_no("a..b", "in a row");
	test_no("a._b", "in a row");
	test_no("a-_b", "in a row");
	test_no("a b", "only");
	test_no("a@b", "only");
	test_no("a/b", "only");
	test_no("al\n", "only");
	test_no("\xc3\xa9t\xc3\xa9", "only");
	test_no("alice\xe2\x80\x8b", "only");		/* zero-width space */
}

/* Folding is ASCII lower case and bounded by outlen. */
static void
test_names_fold(void **state)
{
	char	out[NAME_USER_MAX + 1], small[4];

	assert_string_equal(name_fold("Alice_B.Z-9", out, sizeof out),
	    "alice_b.z-9");
	assert_ptr_equal(name_fold("ab", out, sizeof out), out);
	assert_string_equal(name_fold("ABCDEFG", small, sizeof small), "abc");
}

/* Passwords: 8..1024 bytes of UTF-8 without NUL, never truncated. */
static void
test_names_password(void **state)
{
	char	pw[PASSWORD_MAX + 2];

	assert_null(name_password_check("12345678", 8));
	assert_null(name_password_check("p\xc3\xa4ssw\xc3\xb6rd", 10));
	assert_non_null(strstr(name_password_check("1234567", 7),
	    "too short"));
	memset(pw, 'x', sizeof pw);
	assert_null(name_password_check(pw, PASSWORD_MAX));
	assert_non_null(strstr(name_password_check(pw, PASSWORD_MAX + 1),
	    "too long"));
	assert_non_null(name_password_check("1234\0" "5678", 9));
	assert_non_null(name_password_check("12345678\xff", 9));
	assert_non_null(name_password_check(NULL, 0));
}

/* Away texts: up to 256 bytes of UTF-8 without control characters. */
static void
test_names_away(void **state)
{
	char	t[CS_AWAY_MAX + 1];

	assert_null(name_away_check("", 0));
	assert_null(name_away_check("at lunch", 8));
	assert_null(name_away_check("caf\xc3\xa9 \xe2\x98\x95", 9));
	memset(t, 'x', sizeof t);
	assert_null(name_away_check(t, CS_AWAY_MAX));
	assert_non_null(strstr(name_away_check(t, CS_AWAY_MAX + 1),
	    "too long"));
	assert_non_null(strstr(name_away_check("a\nb", 3), "control"));
	assert_non_null(strstr(name_away_check("a\x1b[2Jb", 6), "control"));
	assert_non_null(strstr(name_away_check("a\x7f", 2), "control"));
	assert_non_null(strstr(name_away_check("a\xc2\x9b", 3), "control"));
	assert_non_null(strstr(name_away_check("a\0b", 3), "UTF-8"));
	assert_non_null(strstr(name_away_check("a\xff", 2), "UTF-8"));
	assert_non_null(name_away_check(NULL, 0));
}

/* Assert a room name is accepted. */
static void
test_room_ok(const char *name)
{
	const char	*why = name_room_check(name);

	if (why != NULL)
		fail_msg("room \"%s\" refused: %s", name, why);
}

/* Assert a room name is refused with a sentence containing want. */
static void
test_room_no(const char *name, const char *want)
{
	const char	*why = name_room_check(name);

	if (why == NULL)
		fail_msg("room \"%s\" accepted", name);
	if (strstr(why, want) == NULL)
		fail_msg("room \"%s\": \"%s\" does not mention \"%s\"", name,
		    why, want);
}

/* Room names: '#', 2..32 of [A-Za-z0-9_-], starting with a letter or digit. */
static void
test_rooms(void **state)
{
	char	out[NAME_ROOM_SIZE];

	test_room_ok("#general");
	test_room_ok("#ab");
	test_room_ok("#Dev-Team_2");
	test_room_ok("#2024");
	test_room_ok("#abcdefghijklmnopqrstuvwxyz012345");	/* 32 */
	test_room_no(NULL, "missing");
	test_room_no("", "start with '#'");
	test_room_no("general", "start with '#'");
	test_room_no("#", "too short");
	test_room_no("#a", "too short");
	test_room_no("#abcdefghijklmnopqrstuvwxyz0123456", "too long");
	test_room_no("#-ab", "start with a letter or a digit");
	test_room_no("#_ab", "start with a letter or a digit");
	test_room_no("##ab", "only");
	test_room_no("#a b", "only");
	test_room_no("#a.b", "only");
	test_room_no("#ab\n", "only");
	test_room_no("#ab\x7f", "only");
	test_room_no("#d\xd0\xb5v", "only");		/* Cyrillic e */
	test_room_no("#dev\xe2\x80\x8b", "only");	/* zero-width space */
	assert_string_equal(name_room_fold("#Dev-Team_2", out, sizeof out),
	    "#dev-team_2");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_good),
		cmocka_unit_test(test_names_bad),
		cmocka_unit_test(test_names_fold),
		cmocka_unit_test(test_names_password),
		cmocka_unit_test(test_names_away),
		cmocka_unit_test(test_rooms),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/* chatsec — libchatsec-bot unit tests: argument splitting, rate limiter, errors.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chatsec-bot.h"
#include "bot-int.h"

/* Split line and compare with the words in want ("|"-separated). */
static void
split_is(const char *line, int nwant, const char *want[])
{
	char	*argv[CHATSEC_BOT_MAX_ARGS + 1], *st;
	int	 n, i;

	n = chatsec_bot_split(line, argv, CHATSEC_BOT_MAX_ARGS, &st);
	if (n != nwant)
		fail_msg("split(%s): %d words, want %d", line, n, nwant);
	for (i = 0; i < n; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[n]);
	free(st);
}

static void
test_split(void **state)
{
	const char	*w1[] = { "roll", "2d6" };
	const char	*w2[] = { "remind", "10s", "tea is ready" };
	const char	*w3[] = { "a b", "c\"d", "e'f", "g h", "" };
	const char	*w4[] = { "x\\y", "$HOME", "*" };
	const char	*w5[] = { "héllo", "wörld" };

	split_is("roll 2d6", 2, w1);
	split_is("  roll\t 2d6  \n", 2, w1);
	split_is("remind 10s 'tea is ready'", 3, w2);
	split_is("remind 10s \"tea is ready\"", 3, w2);
	split_is("remind 10s tea\\ is\\ ready", 3, w2);
	split_is("'a b' \"c\\\"d\" e\\'f g\" \"h ''", 5, w3);
	split_is("'x\\y' $HOME *", 3, w4);
	split_is("héllo 'wörld'", 2, w5);
	split_is("", 0, NULL);
	split_is("   ", 0, NULL);
}

static void
test_split_errors(void **state)
{
	char	*argv[CHATSEC_BOT_MAX_ARGS + 1], *st, line[1024];
	int	 i;

	assert_int_equal(chatsec_bot_split("a 'b", argv, 8, &st),
	    CHATSEC_BOT_E_PARSE);
	assert_null(st);
	assert_int_equal(chatsec_bot_split("a \"b\\\"", argv, 8, &st),
	    CHATSEC_BOT_E_PARSE);
	assert_int_equal(chatsec_bot_split("a b\\", argv, 8, &st),
	    CHATSEC_BOT_E_PARSE);
	assert_int_equal(chatsec_bot_split("a b c", argv, 2, &st),
	    CHATSEC_BOT_E_FULL);
	assert_null(st);
	assert_int_equal(chatsec_bot_split("a b", argv, 2, &st), 2);
	free(st);
	assert_int_equal(chatsec_bot_split(NULL, argv, 2, &st),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_split("a", argv, CHATSEC_BOT_MAX_ARGS + 1,
	    &st), CHATSEC_BOT_E_INVAL);
	/* 65 words: one too many for the maximum */
	line[0] = '\0';
	for (i = 0; i < CHATSEC_BOT_MAX_ARGS + 1; i++)
		strcat(line, "w ");
	assert_int_equal(chatsec_bot_split(line, argv, CHATSEC_BOT_MAX_ARGS,
	    &st), CHATSEC_BOT_E_FULL);
}

/* The bucket, driven by an injected clock. */
static void
test_bucket(void **state)
{
	struct bot_bucket	 b;
	int64_t			 now = 1000000, w;
	int			 i, sent;

	bot_bucket_init(&b, 5, 10, now);
	for (i = 0; i < 10; i++)
		assert_int_equal(bot_bucket_take(&b, now), 0);
	w = bot_bucket_take(&b, now);
	assert_true(w > 190 && w <= 201);	/* 1 token at 5/s: 200 ms */
	assert_true(bot_bucket_take(&b, now + 199) > 0);
	assert_int_equal(bot_bucket_take(&b, now + 201), 0);

	/* Over 10 s at most burst + rate * 10 s go out. */
	bot_bucket_init(&b, 5, 10, now);
	for (sent = 0, i = 0; i <= 10000; i += 10)
		while (bot_bucket_take(&b, now + i) == 0)
			sent++;
	assert_int_equal(sent, 10 + 50);

	/* A long idle refills to the burst, not beyond. */
	for (sent = 0; bot_bucket_take(&b, now + 3600000) == 0; sent++)
		;
	assert_int_equal(sent, 10);

	/* The clock going backwards changes nothing. */
	assert_true(bot_bucket_take(&b, now) > 0);

	bot_bucket_init(&b, 0.5, 1, 0);
	assert_int_equal(bot_bucket_take(&b, 0), 0);
	w = bot_bucket_take(&b, 0);
	assert_true(w >= 2000 && w <= 2001);
}

static void
test_strerror(void **state)
{
	int	 e;

	for (e = CHATSEC_BOT_OK; e >= CHATSEC_BOT_E_CLOSED; e--) {
		assert_non_null(chatsec_bot_strerror(e));
		assert_string_not_equal(chatsec_bot_strerror(e),
		    "unknown error");
	}
	assert_string_equal(chatsec_bot_strerror(-1000), "unknown error");
	assert_string_equal(chatsec_bot_strerror(5), "unknown error");
}

/* Settings are checked; a cursor file is read back. */
static void
test_settings(void **state)
{
	chatsec_bot	*bot;
	char		 dir[] = "/tmp/test-bot.XXXXXX", path[64];
	FILE		*f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/cursor", dir);
	bot = chatsec_bot_new(NULL, "/nonexistent/agent.sock");
	assert_non_null(bot);
	assert_int_equal(chatsec_bot_set_rate(bot, 0, 10, 0),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_set_rate(bot, 5, 0, 0),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_set_rate(bot, 2.5, 3, 16), 0);
	assert_int_equal(chatsec_bot_set_backoff_max(bot, 10),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_set_prefix(bot, ' '),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_on_command(bot, "", NULL, NULL),
	    CHATSEC_BOT_E_INVAL);
	assert_int_equal(chatsec_bot_set_cursor_file(bot, path), 0);
	assert_int_equal(chatsec_bot_send(bot, "#general", "", NULL, NULL),
	    CHATSEC_BOT_E_INVAL);
	assert_false(chatsec_bot_connected(bot));
	chatsec_bot_free(bot);

	f = fopen(path, "w");
	fputs("junk\n", f);
	fclose(f);
	bot = chatsec_bot_new(NULL, "/nonexistent/agent.sock");
	assert_int_equal(chatsec_bot_set_cursor_file(bot, path),
	    CHATSEC_BOT_E_PARSE);
	chatsec_bot_free(bot);
	unlink(path);
	rmdir(dir);
	chatsec_bot_free(NULL);
}

/* A call with no agent behind the socket fails cleanly. */
static void
test_sync_noagent(void **state)
{
	chatsec_bot	*bot;
	int		 code = -1;
	char		 err[64];

	bot = chatsec_bot_new(NULL, "/nonexistent/agent.sock");
	assert_int_equal(chatsec_bot_call_sync(bot, "hello", NULL, 1000, NULL,
	    &code, err, sizeof err), CHATSEC_BOT_E_CONNECT);
	assert_int_equal(code, 0);
	assert_int_equal(chatsec_bot_call(bot, "hello", NULL, 0, NULL, NULL),
	    CHATSEC_BOT_E_NOTCONN);
	chatsec_bot_free(bot);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_sync_noagent),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

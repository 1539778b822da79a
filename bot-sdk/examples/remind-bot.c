/* chatsec — example bot: !remind 10m text reminds you later.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <chatsec-bot.h>

/*
 * "!remind 90s tea is ready" (or 10m, 2h, 1d, 1h30m) answers in the same
 * conversation after the delay: "alice: reminder: tea is ready".  Waiting
 * is a libevent timer on the bot's loop, never a sleep, so the bot keeps
 * reading meanwhile.  At most REMIND_MAX reminders wait at once (and
 * REMIND_PER_USER per person), at most a week ahead.  Reminders live in
 * memory: a restarted bot forgets the ones still waiting.
 */
#define REMIND_MAX	 1000
#define REMIND_PER_USER	 20
#define REMIND_MAX_SECS	 (7 * 86400L)
#define REMIND_TEXT_MAX	 1000

struct remind {
	chatsec_bot		*bot;
	struct event		*timer;
	char			 conv[128];
	char			 user[128];
	char			 text[REMIND_TEXT_MAX + 1];
	LIST_ENTRY(remind)	 entry;
};
static LIST_HEAD(, remind) remind_all = LIST_HEAD_INITIALIZER(remind_all);
static unsigned int remind_count;

/* "1h30m" etc. to seconds; -1 if malformed or over a week. */
static long
remind_parse_delay(const char *s)
{
	long	 total = 0, v, unit;
	char	*end;

	if (*s == '\0')
		return (-1);
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return (-1);
		v = strtol(s, &end, 10);
		if (end - s > 7)
			return (-1);
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return (-1);
		}
		total += v * unit;
		if (total > REMIND_MAX_SECS)
			return (-1);
		s = end + 1;
	}
	return (total > 0 ? total : -1);
}

static void
remind_free(struct remind *r)
{
	LIST_REMOVE(r, entry);
	remind_count--;
	event_free(r->timer);
	free(r);
}

/* The time has come. */
static void
remind_fire(int fd, short what, void *arg)
{
	struct remind	*r = arg;
	char		 text[REMIND_TEXT_MAX + 200];

	snprintf(text, sizeof text, "%s: reminder: %s", r->user, r->text);
	chatsec_bot_send(r->bot, r->conv, text, NULL, NULL);
	remind_free(r);
}

static void
remind_cmd(chatsec_bot *bot, const chatsec_bot_msg *m, int argc, char **argv,
    void *arg)
{
	struct remind	*r;
	struct timeval	 tv;
	unsigned int	 mine = 0;
	long		 secs;
	size_t		 len;
	int		 i;

	if (argc < 3 || (secs = remind_parse_delay(argv[1])) == -1) {
		chatsec_bot_reply(bot, m, "%s: usage: !remind DELAY TEXT, "
		    "DELAY like 90s, 10m, 2h, 1d or 1h30m (at most 7d)",
		    m->from);
		return;
	}
	LIST_FOREACH(r, &remind_all, entry)
		mine += strcmp(r->user, m->from) == 0;
	if (remind_count >= REMIND_MAX || mine >= REMIND_PER_USER) {
		chatsec_bot_reply(bot, m, "%s: too many reminders waiting; "
		    "try again later", m->from);
		return;
	}
	if (strlen(m->conv) >= sizeof r->conv ||
	    strlen(m->from) >= sizeof r->user ||
	    (r = calloc(1, sizeof *r)) == NULL)
		return;
	r->bot = bot;
	snprintf(r->conv, sizeof r->conv, "%s", m->conv);
	snprintf(r->user, sizeof r->user, "%s", m->from);
	for (i = 2, len = 0; i < argc && len < REMIND_TEXT_MAX; i++)
		len += (size_t)snprintf(r->text + len, sizeof r->text - len,
		    "%s%s", i > 2 ? " " : "", argv[i]);
	if ((r->timer = evtimer_new(chatsec_bot_base(bot), remind_fire, r)) ==
	    NULL) {
		free(r);
		return;
	}
	LIST_INSERT_HEAD(&remind_all, r, entry);
	remind_count++;
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	evtimer_add(r->timer, &tv);
	chatsec_bot_reply(bot, m, "%s: I will remind you in %s", m->from,
	    argv[1]);
}

int
main(int argc, char **argv)
{
	const char	*sock = NULL, *cursor = NULL;
	chatsec_bot	*bot;
	int		 ch, rc, verbose = 0;

	while ((ch = getopt(argc, argv, "S:c:v")) != -1) {
		switch (ch) {
		case 'S': sock = optarg; break;
		case 'c': cursor = optarg; break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, "usage: remind-bot [-v] [-S socket] "
			    "[-c cursor-file]\n");
			return (2);
		}
	}
	if ((bot = chatsec_bot_new(NULL, sock)) == NULL)
		return (1);
	chatsec_bot_set_verbose(bot, verbose);
	if (cursor != NULL && (rc = chatsec_bot_set_cursor_file(bot, cursor)))
		fprintf(stderr, "remind-bot: %s: %s\n", cursor,
		    chatsec_bot_strerror(rc));
	chatsec_bot_on_command(bot, "remind", remind_cmd, NULL);
	rc = chatsec_bot_run(bot);
	while (!LIST_EMPTY(&remind_all))
		remind_free(LIST_FIRST(&remind_all));
	chatsec_bot_free(bot);
	return (rc == 0 ? 0 : 1);
}

/* chatsec — example bot: !roll 2d6 rolls dice.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chatsec-bot.h>

/*
 * "!roll" rolls 1d6; "!roll 2d6 1d20+3" rolls each spec: NdM[+K|-K] with
 * 1..100 dice of 2..1000 sides and a modifier within ±1000.  Anything else
 * gets an error reply saying what is wanted.
 */
#define DICE_MAX_COUNT	100
#define DICE_MAX_SIDES	1000
#define DICE_MAX_MOD	1000
#define DICE_MAX_SPECS	10

/* A uniform number in 1..sides from the kernel's generator. */
static int
dice_one(int sides)
{
	unsigned int	 r, limit = 0xffffffffu - (0xffffffffu % (unsigned)sides);

	do {
		if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
			abort();
	} while (r >= limit);
	return ((int)(r % (unsigned)sides) + 1);
}

/* A number of at most 4 digits at *s; advances s.  -1 if none. */
static long
dice_num(const char **s)
{
	char	*end;
	long	 v;

	if (**s < '0' || **s > '9')
		return (-1);
	errno = 0;
	v = strtol(*s, &end, 10);
	if (errno != 0 || end - *s > 4)
		return (-1);
	*s = end;
	return (v);
}

/* Parse NdM[+-K]; 0 or -1. */
static int
dice_parse(const char *spec, long *n, long *sides, long *mod)
{
	const char	*s = spec;
	int		 sign;

	*n = 1;
	*mod = 0;
	if (*s != 'd' && *s != 'D' && (*n = dice_num(&s)) == -1)
		return (-1);
	if (*s != 'd' && *s != 'D')
		return (-1);
	s++;
	if ((*sides = dice_num(&s)) == -1)
		return (-1);
	if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if ((*mod = dice_num(&s)) == -1)
			return (-1);
		*mod *= sign;
	}
	if (*s != '\0' || *n < 1 || *n > DICE_MAX_COUNT || *sides < 2 ||
	    *sides > DICE_MAX_SIDES || *mod < -DICE_MAX_MOD ||
	    *mod > DICE_MAX_MOD)
		return (-1);
	return (0);
}

static void
dice_roll(chatsec_bot *bot, const chatsec_bot_msg *m, int argc, char **argv,
    void *arg)
{
	char		 out[2048];
	const char	*spec;
	size_t		 len;
	long		 n, sides, mod, total, i;
	int		 a, shown;

	if (argc - 1 > DICE_MAX_SPECS) {
		chatsec_bot_reply(bot, m, "%s: at most %d rolls at once",
		    m->from, DICE_MAX_SPECS);
		return;
	}
	len = (size_t)snprintf(out, sizeof out, "%s rolled", m->from);
	for (a = 1; a < argc || (a == 1 && argc == 1); a++) {
		spec = argc == 1 ? "1d6" : argv[a];
		if (dice_parse(spec, &n, &sides, &mod) != 0) {
			chatsec_bot_reply(bot, m, "%s: cannot roll '%.40s': "
			    "want NdM like 2d6 or 1d20+3 (1-%d dice, 2-%d "
			    "sides)", m->from, spec, DICE_MAX_COUNT,
			    DICE_MAX_SIDES);
			return;
		}
		total = mod;
		len += (size_t)snprintf(out + len, sizeof out - len, "%s %s:",
		    a > 1 ? ";" : "", spec);
		for (i = 0, shown = 0; i < n; i++) {
			int	 r = dice_one((int)sides);

			total += r;
			if (shown < 20 && len < sizeof out - 64) {
				len += (size_t)snprintf(out + len,
				    sizeof out - len, "%s%d", i ? " + " : " ",
				    r);
				shown++;
			}
		}
		if (shown < n && len < sizeof out - 64)
			len += (size_t)snprintf(out + len, sizeof out - len,
			    " + ...");
		if (mod != 0 && len < sizeof out - 64)
			len += (size_t)snprintf(out + len, sizeof out - len,
			    " %c %ld", mod < 0 ? '-' : '+', labs(mod));
		if (len < sizeof out - 64)
			len += (size_t)snprintf(out + len, sizeof out - len,
			    " = %ld", total);
	}
	chatsec_bot_reply(bot, m, "%s", out);
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
			fprintf(stderr, "usage: dice-bot [-v] [-S socket] "
			    "[-c cursor-file]\n");
			return (2);
		}
	}
	if ((bot = chatsec_bot_new(NULL, sock)) == NULL)
		return (1);
	chatsec_bot_set_verbose(bot, verbose);
	if (cursor != NULL && (rc = chatsec_bot_set_cursor_file(bot, cursor)))
		fprintf(stderr, "dice-bot: %s: %s\n", cursor,
		    chatsec_bot_strerror(rc));
	chatsec_bot_on_command(bot, "roll", dice_roll, NULL);
	rc = chatsec_bot_run(bot);
	chatsec_bot_free(bot);
	return (rc == 0 ? 0 : 1);
}

/* chatsec — libchatsec-bot: argument splitting, rate limiter, errors.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"

#include "chatsec-bot.h"
#include "bot-int.h"

/* Sentences for chatsec_bot_error, indexed by -err. */
static const char *bot_errors[] = {
	"success",
	"out of memory",
	"invalid argument",
	"cannot connect to the agent socket",
	"not connected to the agent",
	"queue full",
	"timed out waiting for the agent",
	"the agent returned an error",
	"unexpected data from the agent",
	"input/output error",
	"unbalanced quotes or bad text",
	"not valid in this state",
	"the bot was stopped",
};

/* A sentence for err (static). */
const char *
chatsec_bot_strerror(int err)
{
	if (err > 0 || -err >= (int)(sizeof bot_errors / sizeof bot_errors[0]))
		return ("unknown error");
	return (bot_errors[-err]);
}

/*
 * Shell-like split without expansion: blanks separate words; '...' keeps
 * everything literally; "..." keeps everything but lets backslash escape
 * " and \; outside quotes backslash escapes any character.  The copy is
 * never longer than the line, so one allocation of strlen+1 holds every
 * word with its NUL.
 */
int
chatsec_bot_split(const char *line, char **argv, int max, char **storage)
{
	const char	*s = line;
	char		*buf, *o;
	int		 argc = 0, inword, rc;

	*storage = NULL;
	if (line == NULL || argv == NULL || max < 0 ||
	    max > CHATSEC_BOT_MAX_ARGS)
		return (CHATSEC_BOT_E_INVAL);
	argv[0] = NULL;
	if ((buf = malloc(strlen(line) + 1)) == NULL)
		return (CHATSEC_BOT_E_NOMEM);
	o = buf;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (*s == '\0')
			break;
		if (argc == max) {
			rc = CHATSEC_BOT_E_FULL;
			goto fail;
		}
		argv[argc++] = o;
		inword = 1;
		while (inword && *s != '\0') {
			switch (*s) {
			case ' ': case '\t': case '\n': case '\r':
				inword = 0;
				break;
			case '\'':
				for (s++; *s != '\'' && *s != '\0'; s++)
					*o++ = *s;
				if (*s == '\0') {
					rc = CHATSEC_BOT_E_PARSE;
					goto fail;
				}
				s++;
				break;
			case '"':
				for (s++; *s != '"' && *s != '\0'; s++) {
					if (*s == '\\' && (s[1] == '"' ||
					    s[1] == '\\'))
						s++;
					*o++ = *s;
				}
				if (*s == '\0') {
					rc = CHATSEC_BOT_E_PARSE;
					goto fail;
				}
				s++;
				break;
			case '\\':
				if (s[1] == '\0') {
					rc = CHATSEC_BOT_E_PARSE;
					goto fail;
				}
				*o++ = s[1];
				s += 2;
				break;
			default:
				*o++ = *s++;
				break;
			}
		}
		*o++ = '\0';
	}
	argv[argc] = NULL;
	*storage = buf;
	return (argc);
fail:
	free(buf);
	argv[0] = NULL;
	return (rc);
}

/* Start full, so a bot may answer a burst at once. */
void
bot_bucket_init(struct bot_bucket *b, double rate, unsigned int burst,
    int64_t now_ms)
{
	b->rate = rate > 0 ? rate : 1;
	b->burst = burst >= 1 ? burst : 1;
	b->tokens = b->burst;
	b->last_ms = now_ms;
}

/* Refill for the time since the last call, then take a token if any. */
int64_t
bot_bucket_take(struct bot_bucket *b, int64_t now_ms)
{
	double	 wait;

	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * b->rate / 1000.0;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last_ms = now_ms;
	}
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return (0);
	}
	wait = (1.0 - b->tokens) * 1000.0 / b->rate;
	return ((int64_t)wait + 1);
}

int64_t
bot_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* $CHATSEC_SOCKET, else the runtime directory's agent.sock. */
char *
bot_default_socket(void)
{
	const char	*env;
	char		*dir, *s;
	size_t		 len;

	if ((env = getenv("CHATSEC_SOCKET")) != NULL && *env != '\0')
		return (strdup(env));
	if ((dir = fs_runtime_dir()) == NULL)
		return (NULL);
	len = strlen(dir) + sizeof "/agent.sock";
	if ((s = malloc(len)) != NULL) {
		memcpy(s, dir, strlen(dir));
		memcpy(s + strlen(dir), "/agent.sock", sizeof "/agent.sock");
	}
	free(dir);
	return (s);
}

/* chatsec — libchatsec-bot internals shared by its files and unit tests.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_BOT_INT_H
#define CHATSEC_BOT_INT_H

#include <stdint.h>

/*
 * Token bucket for outgoing messages: burst tokens at most, refilled at
 * rate per second.  Times are milliseconds from any monotonic origin, so
 * tests drive it with their own clock.
 */
struct bot_bucket {
	double		 rate;		/* tokens per second, > 0 */
	double		 burst;		/* capacity, >= 1 */
	double		 tokens;
	int64_t		 last_ms;
};

void	 bot_bucket_init(struct bot_bucket *, double rate, unsigned int burst,
	    int64_t now_ms);
/* Take one token: 0 if taken, else the ms to wait until one is there. */
int64_t	 bot_bucket_take(struct bot_bucket *, int64_t now_ms);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t	 bot_now_ms(void);

struct chatsec_bot;
/* The bot's socket path (borrowed). */
const char *bot_socket_path(struct chatsec_bot *);

/* Default socket path (malloc'd) as doc/api.md says, or NULL. */
char	*bot_default_socket(void);

#endif

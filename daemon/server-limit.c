/* chatsec — chatsecd login rate limits.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "chatsecd.h"
#include "clock.h"
#include "log.h"
#include "store.h"

/*
 * Rate limits of doc/protocol.md, with the counters in the store so a
 * restart forgets nothing.  Each rule is one table entry: the failure kind
 * it counts, whether it is keyed by the folded username or by the address,
 * the window and the allowance.  Keys for usernames are the folded name
 * whether or not the account exists, so a refusal says nothing about it.
 */

#define LIMIT_BY_USER	0
#define LIMIT_BY_ADDR	1

/* The failure kinds as stored. */
static const char *limit_kinds[] = {
	[LIMIT_PASSWORD] = "password",
	[LIMIT_CODE] = "code",
	[LIMIT_OTHER] = "other",
};
#define LIMIT_ADDR_KIND	"addr"

struct limit_rule {
	const char	*kind;
	int		 by;
	int64_t		 window;	/* seconds */
	int64_t		 allowed;	/* failures within the window */
};

static const struct limit_rule limit_rules[] = {
	/* 5 wrong codes per account per 15 min, then 15 min of refusal. */
	{ "code",	LIMIT_BY_USER,	900,	5 },
	/* 10 wrong passwords per account per 15 min, 100 per hour. */
	{ "password",	LIMIT_BY_USER,	900,	10 },
	{ "password",	LIMIT_BY_USER,	3600,	100 },
	/* 20 failures of any kind per address per minute. */
	{ LIMIT_ADDR_KIND, LIMIT_BY_ADDR, 60,	20 },
};

/* Wrong passwords allowed before each further one costs a second more. */
#define LIMIT_DELAY_FREE	3
#define LIMIT_DELAY_WINDOW	900

/*
 * The rate-limit key for a username as typed: its folded form if valid,
 * otherwise the lower-cased input cut to fit (the same input always gives
 * the same key).
 */
void
limit_key(const char *user, char *out, size_t outlen)
{
	size_t	 i;

	if (name_user_check(user) == NULL) {
		name_fold(user, out, outlen);
		return;
	}
	for (i = 0; user[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (char)tolower((unsigned char)user[i]);
	out[i] = '\0';
}

/*
 * Check one rule: if it is exhausted, set *retry_after to the seconds until
 * its allowance comes back and return 1.  Errors in the store fail closed.
 */
static int
limit_rule_check(const struct limit_rule *r, const char *key, int64_t now,
    int64_t *retry_after)
{
	int64_t	 count, nth;

	if (store_failure_count(server_store, r->kind, key, now - r->window,
	    (int)r->allowed, &count, &nth) != 0) {
		*retry_after = 60;
		return (1);
	}
	if (count < r->allowed)
		return (0);
	*retry_after = nth + r->window - now;
	if (*retry_after < 1)
		*retry_after = 1;
	return (1);
}

/* Check the per-address rule only (registration). */
int
limit_check_addr(const char *addr, int64_t *retry_after)
{
	const struct limit_rule	*r;
	int64_t			 now = clock_now();
	size_t			 i;

	for (i = 0; i < sizeof limit_rules / sizeof limit_rules[0]; i++) {
		r = &limit_rules[i];
		if (r->by == LIMIT_BY_ADDR &&
		    limit_rule_check(r, addr, now, retry_after))
			return (1);
	}
	return (0);
}

/*
 * Check every rule before a login attempt, including the growing delay
 * after the third wrong password.  Returns 1 with *retry_after if refused.
 */
int
limit_check_login(const char *key, const char *addr, int64_t *retry_after)
{
	const struct limit_rule	*r;
	int64_t			 now = clock_now(), count, newest, wait;
	size_t			 i;

	for (i = 0; i < sizeof limit_rules / sizeof limit_rules[0]; i++) {
		r = &limit_rules[i];
		if (limit_rule_check(r, r->by == LIMIT_BY_ADDR ? addr : key,
		    now, retry_after))
			return (1);
	}

	if (store_failure_count(server_store, limit_kinds[LIMIT_PASSWORD], key,
	    now - LIMIT_DELAY_WINDOW, 1, &count, &newest) != 0) {
		*retry_after = 60;
		return (1);
	}
	if (count > LIMIT_DELAY_FREE) {
		wait = newest + (count - LIMIT_DELAY_FREE) - now;
		if (wait > 0) {
			*retry_after = wait;
			return (1);
		}
	}
	return (0);
}

/*
 * Count a failure against the key (if any) and always against the address,
 * in one transaction (one fsync).
 */
void
limit_fail(enum limit_kind kind, const char *key, const char *addr)
{
	int64_t	 now = clock_now();
	int	 txn;

	txn = store_begin(server_store) == 0;
	if (kind != LIMIT_OTHER && key != NULL)
		store_failure_add(server_store, limit_kinds[kind], key, now);
	if (addr != NULL)
		store_failure_add(server_store, LIMIT_ADDR_KIND, addr, now);
	if (txn && store_commit(server_store) != 0)
		log_warnx("limit: failure counters not stored");
}

/* Forget failures older than every window. */
void
limit_maintain(void)
{
	store_failure_purge(server_store, clock_now() - 3600);
}

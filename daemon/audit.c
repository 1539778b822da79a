/* chatsec — chatsecd audit log.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "chatsecd.h"
#include "clock.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

/*
 * Security events go to two places: a row in the store's audit table (with
 * the internal reason, e.g. "bad password") and a log line (without it, so a
 * log never says which factor was wrong).  Rows are queued and written in
 * the message batch's transaction, so a flood of connections costs one
 * commit per loop turn rather than one each.  Nothing here ever sees a
 * password, a code, a token or a secret.
 */

#define AUDIT_QUEUE_MAX	1024	/* rows queued before a forced commit */

/* Which kinds put their detail in the log line too. */
struct audit_kind {
	const char	*kind;
	int		 log_detail;
};

static const struct audit_kind audit_kinds[] = {
	{ "connect",		1 },	/* TLS outcome */
	{ "refused",		1 },	/* connection cap */
	{ "register",		0 },
	{ "register-failed",	0 },
	{ "login",		0 },
	{ "login-failed",	0 },
	{ "limited",		0 },
	{ "resume",		0 },
	{ "resume-failed",	0 },
	{ "logout",		0 },
	{ "password-change",	1 },	/* detail: other connections closed */
	{ "password-change-failed", 0 },
	{ "keys-publish",	0 },	/* end-to-end: public keys replaced */
	{ "room-create",	1 },	/* room moderation: detail names */
	{ "room-join",		1 },	/* the room and the user acted on */
	{ "room-leave",		1 },
	{ "room-topic",		1 },
	{ "room-invite",	1 },
	{ "room-kick",		1 },
	{ "room-ban",		1 },
	{ "room-unban",		1 },
	{ "room-mute",		1 },
	{ "room-unmute",	1 },
	{ "room-op",		1 },
	{ "room-deop",		1 },
	{ "room-transfer",	1 },
	{ "room-delete",	1 },
	{ "message-delete",	1 },	/* someone else's message, by a moderator */
	{ "admin-disable",	1 },	/* admin actions: account is the admin */
	{ "admin-enable",	1 },
	{ "admin-revoke-sessions", 1 },
	{ "admin-grant",	1 },	/* offline, written by admin_offline() */
	{ "admin-revoke",	1 },
	{ "accounts-create",	1 },	/* offline, chatsecd --create-accounts */
};

struct audit_row {
	int64_t			 ts;
	const char		*kind;	/* static */
	char			*account;
	char			*addr;
	char			*detail;
	TAILQ_ENTRY(audit_row)	 entry;
};
TAILQ_HEAD(audit_rows, audit_row);

static struct audit_rows audit_queue = TAILQ_HEAD_INITIALIZER(audit_queue);
static size_t		 audit_nqueued;

/* Find a kind's entry; NULL for a kind not in the table. */
static const struct audit_kind *
audit_find(const char *kind)
{
	size_t	 i;

	for (i = 0; i < sizeof audit_kinds / sizeof audit_kinds[0]; i++) {
		if (strcmp(audit_kinds[i].kind, kind) == 0)
			return (&audit_kinds[i]);
	}
	return (NULL);
}

/* Free one queued row. */
static void
audit_row_free(struct audit_row *r)
{
	free(r->account);
	free(r->addr);
	free(r->detail);
	free(r);
}

/*
 * Record an audit event: a log line now and a store row at the next batch
 * commit.  account, addr and detail may be NULL; they are copied.
 */
void
audit_log(const char *kind, const char *account, const char *addr,
    const char *detail)
{
	const struct audit_kind	*k;
	struct audit_row	*r;

	if ((k = audit_find(kind)) == NULL)
		FATALX("unknown audit kind %s", kind);
	if (k->log_detail && detail != NULL) {
		log_info("audit: %s user=%s addr=%s: %s", kind,
		    log_safe(account != NULL ? account : "-"),
		    log_safe(addr != NULL ? addr : "-"), log_safe(detail));
	} else {
		log_info("audit: %s user=%s addr=%s", kind,
		    log_safe(account != NULL ? account : "-"),
		    log_safe(addr != NULL ? addr : "-"));
	}

	r = xcalloc(1, sizeof *r);
	r->ts = clock_now_ms();
	r->kind = k->kind;
	r->account = account != NULL ? xstrdup(account) : NULL;
	r->addr = addr != NULL ? xstrdup(addr) : NULL;
	r->detail = detail != NULL ? xstrdup(detail) : NULL;
	TAILQ_INSERT_TAIL(&audit_queue, r, entry);
	audit_nqueued++;

	if (audit_nqueued >= AUDIT_QUEUE_MAX)
		msg_flush_wait();
	else
		msg_schedule();
}

/* Rows waiting for the next commit. */
size_t
audit_pending(void)
{
	return (audit_nqueued);
}

/*
 * Write the queued rows inside the caller's open transaction.  The rows are
 * dropped either way: an audit row must never hold the batch back.
 */
int
audit_flush(struct store *st)
{
	struct audit_row	*r, *r1;
	int			 error = 0;

	TAILQ_FOREACH_SAFE(r, &audit_queue, entry, r1) {
		if (error == 0 && store_audit_add(st, r->ts, r->kind,
		    r->account, r->addr, r->detail) != 0)
			error = -1;
		TAILQ_REMOVE(&audit_queue, r, entry);
		audit_row_free(r);
	}
	audit_nqueued = 0;
	return (error);
}

/* Drop anything still queued (shutdown after the last commit). */
void
audit_free(void)
{
	struct audit_row	*r, *r1;

	TAILQ_FOREACH_SAFE(r, &audit_queue, entry, r1) {
		TAILQ_REMOVE(&audit_queue, r, entry);
		audit_row_free(r);
	}
	audit_nqueued = 0;
}

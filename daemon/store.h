/* chatsec — chatsecd storage interface.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSECD_STORE_H
#define CHATSECD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "names.h"
#include "sec.h"
#include "totp.h"

/*
 * The server's storage seam.  Everything chatsecd keeps on disk goes through
 * these functions; no SQL and no SQLite type is seen outside store-sqlite.c,
 * so another backend (PostgreSQL for several nodes) replaces one file.
 *
 * Conventions: functions return 0 on success, STORE_NOTFOUND or STORE_EXISTS
 * where the comment says so, and -1 on a storage failure (already logged).
 * Calls are made from the event loop thread only.  No transaction ever spans
 * two event callbacks: store_begin() and store_commit() bracket work done in
 * one callback (the message batch).
 */
#define STORE_NOTFOUND	1
#define STORE_EXISTS	2

#define STORE_GENERAL_ROOM	1	/* rooms row of #general */

struct store;

struct store_account {
	int64_t		 id;
	char		 name[NAME_USER_MAX + 1];	/* display form */
	char		 folded[NAME_USER_MAX + 1];	/* unique key */
	char		*pwhash;		/* owned; argon2id string */
	uint8_t		 totp_secret[TOTP_SECRET_LEN];
	int64_t		 totp_last_step;
	int		 is_admin;
	int		 disabled;
	int64_t		 cursor;		/* sync cursor */
	int64_t		 created;
};

/* One message as stored; for reads the strings and body are borrowed. */
struct store_msg {
	int64_t		 id;
	int64_t		 ts;			/* milliseconds */
	int64_t		 sender_id;
	int64_t		 room_id;		/* 0 for a DM */
	int64_t		 rcpt_id;		/* 0 for a room message */
	const char	*from;			/* sender's name (reads) */
	const char	*to;			/* room or recipient name (reads) */
	const char	*cid;
	const uint8_t	*body;
	size_t		 bodylen;
};

/* Open (creating or upgrading the schema) the database at path. */
struct store	*store_open(const char *path);
void		 store_close(struct store *);

int	 store_begin(struct store *);
int	 store_commit(struct store *);
void	 store_rollback(struct store *);

/* Accounts.  Lookups fill *out (pwhash owned; free with store_account_clear). */
/* Both zero *out first, so store_account_clear() is always safe. */
int	 store_account_by_name(struct store *, const char *folded,
	    struct store_account *out);
int	 store_account_by_id(struct store *, int64_t id,
	    struct store_account *out);
void	 store_account_clear(struct store_account *);
/* Create; sets a->id, a->is_admin (first account) and a->cursor (newest
 * message).  STORE_EXISTS if the folded name is taken. */
int	 store_account_create(struct store *, struct store_account *a);
/* Record step as the last accepted TOTP step if it is above the stored one.
 * Returns 0 if recorded, STORE_EXISTS if refused (replay). */
int	 store_account_totp_advance(struct store *, int64_t id, int64_t step);
/* Replace the password hash (an upgrade after a successful login). */
int	 store_account_pwhash(struct store *, int64_t id, const char *pwhash);
/* Raise the sync cursor to at least cursor. */
int	 store_account_cursor(struct store *, int64_t id, int64_t cursor);

/* Sessions, keyed by the token's hash. */
int	 store_session_create(struct store *, const uint8_t *hash,
	    int64_t account, int64_t now);
int	 store_session_get(struct store *, const uint8_t *hash,
	    int64_t *account, int64_t *created, int64_t *last_used);
int	 store_session_touch(struct store *, const uint8_t *hash, int64_t now);
int	 store_session_delete(struct store *, const uint8_t *hash);
int	 store_session_purge(struct store *, int64_t idle_before,
	    int64_t created_before);

/* Rooms.  STORE_NOTFOUND for an unknown name. */
int	 store_room_by_name(struct store *, const char *name, int64_t *id);

/* Messages.  Insert sets m->id; a repeated (sender, cid) is STORE_EXISTS
 * and m->id and m->ts are those of the first message. */
int	 store_msg_insert(struct store *, struct store_msg *m);
int	 store_msg_max_id(struct store *, int64_t *id);
/*
 * Message reads call cb for each row (borrowed for the call only); cb
 * returns non-zero to stop.  Sync: messages visible to account with
 * id > since, oldest first, at most limit.
 */
int	 store_msg_sync(struct store *, int64_t account, int64_t since,
	    int limit, int (*cb)(void *, const struct store_msg *),
	    void *arg);
/* Messages of a room (room != 0) or of the DM between a and b, with
 * id < before, newest first, at most limit. */
int	 store_msg_history(struct store *, int64_t room, int64_t a, int64_t b,
	    int64_t before, int limit,
	    int (*cb)(void *, const struct store_msg *), void *arg);

/* Failure counters for rate limits. */
int	 store_failure_add(struct store *, const char *kind, const char *key,
	    int64_t ts);
/* Count failures with ts > since; *nth is the ts of the n-th newest (0 if
 * fewer than n).  Either out pointer may be NULL. */
int	 store_failure_count(struct store *, const char *kind, const char *key,
	    int64_t since, int n, int64_t *count, int64_t *nth);
int	 store_failure_purge(struct store *, int64_t before);

/* Audit log. */
int	 store_audit_add(struct store *, int64_t ts, const char *kind,
	    const char *account, const char *addr, const char *detail);

#endif

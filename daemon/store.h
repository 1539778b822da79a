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
	int64_t		 deletes;		/* a deletion record: of this id */
	const char	*file;			/* the file it announces, or NULL */
};

/* What deleting a message needs to know about it. */
struct store_msg_ref {
	int64_t		 id;
	int64_t		 sender_id;
	int64_t		 room_id;
	int64_t		 rcpt_id;
	int64_t		 deletes;		/* it is a deletion record */
	int64_t		 deleted;		/* the record that deleted it */
	char		 to[NAME_ROOM_SIZE];	/* room or recipient name */
};

/* Open (creating or upgrading the schema) the database at path. */
struct store	*store_open(const char *path);
void		 store_close(struct store *);

int	 store_begin(struct store *);
/* Its commit survives chatsecd's crash; the machine's, once a durable one follows. */
int	 store_begin_lazy(struct store *);
/* SQLite's synchronous level now (2, FULL, but in a lazy transaction), or -1. */
int	 store_synchronous(struct store *);
/* The log to fdatasync after a lazy commit, or -1: commit durably instead. */
int	 store_log_fd(struct store *);
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
/* Every account by folded name (pwhash is NULL in these rows). */
int	 store_account_list(struct store *,
	    int (*cb)(void *, const struct store_account *), void *arg);
int	 store_account_set_admin(struct store *, int64_t id, int on);
int	 store_account_set_disabled(struct store *, int64_t id, int on);

/* Sessions, keyed by the token's hash. */
int	 store_session_create(struct store *, const uint8_t *hash,
	    int64_t account, int64_t now);
int	 store_session_get(struct store *, const uint8_t *hash,
	    int64_t *account, int64_t *created, int64_t *last_used);
int	 store_session_touch(struct store *, const uint8_t *hash, int64_t now);
int	 store_session_delete(struct store *, const uint8_t *hash);
int	 store_session_purge(struct store *, int64_t idle_before,
	    int64_t created_before);
/* Revoke every session of an account. */
int	 store_session_delete_account(struct store *, int64_t account);

/*
 * Rooms, members, invitations and bans.  Room names are looked up by their
 * folded form (names.h).  Roles are STORE_ROLE_*; #general has a member
 * row for every account (made with the account).
 */
#define STORE_ROLE_NONE		0	/* not a member */
#define STORE_ROLE_MEMBER	1
#define STORE_ROLE_OPERATOR	2
#define STORE_ROLE_OWNER	3

#define STORE_TOPIC_SIZE	(256 + 1)

struct store_room {
	int64_t		 id;
	char		 name[NAME_ROOM_SIZE];		/* display form */
	int		 invite_only;
	char		 topic[STORE_TOPIC_SIZE];
	int64_t		 created;
	/* Filled by store_room_list() only: */
	int64_t		 members;			/* member count */
	int		 role;				/* the caller's */
	int		 invited;			/* the caller is */
};

struct store_member {
	int64_t		 account;
	const char	*name;				/* borrowed */
	int		 role;
	int		 muted;
};

/* STORE_NOTFOUND for an unknown name. */
int	 store_room_by_name(struct store *, const char *folded, int64_t *id);
int	 store_room_get(struct store *, const char *folded,
	    struct store_room *out);
/* Create r (sets r->id) with owner as its owner; STORE_EXISTS if taken. */
int	 store_room_create(struct store *, struct store_room *r,
	    int64_t owner);
int	 store_room_topic(struct store *, int64_t room, const char *topic);
/* Delete a room with its messages, members, invitations and bans. */
int	 store_room_delete(struct store *, int64_t room);
/* Rooms account may see (public, member of, invited to), by name. */
int	 store_room_list(struct store *, int64_t account,
	    int (*cb)(void *, const struct store_room *), void *arg);

/* STORE_NOTFOUND if account is not a member. */
int	 store_member_get(struct store *, int64_t room, int64_t account,
	    int *role, int *muted);
/* Insert or replace a membership. */
int	 store_member_put(struct store *, int64_t room, int64_t account,
	    int role, int muted, int64_t now);
int	 store_member_delete(struct store *, int64_t room, int64_t account);
/* Members by name; strings borrowed for the call. */
int	 store_member_list(struct store *, int64_t room,
	    int (*cb)(void *, const struct store_member *), void *arg);
/* The account ids of a room's members, ascending: *ids owned by caller. */
int	 store_member_ids(struct store *, int64_t room, int64_t **ids,
	    size_t *n);

int	 store_invite_put(struct store *, int64_t room, int64_t account,
	    int64_t now);
/* 0 if invited, STORE_NOTFOUND if not. */
int	 store_invite_get(struct store *, int64_t room, int64_t account);
int	 store_invite_delete(struct store *, int64_t room, int64_t account);

/* expires: Unix seconds, 0 for never. */
int	 store_ban_put(struct store *, int64_t room, int64_t account,
	    int64_t expires, const char *reason, const char *by, int64_t now);
/* STORE_NOTFOUND if there is no ban row (expired ones are returned). */
int	 store_ban_get(struct store *, int64_t room, int64_t account,
	    int64_t *expires);
int	 store_ban_delete(struct store *, int64_t room, int64_t account);

/*
 * Room events (membership changes, topics, deletion), kept for offline
 * delivery.  Each is for the room's members at the time of the call plus
 * target and actor (ids, 0 for none).  Sets ev->id.
 */
struct store_room_event {
	int64_t		 id;
	int64_t		 ts;			/* milliseconds */
	const char	*room;
	const char	*action;
	const char	*actor;			/* NULL: none */
	const char	*target;
	const char	*reason;
	const char	*topic;
	int64_t		 expires;		/* Unix seconds, 0 none */
};
int	 store_room_event_add(struct store *, struct store_room_event *ev,
	    int64_t room, int64_t target, int64_t actor);
/* Events for account with id > since, oldest first, at most limit. */
int	 store_room_event_sync(struct store *, int64_t account, int64_t since,
	    int limit, int (*cb)(void *, const struct store_room_event *),
	    void *arg);
int	 store_room_event_max(struct store *, int64_t *id);

/* Messages.  Insert sets m->id; a repeated (sender, cid) is STORE_EXISTS
 * and m->id and m->ts are those of the first message. */
int	 store_msg_insert(struct store *, struct store_msg *m);
int	 store_msg_max_id(struct store *, int64_t *id);
/*
 * Message reads call cb for each row (borrowed for the call only); cb
 * returns non-zero to stop.  Sync: messages visible to account with
 * since < id <= upto, oldest first, at most limit.
 */
int	 store_msg_sync(struct store *, int64_t account, int64_t since,
	    int64_t upto, int limit,
	    int (*cb)(void *, const struct store_msg *), void *arg);
/* Messages of a room (room != 0) or of the DM between a and b, with
 * id < before, newest first, at most limit. */
int	 store_msg_history(struct store *, int64_t room, int64_t a, int64_t b,
	    int64_t before, int limit,
	    int (*cb)(void *, const struct store_msg *), void *arg);

/*
 * Message deletion.  Get: STORE_NOTFOUND for an unknown id.  Delete, in a
 * transaction: adds the deletion record (same sender and conversation,
 * by_id = by), empties the message's body and removes its file and
 * chunks; STORE_NOTFOUND if already deleted.  Remove takes back a message
 * inserted in the same batch transaction (a send whose file could not be
 * announced).  Sync and history skip deleted messages.
 */
int	 store_msg_get(struct store *, int64_t id, struct store_msg_ref *out);
int	 store_msg_delete(struct store *, const struct store_msg_ref *m,
	    int64_t by, int64_t ts, int64_t *rec_id);
int	 store_msg_remove(struct store *, int64_t id);
/* The id of sender's message with cid; STORE_NOTFOUND if none. */
int	 store_msg_by_cid(struct store *, int64_t sender, const char *cid,
	    int64_t *id);

/*
 * Files: ciphertext chunks of uploads (doc/files.md).  A file belongs to
 * its owner and one conversation (room_id or rcpt_id); it is finished
 * (done) once every chunk is in, and announced (msg_id) by at most one
 * message, whose deletion removes it.  Ids are 32 lower-case hex digits.
 */
#define STORE_FILE_ID_SIZE	33
struct store_file {
	char		 id[STORE_FILE_ID_SIZE];
	int64_t		 owner_id;
	char		 owner[NAME_USER_MAX + 1];	/* reads */
	int64_t		 room_id;			/* 0 for a DM */
	int64_t		 rcpt_id;			/* 0 for a room */
	char		 to[NAME_ROOM_SIZE];		/* reads */
	int64_t		 size;				/* stored bytes */
	int64_t		 chunks;
	int64_t		 have;				/* chunks stored */
	int64_t		 bytes;				/* bytes stored */
	int		 done;
	int64_t		 msg_id;			/* 0: not announced */
	int64_t		 created;			/* ms */
	int64_t		 touched;			/* ms, last change */
};
/* Declared bytes of all the account's files and its unfinished count. */
int	 store_file_usage(struct store *, int64_t account, int64_t *used,
	    int64_t *unfinished);
/* STORE_EXISTS if the id is taken. */
int	 store_file_create(struct store *, const struct store_file *f);
int	 store_file_get(struct store *, const char *id, struct store_file *out);
/* Store the next chunk and count it (the caller checked seq and size). */
int	 store_file_chunk_put(struct store *, const char *id, int64_t seq,
	    const uint8_t *data, size_t len, int64_t now);
/* STORE_NOTFOUND unless unfinished with every chunk in. */
int	 store_file_finish(struct store *, const char *id, int64_t now);
/* Copy a chunk into buf; STORE_NOTFOUND if absent. */
int	 store_file_chunk_get(struct store *, const char *id, int64_t seq,
	    uint8_t *buf, size_t size, size_t *len);
int	 store_file_announce(struct store *, const char *id, int64_t owner,
	    int64_t room, int64_t rcpt, int64_t msg_id);
int	 store_file_purge(struct store *, int64_t before, int *n);

/*
 * Public key bundles (doc/crypto.md): the server stores and serves them
 * and never checks the signature (agents do).  Put replaces an account's
 * keys (the old row goes to a log) and sets *since_id to the newest
 * message id at commit.  Get is by folded name: STORE_NOTFOUND for an
 * unknown user or one without keys.
 */
#define STORE_PK_LEN	32
#define STORE_SIG_LEN	64
struct store_keys {
	char		 name[NAME_USER_MAX + 1];	/* display form */
	uint8_t		 sign_pk[STORE_PK_LEN];
	uint8_t		 box_pk[STORE_PK_LEN];
	uint8_t		 sig[STORE_SIG_LEN];
	int64_t		 since_id;
	int64_t		 ts;
};
int	 store_keys_put(struct store *, int64_t account,
	    const struct store_keys *k, int64_t *since_id);
int	 store_keys_get(struct store *, const char *folded,
	    struct store_keys *out);
/* A room's membership epoch: bumped by every member row added, replaced
 * or removed (a trigger), so a send sealed for an old list is refused. */
int	 store_room_epoch(struct store *, int64_t room, int64_t *epoch);

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

/* A query of the audit log: NULL strings and 0 times match anything. */
struct store_audit_filter {
	const char	*account;		/* case-insensitive */
	const char	*addr;
	const char	*kind;
	int64_t		 since;			/* ms, inclusive */
	int64_t		 until;			/* ms, inclusive */
	int		 limit;
};
struct store_audit {
	int64_t		 id;
	int64_t		 ts;
	const char	*kind;			/* strings borrowed */
	const char	*account;		/* may be NULL */
	const char	*addr;
	const char	*detail;
};
/* Matching rows, newest first, at most f->limit. */
int	 store_audit_query(struct store *, const struct store_audit_filter *f,
	    int (*cb)(void *, const struct store_audit *), void *arg);

#endif

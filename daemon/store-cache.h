/* chatsec — chatsecd storage: the room-standing cache.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSECD_STORE_CACHE_H
#define CHATSECD_STORE_CACHE_H

#include <stdint.h>

#include "store.h"

/*
 * What every send to a room reads: the room by name and the sender's
 * membership, invitation and ban there.  store-sqlite.c answers those
 * reads from here and clears everything (one generation counter) whenever
 * it runs a statement that writes a room table, and on every rollback.
 * The database is chatsecd's alone while it runs (the data dir lock), so
 * no other writer can make an entry stale.
 *
 * Fixed size, direct-mapped: a collision replaces the older entry.  Only
 * answers (found, or not found) are kept, never errors.
 */
enum store_cache_kind {
	STORE_CACHE_MEMBER,	/* v0 = role, v1 = muted */
	STORE_CACHE_INVITE,	/* no values */
	STORE_CACHE_BAN,	/* v0 = expires */
};

struct store_cache;

struct store_cache	*store_cache_new(void);
void			 store_cache_free(struct store_cache *);
/* Forget everything. */
void			 store_cache_clear(struct store_cache *);

/* 1 with *rc (0 or STORE_NOTFOUND) and *out filled if known, else 0. */
int	 store_cache_room(struct store_cache *, const char *folded,
	    struct store_room *out, int *rc);
void	 store_cache_room_put(struct store_cache *, const char *folded,
	    int rc, const struct store_room *);

/* 1 with *rc and v[0..1] filled if known, else 0. */
int	 store_cache_get(struct store_cache *, enum store_cache_kind,
	    int64_t room, int64_t account, int *rc, int64_t v[2]);
void	 store_cache_put(struct store_cache *, enum store_cache_kind,
	    int64_t room, int64_t account, int rc, const int64_t v[2]);

#endif

/* chatsec — chatsecd storage: the room-standing cache.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store-cache.h"
#include "xmalloc.h"

/*
 * Two direct-mapped tables: rooms by folded name, and (kind, room,
 * account) standings.  An entry is valid while its generation is the
 * cache's; clearing is one increment.  Sizes: 64 rooms (~24 KiB) and 1024
 * standings (32 KiB), enough for the rooms and senders of a busy server's
 * last moments; a miss costs one SQLite read, as it did without the cache.
 */
#define STORE_CACHE_ROOMS	64
#define STORE_CACHE_SLOTS	1024

struct store_cache_room {
	uint64_t		 gen;
	int			 rc;
	char			 folded[NAME_ROOM_SIZE];
	struct store_room	 room;
};

struct store_cache_slot {
	uint64_t		 gen;
	int64_t			 room;
	int64_t			 account;
	int64_t			 v[2];
	int			 kind;
	int			 rc;
};

struct store_cache {
	uint64_t		 gen;		/* 0 is never valid */
	struct store_cache_room	 rooms[STORE_CACHE_ROOMS];
	struct store_cache_slot	 slots[STORE_CACHE_SLOTS];
};

struct store_cache *
store_cache_new(void)
{
	struct store_cache	*sc;

	sc = xcalloc(1, sizeof *sc);
	sc->gen = 1;
	return (sc);
}

void
store_cache_free(struct store_cache *sc)
{
	free(sc);
}

void
store_cache_clear(struct store_cache *sc)
{
	sc->gen++;
}

/* FNV-1a of a folded name. */
static size_t
store_cache_name_slot(const char *s)
{
	uint32_t	 h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h % STORE_CACHE_ROOMS);
}

static struct store_cache_slot *
store_cache_slot(struct store_cache *sc, enum store_cache_kind kind,
    int64_t room, int64_t account)
{
	uint64_t	 h;

	h = (uint64_t)room * 0x9e3779b97f4a7c15ULL;
	h ^= (uint64_t)account * 0xc2b2ae3d27d4eb4fULL;
	h ^= (uint64_t)kind * 0x165667b19e3779f9ULL;
	h ^= h >> 29;
	return (&sc->slots[h % STORE_CACHE_SLOTS]);
}

int
store_cache_room(struct store_cache *sc, const char *folded,
    struct store_room *out, int *rc)
{
	struct store_cache_room	*e = &sc->rooms[store_cache_name_slot(folded)];

	if (e->gen != sc->gen || strcmp(e->folded, folded) != 0)
		return (0);
	*out = e->room;
	*rc = e->rc;
	return (1);
}

void
store_cache_room_put(struct store_cache *sc, const char *folded, int rc,
    const struct store_room *room)
{
	struct store_cache_room	*e = &sc->rooms[store_cache_name_slot(folded)];
	size_t			 len = strlen(folded);

	if (len >= sizeof e->folded)
		return;
	memcpy(e->folded, folded, len + 1);
	e->room = *room;
	e->rc = rc;
	e->gen = sc->gen;
}

int
store_cache_get(struct store_cache *sc, enum store_cache_kind kind,
    int64_t room, int64_t account, int *rc, int64_t v[2])
{
	struct store_cache_slot	*e = store_cache_slot(sc, kind, room, account);

	if (e->gen != sc->gen || e->kind != (int)kind || e->room != room ||
	    e->account != account)
		return (0);
	*rc = e->rc;
	v[0] = e->v[0];
	v[1] = e->v[1];
	return (1);
}

void
store_cache_put(struct store_cache *sc, enum store_cache_kind kind,
    int64_t room, int64_t account, int rc, const int64_t v[2])
{
	struct store_cache_slot	*e = store_cache_slot(sc, kind, room, account);

	e->kind = kind;
	e->room = room;
	e->account = account;
	e->rc = rc;
	e->v[0] = v[0];
	e->v[1] = v[1];
	e->gen = sc->gen;
}

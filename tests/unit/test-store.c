/* chatsec — chatsecd store: room standings read through the cache, lazy commits, sync and history pages.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "names.h"
#include "store.h"

/*
 * Every send reads a room and the sender's standing in it; the store
 * answers those from a cache (daemon/store-cache.c).  Whatever the store
 * wrote, or rolled back, must be what the next read returns.
 */

struct fixture {
	char		 dir[64];
	char		 path[96];
	struct store	*st;
	int64_t		 alice, bob;
	int64_t		 room;
};

static int64_t
make_account(struct store *st, const char *name)
{
	struct store_account	 a;

	memset(&a, 0, sizeof a);
	snprintf(a.name, sizeof a.name, "%s", name);
	snprintf(a.folded, sizeof a.folded, "%s", name);
	a.pwhash = (char *)"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaA";
	a.created = 1;
	assert_int_equal(store_account_create(st, &a), 0);
	return (a.id);
}

static int64_t
make_room(struct store *st, const char *name, int64_t owner)
{
	struct store_room	 r;

	memset(&r, 0, sizeof r);
	snprintf(r.name, sizeof r.name, "%s", name);
	r.created = 1;
	assert_int_equal(store_room_create(st, &r, owner), 0);
	return (r.id);
}

static int
setup(void **state)
{
	struct fixture	*f;

	f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/chatsec-test-store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/chatsecd.db", f->dir);
	assert_non_null(f->st = store_open(f->path));
	f->alice = make_account(f->st, "alice");
	f->bob = make_account(f->st, "bob");
	f->room = make_room(f->st, "#Ops", f->alice);
	*state = f;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 p[128];

	store_close(f->st);
	snprintf(p, sizeof p, "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return (0);
}

static int
member(struct fixture *f, int64_t account, int *role, int *muted)
{
	return (store_member_get(f->st, f->room, account, role, muted));
}

/* Join, mute, promote, leave: each read sees the last write. */
static void
test_member(void **state)
{
	struct fixture	*f = *state;
	int		 role, muted;

	assert_int_equal(member(f, f->alice, &role, &muted), 0);
	assert_int_equal(role, STORE_ROLE_OWNER);
	assert_int_equal(member(f, f->bob, &role, &muted), STORE_NOTFOUND);
	assert_int_equal(member(f, f->bob, &role, &muted), STORE_NOTFOUND);
	assert_int_equal(role, STORE_ROLE_NONE);

	assert_int_equal(store_member_put(f->st, f->room, f->bob,
	    STORE_ROLE_MEMBER, 0, 2), 0);
	assert_int_equal(member(f, f->bob, &role, &muted), 0);
	assert_int_equal(role, STORE_ROLE_MEMBER);
	assert_int_equal(muted, 0);

	assert_int_equal(store_member_put(f->st, f->room, f->bob,
	    STORE_ROLE_MEMBER, 1, 3), 0);
	assert_int_equal(member(f, f->bob, &role, &muted), 0);
	assert_int_equal(muted, 1);

	assert_int_equal(store_member_put(f->st, f->room, f->bob,
	    STORE_ROLE_OPERATOR, 0, 4), 0);
	assert_int_equal(member(f, f->bob, &role, &muted), 0);
	assert_int_equal(role, STORE_ROLE_OPERATOR);
	assert_int_equal(muted, 0);

	assert_int_equal(store_member_delete(f->st, f->room, f->bob), 0);
	assert_int_equal(member(f, f->bob, &role, &muted), STORE_NOTFOUND);
	assert_int_equal(role, STORE_ROLE_NONE);
	/* alice's standing was not disturbed. */
	assert_int_equal(member(f, f->alice, &role, &muted), 0);
	assert_int_equal(role, STORE_ROLE_OWNER);
}

/* Ban with an expiry, change it, lift it; invite and withdraw. */
static void
test_ban_invite(void **state)
{
	struct fixture	*f = *state;
	int64_t		 expires;

	assert_int_equal(store_ban_get(f->st, f->room, f->bob, &expires),
	    STORE_NOTFOUND);
	assert_int_equal(store_ban_put(f->st, f->room, f->bob, 500, "spam",
	    "alice", 2), 0);
	assert_int_equal(store_ban_get(f->st, f->room, f->bob, &expires), 0);
	assert_int_equal(expires, 500);
	assert_int_equal(store_ban_put(f->st, f->room, f->bob, 0, NULL,
	    "alice", 3), 0);
	assert_int_equal(store_ban_get(f->st, f->room, f->bob, &expires), 0);
	assert_int_equal(expires, 0);
	assert_int_equal(store_ban_delete(f->st, f->room, f->bob), 0);
	assert_int_equal(store_ban_get(f->st, f->room, f->bob, &expires),
	    STORE_NOTFOUND);

	assert_int_equal(store_invite_get(f->st, f->room, f->bob),
	    STORE_NOTFOUND);
	assert_int_equal(store_invite_put(f->st, f->room, f->bob, 2), 0);
	assert_int_equal(store_invite_get(f->st, f->room, f->bob), 0);
	assert_int_equal(store_invite_delete(f->st, f->room, f->bob), 0);
	assert_int_equal(store_invite_get(f->st, f->room, f->bob),
	    STORE_NOTFOUND);
}

/* What a rolled-back transaction wrote, and was read meanwhile, is gone. */
static void
test_rollback(void **state)
{
	struct fixture	*f = *state;
	int64_t		 expires;
	int		 role, muted;

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_member_put(f->st, f->room, f->bob,
	    STORE_ROLE_MEMBER, 0, 2), 0);
	assert_int_equal(store_ban_put(f->st, f->room, f->alice, 9, NULL,
	    "bob", 2), 0);
	assert_int_equal(member(f, f->bob, &role, &muted), 0);
	assert_int_equal(store_ban_get(f->st, f->room, f->alice, &expires), 0);
	store_rollback(f->st);

	assert_int_equal(member(f, f->bob, &role, &muted), STORE_NOTFOUND);
	assert_int_equal(store_ban_get(f->st, f->room, f->alice, &expires),
	    STORE_NOTFOUND);
}

/* Topic, deletion and a new room under the old name. */
static void
test_room(void **state)
{
	struct fixture		*f = *state;
	struct store_room	 r;
	char			 folded[NAME_ROOM_SIZE];
	int64_t			 again;
	int			 role, muted;

	name_room_fold("#OPS", folded, sizeof folded);
	assert_int_equal(store_room_get(f->st, folded, &r), 0);
	assert_int_equal(r.id, f->room);
	assert_string_equal(r.name, "#Ops");
	assert_string_equal(r.topic, "");

	assert_int_equal(store_room_topic(f->st, f->room, "release day"), 0);
	assert_int_equal(store_room_get(f->st, folded, &r), 0);
	assert_string_equal(r.topic, "release day");

	assert_int_equal(store_room_delete(f->st, f->room), 0);
	assert_int_equal(store_room_get(f->st, folded, &r), STORE_NOTFOUND);
	assert_int_equal(member(f, f->alice, &role, &muted), STORE_NOTFOUND);

	/* SQLite may give the new room the old one's id. */
	again = make_room(f->st, "#ops", f->bob);
	assert_int_equal(store_room_get(f->st, folded, &r), 0);
	assert_int_equal(r.id, again);
	assert_string_equal(r.name, "#ops");
	assert_int_equal(store_member_get(f->st, again, f->bob, &role,
	    &muted), 0);
	assert_int_equal(role, STORE_ROLE_OWNER);
	assert_int_equal(store_member_get(f->st, again, f->alice, &role,
	    &muted), STORE_NOTFOUND);
}

/*
 * More standings and rooms than the cache holds: colliding entries
 * replace each other, and every read still returns what was written.
 */
static void
test_many(void **state)
{
	struct fixture		*f = *state;
	struct store_room	 r;
	char			 name[32], folded[NAME_ROOM_SIZE];
	int64_t			 ids[300], rooms[100];
	int			 i, j, pass, role, muted;

	assert_int_equal(store_begin(f->st), 0);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "user%d", i);
		ids[i] = make_account(f->st, name);
	}
	for (j = 0; j < 100; j++) {
		snprintf(name, sizeof name, "#room%d", j);
		rooms[j] = make_room(f->st, name, f->alice);
	}
	for (i = 0; i < 300; i++)
		for (j = i % 7; j < 100; j += 7)
			assert_int_equal(store_member_put(f->st, rooms[j],
			    ids[i], 1 + (i + j) % 3, (i + j) % 2, 2), 0);
	assert_int_equal(store_commit(f->st), 0);

	for (pass = 0; pass < 2; pass++) {
		for (j = 0; j < 100; j++) {
			snprintf(name, sizeof name, "#room%d", j);
			name_room_fold(name, folded, sizeof folded);
			assert_int_equal(store_room_get(f->st, folded, &r), 0);
			assert_int_equal(r.id, rooms[j]);
		}
		for (i = 0; i < 300; i++)
			for (j = 0; j < 100; j++) {
				if (j % 7 != i % 7) {
					assert_int_equal(store_member_get(f->st,
					    rooms[j], ids[i], &role, &muted),
					    STORE_NOTFOUND);
					continue;
				}
				assert_int_equal(store_member_get(f->st,
				    rooms[j], ids[i], &role, &muted), 0);
				assert_int_equal(role, 1 + (i + j) % 3);
				assert_int_equal(muted, (i + j) % 2);
			}
	}
}

/* Message ids a sync page returned. */
struct page {
	int64_t		 id[600];
	int		 n;
};

static int
page_add(void *arg, const struct store_msg *m)
{
	struct page	*pg = arg;

	pg->id[pg->n++] = m->id;
	return (pg->n == (int)(sizeof pg->id / sizeof pg->id[0]));
}

static int64_t
add_msg(struct store *st, int64_t from, int64_t room, int64_t to, int i)
{
	struct store_msg	 m;
	char			 cid[16];

	memset(&m, 0, sizeof m);
	snprintf(cid, sizeof cid, "c%d", i);
	m.ts = i;
	m.sender_id = from;
	m.room_id = room;
	m.rcpt_id = to;
	m.cid = cid;
	m.body = (const uint8_t *)"x";
	m.bodylen = 1;
	assert_int_equal(store_msg_insert(st, &m), 0);
	return (m.id);
}

/* Where a test message goes, and whether the reader may see it. */
struct conv {
	int64_t		 from;
	int64_t		 room;
	int64_t		 to;
	int		 seen;
};

/*
 * Add message i to conversation cv, deleted at once when del (gone, and its
 * deletion record in its place); append what the reader finds to want.
 */
static void
add_conv(struct fixture *f, const struct conv *cv, int i, int del,
    int64_t *want, int *nwant)
{
	struct store_msg_ref	 ref;
	int64_t			 id, rec;

	id = add_msg(f->st, cv->from, cv->room, cv->to, i);
	if (del) {
		assert_int_equal(store_msg_get(f->st, id, &ref), 0);
		assert_int_equal(store_msg_delete(f->st, &ref, f->bob, i,
		    &rec), 0);
		id = rec;
	}
	if (cv->seen)
		want[(*nwant)++] = id;
}

/*
 * Sync pages: whatever the since and the page size, a page is the first
 * messages visible to the account after since (the rooms it is a member of,
 * its DMs either way, no deleted message, deletion records of what it may
 * see), as a scan of every message would give.
 */
static void
test_sync_pages(void **state)
{
	struct fixture		*f = *state;
	struct page		 pg;
	int64_t			 carol, other, want[700], since, last;
	int			 nwant = 0, i, j, w, role, muted;
	int			 limits[] = { 1, 2, 3, 7, 50, 501 };
	int			 ingeneral;

	carol = make_account(f->st, "carol");
	other = make_room(f->st, "#other", f->bob);
	ingeneral = store_member_get(f->st, STORE_GENERAL_ROOM, f->alice,
	    &role, &muted) == 0;
	assert_int_equal(store_begin(f->st), 0);
	{
		const struct conv cv[] = {
			{ f->bob, f->room, 0, 1 },
			{ f->bob, other, 0, 0 },
			{ f->alice, 0, f->bob, 1 },
			{ f->bob, 0, f->alice, 1 },
			{ f->bob, 0, carol, 0 },
			{ f->alice, f->room, 0, 1 },
			{ carol, STORE_GENERAL_ROOM, 0, ingeneral },
		};

		for (i = 0; i < 420; i++)
			add_conv(f, &cv[(i * 5 + i / 7) % 7], i, i % 11 == 5,
			    want, &nwant);
	}
	assert_int_equal(store_commit(f->st), 0);
	assert_true(nwant > 200);

	/* Every since from before the first message to after the last. */
	assert_int_equal(store_msg_max_id(f->st, &last), 0);
	for (since = 0; since <= last; since++) {
		for (j = 0; j < (int)(sizeof limits / sizeof limits[0]); j++) {
			memset(&pg, 0, sizeof pg);
			assert_int_equal(store_msg_sync(f->st, f->alice,
			    since, INT64_MAX, limits[j], page_add, &pg), 0);
			for (i = 0; i < nwant && want[i] <= since; i++)
				;
			w = nwant - i < limits[j] ? nwant - i : limits[j];
			assert_int_equal(pg.n, w);
			for (w = 0; w < pg.n; w++)
				assert_int_equal(pg.id[w], want[i + w]);
		}
	}

	/* Paging 7 at a time walks the whole list once. */
	for (since = 0, i = 0;;) {
		memset(&pg, 0, sizeof pg);
		assert_int_equal(store_msg_sync(f->st, f->alice, since,
		    INT64_MAX, 7, page_add, &pg), 0);
		if (pg.n == 0)
			break;
		for (w = 0; w < pg.n; w++)
			assert_int_equal(pg.id[w], want[i++]);
		since = pg.id[pg.n - 1];
	}
	assert_int_equal(i, nwant);
}

/*
 * DM history pages: for every before and page size, the newest messages of
 * the conversation before it (both directions, not other DMs of either,
 * no deleted message), newest first.
 */
static void
test_dm_history(void **state)
{
	struct fixture		*f = *state;
	struct page		 pg;
	int64_t			 carol, want[400], before, last;
	int			 nwant = 0, i, j, w;
	int			 limits[] = { 1, 2, 5, 50 };

	carol = make_account(f->st, "carol");
	assert_int_equal(store_begin(f->st), 0);
	{
		const struct conv cv[] = {
			{ f->alice, 0, f->bob, 1 },
			{ f->bob, 0, f->alice, 1 },
			{ f->alice, 0, carol, 0 },
			{ carol, 0, f->bob, 0 },
		};

		for (i = 0; i < 300; i++)
			add_conv(f, &cv[(i * 3 + i / 5) % 4], i, i % 9 == 4,
			    want, &nwant);
	}
	assert_int_equal(store_commit(f->st), 0);
	assert_true(nwant > 100);

	assert_int_equal(store_msg_max_id(f->st, &last), 0);
	for (before = last + 1; before >= 0; before--) {
		for (j = 0; j < (int)(sizeof limits / sizeof limits[0]); j++) {
			memset(&pg, 0, sizeof pg);
			assert_int_equal(store_msg_history(f->st, 0, f->bob,
			    f->alice, before, limits[j], page_add, &pg), 0);
			for (i = nwant - 1; i >= 0 && want[i] >= before; i--)
				;
			w = i + 1 < limits[j] ? i + 1 : limits[j];
			assert_int_equal(pg.n, w);
			for (w = 0; w < pg.n; w++)
				assert_int_equal(pg.id[w], want[i - w]);
		}
	}
}

/*
 * A lazy transaction (audit rows and session times without a message)
 * commits without waiting for the disk; whatever follows it, commit or
 * rollback, is durable again, and what it wrote is there after a reopen.
 */
static void
test_lazy(void **state)
{
	struct fixture		*f = *state;
	struct store_account	 a;

	assert_int_equal(store_synchronous(f->st), 2);
	assert_int_equal(store_begin_lazy(f->st), 0);
	assert_int_equal(store_synchronous(f->st), 1);
	make_account(f->st, "carol");
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_synchronous(f->st), 2);

	assert_int_equal(store_begin_lazy(f->st), 0);
	make_account(f->st, "dave");
	store_rollback(f->st);
	assert_int_equal(store_synchronous(f->st), 2);

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_synchronous(f->st), 2);
	make_account(f->st, "erin");
	assert_int_equal(store_commit(f->st), 0);

	store_close(f->st);
	assert_non_null(f->st = store_open(f->path));
	assert_int_equal(store_synchronous(f->st), 2);
	assert_int_equal(store_account_by_name(f->st, "carol", &a), 0);
	store_account_clear(&a);
	assert_int_equal(store_account_by_name(f->st, "dave", &a),
	    STORE_NOTFOUND);
	store_account_clear(&a);
	assert_int_equal(store_account_by_name(f->st, "erin", &a), 0);
	store_account_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ban_invite, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lazy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_pages, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dm_history, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

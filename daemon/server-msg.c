/* chatsec — chatsecd messages: send, sync, history, who.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "chatsecd.h"
#include "bus.h"
#include "clock.h"
#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "store.h"
#include "xmalloc.h"

/*
 * Sends are group-committed: each goes on the batch, and an event activated
 * for the end of the loop turn writes the whole batch (and queued audit
 * rows) in one transaction.  The commit doesn't wait for the disk; the
 * fsync thread syncs the log (server-fsync.c) while the loop goes on, and
 * only then are the sends acked and the messages published on the bus.  An
 * ack therefore always means "on disk".  One batch is in the disk's hands
 * at a time: what arrives meanwhile waits, and goes in the next, larger
 * one.  The batch is bounded (batch_max): while it is full, logged-in
 * connections are not read (CLIENT_WAITING) until it is committed.
 *
 * Message ids grow in commit order and one batch at a time is published,
 * so the published messages are exactly those up to msg_published.  sync
 * and history read no further: what they return is on disk and already
 * sent as events, and what is still waiting for the disk comes as events
 * after.  Together with "events only after the first sync with more=false"
 * this gives each connection every message exactly once and in order.  A
 * deletion, which makes a message id of its own, first waits for the sync
 * under way (msg_drain()) to keep the order.
 */

/* What a JSON message costs beyond its base64 body, generously. */
#define MSG_JSON_OVERHEAD	160
/* Keep pages under the frame limit with room for the envelope. */
#define MSG_PAGE_BUDGET		(CS_WIRE_FRAME_MAX - 1024)

struct msg_entry {
	struct client		*c;		/* NULL once it has gone */
	struct json_object	*id;		/* request id, owned */
	int64_t			 sender_id;
	int64_t			 room_id;
	int64_t			 rcpt_id;
	char			 from[NAME_USER_MAX + 1];
	char			 to[NAME_ROOM_SIZE];
	char			 cid[CS_CID_MAX + 1];
	uint8_t			*body;
	size_t			 bodylen;
	char			 file[STORE_FILE_ID_SIZE];	/* or "" */
	int64_t			 msg_id;	/* set by the commit */
	int64_t			 ts;
	int			 dup;
	int			 err;		/* refused by the commit */
	TAILQ_ENTRY(msg_entry)	 entry;
};
TAILQ_HEAD(msg_entries, msg_entry);

static struct msg_entries msg_batch = TAILQ_HEAD_INITIALIZER(msg_batch);
static size_t		 msg_nbatch;
/* Committed, waiting for the log's sync before acks and events. */
static struct msg_entries msg_syncing = TAILQ_HEAD_INITIALIZER(msg_syncing);
/* The newest message id on disk and published. */
static int64_t		 msg_published;
static struct event	*msg_ev;
static int64_t		 msg_last_ts;
static int		 msg_flushing;

static void	 msg_batch_cb(evutil_socket_t, short, void *);

/* Set up the batch event. */
void
msg_init(void)
{
	if ((msg_ev = event_new(server_base, -1, 0, msg_batch_cb, NULL)) ==
	    NULL)
		FATALX("event_new");
	if (store_msg_max_id(server_store, &msg_published) != 0)
		FATALX("cannot read the newest message id");
}

/* Commit what is pending, wait for the disk, free the event (shutdown). */
void
msg_free(void)
{
	msg_flush_wait();
	if (msg_ev != NULL)
		event_free(msg_ev);
	msg_ev = NULL;
}

/* Ask for a commit at the end of this loop turn. */
void
msg_schedule(void)
{
	if (msg_ev != NULL)
		event_active(msg_ev, EV_TIMEOUT, 1);
}

/* Free one batch entry. */
static void
msg_entry_free(struct msg_entry *e)
{
	json_object_put(e->id);
	free(e->body);
	free(e);
}

/* A connection went away: its sends still commit but nobody is acked. */
void
msg_client_gone(struct client *c)
{
	struct msg_entry	*e;

	if (c->nsending == 0)
		return;
	TAILQ_FOREACH(e, &msg_batch, entry) {
		if (e->c == c)
			e->c = NULL;
	}
	TAILQ_FOREACH(e, &msg_syncing, entry) {
		if (e->c == c)
			e->c = NULL;
	}
	c->nsending = 0;
}

/*
 * Build the JSON of one message (events, sync and history share it).  A
 * deletion record (deletes != 0) has no cid and no body.
 */
struct json_object *
msg_json(int64_t id, int64_t ts, const char *from, const char *to,
    const char *cid, const uint8_t *body, size_t bodylen, const char *file,
    int64_t deletes)
{
	struct json_object	*obj;
	size_t			 b64len = sec_b64_len(bodylen);
	char			*b64;

	obj = json_object_new_object();
	json_object_object_add(obj, "id", json_object_new_int64(id));
	json_object_object_add(obj, "ts", json_object_new_int64(ts));
	json_object_object_add(obj, "from", json_object_new_string(from));
	json_object_object_add(obj, "to", json_object_new_string(to));
	if (deletes != 0) {
		json_object_object_add(obj, "deletes",
		    json_object_new_int64(deletes));
		return (obj);
	}
	b64 = xmalloc(b64len);
	if (sec_b64_encode(body, bodylen, b64, b64len) == NULL)
		b64[0] = '\0';
	json_object_object_add(obj, "cid", json_object_new_string(cid));
	json_object_object_add(obj, "body",
	    json_object_new_string_len(b64, (int)strlen(b64)));
	free(b64);
	if (file != NULL && file[0] != '\0')
		json_object_object_add(obj, "file",
		    json_object_new_string(file));
	return (obj);
}

/* What a message adds to a page, in bytes, at most. */
static size_t
msg_json_size(const struct store_msg *m)
{
	return (sec_b64_len(m->bodylen) + strlen(m->from) + strlen(m->to) +
	    strlen(m->cid) + (m->file != NULL ? strlen(m->file) : 0) +
	    MSG_JSON_OVERHEAD);
}

/*
 * Push a committed message (or deletion record) to its readers: a room's
 * members now, everyone for #general, a DM's two parties.
 */
static void
msg_publish(struct bus_msg *bm)
{
	int64_t	*members = NULL;

	bm->members = NULL;
	bm->nmembers = 0;
	if (bm->room_id != 0 && bm->room_id != STORE_GENERAL_ROOM) {
		if (rooms_member_ids(bm->room_id, &members,
		    &bm->nmembers) != 0) {
			log_warnx("msg: members of room %lld unknown; message "
			    "%lld not pushed", (long long)bm->room_id,
			    (long long)bm->id);
			return;
		}
		bm->members = members;
	}
	bus_publish_message(bm);
	free(members);
}

/* Ack every entry of a failed batch with an internal error. */
static void
msg_batch_fail(struct msg_entries *batch)
{
	struct msg_entry	*e;

	TAILQ_FOREACH(e, batch, entry) {
		if (e->c != NULL)
			cmd_error(e->c, e->id, CS_ERR_INTERNAL,
			    "message not stored; retry", NULL);
	}
}

/* Ack each send of a committed (or failed) batch, publish its messages. */
static void
msg_batch_done(struct msg_entries *batch, int failed)
{
	struct msg_entry	*e, *e1;
	struct bus_msg		 bm;
	struct json_object	*result;

	if (failed)
		msg_batch_fail(batch);
	TAILQ_FOREACH_SAFE(e, batch, entry, e1) {
		if (!failed && e->err != 0) {
			if (e->c != NULL)
				cmd_error(e->c, e->id, e->err, "the file is "
				    "already announced by another message, "
				    "or not yours to announce here", NULL);
		} else if (!failed && e->c != NULL) {
			result = json_object_new_object();
			json_object_object_add(result, "id",
			    json_object_new_int64(e->msg_id));
			json_object_object_add(result, "ts",
			    json_object_new_int64(e->ts));
			json_object_object_add(result, "dup",
			    json_object_new_boolean(e->dup));
			json_object_object_add(result, "to",
			    json_object_new_string(e->to));
			cmd_reply(e->c, e->id, result);
		}
		if (!failed && !e->dup && e->err == 0) {
			memset(&bm, 0, sizeof bm);
			bm.id = e->msg_id;
			bm.ts = e->ts;
			bm.sender_id = e->sender_id;
			bm.room_id = e->room_id;
			bm.rcpt_id = e->rcpt_id;
			bm.from = e->from;
			bm.to = e->to;
			bm.cid = e->cid;
			bm.body = e->body;
			bm.bodylen = e->bodylen;
			bm.file = e->file;
			msg_publish(&bm);
			if (e->msg_id > msg_published)
				msg_published = e->msg_id;
		}
		if (e->c != NULL)
			e->c->nsending--;
		TAILQ_REMOVE(batch, e, entry);
		msg_entry_free(e);
	}
}

/* The log is synced: the batch is on disk (server-fsync.c). */
static void
msg_synced(void *arg)
{
	msg_batch_done(&msg_syncing, 0);
	if (msg_nbatch != 0 || audit_pending() != 0 ||
	    auth_touch_pending() != 0)
		msg_schedule();
}

/*
 * Commit the batch and the queued audit rows in one transaction, then hand
 * the log to the fsync thread; msg_synced() acks and publishes.  Audit rows
 * and session times alone need no sync: their commit survives chatsecd's
 * crash, and the next batch with a message makes them durable with it.
 * Without a log to sync (an in-memory store) the commit is durable itself.
 * A failure stores nothing and every sender is told so (the cid makes a
 * retry safe).  While the last batch waits for its sync nothing is
 * committed: the batch grows and msg_synced() asks for the next turn.
 */
void
msg_flush(void)
{
	struct msg_entries	 batch = TAILQ_HEAD_INITIALIZER(batch);
	struct msg_entry	*e;
	struct store_msg	 sm;
	int64_t			 ts;
	int			 rc, failed = 0, logfd;

	if (msg_flushing || !TAILQ_EMPTY(&msg_syncing) || (msg_nbatch == 0 &&
	    audit_pending() == 0 && auth_touch_pending() == 0))
		return;
	msg_flushing = 1;
	TAILQ_CONCAT(&batch, &msg_batch, entry);
	msg_nbatch = 0;
	client_resume_waiting();

	ts = clock_now_ms();
	if (ts < msg_last_ts)
		ts = msg_last_ts;
	msg_last_ts = ts;

	logfd = TAILQ_EMPTY(&batch) ? -1 : store_log_fd(server_store);
	if ((TAILQ_EMPTY(&batch) || logfd != -1 ?
	    store_begin_lazy(server_store) : store_begin(server_store)) != 0)
		failed = 1;
	else {
		if (audit_flush(server_store) != 0)
			log_warnx("msg: audit rows lost");
		if (auth_touch_flush(server_store) != 0)
			log_warnx("msg: session last-used times lost");
		TAILQ_FOREACH(e, &batch, entry) {
			memset(&sm, 0, sizeof sm);
			sm.ts = ts;
			sm.sender_id = e->sender_id;
			sm.room_id = e->room_id;
			sm.rcpt_id = e->rcpt_id;
			sm.cid = e->cid;
			sm.body = e->body;
			sm.bodylen = e->bodylen;
			if ((rc = store_msg_insert(server_store, &sm)) == -1) {
				failed = 1;
				break;
			}
			e->msg_id = sm.id;
			e->ts = rc == STORE_EXISTS ? sm.ts : ts;
			e->dup = rc == STORE_EXISTS;
			if (e->dup || e->file[0] == '\0')
				continue;
			/* Announce the file, or take the message back. */
			rc = store_file_announce(server_store, e->file,
			    e->sender_id, e->room_id, e->rcpt_id, e->msg_id);
			if (rc == STORE_NOTFOUND) {
				e->err = CS_ERR_FILE_ATTACH;
				rc = store_msg_remove(server_store, e->msg_id);
			}
			if (rc == -1) {
				failed = 1;
				break;
			}
		}
		if (failed)
			store_rollback(server_store);
		else if (store_commit(server_store) != 0)
			failed = 1;
	}
	audit_free();
	auth_touch_clear();

	if (!failed && logfd != -1) {
		TAILQ_CONCAT(&msg_syncing, &batch, entry);
		fsync_after(logfd, msg_synced, NULL);
	} else
		msg_batch_done(&batch, failed);
	msg_flushing = 0;
	if (TAILQ_EMPTY(&msg_syncing) && (msg_nbatch != 0 ||
	    audit_pending() != 0 || auth_touch_pending() != 0))
		msg_schedule();
}

/* Whether the batch is full: logged-in connections wait to be read. */
int
msg_batch_full(void)
{
	return (msg_nbatch >= (size_t)server_cfg.batch_max);
}

/* Wait for the batch's sync: what is committed is then acked and sent. */
void
msg_drain(void)
{
	while (!TAILQ_EMPTY(&msg_syncing))
		fsync_wait();
}

/* Commit everything now and wait for the disk (a full queue, shutdown). */
void
msg_flush_wait(void)
{
	msg_drain();
	msg_flush();
	msg_drain();
}

/* The batch event: end of a loop turn. */
static void
msg_batch_cb(evutil_socket_t fd, short events, void *arg)
{
	msg_flush();
}

/* Whether cid is 1..CS_CID_MAX characters of [A-Za-z0-9_-]. */
static int
msg_cid_ok(const char *cid)
{
	size_t	 len = strlen(cid);

	return (len >= 1 && len <= CS_CID_MAX && strspn(cid,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-") == len);
}

/*
 * Resolve a conversation name: a room ("#general") sets *room, a username
 * sets *account and copies the registered spelling into name.  Returns 0,
 * STORE_NOTFOUND or -1.
 */
int
msg_resolve(const char *conv, int64_t *room, int64_t *account, char *name,
    size_t namelen)
{
	struct store_account	 a;
	struct store_room	 r;
	char			 folded[NAME_USER_MAX + 1];
	char			 rfolded[NAME_ROOM_SIZE];
	int			 rc;

	*room = *account = 0;
	if (conv[0] == '#') {
		if (name_room_check(conv) != NULL)
			return (STORE_NOTFOUND);
		name_room_fold(conv, rfolded, sizeof rfolded);
		if ((rc = store_room_get(server_store, rfolded, &r)) == 0) {
			*room = r.id;
			snprintf(name, namelen, "%s", r.name);
		}
		return (rc);
	}
	if (name_user_check(conv) != NULL)
		return (STORE_NOTFOUND);
	name_fold(conv, folded, sizeof folded);
	if ((rc = store_account_by_name(server_store, folded, &a)) == 0) {
		*account = a.id;
		snprintf(name, namelen, "%s", a.name);
	}
	store_account_clear(&a);
	return (rc);
}

/* send: check, decode and queue for the next group commit. */
void
msg_cmd_send(struct client *c, struct rpc_req *req)
{
	struct msg_entry	*e;
	struct json_object	*data;
	const char		*to, *cid, *body, *file;
	char			 msg[512];
	size_t			 len;
	int64_t			 epoch;
	int			 n, rc;

	to = rpc_get_str(req->params, "to", "");
	cid = rpc_get_str(req->params, "cid", "");
	body = rpc_get_str(req->params, "body", "");

	if (!msg_cid_ok(cid)) {
		cmd_error(c, req->id, CS_ERR_PARAMS, "parameter cid: 1 to 64 "
		    "characters of A-Z a-z 0-9 _ -", NULL);
		return;
	}
	len = strlen(body);
	if (len > sec_b64_len(CS_BODY_MAX) - 1) {
		cmd_error(c, req->id, CS_ERR_BODY_TOO_BIG, NULL, NULL);
		return;
	}

	e = xcalloc(1, sizeof *e);
	rc = msg_resolve(to, &e->room_id, &e->rcpt_id, e->to, sizeof e->to);
	if (rc != 0) {
		if (rc == -1)
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		else if (to[0] == '#')
			cmd_error(c, req->id, CS_ERR_NO_SUCH_CONV, NULL, NULL);
		else
			cmd_error(c, req->id, CS_ERR_NO_SUCH_USER, NULL, NULL);
		msg_entry_free(e);
		return;
	}
	if (e->room_id != 0 && (rc = rooms_allowed(c, e->room_id, e->to,
	    RIGHT_SEND, msg, sizeof msg)) != 0) {
		cmd_error(c, req->id, rc, msg, NULL);
		msg_entry_free(e);
		return;
	}
	/*
	 * A room send sealed for the member list of an epoch: if members
	 * changed since, the agent reseals (doc/crypto.md).  A send without
	 * an epoch is not checked (the body is opaque either way).
	 */
	if (e->room_id != 0 && rpc_get(req->params, "epoch") != NULL) {
		if (store_room_epoch(server_store, e->room_id, &epoch) != 0) {
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
			msg_entry_free(e);
			return;
		}
		if (epoch != rpc_get_int(req->params, "epoch", -1)) {
			data = json_object_new_object();
			json_object_object_add(data, "epoch",
			    json_object_new_int64(epoch));
			cmd_error(c, req->id, CS_ERR_EPOCH, "room membership "
			    "changed: seal again for the current members",
			    data);
			msg_entry_free(e);
			return;
		}
	}
	file = rpc_get_str(req->params, "file", NULL);
	if (file != NULL && (rc = files_attachable(c, file, cid,
	    e->room_id, e->rcpt_id, msg, sizeof msg)) != 0) {
		cmd_error(c, req->id, rc, msg, NULL);
		msg_entry_free(e);
		return;
	}
	if (file != NULL)
		snprintf(e->file, sizeof e->file, "%s", file);
	e->body = xmalloc(len / 4 * 3 + 3);
	if ((n = sec_b64_decode(body, len, e->body, len / 4 * 3 + 3)) < 0) {
		cmd_error(c, req->id, CS_ERR_PARAMS,
		    "parameter body: not valid base64", NULL);
		msg_entry_free(e);
		return;
	}
	if (n > CS_BODY_MAX) {
		cmd_error(c, req->id, CS_ERR_BODY_TOO_BIG, NULL, NULL);
		msg_entry_free(e);
		return;
	}
	e->bodylen = n;
	e->c = c;
	e->id = json_object_get(req->id);
	e->sender_id = c->account_id;
	snprintf(e->from, sizeof e->from, "%s", client_user(c));
	snprintf(e->cid, sizeof e->cid, "%s", cid);

	TAILQ_INSERT_TAIL(&msg_batch, e, entry);
	msg_nbatch++;
	c->nsending++;
	if (msg_nbatch >= (size_t)server_cfg.batch_max)
		msg_flush();	/* or, while the disk syncs, senders wait */
	else
		msg_schedule();
}

/* A page of messages being built for sync or history. */
struct msg_page {
	struct json_object	*array;
	int			 count;
	int			 limit;
	size_t			 size;
	int			 more;
	int64_t			 last_id;
};

/* Row callback: add a message to the page unless it is full. */
static int
msg_page_add(void *arg, const struct store_msg *m)
{
	struct msg_page	*pg = arg;
	size_t		 size = msg_json_size(m);

	if (pg->count == pg->limit ||
	    (pg->count > 0 && pg->size + size > MSG_PAGE_BUDGET)) {
		pg->more = 1;
		return (1);
	}
	json_object_array_add(pg->array, msg_json(m->id, m->ts, m->from,
	    m->to, m->cid, m->body, m->bodylen, m->file, m->deletes));
	pg->count++;
	pg->size += size;
	pg->last_id = m->id;
	return (0);
}

/* sync: a page of what the account may see after since (or its cursor). */
void
msg_cmd_sync(struct client *c, struct rpc_req *req)
{
	struct store_account	 a;
	struct msg_page		 pg;
	struct json_object	*result, *revents;
	int64_t			 since, room_since = -1, room_last = 0;
	int			 rc, room_more = 0;

	if (rpc_get(req->params, "since") != NULL) {
		since = rpc_get_int(req->params, "since", 0);
		if (store_account_cursor(server_store, c->account_id,
		    since) != 0) {
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
			return;
		}
	} else {
		rc = store_account_by_id(server_store, c->account_id, &a);
		since = a.cursor;
		store_account_clear(&a);
		if (rc != 0) {
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
			return;
		}
	}

	memset(&pg, 0, sizeof pg);
	pg.array = json_object_new_array();
	pg.limit = CS_SYNC_PAGE;
	pg.last_id = since;
	if (store_msg_sync(server_store, c->account_id, since, msg_published,
	    CS_SYNC_PAGE + 1, msg_page_add, &pg) != 0) {
		json_object_put(pg.array);
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (rpc_get(req->params, "room_since") != NULL)
		room_since = rpc_get_int(req->params, "room_since", 0);
	if ((revents = rooms_sync(c->account_id, room_since, &room_more,
	    &room_last)) == NULL) {
		json_object_put(pg.array);
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	result = json_object_new_object();
	json_object_object_add(result, "messages", pg.array);
	json_object_object_add(result, "more", json_object_new_boolean(pg.more));
	json_object_object_add(result, "last_id",
	    json_object_new_int64(pg.last_id));
	json_object_object_add(result, "room_events", revents);
	json_object_object_add(result, "room_more",
	    json_object_new_boolean(room_more));
	json_object_object_add(result, "room_last",
	    json_object_new_int64(room_last));
	cmd_reply(c, req->id, result);
	if (!pg.more && !room_more)
		client_synced(c);
}

/* history: a page of one conversation before a message id, oldest first. */
void
msg_cmd_history(struct client *c, struct rpc_req *req)
{
	struct msg_page		 pg;
	struct json_object	*result, *array;
	const char		*conv;
	int64_t			 room, peer, before;
	char			 name[NAME_ROOM_SIZE], msg[512];
	int			 rc, i;

	conv = rpc_get_str(req->params, "conv", "");
	before = rpc_get_int(req->params, "before", INT64_MAX);
	if (before > msg_published)
		before = msg_published + 1;	/* only what is on disk */
	if ((rc = msg_resolve(conv, &room, &peer, name, sizeof name)) != 0) {
		cmd_error(c, req->id, rc == -1 ? CS_ERR_INTERNAL :
		    CS_ERR_NO_SUCH_CONV, NULL, NULL);
		return;
	}
	if (room != 0 && (rc = rooms_allowed(c, room, name, RIGHT_HISTORY,
	    msg, sizeof msg)) != 0) {
		cmd_error(c, req->id, rc, msg, NULL);
		return;
	}

	memset(&pg, 0, sizeof pg);
	pg.array = json_object_new_array();
	pg.limit = (int)rpc_get_int(req->params, "limit", 50);
	if (store_msg_history(server_store, room, c->account_id, peer, before,
	    pg.limit + 1, msg_page_add, &pg) != 0) {
		json_object_put(pg.array);
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}

	/* The store gives newest first; the page goes oldest first. */
	array = json_object_new_array_ext(pg.count);
	for (i = pg.count - 1; i >= 0; i--) {
		json_object_array_add(array,
		    json_object_get(json_object_array_get_idx(pg.array, i)));
	}
	json_object_put(pg.array);

	result = json_object_new_object();
	json_object_object_add(result, "messages", array);
	json_object_object_add(result, "more", json_object_new_boolean(pg.more));
	cmd_reply(c, req->id, result);
}

/* who: the users with at least one logged-in connection. */
void
msg_cmd_who(struct client *c, struct rpc_req *req)
{
	struct json_object	*result;

	result = json_object_new_object();
	client_who(result);
	cmd_reply(c, req->id, result);
}

/*
 * away: set the account's away text (text, checked by the rules in
 * names.h), or clear it (text empty or absent).  Others hear of it through
 * a presence event; a refused text changes nothing.
 */
void
msg_cmd_away(struct client *c, struct rpc_req *req)
{
	struct json_object	*v, *result;
	const char		*text = "", *why;
	char			 msg[128];
	size_t			 len = 0;
	int64_t			 wait;

	if ((v = rpc_get(req->params, "text")) != NULL) {
		text = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
	}
	if ((why = name_away_check(text, len)) != NULL) {
		snprintf(msg, sizeof msg, "parameter text: %s", why);
		cmd_error(c, req->id, CS_ERR_PARAMS, msg, NULL);
		return;
	}
	if ((wait = client_set_away(c, text)) > 0) {
		cmd_error_retry(c, req->id, wait);
		return;
	}
	result = json_object_new_object();
	json_object_object_add(result, "away", len > 0 ?
	    json_object_new_string(text) : NULL);
	cmd_reply(c, req->id, result);
}

/*
 * Whether c can see message m (the sync rule: its sender, its DM
 * recipient, a member of its room now); server admins see every message
 * for deletion's sake.  1, 0, or -1 on a storage failure.
 */
static int
msg_visible(struct client *c, const struct store_msg_ref *m)
{
	int	 role, muted, rc;

	if (c->is_admin || m->sender_id == c->account_id)
		return (1);
	if (m->room_id == 0)
		return (m->rcpt_id == c->account_id);
	rc = store_member_get(server_store, m->room_id, c->account_id, &role,
	    &muted);
	if (rc == -1)
		return (-1);
	return (rc == 0 && role >= STORE_ROLE_MEMBER);
}

/*
 * delete: remove a message's body and its file, and add a deletion record
 * to the message stream so every reader learns it in order (live and
 * through sync).  The sender may; in a room also its operators and owner;
 * server admins anywhere (the rights table decides).  Its own transaction:
 * a deletion is rare and must not wait for the batch.
 */
void
msg_cmd_delete(struct client *c, struct rpc_req *req)
{
	struct store_msg_ref	 m;
	struct right_ctx	 x;
	struct bus_msg		 bm;
	struct json_object	*result;
	char			 msg[512], detail[128];
	int64_t			 id, rec_id, ts;
	int			 rc;

	msg_drain();

	id = rpc_get_int(req->params, "id", 0);
	if ((rc = store_msg_get(server_store, id, &m)) == 0 &&
	    (m.deletes != 0 || m.deleted != 0))
		rc = STORE_NOTFOUND;
	if (rc == 0 && (rc = msg_visible(c, &m)) == 1)
		rc = 0;
	else if (rc == 0)
		rc = STORE_NOTFOUND;
	if (rc != 0) {
		if (rc == -1)
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		else {
			snprintf(msg, sizeof msg, "no such message: %lld",
			    (long long)id);
			cmd_error(c, req->id, CS_ERR_NO_SUCH_MSG, msg, NULL);
		}
		return;
	}
	if (m.sender_id != c->account_id) {
		if (m.room_id != 0)
			rc = rooms_allowed(c, m.room_id, m.to,
			    RIGHT_DELETE_MSG, msg, sizeof msg);
		else {
			memset(&x, 0, sizeof x);
			x.is_admin = c->is_admin;
			rc = rights_check(RIGHT_DELETE_DM, &x, msg,
			    sizeof msg);
		}
		if (rc != 0) {
			cmd_error(c, req->id, rc, msg, NULL);
			return;
		}
	}

	ts = clock_now_ms();
	if (ts < msg_last_ts)
		ts = msg_last_ts;
	msg_last_ts = ts;
	if (store_begin(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (store_msg_delete(server_store, &m, c->account_id, ts,
	    &rec_id) != 0 || store_commit(server_store) != 0) {
		store_rollback(server_store);
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (m.sender_id != c->account_id) {
		snprintf(detail, sizeof detail, "message %lld in %s",
		    (long long)id, m.to);
		audit_log("message-delete", client_user(c), client_addr(c),
		    detail);
		msg_schedule();
	}

	result = json_object_new_object();
	json_object_object_add(result, "id", json_object_new_int64(rec_id));
	json_object_object_add(result, "deletes", json_object_new_int64(id));
	cmd_reply(c, req->id, result);

	memset(&bm, 0, sizeof bm);
	bm.id = rec_id;
	bm.ts = ts;
	bm.sender_id = m.sender_id;
	bm.room_id = m.room_id;
	bm.rcpt_id = m.rcpt_id;
	bm.from = client_user(c);
	bm.to = m.to;
	bm.deletes = id;
	msg_publish(&bm);
	msg_published = rec_id;
}

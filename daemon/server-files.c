/* chatsec — chatsecd file transfer: ciphertext chunks.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "chatsecd.h"
#include "clock.h"
#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "sec.h"
#include "store.h"
#include "xmalloc.h"

/*
 * The file_* requests (doc/files.md, doc/protocol.md "Files").  The server
 * sees only opaque chunks: agents encrypt before file_put and decrypt after
 * file_get.  What it enforces is who may upload where (the send rules),
 * the size limit, the per-account quota (declared sizes of every file,
 * finished or not, so parallel uploads can't overshoot), at most
 * CS_FILE_UPLOADS_MAX unfinished uploads per account, chunk order and
 * sizes, and who may read (a room's members now, a DM's two parties).
 *
 * Each chunk is committed in its own transaction, not on the message
 * batch: a chunk is up to 64 KiB, and holding a batch of them in memory
 * would make message latency depend on file traffic.  The commit doesn't
 * wait for the disk: the reply waits (a small files_ack, not the chunk) for
 * the fsync thread's next sync of the log, so an upload neither stalls the
 * loop nor is acknowledged before it is on disk.  At most FILES_ACKS_MAX
 * replies wait at a time; past that, logged-in connections are not read
 * until the disk catches up (CLIENT_WAITING).  A client that pipelines
 * file_put without reading replies is paused like any other
 * (server-client.c), and the frame limit bounds what one request can
 * carry.
 */

#define FILES_KEEP_MS	(24LL * 3600 * 1000)	/* unannounced files live */
#define FILES_ACKS_MAX	256	/* file_put replies waiting for the disk */

/* A stored chunk's reply, waiting for the sync of the log. */
struct files_ack {
	struct client		*c;		/* NULL once it has gone */
	struct json_object	*id;		/* request id, owned */
	int64_t			 have;
	TAILQ_ENTRY(files_ack)	 entry;
};
TAILQ_HEAD(files_acks, files_ack);
static struct files_acks files_acks = TAILQ_HEAD_INITIALIZER(files_acks);
static size_t		 files_nacks;
#define FILES_ID_TRIES	4
/* The one answer for unknown, unreadable and unfinished: it tells nothing. */
#define FILES_NOT_FOUND	"no such file"

static uint8_t	 files_buf[CS_FILE_CHUNK_MAX];

/* Whether id is 32 lower-case hex digits. */
static int
files_id_ok(const char *id)
{
	return (strlen(id) == CS_FILE_ID_LEN &&
	    strspn(id, "0123456789abcdef") == CS_FILE_ID_LEN);
}

/*
 * Read the file named by the "file" parameter into f.  Returns 0, or -1
 * with 1062 (unknown) or -32603 answered.
 */
static int
files_lookup(struct client *c, struct rpc_req *req, struct store_file *f)
{
	const char	*id = rpc_get_str(req->params, "file", "");
	int		 rc;

	memset(f, 0, sizeof *f);
	if (!files_id_ok(id))
		rc = STORE_NOTFOUND;
	else
		rc = store_file_get(server_store, id, f);
	if (rc == -1) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return (-1);
	}
	if (rc != 0) {
		cmd_error(c, req->id, CS_ERR_NO_SUCH_FILE, FILES_NOT_FOUND,
		    NULL);
		return (-1);
	}
	return (0);
}

/* Whether c may read f: a member of its room now, or a party of its DM. */
static int
files_reader(struct client *c, const struct store_file *f)
{
	int	 role, muted;

	if (f->room_id == 0)
		return (c->account_id == f->owner_id ||
		    c->account_id == f->rcpt_id);
	if (store_member_get(server_store, f->room_id, c->account_id, &role,
	    &muted) != 0)
		return (0);
	return (role >= STORE_ROLE_MEMBER);
}

/* An error with data {"have":N}. */
static void
files_error_have(struct client *c, struct rpc_req *req, int code,
    const char *msg, int64_t have)
{
	struct json_object	*data;

	data = json_object_new_object();
	json_object_object_add(data, "have", json_object_new_int64(have));
	cmd_error(c, req->id, code, msg, data);
}

/* file_begin: start an upload to a conversation the caller may send to. */
void
files_cmd_begin(struct client *c, struct rpc_req *req)
{
	struct store_file	 f;
	struct json_object	*data, *result;
	const char		*to;
	char			 msg[512];
	uint8_t			 rnd[CS_FILE_ID_LEN / 2];
	int64_t			 size, chunks, used, unfinished;
	int			 rc, i;

	to = rpc_get_str(req->params, "to", "");
	size = rpc_get_int(req->params, "size", 0);
	chunks = rpc_get_int(req->params, "chunks", 0);
	if (size < chunks * 17 || size > chunks * CS_FILE_CHUNK_MAX) {
		snprintf(msg, sizeof msg, "parameters size and chunks: %lld "
		    "chunks hold %lld to %lld bytes", (long long)chunks,
		    (long long)chunks * 17,
		    (long long)chunks * CS_FILE_CHUNK_MAX);
		cmd_error(c, req->id, CS_ERR_PARAMS, msg, NULL);
		return;
	}

	memset(&f, 0, sizeof f);
	rc = msg_resolve(to, &f.room_id, &f.rcpt_id, f.to, sizeof f.to);
	if (rc != 0) {
		if (rc == -1)
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		else if (to[0] == '#')
			cmd_error(c, req->id, CS_ERR_NO_SUCH_CONV, NULL, NULL);
		else
			cmd_error(c, req->id, CS_ERR_NO_SUCH_USER, NULL, NULL);
		return;
	}
	if (f.room_id != 0 && (rc = rooms_allowed(c, f.room_id, f.to,
	    RIGHT_SEND, msg, sizeof msg)) != 0) {
		cmd_error(c, req->id, rc, msg, NULL);
		return;
	}

	if (size > server_cfg.max_file_size) {
		snprintf(msg, sizeof msg, "file too big: %lld bytes, this "
		    "server takes at most %lld", (long long)size,
		    server_cfg.max_file_size);
		data = json_object_new_object();
		json_object_object_add(data, "max",
		    json_object_new_int64(server_cfg.max_file_size));
		cmd_error(c, req->id, CS_ERR_FILE_TOO_BIG, msg, data);
		return;
	}
	if (store_file_usage(server_store, c->account_id, &used,
	    &unfinished) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (size > server_cfg.file_quota - used) {
		snprintf(msg, sizeof msg, "file quota exceeded: your files "
		    "take %lld of %lld bytes", (long long)used,
		    server_cfg.file_quota);
		data = json_object_new_object();
		json_object_object_add(data, "quota",
		    json_object_new_int64(server_cfg.file_quota));
		json_object_object_add(data, "used",
		    json_object_new_int64(used));
		cmd_error(c, req->id, CS_ERR_QUOTA, msg, data);
		return;
	}
	if (unfinished >= CS_FILE_UPLOADS_MAX) {
		snprintf(msg, sizeof msg, "too many unfinished uploads (%d): "
		    "finish one first, or wait until it expires",
		    CS_FILE_UPLOADS_MAX);
		cmd_error(c, req->id, CS_ERR_UPLOADS, msg, NULL);
		return;
	}

	f.owner_id = c->account_id;
	f.size = size;
	f.chunks = chunks;
	f.created = clock_now_ms();
	for (i = 0, rc = STORE_EXISTS; i < FILES_ID_TRIES && rc == STORE_EXISTS;
	    i++) {
		sec_random(rnd, sizeof rnd);
		sec_hex(rnd, sizeof rnd, f.id);
		rc = store_file_create(server_store, &f);
	}
	if (rc != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	log_debug("client %llu: file %s: %lld bytes in %lld chunks to %s",
	    (unsigned long long)c->id, f.id, (long long)size,
	    (long long)chunks, log_safe(f.to));

	result = json_object_new_object();
	json_object_object_add(result, "file", json_object_new_string(f.id));
	json_object_object_add(result, "chunk_max",
	    json_object_new_int(CS_FILE_CHUNK_MAX));
	cmd_reply(c, req->id, result);
}

/* file_put's reply: how many chunks the file has. */
static void
files_reply_have(struct client *c, struct json_object *id, int64_t have)
{
	struct json_object	*result;

	result = json_object_new_object();
	json_object_object_add(result, "have", json_object_new_int64(have));
	cmd_reply(c, id, result);
}

/* The log is synced: the chunk is on disk, reply. */
static void
files_put_synced(void *arg)
{
	struct files_ack	*a = arg;

	TAILQ_REMOVE(&files_acks, a, entry);
	if (files_nacks-- == FILES_ACKS_MAX)
		client_resume_waiting();
	if (a->c != NULL)
		files_reply_have(a->c, a->id, a->have);
	json_object_put(a->id);
	free(a);
}

/* file_put: store the next chunk of one of the caller's uploads. */
void
files_cmd_put(struct client *c, struct rpc_req *req)
{
	struct store_file	 f;
	struct files_ack	*a;
	struct json_object	*result;
	const char		*b64;
	uint8_t			*data;
	char			 msg[256];
	size_t			 len, cap;
	int64_t			 seq, left, rest;
	int			 n, logfd;

	if (files_lookup(c, req, &f) != 0)
		return;
	if (f.owner_id != c->account_id || f.done) {
		cmd_error(c, req->id, CS_ERR_NO_SUCH_FILE, FILES_NOT_FOUND,
		    NULL);
		return;
	}
	seq = rpc_get_int(req->params, "seq", 0);
	if (seq < f.have) {
		/* A resend after a lost reply: already stored. */
		result = json_object_new_object();
		json_object_object_add(result, "have",
		    json_object_new_int64(f.have));
		cmd_reply(c, req->id, result);
		return;
	}
	if (seq >= f.chunks) {
		snprintf(msg, sizeof msg, "chunk %lld: the file has %lld "
		    "chunks", (long long)seq, (long long)f.chunks);
		files_error_have(c, req, CS_ERR_CHUNK, msg, f.have);
		return;
	}
	if (seq > f.have) {
		snprintf(msg, sizeof msg, "chunk %lld out of order: send "
		    "chunk %lld next", (long long)seq, (long long)f.have);
		files_error_have(c, req, CS_ERR_CHUNK, msg, f.have);
		return;
	}

	b64 = rpc_get_str(req->params, "data", "");
	len = strlen(b64);
	cap = len / 4 * 3 + 3;
	data = xmalloc(cap);
	if ((n = sec_b64_decode(b64, len, data, cap)) < 1 ||
	    n > CS_FILE_CHUNK_MAX) {
		free(data);
		snprintf(msg, sizeof msg, "parameter data: base64 of 1 to %d "
		    "bytes", CS_FILE_CHUNK_MAX);
		cmd_error(c, req->id, CS_ERR_PARAMS, msg, NULL);
		return;
	}

	/* What is left after this chunk must fit the chunks left. */
	left = f.chunks - seq - 1;
	rest = f.size - f.bytes - n;
	msg[0] = '\0';
	if (rest < 0)
		snprintf(msg, sizeof msg, "chunk %lld: %d bytes would pass "
		    "the file's size (%lld)", (long long)seq, n,
		    (long long)f.size);
	else if (left == 0 && rest != 0)
		snprintf(msg, sizeof msg, "chunk %lld is the last: it must "
		    "bring the file to its size (%lld bytes short)",
		    (long long)seq, (long long)rest);
	else if (rest < left * 17 || rest > left * CS_FILE_CHUNK_MAX)
		snprintf(msg, sizeof msg, "chunk %lld: %d bytes leave %lld "
		    "for %lld chunks", (long long)seq, n, (long long)rest,
		    (long long)left);
	if (msg[0] != '\0') {
		free(data);
		files_error_have(c, req, CS_ERR_CHUNK, msg, f.have);
		return;
	}

	logfd = store_log_fd(server_store);
	if ((logfd != -1 ? store_begin_lazy(server_store) :
	    store_begin(server_store)) != 0 ||
	    store_file_chunk_put(server_store, f.id, seq, data, (size_t)n,
	    clock_now_ms()) != 0) {
		store_rollback(server_store);
		free(data);
		cmd_error(c, req->id, CS_ERR_INTERNAL, "chunk not stored; "
		    "retry", NULL);
		return;
	}
	free(data);
	if (store_commit(server_store) != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, "chunk not stored; "
		    "retry", NULL);
		return;
	}
	if (logfd == -1) {
		files_reply_have(c, req->id, seq + 1);
		return;
	}
	a = xcalloc(1, sizeof *a);
	a->c = c;
	a->id = json_object_get(req->id);
	a->have = seq + 1;
	TAILQ_INSERT_TAIL(&files_acks, a, entry);
	files_nacks++;
	fsync_after(logfd, files_put_synced, a);
}

/* Whether file_put replies waiting for the disk are at their bound. */
int
files_acks_full(void)
{
	return (files_nacks >= FILES_ACKS_MAX);
}

/* A connection went away: its waiting replies are dropped. */
void
files_client_gone(struct client *c)
{
	struct files_ack	*a;

	TAILQ_FOREACH(a, &files_acks, entry) {
		if (a->c == c)
			a->c = NULL;
	}
}

/* file_end: every chunk is in; the file becomes finished and immutable. */
void
files_cmd_end(struct client *c, struct rpc_req *req)
{
	struct store_file	 f;
	struct json_object	*result;
	char			 msg[128];

	if (files_lookup(c, req, &f) != 0)
		return;
	if (f.owner_id != c->account_id) {
		cmd_error(c, req->id, CS_ERR_NO_SUCH_FILE, FILES_NOT_FOUND,
		    NULL);
		return;
	}
	if (!f.done) {
		if (f.have < f.chunks) {
			snprintf(msg, sizeof msg, "chunks missing: %lld of "
			    "%lld stored", (long long)f.have,
			    (long long)f.chunks);
			files_error_have(c, req, CS_ERR_CHUNK, msg, f.have);
			return;
		}
		if (store_file_finish(server_store, f.id,
		    clock_now_ms()) != 0) {
			cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
			return;
		}
	}
	/* A repeated file_end (the reply was lost) gets the same answer. */
	result = json_object_new_object();
	json_object_object_add(result, "file", json_object_new_string(f.id));
	json_object_object_add(result, "size", json_object_new_int64(f.size));
	cmd_reply(c, req->id, result);
}

/* file_status: how far an upload is (uploader) or what a file is (readers). */
void
files_cmd_status(struct client *c, struct rpc_req *req)
{
	struct store_file	 f;
	struct json_object	*result;

	if (files_lookup(c, req, &f) != 0)
		return;
	if (f.owner_id != c->account_id && (!f.done || !files_reader(c, &f))) {
		cmd_error(c, req->id, CS_ERR_NO_SUCH_FILE, FILES_NOT_FOUND,
		    NULL);
		return;
	}
	result = json_object_new_object();
	json_object_object_add(result, "file", json_object_new_string(f.id));
	json_object_object_add(result, "from", json_object_new_string(f.owner));
	json_object_object_add(result, "to", json_object_new_string(f.to));
	json_object_object_add(result, "size", json_object_new_int64(f.size));
	json_object_object_add(result, "chunks",
	    json_object_new_int64(f.chunks));
	json_object_object_add(result, "have", json_object_new_int64(f.have));
	json_object_object_add(result, "done",
	    json_object_new_boolean(f.done));
	cmd_reply(c, req->id, result);
}

/* file_get: one chunk of a finished file, for its readers only. */
void
files_cmd_get(struct client *c, struct rpc_req *req)
{
	struct store_file	 f;
	struct json_object	*result;
	char			*b64, msg[128];
	size_t			 len, b64len;
	int64_t			 seq;
	int			 rc;

	if (files_lookup(c, req, &f) != 0)
		return;
	/* Unfinished and unreadable answer exactly like unknown. */
	if (!f.done || !files_reader(c, &f)) {
		cmd_error(c, req->id, CS_ERR_NO_SUCH_FILE, FILES_NOT_FOUND,
		    NULL);
		return;
	}
	seq = rpc_get_int(req->params, "seq", 0);
	if (seq >= f.chunks) {
		snprintf(msg, sizeof msg, "parameter seq: the file has %lld "
		    "chunks (0 to %lld)", (long long)f.chunks,
		    (long long)(f.chunks - 1));
		cmd_error(c, req->id, CS_ERR_PARAMS, msg, NULL);
		return;
	}
	rc = store_file_chunk_get(server_store, f.id, seq, files_buf,
	    sizeof files_buf, &len);
	if (rc != 0) {
		cmd_error(c, req->id, CS_ERR_INTERNAL, NULL, NULL);
		return;
	}
	b64len = sec_b64_len(len);
	b64 = xmalloc(b64len);
	if (sec_b64_encode(files_buf, len, b64, b64len) == NULL)
		b64[0] = '\0';
	result = json_object_new_object();
	json_object_object_add(result, "seq", json_object_new_int64(seq));
	json_object_object_add(result, "data",
	    json_object_new_string_len(b64, (int)strlen(b64)));
	json_object_object_add(result, "last",
	    json_object_new_boolean(seq == f.chunks - 1));
	free(b64);
	cmd_reply(c, req->id, result);
}

/*
 * Whether the caller's send (with cid) to a conversation (room or rcpt)
 * may announce file id: the caller's, finished, for that conversation,
 * not announced yet, or announced by this very send (a resend, answered
 * as a dup).  0, or a code with msg set.  The batch commit checks again
 * (store_file_announce), so two sends can't announce one file.
 */
int
files_attachable(struct client *c, const char *id, const char *cid,
    int64_t room, int64_t rcpt, char *msg, size_t msglen)
{
	struct store_file	 f;
	const char		*why = NULL;
	int64_t			 mid;
	int			 rc;

	if (!files_id_ok(id)) {
		snprintf(msg, msglen, "parameter file: %d lower-case hex "
		    "digits", CS_FILE_ID_LEN);
		return (CS_ERR_PARAMS);
	}
	if ((rc = store_file_get(server_store, id, &f)) == -1) {
		snprintf(msg, msglen, "internal error");
		return (CS_ERR_INTERNAL);
	}
	if (rc != 0 || f.owner_id != c->account_id)
		why = "no such file of yours";
	else if (!f.done)
		why = "the file is not finished (file_end)";
	else if (f.room_id != room || f.rcpt_id != rcpt)
		why = "the file was uploaded for another conversation";
	else if (f.msg_id != 0 && (store_msg_by_cid(server_store,
	    c->account_id, cid, &mid) != 0 || mid != f.msg_id))
		why = "the file is already announced by another message";
	if (why == NULL)
		return (0);
	snprintf(msg, msglen, "%s", why);
	return (CS_ERR_FILE_ATTACH);
}

/* Housekeeping: remove uploads idle and files unannounced for 24 hours. */
void
files_maintain(void)
{
	int	 n;

	if (store_file_purge(server_store, clock_now_ms() - FILES_KEEP_MS,
	    &n) != 0)
		return;
	if (n > 0)
		log_info("files: %d unfinished or unannounced file%s removed "
		    "after 24 hours", n, n == 1 ? "" : "s");
}

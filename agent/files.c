/* chatsec — the file transfer engine: uploads and downloads.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "sec.h"
#include "xmalloc.h"

#include "agent.h"
#include "crypto.h"

/*
 * Each transfer is a small state machine driven by the server's replies
 * (doc/files.md).  An upload: file_begin -> file_put of each chunk (at
 * most FILES_INFLIGHT at once, their ciphertext kept until acknowledged,
 * since a stream can't encrypt a chunk twice) -> file_end -> the sealed
 * file message through the outbox.  A download: file_get of each chunk
 * (at most FILES_INFLIGHT at once), decrypted and written in order to a
 * temporary file in the target folder, which gets its name once the
 * stream ended and the digest matches.
 *
 * When the link drops every request fails with CS_ERR_NOT_CONNECTED and
 * the transfer just waits; files_link_ready() resumes it: an upload asks
 * file_status and sends again from the server's `have`, a download asks
 * again for the next chunk it needs (its stream state and partial file
 * are kept).  Transfers live in memory; "xfer:<id>" in the local store
 * remembers each one's temporary file so that an agent restarted after a
 * crash reports it failed (`restarted`) and removes the file.
 */

#define FILES_MAX		8	/* transfers at once */
#define FILES_INFLIGHT		4	/* chunk requests per transfer */

enum files_state {
	FILES_UP_BEGIN,		/* file_begin */
	FILES_UP_PUT,		/* sending chunks */
	FILES_UP_STATUS,	/* file_status, to resume */
	FILES_UP_END,		/* file_end */
	FILES_UP_ANNOUNCE,	/* the file message is in the outbox */
	FILES_DOWN_GET,		/* fetching chunks */
};

struct files_xfer;

/* One chunk: in flight or waiting (upload: ciphertext until acked). */
struct files_slot {
	struct files_xfer	*x;
	int64_t			 seq;
	int64_t			 req_id;	/* 0: no request in flight */
	int			 full;		/* download: data arrived */
	size_t			 len;
	uint8_t			*data;		/* CS_FILE_CHUNK_MAX bytes */
};

struct files_xfer {
	char			 id[24];	/* "t12" */
	int			 up;
	enum files_state	 state;
	struct api_pending	*p;		/* "wait": answered at the end */
	char			*conv;		/* up: to; down: from */
	char			*name;		/* as shown (down: sanitized) */
	char			*type;
	char			*text;		/* up: the caption */
	char			*dir;		/* down: target folder */
	char			 file[CS_FILE_ID_LEN + 1];
	int64_t			 msg_id;	/* down: the file message */
	int64_t			 size;		/* plaintext bytes */
	int64_t			 chunks;
	int64_t			 next;		/* next seq to send / ask */
	int64_t			 acked;		/* up: have; down: written */
	int64_t			 done;		/* plaintext bytes */
	int64_t			 shown;		/* done at the last progress */
	int64_t			 req_id;	/* begin / status / end */
	int			 fd;
	char			 tmp[PATH_MAX];	/* down: the .part file */
	struct ccrypto_fstream	*fs;
	struct ccrypto_digest	*dg;
	uint8_t			 key[CCRYPTO_FILE_KEY_LEN];
	uint8_t			 hdr[CCRYPTO_FILE_HDR_LEN];
	uint8_t			 digest[CCRYPTO_DIGEST_LEN];
	uint8_t			*buf;		/* plaintext of one chunk */
	struct outbox_msg	*om;
	struct files_slot	 slot[FILES_INFLIGHT];
	TAILQ_ENTRY(files_xfer)	 entry;
};

static TAILQ_HEAD(, files_xfer) files_q = TAILQ_HEAD_INITIALIZER(files_q);
static unsigned int	 files_n;

static void	files_up_pump(struct files_xfer *);
static void	files_down_pump(struct files_xfer *);
static void	files_up_status(struct files_xfer *);

/* Extension -> media type; the rest is application/octet-stream. */
static const struct {
	const char	*ext;
	const char	*type;
} files_types[] = {
	{ "7z", "application/x-7z-compressed" },
	{ "avif", "image/avif" },
	{ "bz2", "application/x-bzip2" },
	{ "c", "text/x-c" },
	{ "css", "text/css" },
	{ "csv", "text/csv" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document" },
	{ "flac", "audio/flac" },
	{ "gif", "image/gif" },
	{ "gz", "application/gzip" },
	{ "h", "text/x-c" },
	{ "htm", "text/html" },
	{ "html", "text/html" },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "js", "text/javascript" },
	{ "json", "application/json" },
	{ "md", "text/markdown" },
	{ "mkv", "video/x-matroska" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "odp", "application/vnd.oasis.opendocument.presentation" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "ogg", "audio/ogg" },
	{ "opus", "audio/opus" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "pptx", "application/vnd.openxmlformats-officedocument."
	    "presentationml.presentation" },
	{ "py", "text/x-python" },
	{ "sh", "application/x-sh" },
	{ "svg", "image/svg+xml" },
	{ "tar", "application/x-tar" },
	{ "tgz", "application/gzip" },
	{ "txt", "text/plain" },
	{ "wav", "audio/wav" },
	{ "webm", "video/webm" },
	{ "webp", "image/webp" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet" },
	{ "xml", "application/xml" },
	{ "xz", "application/x-xz" },
	{ "zip", "application/zip" },
	{ "zst", "application/zstd" },
};

/* The media type guessed from name's extension (static). */
const char *
files_type_guess(const char *name)
{
	const char	*dot = strrchr(name, '.');
	size_t		 i;

	if (dot == NULL || dot == name)
		return ("application/octet-stream");
	for (i = 0; i < sizeof files_types / sizeof files_types[0]; i++) {
		if (strcasecmp(dot + 1, files_types[i].ext) == 0)
			return (files_types[i].type);
	}
	return ("application/octet-stream");
}

/* Number of chunks of a file of size bytes. */
int64_t
files_chunks(int64_t size)
{
	if (size <= 0)
		return (1);
	return (size / CS_FILE_CHUNK + (size % CS_FILE_CHUNK != 0));
}

/* How many transfers are running. */
unsigned int
files_count(void)
{
	return (files_n);
}

/* The store key remembering a transfer's temporary file. */
static void
files_store_key(const char *id, char *key, size_t len)
{
	snprintf(key, len, "xfer:%s", id);
}

/* Remember x in the store (see above). */
static void
files_remember(struct files_xfer *x)
{
	struct json_object	*o;
	char			 key[40];

	o = json_object_new_object();
	json_object_object_add(o, "direction",
	    json_object_new_string(x->up ? "up" : "down"));
	json_object_object_add(o, "name", json_object_new_string(x->name));
	json_object_object_add(o, "tmp", json_object_new_string(x->tmp));
	files_store_key(x->id, key, sizeof key);
	lstore_kv_set(key, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN|JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* A new transfer with the next id, counted and remembered. */
static struct files_xfer *
files_new(int up, const char *conv, const char *name)
{
	struct files_xfer	*x;
	int64_t			 n;
	int			 i;

	n = lstore_kv_get_int("files_next", 1);
	lstore_kv_set_int("files_next", n + 1);
	x = xcalloc(1, sizeof *x);
	snprintf(x->id, sizeof x->id, "t%lld", (long long)n);
	x->up = up;
	x->fd = -1;
	x->conv = xstrdup(conv);
	x->name = xstrdup(name);
	x->buf = xmalloc(CS_FILE_CHUNK);
	for (i = 0; i < FILES_INFLIGHT; i++) {
		x->slot[i].x = x;
		x->slot[i].data = xmalloc(CS_FILE_CHUNK_MAX);
	}
	TAILQ_INSERT_TAIL(&files_q, x, entry);
	files_n++;
	return (x);
}

/* Forget every request x has in flight (their answers are ignored). */
static void
files_cancel_requests(struct files_xfer *x)
{
	int	 i;

	for (i = 0; i < FILES_INFLIGHT; i++) {
		if (x->slot[i].req_id != 0)
			link_cancel(x->slot[i].req_id);
		x->slot[i].req_id = 0;
		x->slot[i].full = 0;
	}
	if (x->req_id != 0)
		link_cancel(x->req_id);
	x->req_id = 0;
}

/*
 * Unlink and free x: requests cancelled, secrets wiped, temp file gone,
 * and its record in the store too unless keep_record.
 */
static void
files_free(struct files_xfer *x, int keep_record)
{
	char	 key[40];
	int	 i;

	files_cancel_requests(x);
	if (x->om != NULL)
		outbox_detach(x->om);
	TAILQ_REMOVE(&files_q, x, entry);
	files_n--;
	files_store_key(x->id, key, sizeof key);
	if (!keep_record)
		lstore_kv_del(key);
	if (!x->up)
		files_save_discard(x->fd, x->tmp);
	else if (x->fd != -1)
		close(x->fd);
	ccrypto_fstream_free(x->fs);
	ccrypto_digest_free(x->dg);
	sec_wipe(x->key, sizeof x->key);
	sec_wipe(x->buf, CS_FILE_CHUNK);
	free(x->buf);
	for (i = 0; i < FILES_INFLIGHT; i++) {
		sec_wipe(x->slot[i].data, CS_FILE_CHUNK_MAX);
		free(x->slot[i].data);
	}
	free(x->conv);
	free(x->name);
	free(x->type);
	if (x->text != NULL)
		sec_wipe(x->text, strlen(x->text));
	free(x->text);
	free(x->dir);
	free(x);
}

/*
 * Emit file_progress for x: at the start (done 0), at the end, and in
 * between after each chunk, but no more often than every 1% of the file,
 * so that a large file does not flood the event log (which keeps the
 * newest AGENT_EVENTS_KEEP events): at most about 100 per transfer.
 */
static void
files_progress(struct files_xfer *x)
{
	struct json_object	*ev;
	int64_t			 step = x->size / 100;

	if (step < CS_FILE_CHUNK)
		step = CS_FILE_CHUNK;
	if (x->done != 0 && x->done != x->size && x->done - x->shown < step)
		return;
	x->shown = x->done;

	ev = json_object_new_object();
	json_object_object_add(ev, "transfer", json_object_new_string(x->id));
	json_object_object_add(ev, "direction",
	    json_object_new_string(x->up ? "up" : "down"));
	json_object_object_add(ev, "name", json_object_new_string(x->name));
	json_object_object_add(ev, "done", json_object_new_int64(x->done));
	json_object_object_add(ev, "total", json_object_new_int64(x->size));
	events_emit("file_progress", NULL, ev);
}

/*
 * The API error a waiting caller gets for a failure: the server's code if
 * there was one, else one that says what kind of failure it was.
 */
static int
files_fail_code(const char *reason, int code)
{
	if (code != 0)
		return (code);
	if (strcmp(reason, "integrity") == 0)
		return (CS_ERR_MISMATCH);
	if (strcmp(reason, "io") == 0)
		return (CS_ERR_PATH);
	if (strcmp(reason, "not_found") == 0)
		return (CS_ERR_NO_SUCH_FILE);
	return (CS_ERR_STATE);
}

/*
 * End x with a failure: a file_failed event (reason from doc/files.md,
 * message for people; code the server's error, or 0), the waiting caller
 * answered, the partial file removed, x freed.
 */
static void
files_fail(struct files_xfer *x, const char *reason, int code,
    const char *message)
{
	struct json_object	*ev, *data;

	log_info("%s: transfer %s (%s %s): %s: %s", __func__, x->id,
	    x->up ? "to" : "from", log_safe(x->conv), reason,
	    log_safe(message));
	ev = json_object_new_object();
	json_object_object_add(ev, "transfer", json_object_new_string(x->id));
	json_object_object_add(ev, "direction",
	    json_object_new_string(x->up ? "up" : "down"));
	json_object_object_add(ev, "name", json_object_new_string(x->name));
	json_object_object_add(ev, "reason", json_object_new_string(reason));
	json_object_object_add(ev, "message",
	    json_object_new_string(message));
	if (code != 0)
		json_object_object_add(ev, "code", json_object_new_int(code));
	events_emit("file_failed", NULL, ev);
	if (x->p != NULL) {
		data = json_object_new_object();
		json_object_object_add(data, "transfer",
		    json_object_new_string(x->id));
		json_object_object_add(data, "reason",
		    json_object_new_string(reason));
		api_error(x->p, files_fail_code(reason, code), message, data);
		x->p = NULL;
	}
	files_free(x, 0);
}

/* Fail x because the server refused (code, message). */
static void
files_fail_wire(struct files_xfer *x, int code, const char *message)
{
	const char	*reason;

	switch (code) {
	case CS_ERR_FILE_TOO_BIG:
		reason = "too_big";
		break;
	case CS_ERR_QUOTA:
		reason = "quota";
		break;
	case CS_ERR_NO_SUCH_FILE:
	case CS_ERR_NO_SUCH_MSG:
		reason = "not_found";
		break;
	case CS_ERR_FORBIDDEN:
	case CS_ERR_NO_SUCH_USER:
	case CS_ERR_NO_SUCH_CONV:
	case CS_ERR_NO_SUCH_ROOM:
	case CS_ERR_NOT_MEMBER:
	case CS_ERR_MUTED:
	case CS_ERR_BANNED:
	case CS_ERR_UPLOADS:
	case CS_ERR_FILE_ATTACH:
	case CS_ERR_NO_KEYS:
	case CS_ERR_KEYS_LOCKED:
	case CS_ERR_KEYS_MISSING:
	case CS_ERR_KEY_CHANGED:
	case CS_ERR_AUTH_REQUIRED:
	case CS_ERR_SESSION:
		reason = "refused";
		break;
	default:
		reason = "io";
		break;
	}
	files_fail(x, reason, code, message != NULL ? message :
	    rpc_strerror(code));
}

/* Whether requests can go to the server now. */
static int
files_link_ok(void)
{
	return (link_get_state() == LINK_READY && link_logged_in());
}

/* An integer member of a result, or -1. */
static int64_t
files_get_int(struct json_object *o, const char *name)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (-1);
	return (json_object_get_int64(v));
}

/* ---- uploads -------------------------------------------------------- */

/* The file message is posted (or could not be). */
static void
files_announce_cb(void *arg, int code, const char *message,
    struct json_object *result)
{
	struct files_xfer	*x = arg;
	struct json_object	*ev, *r;
	int64_t			 id;

	x->om = NULL;
	if (code != 0) {
		files_fail_wire(x, code, message);
		return;
	}
	id = files_get_int(result, "id");
	ev = json_object_new_object();
	json_object_object_add(ev, "transfer", json_object_new_string(x->id));
	json_object_object_add(ev, "id", json_object_new_int64(id));
	json_object_object_add(ev, "to", json_object_new_string(x->conv));
	json_object_object_add(ev, "name", json_object_new_string(x->name));
	json_object_object_add(ev, "size", json_object_new_int64(x->size));
	events_emit("file_sent", NULL, ev);
	log_info("%s: transfer %s: %s sent to %s as message %lld", __func__,
	    x->id, log_safe(x->name), log_safe(x->conv), (long long)id);
	if (x->p != NULL) {
		r = json_object_new_object();
		json_object_object_add(r, "transfer",
		    json_object_new_string(x->id));
		json_object_object_add(r, "to",
		    json_object_new_string(x->conv));
		json_object_object_add(r, "name",
		    json_object_new_string(x->name));
		json_object_object_add(r, "size",
		    json_object_new_int64(x->size));
		json_object_object_add(r, "id", json_object_new_int64(id));
		api_reply(x->p, r);
		x->p = NULL;
	}
	files_free(x, 0);
}

/*
 * The sealed JSON of a file message (doc/files.md, content type 02): a new
 * object, owned by the caller, who wipes it (it holds the key).
 */
static struct json_object *
files_meta(const char *file, const char *name, int64_t size,
    const char *type, const char *digest, const char *key,
    const char *header, const char *text)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "v", json_object_new_int(1));
	json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "size", json_object_new_int64(size));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "digest", json_object_new_string(digest));
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "header", json_object_new_string(header));
	json_object_object_add(o, "chunks",
	    json_object_new_int64(files_chunks(size)));
	if (text != NULL && text[0] != '\0')
		json_object_object_add(o, "text", json_object_new_string(text));
	return (o);
}

/* The JSON of a file message's text (in files_meta's form). */
static const char *
files_meta_str(struct json_object *o)
{
	return (json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN|
	    JSON_C_TO_STRING_NOSLASHESCAPE));
}

/*
 * 1 if a file message with this name, type and caption fits
 * FILES_META_MAX (checked before uploading, not after).
 */
int
files_meta_fits(const char *name, const char *type, const char *text)
{
	struct json_object	*o;
	char			 hex[2 * CCRYPTO_DIGEST_LEN + 1];
	char			 id[CS_FILE_ID_LEN + 1], b64[64];
	int			 fits;

	memset(hex, '0', sizeof hex - 1);
	hex[sizeof hex - 1] = '\0';
	memcpy(id, hex, CS_FILE_ID_LEN);
	id[CS_FILE_ID_LEN] = '\0';
	memset(b64, 'A', sizeof b64 - 1);
	b64[sec_b64_len(CCRYPTO_FILE_KEY_LEN) - 1] = '\0';
	/* A size with as many digits as any real one. */
	o = files_meta(id, name, (int64_t)999999999999999, type, hex, b64,
	    b64, text);
	fits = strlen(files_meta_str(o)) <= FILES_META_MAX;
	json_object_put(o);
	return (fits);
}

/* Every chunk is stored and the file finished: post its message. */
static void
files_up_announce(struct files_xfer *x)
{
	struct json_object	*o;
	char			 hex[2 * CCRYPTO_DIGEST_LEN + 1];
	char			 k64[64], h64[64], cid[25];
	uint8_t			 rnd[12];

	x->state = FILES_UP_ANNOUNCE;
	sec_hex(x->digest, sizeof x->digest, hex);
	sec_b64_encode(x->key, sizeof x->key, k64, sizeof k64);
	sec_b64_encode(x->hdr, sizeof x->hdr, h64, sizeof h64);
	o = files_meta(x->file, x->name, x->size, x->type, hex, k64, h64,
	    x->text);
	sec_random(rnd, sizeof rnd);
	sec_hex(rnd, sizeof rnd, cid);
	x->om = outbox_submit_file(x->conv, files_meta_str(o), x->file, cid,
	    files_announce_cb, x);
	sec_wipe(k64, sizeof k64);
	agent_wipe_json(o);
	json_object_put(o);
	if (x->om == NULL)
		files_fail(x, "io", CS_ERR_NOT_CONNECTED, "too many messages "
		    "are waiting to be sent");
}

/* Answer to file_end. */
static void
files_end_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct files_xfer	*x = arg;

	x->req_id = 0;
	if (code == CS_ERR_NOT_CONNECTED)
		return;			/* file_status after the reconnect */
	if (code == CS_ERR_CHUNK || code == CS_ERR_TIMEOUT) {
		files_up_status(x);
		return;
	}
	if (code != 0) {
		files_fail_wire(x, code, message);
		return;
	}
	files_up_announce(x);
}

/* All chunks are acknowledged: finish the file on the server. */
static void
files_up_end(struct files_xfer *x)
{
	struct json_object	*params;

	x->state = FILES_UP_END;
	if (!files_link_ok())
		return;
	params = json_object_new_object();
	json_object_object_add(params, "file", json_object_new_string(x->file));
	if (link_request("file_end", params, AGENT_REQ_TIMEOUT, files_end_cb,
	    x, &x->req_id) != 0)
		x->req_id = 0;
}

/* Send the chunk kept in slot s (again, after a reconnect). */
static void
files_up_put(struct files_slot *s);

/* Answer to file_put. */
static void
files_put_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct files_slot	*s = arg;
	struct files_xfer	*x = s->x;
	int64_t			 have;

	s->req_id = 0;
	if (code == CS_ERR_NOT_CONNECTED)
		return;
	if (code == CS_ERR_CHUNK && x->state == FILES_UP_PUT) {
		/* Out of step with the server: ask where it is. */
		files_up_status(x);
		return;
	}
	if (code != 0) {
		if (x->state == FILES_UP_PUT)
			files_fail_wire(x, code, message);
		return;
	}
	if (x->state != FILES_UP_PUT)
		return;
	have = files_get_int(result, "have");
	if (have < 0 || have > x->next) {
		files_fail(x, "io", 0, "the server's answer makes no sense");
		return;
	}
	if (have > x->acked) {
		x->acked = have;
		x->done = x->acked == x->chunks ? x->size :
		    x->acked * CS_FILE_CHUNK;
		files_progress(x);
	}
	if (x->acked == x->chunks)
		files_up_end(x);
	else
		files_up_pump(x);
}

static void
files_up_put(struct files_slot *s)
{
	struct files_xfer	*x = s->x;
	struct json_object	*params;
	char			*b64;
	size_t			 b64len = sec_b64_len(s->len);

	b64 = xmalloc(b64len);
	sec_b64_encode(s->data, s->len, b64, b64len);
	params = json_object_new_object();
	json_object_object_add(params, "file", json_object_new_string(x->file));
	json_object_object_add(params, "seq", json_object_new_int64(s->seq));
	json_object_object_add(params, "data", json_object_new_string(b64));
	free(b64);
	if (link_request("file_put", params, 0, files_put_cb, s,
	    &s->req_id) != 0)
		s->req_id = 0;
}

/*
 * Read, hash and encrypt chunks and send them while fewer than
 * FILES_INFLIGHT are unacknowledged.
 */
static void
files_up_pump(struct files_xfer *x)
{
	struct files_slot	*s;
	int64_t			 off;
	size_t			 len;
	ssize_t			 n;
	char			 msg[128];

	while (x->state == FILES_UP_PUT && files_link_ok() &&
	    x->next < x->chunks && x->next - x->acked < FILES_INFLIGHT) {
		s = &x->slot[x->next % FILES_INFLIGHT];
		off = x->next * CS_FILE_CHUNK;
		len = x->size - off > CS_FILE_CHUNK ? CS_FILE_CHUNK :
		    (size_t)(x->size - off);
		n = len > 0 ? pread(x->fd, x->buf, len, off) : 0;
		if (n < 0 || (size_t)n != len) {
			snprintf(msg, sizeof msg, "cannot read the file: %s",
			    n < 0 ? strerror(errno) : "it got shorter");
			files_fail(x, "io", 0, msg);
			return;
		}
		ccrypto_digest_update(x->dg, x->buf, len);
		if (ccrypto_fstream_push(x->fs, x->buf, len,
		    x->next == x->chunks - 1, s->data) != 0) {
			files_fail(x, "io", 0, "cannot encrypt");
			return;
		}
		sec_wipe(x->buf, len);
		s->seq = x->next;
		s->len = len + CCRYPTO_FILE_ABYTES;
		x->next++;
		if (x->next == x->chunks)
			ccrypto_digest_final(x->dg, x->digest);
		files_up_put(s);
	}
}

/* Answer to file_status (resuming an upload). */
static void
files_status_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct files_xfer	*x = arg;
	struct json_object	*v;
	int64_t			 have, seq;

	x->req_id = 0;
	if (code == CS_ERR_NOT_CONNECTED)
		return;
	if (code == CS_ERR_TIMEOUT) {
		files_up_status(x);
		return;
	}
	if (code != 0) {
		files_fail_wire(x, code, message);
		return;
	}
	if (json_object_object_get_ex(result, "done", &v) &&
	    json_object_get_boolean(v) && x->next == x->chunks) {
		files_up_announce(x);
		return;
	}
	have = files_get_int(result, "have");
	if (have < x->acked || have > x->next) {
		files_fail(x, "io", 0, "the server lost chunks it had stored");
		return;
	}
	log_info("%s: transfer %s resumes at chunk %lld of %lld", __func__,
	    x->id, (long long)have, (long long)x->chunks);
	if (have > x->acked) {
		x->acked = have;
		x->done = x->acked == x->chunks ? x->size :
		    x->acked * CS_FILE_CHUNK;
		files_progress(x);
	}
	if (x->acked == x->chunks) {
		files_up_end(x);
		return;
	}
	x->state = FILES_UP_PUT;
	for (seq = x->acked; seq < x->next; seq++)
		files_up_put(&x->slot[seq % FILES_INFLIGHT]);
	files_up_pump(x);
}

/* Ask the server how much of x it has (after a reconnect or a 1063). */
static void
files_up_status(struct files_xfer *x)
{
	struct json_object	*params;

	x->state = FILES_UP_STATUS;
	if (!files_link_ok() || x->req_id != 0)
		return;
	files_cancel_requests(x);
	params = json_object_new_object();
	json_object_object_add(params, "file", json_object_new_string(x->file));
	if (link_request("file_status", params, AGENT_REQ_TIMEOUT,
	    files_status_cb, x, &x->req_id) != 0)
		x->req_id = 0;
}

/* Answer to file_begin: the server's file id. */
static void
files_begin_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct files_xfer	*x = arg;
	struct json_object	*v;
	const char		*id;

	x->req_id = 0;
	if (code == CS_ERR_NOT_CONNECTED)
		return;			/* file_begin again when ready */
	if (code != 0) {
		files_fail_wire(x, code, message);
		return;
	}
	if (!json_object_object_get_ex(result, "file", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(id = json_object_get_string(v)) != CS_FILE_ID_LEN ||
	    strspn(id, "0123456789abcdef") != CS_FILE_ID_LEN) {
		files_fail(x, "io", 0, "the server gave no usable file id");
		return;
	}
	memcpy(x->file, id, sizeof x->file);
	x->state = FILES_UP_PUT;
	files_up_pump(x);
}

/* Start (or start again) an upload on the server. */
static void
files_up_begin(struct files_xfer *x)
{
	struct json_object	*params;

	x->state = FILES_UP_BEGIN;
	if (!files_link_ok() || x->req_id != 0)
		return;
	params = json_object_new_object();
	json_object_object_add(params, "to", json_object_new_string(x->conv));
	json_object_object_add(params, "size", json_object_new_int64(x->size +
	    CCRYPTO_FILE_ABYTES * x->chunks));
	json_object_object_add(params, "chunks",
	    json_object_new_int64(x->chunks));
	if (link_request("file_begin", params, AGENT_REQ_TIMEOUT,
	    files_begin_cb, x, &x->req_id) != 0)
		x->req_id = 0;
}

/*
 * Start sending the regular file open on fd (taken over; size bytes) to
 * conv as name, of media type type, with caption text (may be NULL).  p,
 * if not NULL, is answered when the message is posted.  Returns the
 * transfer's id (borrowed until it ends).
 */
const char *
files_send(struct api_pending *p, const char *conv, int fd, int64_t size,
    const char *name, const char *type, const char *text)
{
	struct files_xfer	*x;

	x = files_new(1, conv, name);
	x->p = p;
	x->fd = fd;
	x->size = size;
	x->chunks = files_chunks(size);
	x->type = xstrdup(type);
	x->text = text != NULL ? xstrdup(text) : NULL;
	if (ccrypto_fstream_push_new(&x->fs, x->key, x->hdr) != 0)
		fatalx("%s: cannot start an encrypted stream", __func__);
	x->dg = ccrypto_digest_new();
	files_remember(x);
	log_info("%s: transfer %s: %s (%lld bytes) to %s", __func__, x->id,
	    log_safe(name), (long long)size, log_safe(conv));
	files_progress(x);
	files_up_begin(x);
	return (x->id);
}

/* ---- downloads ------------------------------------------------------ */

/* The file is whole and checked: give it its name. */
static void
files_down_finish(struct files_xfer *x)
{
	struct json_object	*ev, *r;
	char			 path[PATH_MAX], hex[2 * CCRYPTO_DIGEST_LEN + 1];
	char			 msg[PATH_MAX + 64];
	uint8_t			 digest[CCRYPTO_DIGEST_LEN];
	int			 fd = x->fd;

	ccrypto_digest_final(x->dg, digest);
	if (x->done != x->size ||
	    sec_equal(digest, x->digest, sizeof digest) != 0) {
		files_fail(x, "integrity", 0, "the file's digest differs "
		    "from what its sender announced: discarded");
		return;
	}
	x->fd = -1;
	if (files_save_commit(fd, x->tmp, x->dir, x->name, path,
	    sizeof path) != 0) {
		snprintf(msg, sizeof msg, "cannot save in %s: %s", x->dir,
		    strerror(errno));
		files_fail(x, "io", 0, msg);
		return;
	}
	x->tmp[0] = '\0';
	sec_hex(digest, sizeof digest, hex);
	ev = json_object_new_object();
	json_object_object_add(ev, "transfer", json_object_new_string(x->id));
	json_object_object_add(ev, "id", json_object_new_int64(x->msg_id));
	json_object_object_add(ev, "path", json_object_new_string(path));
	json_object_object_add(ev, "name", json_object_new_string(x->name));
	json_object_object_add(ev, "size", json_object_new_int64(x->size));
	json_object_object_add(ev, "digest", json_object_new_string(hex));
	events_emit("file_saved", NULL, ev);
	log_info("%s: transfer %s: saved %s", __func__, x->id, log_safe(path));
	if (x->p != NULL) {
		r = json_object_new_object();
		json_object_object_add(r, "transfer",
		    json_object_new_string(x->id));
		json_object_object_add(r, "name",
		    json_object_new_string(x->name));
		json_object_object_add(r, "size",
		    json_object_new_int64(x->size));
		json_object_object_add(r, "path",
		    json_object_new_string(path));
		json_object_object_add(r, "digest",
		    json_object_new_string(hex));
		api_reply(x->p, r);
		x->p = NULL;
	}
	files_free(x, 0);
}

/*
 * Decrypt and write the chunks that arrived, in order.  Returns 0, or -1
 * if x failed (and is freed).
 */
static int
files_down_drain(struct files_xfer *x)
{
	struct files_slot	*s;
	size_t			 len, want;
	int			 final;
	int64_t			 off;

	for (;;) {
		s = &x->slot[x->acked % FILES_INFLIGHT];
		if (!s->full || s->seq != x->acked)
			return (0);
		off = x->acked * CS_FILE_CHUNK;
		want = x->size - off > CS_FILE_CHUNK ? CS_FILE_CHUNK :
		    (size_t)(x->size - off);
		if (ccrypto_fstream_pull(x->fs, s->data, s->len, x->buf, &len,
		    &final) != 0 || len != want ||
		    final != (x->acked == x->chunks - 1)) {
			files_fail(x, "integrity", 0, "a chunk of the file "
			    "failed to decrypt, or the stream was cut or "
			    "reordered: discarded");
			return (-1);
		}
		s->full = 0;
		if (len > 0 && pwrite(x->fd, x->buf, len, off) != (ssize_t)len) {
			char	 msg[PATH_MAX + 64];

			snprintf(msg, sizeof msg, "cannot write in %s: %s",
			    x->dir, strerror(errno));
			sec_wipe(x->buf, len);
			files_fail(x, "io", 0, msg);
			return (-1);
		}
		ccrypto_digest_update(x->dg, x->buf, len);
		sec_wipe(x->buf, len);
		x->done += len;
		x->acked++;
		if (x->acked == x->chunks) {
			files_progress(x);
			files_down_finish(x);
			return (-1);
		}
		files_progress(x);
	}
}

/* Answer to file_get. */
static void
files_get_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct files_slot	*s = arg;
	struct files_xfer	*x = s->x;
	struct json_object	*v;
	const char		*b64;
	size_t			 len;
	int			 n;

	s->req_id = 0;
	if (code == CS_ERR_NOT_CONNECTED)
		return;
	if (code == CS_ERR_PARAMS) {
		files_fail(x, "integrity", code, "the server has fewer chunks "
		    "than the file message says: discarded");
		return;
	}
	if (code != 0) {
		files_fail_wire(x, code, message);
		return;
	}
	if (files_get_int(result, "seq") != s->seq ||
	    !json_object_object_get_ex(result, "data", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		files_fail(x, "integrity", 0, "the server's answer does not "
		    "fit the request: discarded");
		return;
	}
	b64 = json_object_get_string(v);
	len = strlen(b64);
	if (len > sec_b64_len(CS_FILE_CHUNK_MAX) ||
	    (n = sec_b64_decode(b64, len, s->data, CS_FILE_CHUNK_MAX)) < 0) {
		files_fail(x, "integrity", 0, "a chunk from the server is "
		    "not valid: discarded");
		return;
	}
	s->len = (size_t)n;
	s->full = 1;
	if (files_down_drain(x) == 0)
		files_down_pump(x);
}

/* Ask for chunks while fewer than FILES_INFLIGHT are outstanding. */
static void
files_down_pump(struct files_xfer *x)
{
	struct json_object	*params;
	struct files_slot	*s;

	while (files_link_ok() && x->next < x->chunks &&
	    x->next - x->acked < FILES_INFLIGHT) {
		s = &x->slot[x->next % FILES_INFLIGHT];
		s->seq = x->next;
		s->full = 0;
		params = json_object_new_object();
		json_object_object_add(params, "file",
		    json_object_new_string(x->file));
		json_object_object_add(params, "seq",
		    json_object_new_int64(s->seq));
		if (link_request("file_get", params, 0, files_get_cb, s,
		    &s->req_id) != 0) {
			s->req_id = 0;
			return;
		}
		x->next++;
	}
}

/*
 * Start fetching the file of message msg_id, described by meta (its
 * sealed JSON, checked by msg_file_parse; borrowed), from `from` into dir,
 * through the temporary file tmp open on fd (both taken over).  p, if not
 * NULL, is answered when it is saved.  Returns the transfer (borrowed).
 */
const char *
files_fetch(struct api_pending *p, int64_t msg_id, struct json_object *meta,
    const char *from, const char *dir, int fd, const char *tmp)
{
	struct files_xfer	*x;
	struct json_object	*v;
	char			 safe[FILES_NAME_MAX + 1];
	uint8_t			 raw[64];
	const char		*s;

	json_object_object_get_ex(meta, "name", &v);
	files_name_sanitize(json_object_get_string(v), safe, sizeof safe);
	x = files_new(0, from, safe);
	x->p = p;
	x->msg_id = msg_id;
	x->dir = xstrdup(dir);
	x->fd = fd;
	snprintf(x->tmp, sizeof x->tmp, "%s", tmp);
	json_object_object_get_ex(meta, "file", &v);
	snprintf(x->file, sizeof x->file, "%s", json_object_get_string(v));
	json_object_object_get_ex(meta, "size", &v);
	x->size = json_object_get_int64(v);
	x->chunks = files_chunks(x->size);
	json_object_object_get_ex(meta, "type", &v);
	x->type = xstrdup(json_object_get_string(v));
	json_object_object_get_ex(meta, "digest", &v);
	sec_unhex(json_object_get_string(v), x->digest, sizeof x->digest);
	/* msg_file_parse checked both decode to exactly their size. */
	json_object_object_get_ex(meta, "key", &v);
	s = json_object_get_string(v);
	sec_b64_decode(s, strlen(s), raw, sizeof raw);
	memcpy(x->key, raw, sizeof x->key);
	json_object_object_get_ex(meta, "header", &v);
	s = json_object_get_string(v);
	sec_b64_decode(s, strlen(s), raw, sizeof raw);
	memcpy(x->hdr, raw, sizeof x->hdr);
	sec_wipe(raw, sizeof raw);
	if (ccrypto_fstream_pull_new(&x->fs, x->key, x->hdr) != 0)
		fatalx("%s: cannot start a stream", __func__);
	sec_wipe(x->key, sizeof x->key);
	x->dg = ccrypto_digest_new();
	x->state = FILES_DOWN_GET;
	files_remember(x);
	log_info("%s: transfer %s: message %lld (%lld bytes) into %s",
	    __func__, x->id, (long long)msg_id, (long long)x->size,
	    log_safe(dir));
	files_progress(x);
	files_down_pump(x);
	return (x->id);
}

/* ---- the rest ------------------------------------------------------- */

/* The link is ready (again): resume every transfer. */
void
files_link_ready(void)
{
	struct files_xfer	*x, *x1;
	int			 i;

	TAILQ_FOREACH_SAFE(x, &files_q, entry, x1) {
		switch (x->state) {
		case FILES_UP_BEGIN:
			files_up_begin(x);
			break;
		case FILES_UP_PUT:
		case FILES_UP_STATUS:
		case FILES_UP_END:
			if (x->req_id == 0)
				files_up_status(x);
			break;
		case FILES_UP_ANNOUNCE:
			break;			/* the outbox resends */
		case FILES_DOWN_GET:
			/* Ask again for what did not arrive. */
			for (i = 0; i < FILES_INFLIGHT; i++) {
				if (x->slot[i].req_id != 0)
					break;
			}
			if (i < FILES_INFLIGHT)
				break;		/* still on the wire */
			for (i = 0; i < FILES_INFLIGHT; i++)
				x->slot[i].full = 0;
			x->next = x->acked;
			files_down_pump(x);
			break;
		}
	}
}

/* Find a transfer by id, or NULL. */
static struct files_xfer *
files_find(const char *id)
{
	struct files_xfer	*x;

	TAILQ_FOREACH(x, &files_q, entry) {
		if (strcmp(x->id, id) == 0)
			return (x);
	}
	return (NULL);
}

/* Cancel transfer id: 0, or -1 if there is none. */
int
files_cancel(const char *id)
{
	struct files_xfer	*x;

	if ((x = files_find(id)) == NULL)
		return (-1);
	files_fail(x, "cancelled", 0, "cancelled");
	return (0);
}

/* The running transfers, as file_transfers shows them (a new array). */
struct json_object *
files_list(void)
{
	struct json_object	*arr, *o;
	struct files_xfer	*x;
	static const char	*names[] = {
		[FILES_UP_BEGIN] = "starting",
		[FILES_UP_PUT] = "sending",
		[FILES_UP_STATUS] = "resuming",
		[FILES_UP_END] = "finishing",
		[FILES_UP_ANNOUNCE] = "posting",
		[FILES_DOWN_GET] = "receiving",
	};

	arr = json_object_new_array();
	TAILQ_FOREACH(x, &files_q, entry) {
		o = json_object_new_object();
		json_object_object_add(o, "transfer",
		    json_object_new_string(x->id));
		json_object_object_add(o, "direction",
		    json_object_new_string(x->up ? "up" : "down"));
		json_object_object_add(o, "name",
		    json_object_new_string(x->name));
		json_object_object_add(o, x->up ? "to" : "from",
		    json_object_new_string(x->conv));
		if (!x->up)
			json_object_object_add(o, "id",
			    json_object_new_int64(x->msg_id));
		json_object_object_add(o, "done",
		    json_object_new_int64(x->done));
		json_object_object_add(o, "total",
		    json_object_new_int64(x->size));
		json_object_object_add(o, "state", json_object_new_string(
		    files_link_ok() ? names[x->state] : "paused"));
		json_object_array_add(arr, o);
	}
	return (arr);
}

/* Fail every transfer (session over, or shutting down). */
void
files_fail_all(const char *reason, const char *message)
{
	struct files_xfer	*x;

	while ((x = TAILQ_FIRST(&files_q)) != NULL)
		files_fail(x, reason, 0, message);
}

/* A remembered transfer of a previous run: report it failed, clean up. */
static int
files_restarted_cb(void *arg, const char *key, const char *value)
{
	struct json_object	*list = arg;

	json_object_array_add(list, json_object_new_string(key));
	json_object_array_add(list, json_object_new_string(value));
	return (0);
}

/*
 * At start: transfers an earlier run left unfinished (it crashed) are
 * failed with `restarted` and their partial files removed.
 */
void
files_init(void)
{
	struct json_object	*list, *o, *v, *ev;
	const char		*key, *tmp;
	size_t			 i;

	list = json_object_new_array();
	lstore_kv_scan("xfer:", files_restarted_cb, list);
	for (i = 0; i + 1 < json_object_array_length(list); i += 2) {
		key = json_object_get_string(json_object_array_get_idx(list,
		    i));
		o = json_tokener_parse(json_object_get_string(
		    json_object_array_get_idx(list, i + 1)));
		if (o != NULL && json_object_object_get_ex(o, "tmp", &v) &&
		    (tmp = json_object_get_string(v)) != NULL && tmp[0] != '\0')
			unlink(tmp);
		ev = json_object_new_object();
		json_object_object_add(ev, "transfer",
		    json_object_new_string(key + 5));
		if (o != NULL && json_object_object_get_ex(o, "direction", &v))
			json_object_object_add(ev, "direction",
			    json_object_get(v));
		if (o != NULL && json_object_object_get_ex(o, "name", &v))
			json_object_object_add(ev, "name", json_object_get(v));
		json_object_object_add(ev, "reason",
		    json_object_new_string("restarted"));
		json_object_object_add(ev, "message", json_object_new_string(
		    "the agent stopped before the transfer ended"));
		events_emit("file_failed", NULL, ev);
		json_object_put(o);
		lstore_kv_del(key);
	}
	json_object_put(list);
}

/*
 * Shutting down: transfers end without an event and their partial files
 * go; their records stay, so the next start reports them (`restarted`).
 */
void
files_free_all(void)
{
	struct files_xfer	*x;

	while ((x = TAILQ_FIRST(&files_q)) != NULL) {
		if (x->p != NULL)
			api_error(x->p, CS_ERR_NOT_CONNECTED,
			    "the agent is shutting down", NULL);
		x->p = NULL;
		files_free(x, 1);
	}
}

/* chatsec — the agent's local store (SQLite).  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "log.h"
#include "xmalloc.h"

#include "agent.h"

/*
 * PROFILE/agent.db holds the agent's state: the messages it has seen (keyed
 * by the server's message id, so a message is stored once), the event log
 * (seq, ts, type, json) and a small key/value table (session token, user,
 * server, sync cursor).  SQLite types never leave this file.
 */

#define LSTORE_SCHEMA_VERSION	2

static const char *lstore_schema =
	"CREATE TABLE IF NOT EXISTS kv ("
	"  k TEXT PRIMARY KEY, v TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS messages ("
	"  id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	"  sender TEXT NOT NULL, recipient TEXT NOT NULL,"
	"  conv TEXT NOT NULL COLLATE NOCASE, text TEXT NOT NULL,"
	"  self INTEGER NOT NULL, file TEXT);"
	"CREATE INDEX IF NOT EXISTS messages_conv ON messages (conv, id);"
	"CREATE TABLE IF NOT EXISTS events ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL,"
	"  type TEXT NOT NULL, conv TEXT COLLATE NOCASE, json TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS events_ts ON events (ts);"
	"PRAGMA user_version = 2;";

/* Version 1 stores had no file column (a file message's public part). */
static const char *lstore_upgrade_1 =
	"ALTER TABLE messages ADD COLUMN file TEXT;";

enum lstore_stmt {
	LSTORE_KV_GET,
	LSTORE_KV_SET,
	LSTORE_KV_DEL,
	LSTORE_KV_SCAN,
	LSTORE_MSG_INSERT,
	LSTORE_MSG_HISTORY,
	LSTORE_MSG_CLEAR,
	LSTORE_MSG_DELETE,
	LSTORE_MSG_CONV,
	LSTORE_EV_LAST,
	LSTORE_EV_APPEND,
	LSTORE_EV_SCAN,
	LSTORE_EV_PRUNE,
	LSTORE_EV_EXPIRE,
	LSTORE_BEGIN,
	LSTORE_COMMIT,
	LSTORE_ROLLBACK,
	LSTORE_NSTMT
};

/* Every statement the agent runs, prepared once at open. */
static const char *lstore_sql[LSTORE_NSTMT] = {
	[LSTORE_KV_GET] = "SELECT v FROM kv WHERE k = ?1",
	[LSTORE_KV_SET] = "INSERT INTO kv (k, v) VALUES (?1, ?2)"
	    " ON CONFLICT (k) DO UPDATE SET v = excluded.v",
	[LSTORE_KV_DEL] = "DELETE FROM kv WHERE k = ?1",
	[LSTORE_KV_SCAN] = "SELECT k, v FROM kv"
	    " WHERE substr(k, 1, length(?1)) = ?1 ORDER BY k",
	[LSTORE_MSG_INSERT] = "INSERT OR IGNORE INTO messages"
	    " (id, ts, sender, recipient, conv, text, self, file)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[LSTORE_MSG_HISTORY] = "SELECT id, ts, sender, recipient, conv, text,"
	    " self, file FROM messages WHERE conv = ?1 AND id < ?2"
	    " ORDER BY id DESC LIMIT ?3",
	[LSTORE_MSG_CLEAR] = "DELETE FROM messages",
	[LSTORE_MSG_DELETE] = "DELETE FROM messages WHERE id = ?1",
	[LSTORE_MSG_CONV] = "SELECT conv FROM messages WHERE id = ?1",
	[LSTORE_EV_LAST] = "SELECT max(seq) FROM (SELECT max(seq) AS seq FROM"
	    " events UNION ALL SELECT seq FROM sqlite_sequence"
	    " WHERE name = 'events')",
	[LSTORE_EV_APPEND] = "INSERT INTO events (seq, ts, type, conv, json)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[LSTORE_EV_SCAN] = "SELECT seq, type, conv, json FROM events"
	    " WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	[LSTORE_EV_PRUNE] = "DELETE FROM events WHERE seq <= ?1",
	[LSTORE_EV_EXPIRE] = "DELETE FROM events WHERE ts < ?1",
	[LSTORE_BEGIN] = "BEGIN",
	[LSTORE_COMMIT] = "COMMIT",
	[LSTORE_ROLLBACK] = "ROLLBACK",
};

static sqlite3		*lstore_db;
static sqlite3_stmt	*lstore_stmts[LSTORE_NSTMT];

/* Fetch prepared statement i, reset and unbound. */
static sqlite3_stmt *
lstore_stmt(enum lstore_stmt i)
{
	sqlite3_stmt	*st = lstore_stmts[i];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (st);
}

/* Log a failed SQLite call with the statement's name. */
static void
lstore_warn(const char *what)
{
	log_warnx("lstore: %s: %s", what, sqlite3_errmsg(lstore_db));
}

/* Run a statement that returns no rows; 0 or -1. */
static int
lstore_exec(sqlite3_stmt *st, const char *what)
{
	int	 rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		lstore_warn(what);
		return (-1);
	}
	return (0);
}

/*
 * Open (creating if needed, mode 0600) the store at path and prepare every
 * statement.  Returns 0 or -1 (logged).
 */
int
lstore_open(const char *path)
{
	char	*err = NULL;
	int	 fd, i, version = 0;
	sqlite3_stmt *st;

	if ((fd = open(path, O_RDWR|O_CREAT|O_CLOEXEC, 0600)) == -1) {
		log_warn("lstore: %s", path);
		return (-1);
	}
	close(fd);
	if (sqlite3_open_v2(path, &lstore_db, SQLITE_OPEN_READWRITE|
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		log_warnx("lstore: %s: %s", path, lstore_db != NULL ?
		    sqlite3_errmsg(lstore_db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(lstore_db, 5000);
	if (sqlite3_exec(lstore_db, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = NORMAL;", NULL, NULL, &err) != SQLITE_OK)
		goto fail_exec;
	if (sqlite3_prepare_v2(lstore_db, "PRAGMA user_version", -1, &st,
	    NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (version > LSTORE_SCHEMA_VERSION) {
		log_warnx("lstore: %s: schema version %d is newer than this "
		    "agent knows (%d)", path, version, LSTORE_SCHEMA_VERSION);
		goto fail;
	}
	if (version == 1 && sqlite3_exec(lstore_db, lstore_upgrade_1, NULL,
	    NULL, &err) != SQLITE_OK)
		goto fail_exec;
	if (sqlite3_exec(lstore_db, lstore_schema, NULL, NULL, &err) !=
	    SQLITE_OK)
		goto fail_exec;
	for (i = 0; i < LSTORE_NSTMT; i++) {
		if (sqlite3_prepare_v3(lstore_db, lstore_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &lstore_stmts[i], NULL) !=
		    SQLITE_OK) {
			lstore_warn(lstore_sql[i]);
			goto fail;
		}
	}
	return (0);

fail_exec:
	log_warnx("lstore: %s: %s", path, err);
	sqlite3_free(err);
fail:
	lstore_close();
	return (-1);
}

/* Finalise every statement and close the database; safe to call twice. */
void
lstore_close(void)
{
	int	 i;

	for (i = 0; i < LSTORE_NSTMT; i++) {
		sqlite3_finalize(lstore_stmts[i]);
		lstore_stmts[i] = NULL;
	}
	if (lstore_db != NULL)
		sqlite3_close(lstore_db);
	lstore_db = NULL;
}

/* Start a transaction grouping several writes (a sync page). */
int
lstore_begin(void)
{
	return (lstore_exec(lstore_stmt(LSTORE_BEGIN), "begin"));
}

/*
 * Commit the transaction lstore_begin() started; if that fails, roll it
 * back so the store is as it was.  0 or -1.
 */
int
lstore_commit(void)
{
	if (lstore_exec(lstore_stmt(LSTORE_COMMIT), "commit") == 0)
		return (0);
	if (!sqlite3_get_autocommit(lstore_db))
		lstore_exec(lstore_stmt(LSTORE_ROLLBACK), "rollback");
	return (-1);
}

/* Return a copy of the value for key (owned by the caller), or NULL. */
char *
lstore_kv_get(const char *key)
{
	sqlite3_stmt	*st = lstore_stmt(LSTORE_KV_GET);
	char		*v = NULL;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return (v);
}

/* Return the integer value for key, or def if absent or not a number. */
int64_t
lstore_kv_get_int(const char *key, int64_t def)
{
	char		*v, *end;
	long long	 n;

	if ((v = lstore_kv_get(key)) == NULL)
		return (def);
	n = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0')
		n = def;
	free(v);
	return (n);
}

/* Set key to value.  0 or -1. */
int
lstore_kv_set(const char *key, const char *value)
{
	sqlite3_stmt	*st = lstore_stmt(LSTORE_KV_SET);

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return (lstore_exec(st, "kv set"));
}

/* Set key to a decimal integer.  0 or -1. */
int
lstore_kv_set_int(const char *key, int64_t value)
{
	char	 buf[32];

	snprintf(buf, sizeof buf, "%lld", (long long)value);
	return (lstore_kv_set(key, buf));
}

/* Forget key.  0 or -1. */
int
lstore_kv_del(const char *key)
{
	sqlite3_stmt	*st = lstore_stmt(LSTORE_KV_DEL);

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return (lstore_exec(st, "kv del"));
}

/*
 * Call cb(arg, key, value) for each key starting with prefix, in order,
 * until it returns non-zero.  cb must not use the store.  0 or -1.
 */
int
lstore_kv_scan(const char *prefix,
    int (*cb)(void *, const char *, const char *), void *arg)
{
	sqlite3_stmt	*st = lstore_stmt(LSTORE_KV_SCAN);
	int		 rc;

	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		lstore_warn("kv scan");
		return (-1);
	}
	return (0);
}

/*
 * Store a message unless its id is known.  Returns 1 if it was new, 0 if
 * it was already there, -1 on error.
 */
int
lstore_msg_insert(const struct agent_msg *m)
{
	sqlite3_stmt	*st = lstore_stmt(LSTORE_MSG_INSERT);
	const char	*file = NULL;

	sqlite3_bind_int64(st, 1, m->id);
	sqlite3_bind_int64(st, 2, m->ts);
	sqlite3_bind_text(st, 3, m->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, m->conv, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, m->text, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, m->self);
	if (m->file != NULL) {
		file = json_object_to_json_string_ext(m->file,
		    JSON_C_TO_STRING_PLAIN|JSON_C_TO_STRING_NOSLASHESCAPE);
		sqlite3_bind_text(st, 8, file, -1, SQLITE_TRANSIENT);
	}
	if (lstore_exec(st, "message insert") != 0)
		return (-1);
	return (sqlite3_changes(lstore_db) > 0);
}

/*
 * The newest `limit` messages of conv with id below before (0: no bound),
 * oldest first, as a new JSON array of API message objects.  *more says
 * whether older ones exist.
 */
struct json_object *
lstore_msg_history(const char *conv, int64_t before, int limit, int *more)
{
	sqlite3_stmt		*st = lstore_stmt(LSTORE_MSG_HISTORY);
	struct json_object	*rows, *out, *file;
	const char		*fs;
	size_t			 i, n;

	*more = 0;
	rows = json_object_new_array();
	sqlite3_bind_text(st, 1, conv, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before > 0 ? before : INT64_MAX);
	sqlite3_bind_int(st, 3, limit + 1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if ((int)json_object_array_length(rows) == limit) {
			*more = 1;
			break;
		}
		fs = (const char *)sqlite3_column_text(st, 7);
		file = fs != NULL ? json_tokener_parse(fs) : NULL;
		json_object_array_add(rows, msg_json(
		    sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    (const char *)sqlite3_column_text(st, 4),
		    (const char *)sqlite3_column_text(st, 5),
		    sqlite3_column_int(st, 6), file));
		json_object_put(file);
	}
	sqlite3_reset(st);

	/* Rows came newest first; the API wants oldest first. */
	n = json_object_array_length(rows);
	out = json_object_new_array();
	for (i = n; i > 0; i--) {
		json_object_array_add(out,
		    json_object_get(json_object_array_get_idx(rows, i - 1)));
	}
	json_object_put(rows);
	return (out);
}

/* Forget every stored message (the profile moved to another account). */
int
lstore_msg_clear(void)
{
	return (lstore_exec(lstore_stmt(LSTORE_MSG_CLEAR), "message clear"));
}

/* The conversation of stored message id (owned by the caller), or NULL. */
char *
lstore_msg_conv(int64_t id)
{
	sqlite3_stmt	*st = lstore_stmt(LSTORE_MSG_CONV);
	char		*conv = NULL;

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		conv = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return (conv);
}

/* Forget message id (deleted by its sender or a moderator).  0 or -1. */
int
lstore_msg_delete(int64_t id)
{
	sqlite3_stmt	*st = lstore_stmt(LSTORE_MSG_DELETE);

	sqlite3_bind_int64(st, 1, id);
	return (lstore_exec(st, "message delete"));
}

/* The highest event seq ever given out (kept even when events are pruned). */
int64_t
lstore_event_last_seq(void)
{
	sqlite3_stmt	*st = lstore_stmt(LSTORE_EV_LAST);
	int64_t		 seq = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return (seq);
}

/* Append one event (json is its whole params object).  0 or -1. */
int
lstore_event_append(int64_t seq, int64_t ts, const char *type,
    const char *conv, const char *json)
{
	sqlite3_stmt	*st = lstore_stmt(LSTORE_EV_APPEND);

	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
	if (conv != NULL)
		sqlite3_bind_text(st, 4, conv, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, json, -1, SQLITE_STATIC);
	return (lstore_exec(st, "event append"));
}

/*
 * Call cb for each kept event with seq > since, in order, at most max_rows
 * of them; cb returns non-zero to stop.  Returns the number of rows read,
 * or -1 on error.
 */
int
lstore_event_scan(int64_t since, int max_rows,
    int (*cb)(void *, int64_t, const char *, const char *, const char *),
    void *arg)
{
	sqlite3_stmt	*st = lstore_stmt(LSTORE_EV_SCAN);
	int		 rc, n = 0;

	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int(st, 2, max_rows);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb(arg, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		lstore_warn("event scan");
		n = -1;
	}
	sqlite3_reset(st);
	return (n);
}

/* Drop events with seq up to upto.  0 or -1. */
int
lstore_event_prune(int64_t upto)
{
	sqlite3_stmt	*st = lstore_stmt(LSTORE_EV_PRUNE);

	sqlite3_bind_int64(st, 1, upto);
	return (lstore_exec(st, "event prune"));
}

/* Drop events older than min_ts (ms).  0 or -1. */
int
lstore_event_expire(int64_t min_ts)
{
	sqlite3_stmt	*st = lstore_stmt(LSTORE_EV_EXPIRE);

	sqlite3_bind_int64(st, 1, min_ts);
	return (lstore_exec(st, "event expire"));
}

/* chatsec — chatsecd storage on SQLite.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "xmalloc.h"
#include "store.h"

/*
 * The SQLite backend of store.h.  WAL with synchronous=FULL: a commit is on
 * disk when store_commit() returns.  Every statement is prepared once and
 * cached; the statement table below is the whole of the SQL the server runs
 * after the schema is made.
 */

#define STORE_SCHEMA_VERSION	1

enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_ACCOUNT_BY_NAME,
	ST_ACCOUNT_BY_ID,
	ST_ACCOUNT_INSERT,
	ST_ACCOUNT_TOTP,
	ST_ACCOUNT_CURSOR,
	ST_ACCOUNT_PWHASH,
	ST_SESSION_INSERT,
	ST_SESSION_GET,
	ST_SESSION_TOUCH,
	ST_SESSION_DELETE,
	ST_SESSION_PURGE,
	ST_ROOM_BY_NAME,
	ST_MSG_INSERT,
	ST_MSG_BY_CID,
	ST_MSG_MAX,
	ST_MSG_SYNC,
	ST_MSG_HISTORY_ROOM,
	ST_MSG_HISTORY_DM,
	ST_FAILURE_INSERT,
	ST_FAILURE_COUNT,
	ST_FAILURE_NTH,
	ST_FAILURE_PURGE,
	ST_AUDIT_INSERT,
	ST_COUNT
};

#define STORE_ACCOUNT_COLS \
	"id, name, name_folded, pwhash, totp_secret, totp_last_step, " \
	"is_admin, disabled, cursor, created"

/* Columns of a message read: id, ts, from, to, cid, body. */
#define STORE_MSG_COLS \
	"m.id, m.ts, s.name, coalesce(r.name, a.name), m.cid, m.body, " \
	"m.sender_id, coalesce(m.room_id, 0), coalesce(m.rcpt_id, 0) " \
	"FROM messages m JOIN accounts s ON s.id = m.sender_id " \
	"LEFT JOIN rooms r ON r.id = m.room_id " \
	"LEFT JOIN accounts a ON a.id = m.rcpt_id "

static const char *store_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_ACCOUNT_BY_NAME] = "SELECT " STORE_ACCOUNT_COLS
	    " FROM accounts WHERE name_folded = ?1",
	[ST_ACCOUNT_BY_ID] = "SELECT " STORE_ACCOUNT_COLS
	    " FROM accounts WHERE id = ?1",
	[ST_ACCOUNT_INSERT] = "INSERT INTO accounts (name, name_folded, "
	    "pwhash, totp_secret, totp_last_step, is_admin, cursor, created) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, NOT EXISTS (SELECT 1 FROM accounts), "
	    "(SELECT coalesce(max(id), 0) FROM messages), ?6) "
	    "RETURNING id, is_admin, cursor",
	[ST_ACCOUNT_TOTP] = "UPDATE accounts SET totp_last_step = ?2 "
	    "WHERE id = ?1 AND totp_last_step < ?2",
	[ST_ACCOUNT_CURSOR] = "UPDATE accounts SET cursor = ?2 "
	    "WHERE id = ?1 AND cursor < ?2",
	[ST_ACCOUNT_PWHASH] = "UPDATE accounts SET pwhash = ?2 WHERE id = ?1",
	[ST_SESSION_INSERT] = "INSERT INTO sessions (token_hash, account_id, "
	    "created, last_used) VALUES (?1, ?2, ?3, ?3)",
	[ST_SESSION_GET] = "SELECT account_id, created, last_used "
	    "FROM sessions WHERE token_hash = ?1",
	[ST_SESSION_TOUCH] = "UPDATE sessions SET last_used = ?2 "
	    "WHERE token_hash = ?1",
	[ST_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
	[ST_SESSION_PURGE] = "DELETE FROM sessions "
	    "WHERE last_used < ?1 OR created < ?2",
	[ST_ROOM_BY_NAME] = "SELECT id FROM rooms WHERE name = ?1",
	[ST_MSG_INSERT] = "INSERT OR IGNORE INTO messages (ts, sender_id, "
	    "room_id, rcpt_id, cid, body) VALUES (?1, ?2, nullif(?3, 0), "
	    "nullif(?4, 0), ?5, ?6)",
	[ST_MSG_BY_CID] = "SELECT id, ts FROM messages "
	    "WHERE sender_id = ?1 AND cid = ?2",
	[ST_MSG_MAX] = "SELECT coalesce(max(id), 0) FROM messages",
	/* Every room is visible to everyone while #general is the only one. */
	[ST_MSG_SYNC] = "SELECT " STORE_MSG_COLS
	    "WHERE m.id > ?2 AND (m.room_id IS NOT NULL OR m.sender_id = ?1 "
	    "OR m.rcpt_id = ?1) ORDER BY m.id LIMIT ?3",
	[ST_MSG_HISTORY_ROOM] = "SELECT " STORE_MSG_COLS
	    "WHERE m.room_id = ?1 AND m.id < ?2 ORDER BY m.id DESC LIMIT ?3",
	[ST_MSG_HISTORY_DM] = "SELECT " STORE_MSG_COLS
	    "WHERE ((m.sender_id = ?1 AND m.rcpt_id = ?2) OR "
	    "(m.sender_id = ?2 AND m.rcpt_id = ?1)) AND m.id < ?3 "
	    "ORDER BY m.id DESC LIMIT ?4",
	[ST_FAILURE_INSERT] = "INSERT INTO failures (kind, key, ts) "
	    "VALUES (?1, ?2, ?3)",
	[ST_FAILURE_COUNT] = "SELECT count(*) FROM failures "
	    "WHERE kind = ?1 AND key = ?2 AND ts > ?3",
	[ST_FAILURE_NTH] = "SELECT ts FROM failures "
	    "WHERE kind = ?1 AND key = ?2 AND ts > ?3 "
	    "ORDER BY ts DESC LIMIT 1 OFFSET ?4",
	[ST_FAILURE_PURGE] = "DELETE FROM failures WHERE ts < ?1",
	[ST_AUDIT_INSERT] = "INSERT INTO audit (ts, kind, account, addr, "
	    "detail) VALUES (?1, ?2, ?3, ?4, ?5)",
};

/* Schema steps: entry n upgrades user_version n to n + 1. */
static const char *store_schema[STORE_SCHEMA_VERSION] = {
	"CREATE TABLE accounts ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  name_folded TEXT NOT NULL UNIQUE,"
	"  pwhash TEXT NOT NULL,"
	"  totp_secret BLOB NOT NULL,"
	"  totp_last_step INTEGER NOT NULL DEFAULT 0,"
	"  is_admin INTEGER NOT NULL DEFAULT 0,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  cursor INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE sessions ("
	"  token_hash BLOB PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  created INTEGER NOT NULL,"
	"  last_used INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX sessions_account ON sessions(account_id);"
	"CREATE TABLE rooms ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE);"
	"INSERT INTO rooms (id, name) VALUES (1, '#general');"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  ts INTEGER NOT NULL,"
	"  sender_id INTEGER NOT NULL REFERENCES accounts(id),"
	"  room_id INTEGER REFERENCES rooms(id),"
	"  rcpt_id INTEGER REFERENCES accounts(id),"
	"  cid TEXT NOT NULL,"
	"  body BLOB NOT NULL,"
	"  UNIQUE (sender_id, cid),"
	"  CHECK ((room_id IS NULL) <> (rcpt_id IS NULL)));"
	"CREATE INDEX messages_room ON messages(room_id, id);"
	"CREATE INDEX messages_rcpt ON messages(rcpt_id, id);"
	"CREATE INDEX messages_dm ON messages(sender_id, rcpt_id, id);"
	"CREATE TABLE failures ("
	"  kind TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  ts INTEGER NOT NULL);"
	"CREATE INDEX failures_key ON failures(kind, key, ts);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  account TEXT,"
	"  addr TEXT,"
	"  detail TEXT);",
};

struct store {
	sqlite3		*db;
	char		*path;
	sqlite3_stmt	*stmt[ST_COUNT];
	int		 in_txn;
};

/* Log the database's last error for what. */
static void
store_error(struct store *st, const char *what)
{
	log_warnx("store: %s: %s", what, sqlite3_errmsg(st->db));
}

/* Return the cached statement n, prepared on first use and reset. */
static sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt n)
{
	sqlite3_stmt	*s = st->stmt[n];

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->db, store_sql[n], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[n], NULL) != SQLITE_OK) {
			store_error(st, "prepare");
			return (NULL);
		}
		s = st->stmt[n];
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return (s);
}

/* Step a statement that returns no rows; 0 or -1. */
static int
store_exec_stmt(struct store *st, sqlite3_stmt *s, const char *what)
{
	int	 rc;

	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_error(st, what);
		return (-1);
	}
	return (0);
}

/* Run literal SQL (pragmas, schema). */
static int
store_exec(struct store *st, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("store: %s: %s", st->path, err ? err : "?");
		sqlite3_free(err);
		return (-1);
	}
	return (0);
}

/* Read PRAGMA user_version. */
static int
store_user_version(struct store *st, int *version)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s,
	    NULL) != SQLITE_OK) {
		store_error(st, "user_version");
		return (-1);
	}
	rc = sqlite3_step(s);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	return (*version < 0 ? -1 : 0);
}

/* Bring the schema up to STORE_SCHEMA_VERSION, one transaction per step. */
static int
store_migrate(struct store *st)
{
	char	*sql;
	int	 version;

	if (store_user_version(st, &version) != 0)
		return (-1);
	if (version > STORE_SCHEMA_VERSION) {
		log_warnx("store: %s: schema version %d is newer than this "
		    "chatsecd (%d)", st->path, version, STORE_SCHEMA_VERSION);
		return (-1);
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		xasprintf(&sql, "BEGIN IMMEDIATE; %s PRAGMA user_version = %d;"
		    " COMMIT;", store_schema[version], version + 1);
		if (store_exec(st, sql) != 0) {
			free(sql);
			store_exec(st, "ROLLBACK");
			return (-1);
		}
		free(sql);
		log_info("store: %s: schema version %d", st->path,
		    version + 1);
	}
	return (0);
}

/* Open the database at path, set it up and migrate it.  NULL on failure. */
struct store *
store_open(const char *path)
{
	struct store	*st;
	int		 rc;

	st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("store: %s: %s", path, st->db ?
		    sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	if (store_exec(st, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA secure_delete = ON;") != 0)
		goto fail;
	if (store_migrate(st) != 0)
		goto fail;
	return (st);

fail:
	store_close(st);
	return (NULL);
}

/* Finalise every cached statement and close the database. */
void
store_close(struct store *st)
{
	int	 i;

	if (st == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		store_error(st, "close");
	free(st->path);
	free(st);
}

/* Open a write transaction. */
int
store_begin(struct store *st)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_BEGIN)) == NULL ||
	    store_exec_stmt(st, s, "begin") != 0)
		return (-1);
	st->in_txn = 1;
	return (0);
}

/* Commit; on failure the transaction is rolled back. */
int
store_commit(struct store *st)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_COMMIT)) == NULL ||
	    store_exec_stmt(st, s, "commit") != 0) {
		store_rollback(st);
		return (-1);
	}
	st->in_txn = 0;
	return (0);
}

/* Abandon the open transaction, if any. */
void
store_rollback(struct store *st)
{
	sqlite3_stmt	*s;

	if (sqlite3_get_autocommit(st->db) == 0 &&
	    (s = store_stmt(st, ST_ROLLBACK)) != NULL)
		store_exec_stmt(st, s, "rollback");
	st->in_txn = 0;
}

/* Copy at most size-1 bytes of column col as a string into out. */
static void
store_column_str(sqlite3_stmt *s, int col, char *out, size_t size)
{
	const unsigned char	*v = sqlite3_column_text(s, col);

	if (v == NULL)
		out[0] = '\0';
	else
		snprintf(out, size, "%s", v);
}

/* Fill an account from a row of STORE_ACCOUNT_COLS. */
static void
store_account_row(sqlite3_stmt *s, struct store_account *a)
{
	const void	*secret;
	int		 len;

	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(s, 0);
	store_column_str(s, 1, a->name, sizeof a->name);
	store_column_str(s, 2, a->folded, sizeof a->folded);
	a->pwhash = xstrdup((const char *)sqlite3_column_text(s, 3));
	secret = sqlite3_column_blob(s, 4);
	len = sqlite3_column_bytes(s, 4);
	if (secret != NULL && len == TOTP_SECRET_LEN)
		memcpy(a->totp_secret, secret, len);
	a->totp_last_step = sqlite3_column_int64(s, 5);
	a->is_admin = sqlite3_column_int(s, 6);
	a->disabled = sqlite3_column_int(s, 7);
	a->cursor = sqlite3_column_int64(s, 8);
	a->created = sqlite3_column_int64(s, 9);
}

/* Run a prepared account lookup and fill *out. */
static int
store_account_get(struct store *st, sqlite3_stmt *s, struct store_account *out)
{
	int	 rc;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_account_row(s, out);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return (0);
	if (rc == SQLITE_DONE)
		return (STORE_NOTFOUND);
	store_error(st, "account lookup");
	return (-1);
}

/* Look an account up by folded name; *out is zeroed when not found. */
int
store_account_by_name(struct store *st, const char *folded,
    struct store_account *out)
{
	sqlite3_stmt	*s;

	memset(out, 0, sizeof *out);
	if ((s = store_stmt(st, ST_ACCOUNT_BY_NAME)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, folded, -1, SQLITE_STATIC);
	return (store_account_get(st, s, out));
}

/* Look an account up by id. */
int
store_account_by_id(struct store *st, int64_t id, struct store_account *out)
{
	sqlite3_stmt	*s;

	memset(out, 0, sizeof *out);
	if ((s = store_stmt(st, ST_ACCOUNT_BY_ID)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, id);
	return (store_account_get(st, s, out));
}

/* Wipe an account's secrets and free its hash string. */
void
store_account_clear(struct store_account *a)
{
	if (a == NULL)
		return;
	if (a->pwhash != NULL) {
		sec_wipe(a->pwhash, strlen(a->pwhash));
		free(a->pwhash);
	}
	sec_wipe(a, sizeof *a);
}

/* Create an account; the first one becomes an admin. */
int
store_account_create(struct store *st, struct store_account *a)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, ST_ACCOUNT_INSERT)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->folded, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, a->pwhash, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, a->totp_secret, sizeof a->totp_secret,
	    SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, a->totp_last_step);
	sqlite3_bind_int64(s, 6, a->created);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		a->id = sqlite3_column_int64(s, 0);
		a->is_admin = sqlite3_column_int(s, 1);
		a->cursor = sqlite3_column_int64(s, 2);
		rc = sqlite3_step(s);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_DONE)
		return (0);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return (STORE_EXISTS);
	store_error(st, "account insert");
	return (-1);
}

/* Record a TOTP step only if it is above the stored one (no replay). */
int
store_account_totp_advance(struct store *st, int64_t id, int64_t step)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_ACCOUNT_TOTP)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, step);
	if (store_exec_stmt(st, s, "totp step") != 0)
		return (-1);
	return (sqlite3_changes(st->db) == 1 ? 0 : STORE_EXISTS);
}

/* Replace an account's password hash. */
int
store_account_pwhash(struct store *st, int64_t id, const char *pwhash)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_ACCOUNT_PWHASH)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, pwhash, -1, SQLITE_STATIC);
	return (store_exec_stmt(st, s, "password hash"));
}

/* Raise an account's sync cursor. */
int
store_account_cursor(struct store *st, int64_t id, int64_t cursor)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_ACCOUNT_CURSOR)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, cursor);
	return (store_exec_stmt(st, s, "cursor"));
}

/* Store a new session under its token hash. */
int
store_session_create(struct store *st, const uint8_t *hash, int64_t account,
    int64_t now)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_SESSION_INSERT)) == NULL)
		return (-1);
	sqlite3_bind_blob(s, 1, hash, SEC_TOKEN_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, account);
	sqlite3_bind_int64(s, 3, now);
	return (store_exec_stmt(st, s, "session insert"));
}

/* Find a session by token hash. */
int
store_session_get(struct store *st, const uint8_t *hash, int64_t *account,
    int64_t *created, int64_t *last_used)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, ST_SESSION_GET)) == NULL)
		return (-1);
	sqlite3_bind_blob(s, 1, hash, SEC_TOKEN_HASH_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*account = sqlite3_column_int64(s, 0);
		*created = sqlite3_column_int64(s, 1);
		*last_used = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return (0);
	if (rc == SQLITE_DONE)
		return (STORE_NOTFOUND);
	store_error(st, "session lookup");
	return (-1);
}

/* Mark a session used now. */
int
store_session_touch(struct store *st, const uint8_t *hash, int64_t now)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_SESSION_TOUCH)) == NULL)
		return (-1);
	sqlite3_bind_blob(s, 1, hash, SEC_TOKEN_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	return (store_exec_stmt(st, s, "session touch"));
}

/* Revoke a session. */
int
store_session_delete(struct store *st, const uint8_t *hash)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_SESSION_DELETE)) == NULL)
		return (-1);
	sqlite3_bind_blob(s, 1, hash, SEC_TOKEN_HASH_LEN, SQLITE_STATIC);
	return (store_exec_stmt(st, s, "session delete"));
}

/* Drop sessions idle since before idle_before or made before created_before. */
int
store_session_purge(struct store *st, int64_t idle_before,
    int64_t created_before)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_SESSION_PURGE)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, idle_before);
	sqlite3_bind_int64(s, 2, created_before);
	return (store_exec_stmt(st, s, "session purge"));
}

/* Look a room up by name. */
int
store_room_by_name(struct store *st, const char *name, int64_t *id)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, ST_ROOM_BY_NAME)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return (0);
	if (rc == SQLITE_DONE)
		return (STORE_NOTFOUND);
	store_error(st, "room lookup");
	return (-1);
}

/* Insert a message, or find the first one with the same (sender, cid). */
int
store_msg_insert(struct store *st, struct store_msg *m)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, ST_MSG_INSERT)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, m->ts);
	sqlite3_bind_int64(s, 2, m->sender_id);
	sqlite3_bind_int64(s, 3, m->room_id);
	sqlite3_bind_int64(s, 4, m->rcpt_id);
	sqlite3_bind_text(s, 5, m->cid, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, m->body != NULL ? (const void *)m->body : "",
	    (int)m->bodylen, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "message insert") != 0)
		return (-1);
	if (sqlite3_changes(st->db) == 1) {
		m->id = sqlite3_last_insert_rowid(st->db);
		return (0);
	}

	if ((s = store_stmt(st, ST_MSG_BY_CID)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, m->sender_id);
	sqlite3_bind_text(s, 2, m->cid, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		m->id = sqlite3_column_int64(s, 0);
		m->ts = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return (STORE_EXISTS);
	store_error(st, "message by cid");
	return (-1);
}

/* The newest message id, 0 if none. */
int
store_msg_max_id(struct store *st, int64_t *id)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, ST_MSG_MAX)) == NULL)
		return (-1);
	rc = sqlite3_step(s);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		store_error(st, "max id");
		return (-1);
	}
	return (0);
}

/* Step a message query, calling cb for each row until it asks to stop. */
static int
store_msg_rows(struct store *st, sqlite3_stmt *s,
    int (*cb)(void *, const struct store_msg *), void *arg)
{
	struct store_msg	 m;
	int			 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&m, 0, sizeof m);
		m.id = sqlite3_column_int64(s, 0);
		m.ts = sqlite3_column_int64(s, 1);
		m.from = (const char *)sqlite3_column_text(s, 2);
		m.to = (const char *)sqlite3_column_text(s, 3);
		m.cid = (const char *)sqlite3_column_text(s, 4);
		m.body = sqlite3_column_blob(s, 5);
		m.bodylen = sqlite3_column_bytes(s, 5);
		m.sender_id = sqlite3_column_int64(s, 6);
		m.room_id = sqlite3_column_int64(s, 7);
		m.rcpt_id = sqlite3_column_int64(s, 8);
		if (m.from == NULL || m.to == NULL || m.cid == NULL)
			continue;
		if (cb(arg, &m) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_error(st, "message read");
		return (-1);
	}
	return (0);
}

/* Messages visible to account after since, oldest first. */
int
store_msg_sync(struct store *st, int64_t account, int64_t since, int limit,
    int (*cb)(void *, const struct store_msg *), void *arg)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_MSG_SYNC)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, account);
	sqlite3_bind_int64(s, 2, since);
	sqlite3_bind_int(s, 3, limit);
	return (store_msg_rows(st, s, cb, arg));
}

/* A room's or a DM's messages before `before`, newest first. */
int
store_msg_history(struct store *st, int64_t room, int64_t a, int64_t b,
    int64_t before, int limit, int (*cb)(void *, const struct store_msg *),
    void *arg)
{
	sqlite3_stmt	*s;

	if (room != 0) {
		if ((s = store_stmt(st, ST_MSG_HISTORY_ROOM)) == NULL)
			return (-1);
		sqlite3_bind_int64(s, 1, room);
		sqlite3_bind_int64(s, 2, before);
		sqlite3_bind_int(s, 3, limit);
	} else {
		if ((s = store_stmt(st, ST_MSG_HISTORY_DM)) == NULL)
			return (-1);
		sqlite3_bind_int64(s, 1, a);
		sqlite3_bind_int64(s, 2, b);
		sqlite3_bind_int64(s, 3, before);
		sqlite3_bind_int(s, 4, limit);
	}
	return (store_msg_rows(st, s, cb, arg));
}

/* Count one failure of kind for key. */
int
store_failure_add(struct store *st, const char *kind, const char *key,
    int64_t ts)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_FAILURE_INSERT)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, ts);
	return (store_exec_stmt(st, s, "failure insert"));
}

/* Count recent failures and find the n-th newest one's time. */
int
store_failure_count(struct store *st, const char *kind, const char *key,
    int64_t since, int n, int64_t *count, int64_t *nth)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (count != NULL) {
		if ((s = store_stmt(st, ST_FAILURE_COUNT)) == NULL)
			return (-1);
		sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, since);
		rc = sqlite3_step(s);
		*count = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
		sqlite3_reset(s);
		if (rc != SQLITE_ROW) {
			store_error(st, "failure count");
			return (-1);
		}
	}
	if (nth != NULL) {
		*nth = 0;
		if (n < 1)
			return (0);
		if ((s = store_stmt(st, ST_FAILURE_NTH)) == NULL)
			return (-1);
		sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, since);
		sqlite3_bind_int(s, 4, n - 1);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*nth = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			store_error(st, "failure nth");
			return (-1);
		}
	}
	return (0);
}

/* Forget failures older than before. */
int
store_failure_purge(struct store *st, int64_t before)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_FAILURE_PURGE)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, before);
	return (store_exec_stmt(st, s, "failure purge"));
}

/* Append an audit row. */
int
store_audit_add(struct store *st, int64_t ts, const char *kind,
    const char *account, const char *addr, const char *detail)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_AUDIT_INSERT)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, ts);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, account, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, detail, -1, SQLITE_STATIC);
	return (store_exec_stmt(st, s, "audit insert"));
}

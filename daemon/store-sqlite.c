/* chatsec — chatsecd storage on SQLite.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "xmalloc.h"
#include "store.h"
#include "store-cache.h"

/*
 * The SQLite backend of store.h.  WAL with synchronous=FULL: a commit is on
 * disk when store_commit() returns, but for a store_begin_lazy() one, which
 * the caller makes durable by syncing store_log_fd().  Every statement is
 * prepared once and cached; the statement table below is the whole of the
 * SQL the server runs after the schema is made.
 */

#define STORE_SCHEMA_VERSION	5

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
	ST_MSG_SYNC_BOUND,
	ST_MSG_HISTORY_ROOM,
	ST_MSG_HISTORY_DM,
	ST_FAILURE_INSERT,
	ST_FAILURE_COUNT,
	ST_FAILURE_NTH,
	ST_FAILURE_PURGE,
	ST_AUDIT_INSERT,
	ST_ACCOUNT_LIST,
	ST_ACCOUNT_ADMIN,
	ST_ACCOUNT_DISABLED,
	ST_SESSION_DELETE_ACCOUNT,
	ST_ROOM_GET,
	ST_ROOM_INSERT,
	ST_ROOM_TOPIC,
	ST_ROOM_DELETE_MSGS,
	ST_ROOM_DELETE,
	ST_ROOM_LIST,
	ST_MEMBER_GET,
	ST_MEMBER_PUT,
	ST_MEMBER_DELETE,
	ST_MEMBER_LIST,
	ST_MEMBER_IDS,
	ST_INVITE_PUT,
	ST_INVITE_GET,
	ST_INVITE_DELETE,
	ST_BAN_PUT,
	ST_BAN_GET,
	ST_BAN_DELETE,
	ST_REVENT_INSERT,
	ST_REVENT_RCPTS,
	ST_REVENT_RCPT,
	ST_REVENT_SYNC,
	ST_REVENT_MAX,
	ST_AUDIT_QUERY,
	ST_KEYS_LOG,
	ST_KEYS_PUT,
	ST_KEYS_GET,
	ST_ROOM_EPOCH,
	ST_MSG_GET,
	ST_MSG_DELREC,
	ST_MSG_MARK_DELETED,
	ST_MSG_REMOVE,
	ST_FILE_USAGE,
	ST_FILE_INSERT,
	ST_FILE_GET,
	ST_FILE_CHUNK_INSERT,
	ST_FILE_PROGRESS,
	ST_FILE_FINISH,
	ST_FILE_CHUNK_GET,
	ST_FILE_ANNOUNCE,
	ST_FILE_DELETE_MSG,
	ST_FILE_DELETE_ROOM,
	ST_FILE_PURGE,
	ST_COUNT
};

#define STORE_ACCOUNT_COLS \
	"id, name, name_folded, pwhash, totp_secret, totp_last_step, " \
	"is_admin, disabled, cursor, created"

/*
 * Columns of a message read: id, ts, from, to, cid, body, sender, room,
 * recipient, deletes, file.  A deletion record's "from" is who deleted.
 */
#define STORE_MSG_COLS \
	"m.id, m.ts, coalesce(b.name, s.name), coalesce(r.name, a.name), " \
	"m.cid, m.body, m.sender_id, coalesce(m.room_id, 0), " \
	"coalesce(m.rcpt_id, 0), coalesce(m.deletes, 0), f.id " \
	"FROM messages m JOIN accounts s ON s.id = m.sender_id " \
	"LEFT JOIN accounts b ON b.id = m.by_id " \
	"LEFT JOIN rooms r ON r.id = m.room_id " \
	"LEFT JOIN accounts a ON a.id = m.rcpt_id " \
	"LEFT JOIN files f ON f.msg_id = m.id "

#define STORE_FILE_COLS \
	"f.id, f.owner_id, o.name, coalesce(f.room_id, 0), " \
	"coalesce(f.rcpt_id, 0), coalesce(r.name, a.name), f.size, f.chunks, " \
	"f.have, f.bytes, f.done, coalesce(f.msg_id, 0), f.created, " \
	"f.touched FROM files f JOIN accounts o ON o.id = f.owner_id " \
	"LEFT JOIN rooms r ON r.id = f.room_id " \
	"LEFT JOIN accounts a ON a.id = f.rcpt_id "

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
	[ST_ROOM_BY_NAME] = "SELECT id FROM rooms WHERE name_folded = ?1",
	[ST_MSG_INSERT] = "INSERT OR IGNORE INTO messages (ts, sender_id, "
	    "room_id, rcpt_id, cid, body) VALUES (?1, ?2, nullif(?3, 0), "
	    "nullif(?4, 0), ?5, ?6)",
	[ST_MSG_BY_CID] = "SELECT id, ts FROM messages "
	    "WHERE sender_id = ?1 AND cid = ?2",
	[ST_MSG_MAX] = "SELECT coalesce(max(id), 0) FROM messages",
	/* Room messages only of the rooms the account is a member of now. */
	[ST_MSG_SYNC] = "SELECT " STORE_MSG_COLS
	    "WHERE m.id > ?2 AND ((m.sender_id = ?1 AND m.rcpt_id IS NOT NULL) "
	    "OR m.rcpt_id = ?1 OR "
	    "m.room_id IN (SELECT room_id FROM members WHERE account_id = ?1)) "
	    "AND m.deleted IS NULL AND m.id <= ?4 ORDER BY m.id LIMIT ?3",
	/*
	 * The id a sync page cannot go past: in each of its sources (each
	 * room, DMs received, DMs sent) the limit-th visible message after
	 * since, and the least of those.  Read on the indexes, it keeps the
	 * page's query to the rows it returns instead of every message after
	 * since (74 ms -> 0.5 ms a page with 300,000 waiting).
	 */
	[ST_MSG_SYNC_BOUND] = "SELECT coalesce(min(n), 9223372036854775807) "
	    "FROM (SELECT (SELECT id FROM messages WHERE room_id = mb.room_id "
	    "AND id > ?2 AND deleted IS NULL ORDER BY id LIMIT 1 OFFSET ?3) "
	    "AS n FROM members mb WHERE mb.account_id = ?1 "
	    "UNION ALL SELECT (SELECT id FROM messages WHERE rcpt_id = ?1 "
	    "AND id > ?2 AND deleted IS NULL ORDER BY id LIMIT 1 OFFSET ?3) "
	    "UNION ALL SELECT (SELECT id FROM messages WHERE sender_id = ?1 "
	    "AND rcpt_id IS NOT NULL AND id > ?2 AND deleted IS NULL "
	    "ORDER BY id LIMIT 1 OFFSET ?3))",
	[ST_MSG_HISTORY_ROOM] = "SELECT " STORE_MSG_COLS
	    "WHERE m.room_id = ?1 AND m.id < ?2 AND m.deleted IS NULL "
	    "ORDER BY m.id DESC LIMIT ?3",
	/*
	 * Each direction of the DM limited on its own index range, then the
	 * newest of both: an OR of the two would collect the whole
	 * conversation before `before` to sort it (134 ms -> 0.1 ms a page
	 * of a 200,000-message conversation).
	 */
	[ST_MSG_HISTORY_DM] = "SELECT " STORE_MSG_COLS
	    "WHERE m.id IN (SELECT id FROM (SELECT id FROM messages "
	    "WHERE sender_id = ?1 AND rcpt_id = ?2 AND id < ?3 "
	    "AND deleted IS NULL ORDER BY id DESC LIMIT ?4) "
	    "UNION ALL SELECT id FROM (SELECT id FROM messages "
	    "WHERE sender_id = ?2 AND rcpt_id = ?1 AND id < ?3 "
	    "AND deleted IS NULL ORDER BY id DESC LIMIT ?4)) "
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
	[ST_ACCOUNT_LIST] = "SELECT " STORE_ACCOUNT_COLS
	    " FROM accounts ORDER BY name_folded",
	[ST_ACCOUNT_ADMIN] = "UPDATE accounts SET is_admin = ?2 WHERE id = ?1",
	[ST_ACCOUNT_DISABLED] = "UPDATE accounts SET disabled = ?2 "
	    "WHERE id = ?1",
	[ST_SESSION_DELETE_ACCOUNT] = "DELETE FROM sessions "
	    "WHERE account_id = ?1",
	[ST_ROOM_GET] = "SELECT id, name, invite_only, topic, created "
	    "FROM rooms WHERE name_folded = ?1",
	[ST_ROOM_INSERT] = "INSERT INTO rooms (name, name_folded, "
	    "invite_only, topic, created) VALUES (?1, lower(?1), ?2, ?3, ?4)",
	[ST_ROOM_TOPIC] = "UPDATE rooms SET topic = ?2 WHERE id = ?1",
	[ST_ROOM_DELETE_MSGS] = "DELETE FROM messages WHERE room_id = ?1",
	[ST_ROOM_DELETE] = "DELETE FROM rooms WHERE id = ?1",
	[ST_ROOM_LIST] = "SELECT r.id, r.name, r.invite_only, r.topic, "
	    "r.created, (SELECT count(*) FROM members c WHERE c.room_id = r.id), "
	    "coalesce(m.role, 0), EXISTS (SELECT 1 FROM invites i "
	    "WHERE i.room_id = r.id AND i.account_id = ?1) "
	    "FROM rooms r LEFT JOIN members m ON m.room_id = r.id "
	    "AND m.account_id = ?1 WHERE r.invite_only = 0 OR m.role IS NOT NULL "
	    "OR EXISTS (SELECT 1 FROM invites i WHERE i.room_id = r.id "
	    "AND i.account_id = ?1) ORDER BY r.name_folded",
	[ST_MEMBER_GET] = "SELECT role, muted FROM members "
	    "WHERE room_id = ?1 AND account_id = ?2",
	[ST_MEMBER_PUT] = "INSERT OR REPLACE INTO members (room_id, account_id, "
	    "role, muted, joined) VALUES (?1, ?2, ?3, ?4, coalesce((SELECT "
	    "joined FROM members WHERE room_id = ?1 AND account_id = ?2), ?5))",
	[ST_MEMBER_DELETE] = "DELETE FROM members "
	    "WHERE room_id = ?1 AND account_id = ?2",
	[ST_MEMBER_LIST] = "SELECT m.account_id, a.name, m.role, m.muted "
	    "FROM members m JOIN accounts a ON a.id = m.account_id "
	    "WHERE m.room_id = ?1 ORDER BY a.name_folded",
	[ST_MEMBER_IDS] = "SELECT account_id FROM members WHERE room_id = ?1 "
	    "ORDER BY account_id",
	[ST_INVITE_PUT] = "INSERT OR REPLACE INTO invites (room_id, "
	    "account_id, ts) VALUES (?1, ?2, ?3)",
	[ST_INVITE_GET] = "SELECT 1 FROM invites "
	    "WHERE room_id = ?1 AND account_id = ?2",
	[ST_INVITE_DELETE] = "DELETE FROM invites "
	    "WHERE room_id = ?1 AND account_id = ?2",
	[ST_BAN_PUT] = "INSERT OR REPLACE INTO bans (room_id, account_id, "
	    "expires, reason, by_name, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_BAN_GET] = "SELECT expires FROM bans "
	    "WHERE room_id = ?1 AND account_id = ?2",
	[ST_BAN_DELETE] = "DELETE FROM bans "
	    "WHERE room_id = ?1 AND account_id = ?2",
	[ST_REVENT_INSERT] = "INSERT INTO room_events (ts, room, action, "
	    "actor, target, reason, expires, topic) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_REVENT_RCPTS] = "INSERT OR IGNORE INTO room_event_rcpts "
	    "(account_id, event_id) SELECT account_id, ?2 FROM members "
	    "WHERE room_id = ?1",
	[ST_REVENT_RCPT] = "INSERT OR IGNORE INTO room_event_rcpts "
	    "(account_id, event_id) VALUES (?1, ?2)",
	[ST_REVENT_SYNC] = "SELECT e.id, e.ts, e.room, e.action, e.actor, "
	    "e.target, e.reason, e.expires, e.topic FROM room_event_rcpts x "
	    "JOIN room_events e ON e.id = x.event_id WHERE x.account_id = ?1 "
	    "AND x.event_id > ?2 ORDER BY x.event_id LIMIT ?3",
	[ST_REVENT_MAX] = "SELECT coalesce(max(id), 0) FROM room_events",
	[ST_AUDIT_QUERY] = "SELECT id, ts, kind, account, addr, detail "
	    "FROM audit WHERE (?1 IS NULL OR lower(account) = lower(?1)) "
	    "AND (?2 IS NULL OR addr = ?2) AND (?3 IS NULL OR kind = ?3) "
	    "AND ts >= ?4 AND ts <= ?5 ORDER BY id DESC LIMIT ?6",
	[ST_KEYS_LOG] = "INSERT INTO account_keys_log (account_id, sign_pk, "
	    "box_pk, sig, since_id, ts, replaced) SELECT account_id, sign_pk, "
	    "box_pk, sig, since_id, ts, ?2 FROM account_keys "
	    "WHERE account_id = ?1",
	[ST_KEYS_PUT] = "INSERT OR REPLACE INTO account_keys (account_id, "
	    "sign_pk, box_pk, sig, since_id, ts) VALUES (?1, ?2, ?3, ?4, "
	    "(SELECT coalesce(max(id), 0) FROM messages), ?5) "
	    "RETURNING since_id",
	[ST_KEYS_GET] = "SELECT a.name, k.sign_pk, k.box_pk, k.sig, "
	    "k.since_id, k.ts FROM account_keys k JOIN accounts a "
	    "ON a.id = k.account_id WHERE a.name_folded = ?1",
	[ST_ROOM_EPOCH] = "SELECT epoch FROM rooms WHERE id = ?1",
	[ST_MSG_GET] = "SELECT m.sender_id, coalesce(m.room_id, 0), "
	    "coalesce(m.rcpt_id, 0), coalesce(m.deletes, 0), "
	    "coalesce(m.deleted, 0), coalesce(r.name, a.name) FROM messages m "
	    "LEFT JOIN rooms r ON r.id = m.room_id "
	    "LEFT JOIN accounts a ON a.id = m.rcpt_id WHERE m.id = ?1",
	/* A deletion record keeps the deleted message's sender and
	 * conversation (so it reaches exactly its readers); by_id is who
	 * deleted it.  Its cid can't clash: client cids have no '~'. */
	[ST_MSG_DELREC] = "INSERT INTO messages (ts, sender_id, room_id, "
	    "rcpt_id, cid, body, deletes, by_id) VALUES (?1, ?2, nullif(?3, 0), "
	    "nullif(?4, 0), '~deletes-' || ?5, X'', ?5, ?6)",
	[ST_MSG_MARK_DELETED] = "UPDATE messages SET body = X'', deleted = ?2 "
	    "WHERE id = ?1 AND deleted IS NULL",
	[ST_MSG_REMOVE] = "DELETE FROM messages WHERE id = ?1",
	[ST_FILE_USAGE] = "SELECT coalesce(sum(size), 0), "
	    "coalesce(sum(done = 0), 0) FROM files WHERE owner_id = ?1",
	[ST_FILE_INSERT] = "INSERT INTO files (id, owner_id, room_id, rcpt_id, "
	    "size, chunks, created, touched) VALUES (?1, ?2, nullif(?3, 0), "
	    "nullif(?4, 0), ?5, ?6, ?7, ?7)",
	[ST_FILE_GET] = "SELECT " STORE_FILE_COLS "WHERE f.id = ?1",
	[ST_FILE_CHUNK_INSERT] = "INSERT INTO file_chunks (file_id, seq, data) "
	    "VALUES (?1, ?2, ?3)",
	[ST_FILE_PROGRESS] = "UPDATE files SET have = have + 1, "
	    "bytes = bytes + ?2, touched = ?3 WHERE id = ?1 AND done = 0",
	[ST_FILE_FINISH] = "UPDATE files SET done = 1, touched = ?2 "
	    "WHERE id = ?1 AND done = 0 AND have = chunks AND bytes = size",
	[ST_FILE_CHUNK_GET] = "SELECT data FROM file_chunks "
	    "WHERE file_id = ?1 AND seq = ?2",
	[ST_FILE_ANNOUNCE] = "UPDATE files SET msg_id = ?2 WHERE id = ?1 "
	    "AND owner_id = ?3 AND coalesce(room_id, 0) = ?4 "
	    "AND coalesce(rcpt_id, 0) = ?5 AND done = 1 AND msg_id IS NULL",
	[ST_FILE_DELETE_MSG] = "DELETE FROM files WHERE msg_id = ?1",
	[ST_FILE_DELETE_ROOM] = "DELETE FROM files WHERE room_id = ?1",
	/* Unfinished uploads untouched, and finished files never announced,
	 * since before. */
	[ST_FILE_PURGE] = "DELETE FROM files WHERE msg_id IS NULL "
	    "AND touched < ?1",
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

	/* 2: named rooms, roles, invitations, bans, room events. */
	"ALTER TABLE rooms ADD COLUMN name_folded TEXT;"
	"UPDATE rooms SET name_folded = lower(name);"
	"CREATE UNIQUE INDEX rooms_folded ON rooms(name_folded);"
	"ALTER TABLE rooms ADD COLUMN invite_only INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE rooms ADD COLUMN created INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE members ("
	"  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  role INTEGER NOT NULL,"
	"  muted INTEGER NOT NULL DEFAULT 0,"
	"  joined INTEGER NOT NULL,"
	"  PRIMARY KEY (room_id, account_id)) WITHOUT ROWID;"
	"CREATE INDEX members_account ON members(account_id, room_id);"
	"INSERT INTO members (room_id, account_id, role, joined)"
	"  SELECT 1, id, 1, created FROM accounts;"
	"CREATE TABLE invites ("
	"  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  ts INTEGER NOT NULL,"
	"  PRIMARY KEY (room_id, account_id)) WITHOUT ROWID;"
	"CREATE TABLE bans ("
	"  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  expires INTEGER NOT NULL,"
	"  reason TEXT,"
	"  by_name TEXT,"
	"  ts INTEGER NOT NULL,"
	"  PRIMARY KEY (room_id, account_id)) WITHOUT ROWID;"
	"CREATE TABLE room_events ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  ts INTEGER NOT NULL,"
	"  room TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  actor TEXT,"
	"  target TEXT,"
	"  reason TEXT,"
	"  expires INTEGER NOT NULL DEFAULT 0,"
	"  topic TEXT);"
	"CREATE TABLE room_event_rcpts ("
	"  account_id INTEGER NOT NULL,"
	"  event_id INTEGER NOT NULL REFERENCES room_events(id)"
	"    ON DELETE CASCADE,"
	"  PRIMARY KEY (account_id, event_id)) WITHOUT ROWID;"
	"CREATE INDEX audit_ts ON audit(ts);",
	/* 2 -> 3: public key bundles and room membership epochs (issue 4). */
	"CREATE TABLE account_keys ("
	"  account_id INTEGER PRIMARY KEY REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  sign_pk BLOB NOT NULL,"
	"  box_pk BLOB NOT NULL,"
	"  sig BLOB NOT NULL,"
	"  since_id INTEGER NOT NULL,"
	"  ts INTEGER NOT NULL);"
	"CREATE TABLE account_keys_log ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL,"
	"  sign_pk BLOB NOT NULL,"
	"  box_pk BLOB NOT NULL,"
	"  sig BLOB NOT NULL,"
	"  since_id INTEGER NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  replaced INTEGER NOT NULL);"
	"ALTER TABLE rooms ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;"
	"CREATE TRIGGER members_epoch_ins AFTER INSERT ON members BEGIN"
	"  UPDATE rooms SET epoch = epoch + 1 WHERE id = NEW.room_id; END;"
	"CREATE TRIGGER members_epoch_del AFTER DELETE ON members BEGIN"
	"  UPDATE rooms SET epoch = epoch + 1 WHERE id = OLD.room_id; END;",
	/* 3 -> 4: files (ciphertext chunks) and message deletion (issue 6). */
	"ALTER TABLE messages ADD COLUMN deletes INTEGER;"
	"ALTER TABLE messages ADD COLUMN deleted INTEGER;"
	"ALTER TABLE messages ADD COLUMN by_id INTEGER;"
	"CREATE TABLE files ("
	"  id TEXT PRIMARY KEY,"
	"  owner_id INTEGER NOT NULL REFERENCES accounts(id),"
	"  room_id INTEGER REFERENCES rooms(id) ON DELETE CASCADE,"
	"  rcpt_id INTEGER REFERENCES accounts(id),"
	"  size INTEGER NOT NULL,"
	"  chunks INTEGER NOT NULL,"
	"  have INTEGER NOT NULL DEFAULT 0,"
	"  bytes INTEGER NOT NULL DEFAULT 0,"
	"  done INTEGER NOT NULL DEFAULT 0,"
	"  msg_id INTEGER UNIQUE,"
	"  created INTEGER NOT NULL,"
	"  touched INTEGER NOT NULL,"
	"  CHECK ((room_id IS NULL) <> (rcpt_id IS NULL)));"
	"CREATE INDEX files_owner ON files(owner_id, done);"
	"CREATE INDEX files_room ON files(room_id);"
	"CREATE INDEX files_touched ON files(touched) WHERE msg_id IS NULL;"
	"CREATE TABLE file_chunks ("
	"  id INTEGER PRIMARY KEY,"
	"  file_id TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  data BLOB NOT NULL,"
	"  UNIQUE (file_id, seq));",
	/*
	 * 4 -> 5: the message indexes by room, by recipient and by DM sender
	 * cover only the rows they are searched for.  A room message no
	 * longer touches a recipient page and one DM page per sender in
	 * every commit (a third of the pages a commit wrote in the fan-out
	 * benchmark).  The DM index is by sender and id, so sync reads the
	 * DMs an account sent after its cursor as a range instead of every
	 * message it ever sent (22 ms -> 0.1 ms a sync for 300,000).
	 */
	"DROP INDEX messages_room;"
	"DROP INDEX messages_rcpt;"
	"DROP INDEX messages_dm;"
	"CREATE INDEX messages_room ON messages(room_id, id)"
	"  WHERE room_id IS NOT NULL;"
	"CREATE INDEX messages_rcpt ON messages(rcpt_id, id)"
	"  WHERE rcpt_id IS NOT NULL;"
	"CREATE INDEX messages_dm ON messages(sender_id, id)"
	"  WHERE rcpt_id IS NOT NULL;",
};

/*
 * Statements that write a room table (rooms, members and their epoch
 * trigger, invites, bans): running one clears the room-standing cache.
 */
static const unsigned char store_sql_rooms_write[ST_COUNT] = {
	[ST_ACCOUNT_INSERT] = 1,
	[ST_ROOM_INSERT] = 1,
	[ST_ROOM_TOPIC] = 1,
	[ST_ROOM_DELETE] = 1,
	[ST_MEMBER_PUT] = 1,
	[ST_MEMBER_DELETE] = 1,
	[ST_INVITE_PUT] = 1,
	[ST_INVITE_DELETE] = 1,
	[ST_BAN_PUT] = 1,
	[ST_BAN_DELETE] = 1,
};

struct store {
	sqlite3			*db;
	char			*path;
	sqlite3_stmt		*stmt[ST_COUNT];
	int			 in_txn;
	int			 lazy;		/* synchronous=NORMAL until done */
	int			 logfd;		/* the -wal file, or -1 */
	struct store_cache	*cache;		/* room standings */
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

	if (store_sql_rooms_write[n])
		store_cache_clear(st->cache);
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
	st->logfd = -1;
	st->cache = store_cache_new();
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
	store_cache_free(st->cache);
	if (st->logfd != -1)
		close(st->logfd);
	free(st->path);
	free(st);
}

/* Back to durable commits after a lazy transaction.  0 or -1. */
static int
store_durable(struct store *st)
{
	if (st->lazy && store_exec(st, "PRAGMA synchronous = FULL") == 0)
		st->lazy = 0;
	return (st->lazy ? -1 : 0);
}

/* Begin a transaction (a durable one unless lazy). */
static int
store_begin_txn(struct store *st, int lazy)
{
	sqlite3_stmt	*s;

	if (lazy && !st->lazy) {
		if (store_exec(st, "PRAGMA synchronous = NORMAL") != 0)
			return (-1);
		st->lazy = 1;
	} else if (!lazy && store_durable(st) != 0)
		return (-1);
	if ((s = store_stmt(st, ST_BEGIN)) == NULL ||
	    store_exec_stmt(st, s, "begin") != 0) {
		store_durable(st);
		return (-1);
	}
	st->in_txn = 1;
	return (0);
}

/* Open a write transaction; its commit is on disk when it returns. */
int
store_begin(struct store *st)
{
	return (store_begin_txn(st, 0));
}

/*
 * Begin a transaction whose commit does not wait for the disk: WAL with
 * synchronous=NORMAL, so it survives chatsecd's crash but not the machine's
 * until the next durable commit, which syncs the log and so everything
 * before it.  SQLite applies the setting when the pragma is prepared, and
 * only outside a transaction, so it is run each time rather than cached.
 */
int
store_begin_lazy(struct store *st)
{
	return (store_begin_txn(st, 1));
}

int
store_synchronous(struct store *st)
{
	sqlite3_stmt	*s;
	int		 level = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA synchronous", -1, &s,
	    NULL) != SQLITE_OK) {
		store_error(st, "synchronous");
		return (-1);
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		level = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return (level);
}

/*
 * A descriptor of the write-ahead log, for syncing it after a lazy commit
 * (fdatasync makes every commit written before it durable, as a commit
 * with synchronous=FULL would).  SQLite keeps the file while the database
 * is open.  -1 for an in-memory database or if it can't be opened (logged):
 * the caller then commits durably instead.
 */
int
store_log_fd(struct store *st)
{
	char	*wal;

	if (st->logfd != -1 || strcmp(st->path, ":memory:") == 0)
		return (st->logfd);
	xasprintf(&wal, "%s-wal", st->path);
	if ((st->logfd = open(wal, O_RDONLY | O_CLOEXEC)) == -1)
		log_warn("store: %s", wal);
	free(wal);
	return (st->logfd);
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
	store_durable(st);
	return (0);
}

/* Abandon the open transaction, if any. */
void
store_rollback(struct store *st)
{
	sqlite3_stmt	*s;

	/* What was read in the transaction may be gone with it. */
	store_cache_clear(st->cache);
	if (sqlite3_get_autocommit(st->db) == 0 &&
	    (s = store_stmt(st, ST_ROLLBACK)) != NULL)
		store_exec_stmt(st, s, "rollback");
	st->in_txn = 0;
	store_durable(st);
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
		return (store_member_put(st, STORE_GENERAL_ROOM, a->id,
		    STORE_ROLE_MEMBER, 0, a->created));
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

/* Look a room up by folded name. */
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

/* Step a one-row, one-column query: *out, or -1 (logged as what). */
static int
store_step_int64(struct store *st, sqlite3_stmt *s, const char *what,
    int64_t *out)
{
	int	 rc;

	rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		store_error(st, what);
		return (-1);
	}
	return (0);
}

/* The newest message id, 0 if none. */
int
store_msg_max_id(struct store *st, int64_t *id)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_MSG_MAX)) == NULL)
		return (-1);
	return (store_step_int64(st, s, "max id", id));
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
		m.deletes = sqlite3_column_int64(s, 9);
		m.file = (const char *)sqlite3_column_text(s, 10);
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

/* Messages visible to account after since (up to upto), oldest first. */
int
store_msg_sync(struct store *st, int64_t account, int64_t since,
    int64_t upto, int limit, int (*cb)(void *, const struct store_msg *),
    void *arg)
{
	sqlite3_stmt	*s;
	int64_t		 bound;

	if (limit < 1)
		return (0);
	if ((s = store_stmt(st, ST_MSG_SYNC_BOUND)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, account);
	sqlite3_bind_int64(s, 2, since);
	sqlite3_bind_int(s, 3, limit - 1);
	if (store_step_int64(st, s, "sync bound", &bound) != 0)
		return (-1);
	if (bound > upto)
		bound = upto;

	if ((s = store_stmt(st, ST_MSG_SYNC)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, account);
	sqlite3_bind_int64(s, 2, since);
	sqlite3_bind_int(s, 3, limit);
	sqlite3_bind_int64(s, 4, bound);
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

/* Bind text or NULL. */
static void
store_bind_text_or_null(sqlite3_stmt *s, int col, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, col);
	else
		sqlite3_bind_text(s, col, v, -1, SQLITE_STATIC);
}

/* Run a statement binding (a, b) as int64s; 0 or -1. */
static int
store_exec2(struct store *st, enum store_stmt n, int64_t a, int64_t b,
    const char *what)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, n)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	return (store_exec_stmt(st, s, what));
}

/* Every account, by folded name; pwhash is left NULL. */
int
store_account_list(struct store *st,
    int (*cb)(void *, const struct store_account *), void *arg)
{
	struct store_account	 a;
	sqlite3_stmt		*s;
	int			 rc;

	if ((s = store_stmt(st, ST_ACCOUNT_LIST)) == NULL)
		return (-1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_account_row(s, &a);
		sec_wipe(a.pwhash, strlen(a.pwhash));
		free(a.pwhash);
		a.pwhash = NULL;
		sec_wipe(a.totp_secret, sizeof a.totp_secret);
		rc = cb(arg, &a);
		store_account_clear(&a);
		if (rc != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_error(st, "account list");
		return (-1);
	}
	return (0);
}

/* Grant or revoke server admin. */
int
store_account_set_admin(struct store *st, int64_t id, int on)
{
	return (store_exec2(st, ST_ACCOUNT_ADMIN, id, on != 0, "admin"));
}

/* Disable or enable an account. */
int
store_account_set_disabled(struct store *st, int64_t id, int on)
{
	return (store_exec2(st, ST_ACCOUNT_DISABLED, id, on != 0, "disable"));
}

/* Revoke every session of an account. */
int
store_session_delete_account(struct store *st, int64_t account)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_SESSION_DELETE_ACCOUNT)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, account);
	return (store_exec_stmt(st, s, "session delete account"));
}

/* Fill a room from columns id, name, invite_only, topic, created. */
static void
store_room_row(sqlite3_stmt *s, struct store_room *r)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(s, 0);
	store_column_str(s, 1, r->name, sizeof r->name);
	r->invite_only = sqlite3_column_int(s, 2);
	store_column_str(s, 3, r->topic, sizeof r->topic);
	r->created = sqlite3_column_int64(s, 4);
}

/* Look a room up by folded name. */
int
store_room_get(struct store *st, const char *folded, struct store_room *out)
{
	sqlite3_stmt	*s;
	int		 rc;

	memset(out, 0, sizeof *out);
	if (store_cache_room(st->cache, folded, out, &rc))
		return (rc);
	if ((s = store_stmt(st, ST_ROOM_GET)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, folded, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_room_row(s, out);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		rc = rc == SQLITE_ROW ? 0 : STORE_NOTFOUND;
		store_cache_room_put(st->cache, folded, rc, out);
		return (rc);
	}
	store_error(st, "room get");
	return (-1);
}

/* Create a room and make owner its owner. */
int
store_room_create(struct store *st, struct store_room *r, int64_t owner)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, ST_ROOM_INSERT)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, r->invite_only != 0);
	sqlite3_bind_text(s, 3, r->topic, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, r->created);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return (STORE_EXISTS);
	if (rc != SQLITE_DONE) {
		store_error(st, "room insert");
		return (-1);
	}
	r->id = sqlite3_last_insert_rowid(st->db);
	return (store_member_put(st, r->id, owner, STORE_ROLE_OWNER, 0,
	    r->created));
}

/* Set a room's topic. */
int
store_room_topic(struct store *st, int64_t room, const char *topic)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_ROOM_TOPIC)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC);
	return (store_exec_stmt(st, s, "room topic"));
}

/* Delete a room, its files and its history (members, invitations, bans
 * cascade). */
int
store_room_delete(struct store *st, int64_t room)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_FILE_DELETE_ROOM)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, room);
	if (store_exec_stmt(st, s, "room files delete") != 0)
		return (-1);
	if ((s = store_stmt(st, ST_ROOM_DELETE_MSGS)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, room);
	if (store_exec_stmt(st, s, "room messages delete") != 0)
		return (-1);
	if ((s = store_stmt(st, ST_ROOM_DELETE)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, room);
	return (store_exec_stmt(st, s, "room delete"));
}

/* Rooms account may see, with counts and the account's role. */
int
store_room_list(struct store *st, int64_t account,
    int (*cb)(void *, const struct store_room *), void *arg)
{
	struct store_room	 r;
	sqlite3_stmt		*s;
	int			 rc;

	if ((s = store_stmt(st, ST_ROOM_LIST)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, account);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_room_row(s, &r);
		r.members = sqlite3_column_int64(s, 5);
		r.role = sqlite3_column_int(s, 6);
		r.invited = sqlite3_column_int(s, 7);
		if (cb(arg, &r) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_error(st, "room list");
		return (-1);
	}
	return (0);
}

/* An account's role and mute in a room. */
int
store_member_get(struct store *st, int64_t room, int64_t account, int *role,
    int *muted)
{
	sqlite3_stmt	*s;
	int		 rc;

	int64_t		 v[2] = { STORE_ROLE_NONE, 0 };

	if (!store_cache_get(st->cache, STORE_CACHE_MEMBER, room, account,
	    &rc, v)) {
		if ((s = store_stmt(st, ST_MEMBER_GET)) == NULL)
			return (-1);
		sqlite3_bind_int64(s, 1, room);
		sqlite3_bind_int64(s, 2, account);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			v[0] = sqlite3_column_int(s, 0);
			v[1] = sqlite3_column_int(s, 1);
		}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			store_error(st, "member get");
			*role = STORE_ROLE_NONE;
			*muted = 0;
			return (-1);
		}
		rc = rc == SQLITE_ROW ? 0 : STORE_NOTFOUND;
		store_cache_put(st->cache, STORE_CACHE_MEMBER, room, account,
		    rc, v);
	}
	*role = (int)v[0];
	*muted = (int)v[1];
	return (rc);
}

/* Insert or replace a membership, keeping its join time. */
int
store_member_put(struct store *st, int64_t room, int64_t account, int role,
    int muted, int64_t now)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_MEMBER_PUT)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_int64(s, 2, account);
	sqlite3_bind_int(s, 3, role);
	sqlite3_bind_int(s, 4, muted != 0);
	sqlite3_bind_int64(s, 5, now);
	return (store_exec_stmt(st, s, "member put"));
}

/* End a membership. */
int
store_member_delete(struct store *st, int64_t room, int64_t account)
{
	return (store_exec2(st, ST_MEMBER_DELETE, room, account,
	    "member delete"));
}

/* A room's members by name. */
int
store_member_list(struct store *st, int64_t room,
    int (*cb)(void *, const struct store_member *), void *arg)
{
	struct store_member	 m;
	sqlite3_stmt		*s;
	int			 rc;

	if ((s = store_stmt(st, ST_MEMBER_LIST)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, room);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		m.account = sqlite3_column_int64(s, 0);
		m.name = (const char *)sqlite3_column_text(s, 1);
		m.role = sqlite3_column_int(s, 2);
		m.muted = sqlite3_column_int(s, 3);
		if (m.name == NULL)
			continue;
		if (cb(arg, &m) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_error(st, "member list");
		return (-1);
	}
	return (0);
}

/* A room's member ids, ascending, in a new array. */
int
store_member_ids(struct store *st, int64_t room, int64_t **ids, size_t *n)
{
	sqlite3_stmt	*s;
	size_t		 cap = 16;
	int		 rc;

	*ids = NULL;
	*n = 0;
	if ((s = store_stmt(st, ST_MEMBER_IDS)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, room);
	*ids = xreallocarray(NULL, cap, sizeof **ids);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap *= 2;
			*ids = xreallocarray(*ids, cap, sizeof **ids);
		}
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_error(st, "member ids");
		free(*ids);
		*ids = NULL;
		*n = 0;
		return (-1);
	}
	return (0);
}

/* Invite an account to a room. */
int
store_invite_put(struct store *st, int64_t room, int64_t account, int64_t now)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_INVITE_PUT)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_int64(s, 2, account);
	sqlite3_bind_int64(s, 3, now);
	return (store_exec_stmt(st, s, "invite put"));
}

/* Whether an account is invited to a room. */
int
store_invite_get(struct store *st, int64_t room, int64_t account)
{
	sqlite3_stmt	*s;
	int		 rc;

	int64_t		 v[2] = { 0, 0 };

	if (store_cache_get(st->cache, STORE_CACHE_INVITE, room, account,
	    &rc, v))
		return (rc);
	if ((s = store_stmt(st, ST_INVITE_GET)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_int64(s, 2, account);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_error(st, "invite get");
		return (-1);
	}
	rc = rc == SQLITE_ROW ? 0 : STORE_NOTFOUND;
	store_cache_put(st->cache, STORE_CACHE_INVITE, room, account, rc, v);
	return (rc);
}

/* Withdraw (or use up) an invitation. */
int
store_invite_delete(struct store *st, int64_t room, int64_t account)
{
	return (store_exec2(st, ST_INVITE_DELETE, room, account,
	    "invite delete"));
}

/* Ban an account from a room until expires (0: for good). */
int
store_ban_put(struct store *st, int64_t room, int64_t account,
    int64_t expires, const char *reason, const char *by, int64_t now)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_BAN_PUT)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_int64(s, 2, account);
	sqlite3_bind_int64(s, 3, expires);
	store_bind_text_or_null(s, 4, reason);
	store_bind_text_or_null(s, 5, by);
	sqlite3_bind_int64(s, 6, now);
	return (store_exec_stmt(st, s, "ban put"));
}

/* An account's ban row in a room. */
int
store_ban_get(struct store *st, int64_t room, int64_t account,
    int64_t *expires)
{
	sqlite3_stmt	*s;
	int		 rc;

	int64_t		 v[2] = { 0, 0 };

	*expires = 0;
	if (store_cache_get(st->cache, STORE_CACHE_BAN, room, account,
	    &rc, v)) {
		*expires = v[0];
		return (rc);
	}
	if ((s = store_stmt(st, ST_BAN_GET)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_int64(s, 2, account);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		v[0] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_error(st, "ban get");
		return (-1);
	}
	rc = rc == SQLITE_ROW ? 0 : STORE_NOTFOUND;
	store_cache_put(st->cache, STORE_CACHE_BAN, room, account, rc, v);
	*expires = v[0];
	return (rc);
}

/* Lift a ban. */
int
store_ban_delete(struct store *st, int64_t room, int64_t account)
{
	return (store_exec2(st, ST_BAN_DELETE, room, account, "ban delete"));
}

/* Record a room event for the room's members, target and actor. */
int
store_room_event_add(struct store *st, struct store_room_event *ev,
    int64_t room, int64_t target, int64_t actor)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_REVENT_INSERT)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, ev->ts);
	sqlite3_bind_text(s, 2, ev->room, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, ev->action, -1, SQLITE_STATIC);
	store_bind_text_or_null(s, 4, ev->actor);
	store_bind_text_or_null(s, 5, ev->target);
	store_bind_text_or_null(s, 6, ev->reason);
	sqlite3_bind_int64(s, 7, ev->expires);
	store_bind_text_or_null(s, 8, ev->topic);
	if (store_exec_stmt(st, s, "room event insert") != 0)
		return (-1);
	ev->id = sqlite3_last_insert_rowid(st->db);
	if (room != 0 && store_exec2(st, ST_REVENT_RCPTS, room, ev->id,
	    "room event members") != 0)
		return (-1);
	if (target != 0 && store_exec2(st, ST_REVENT_RCPT, target, ev->id,
	    "room event target") != 0)
		return (-1);
	if (actor != 0 && store_exec2(st, ST_REVENT_RCPT, actor, ev->id,
	    "room event actor") != 0)
		return (-1);
	return (0);
}

/* Room events for account after since, oldest first. */
int
store_room_event_sync(struct store *st, int64_t account, int64_t since,
    int limit, int (*cb)(void *, const struct store_room_event *), void *arg)
{
	struct store_room_event	 ev;
	sqlite3_stmt		*s;
	int			 rc;

	if ((s = store_stmt(st, ST_REVENT_SYNC)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, account);
	sqlite3_bind_int64(s, 2, since);
	sqlite3_bind_int(s, 3, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&ev, 0, sizeof ev);
		ev.id = sqlite3_column_int64(s, 0);
		ev.ts = sqlite3_column_int64(s, 1);
		ev.room = (const char *)sqlite3_column_text(s, 2);
		ev.action = (const char *)sqlite3_column_text(s, 3);
		ev.actor = (const char *)sqlite3_column_text(s, 4);
		ev.target = (const char *)sqlite3_column_text(s, 5);
		ev.reason = (const char *)sqlite3_column_text(s, 6);
		ev.expires = sqlite3_column_int64(s, 7);
		ev.topic = (const char *)sqlite3_column_text(s, 8);
		if (ev.room == NULL || ev.action == NULL)
			continue;
		if (cb(arg, &ev) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_error(st, "room event sync");
		return (-1);
	}
	return (0);
}

/* The newest room event id, 0 if none. */
int
store_room_event_max(struct store *st, int64_t *id)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, ST_REVENT_MAX)) == NULL)
		return (-1);
	rc = sqlite3_step(s);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		store_error(st, "room event max");
		return (-1);
	}
	return (0);
}

/* Audit rows matching f, newest first. */
int
store_audit_query(struct store *st, const struct store_audit_filter *f,
    int (*cb)(void *, const struct store_audit *), void *arg)
{
	struct store_audit	 a;
	sqlite3_stmt		*s;
	int			 rc;

	if ((s = store_stmt(st, ST_AUDIT_QUERY)) == NULL)
		return (-1);
	store_bind_text_or_null(s, 1, f->account);
	store_bind_text_or_null(s, 2, f->addr);
	store_bind_text_or_null(s, 3, f->kind);
	sqlite3_bind_int64(s, 4, f->since);
	sqlite3_bind_int64(s, 5, f->until > 0 ? f->until : INT64_MAX);
	sqlite3_bind_int(s, 6, f->limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a.id = sqlite3_column_int64(s, 0);
		a.ts = sqlite3_column_int64(s, 1);
		a.kind = (const char *)sqlite3_column_text(s, 2);
		a.account = (const char *)sqlite3_column_text(s, 3);
		a.addr = (const char *)sqlite3_column_text(s, 4);
		a.detail = (const char *)sqlite3_column_text(s, 5);
		if (a.kind == NULL)
			continue;
		if (cb(arg, &a) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_error(st, "audit query");
		return (-1);
	}
	return (0);
}

/* Replace an account's public key bundle, logging the old one. */
int
store_keys_put(struct store *st, int64_t account, const struct store_keys *k,
    int64_t *since_id)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, ST_KEYS_LOG)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, account);
	sqlite3_bind_int64(s, 2, k->ts);
	if (store_exec_stmt(st, s, "keys log") != 0)
		return (-1);
	if ((s = store_stmt(st, ST_KEYS_PUT)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, account);
	sqlite3_bind_blob(s, 2, k->sign_pk, STORE_PK_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, k->box_pk, STORE_PK_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, k->sig, STORE_SIG_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, k->ts);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*since_id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		store_error(st, "keys put");
		return (-1);
	}
	return (0);
}

/* Copy a blob column of exactly len bytes; -1 if it has another size. */
static int
store_blob_copy(sqlite3_stmt *s, int col, uint8_t *out, size_t len)
{
	const void	*p = sqlite3_column_blob(s, col);

	if (p == NULL || (size_t)sqlite3_column_bytes(s, col) != len)
		return (-1);
	memcpy(out, p, len);
	return (0);
}

/* An account's public key bundle by folded name. */
int
store_keys_get(struct store *st, const char *folded, struct store_keys *out)
{
	sqlite3_stmt	*s;
	const char	*name;
	int		 rc, ret = -1;

	memset(out, 0, sizeof *out);
	if ((s = store_stmt(st, ST_KEYS_GET)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, folded, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else if (rc == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(s, 0);
		snprintf(out->name, sizeof out->name, "%s",
		    name != NULL ? name : "");
		if (store_blob_copy(s, 1, out->sign_pk, STORE_PK_LEN) != 0 ||
		    store_blob_copy(s, 2, out->box_pk, STORE_PK_LEN) != 0 ||
		    store_blob_copy(s, 3, out->sig, STORE_SIG_LEN) != 0)
			ret = STORE_NOTFOUND;
		else {
			out->since_id = sqlite3_column_int64(s, 4);
			out->ts = sqlite3_column_int64(s, 5);
			ret = 0;
		}
	} else
		store_error(st, "keys get");
	sqlite3_reset(s);
	return (ret);
}

/* A room's membership epoch. */
int
store_room_epoch(struct store *st, int64_t room, int64_t *epoch)
{
	sqlite3_stmt	*s;
	int		 rc;

	*epoch = 0;
	if ((s = store_stmt(st, ST_ROOM_EPOCH)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, room);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*epoch = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return (STORE_NOTFOUND);
	if (rc != SQLITE_ROW) {
		store_error(st, "room epoch");
		return (-1);
	}
	return (0);
}

/* The facts about one message that deleting it needs. */
int
store_msg_get(struct store *st, int64_t id, struct store_msg_ref *out)
{
	sqlite3_stmt	*s;
	int		 rc;

	memset(out, 0, sizeof *out);
	if ((s = store_stmt(st, ST_MSG_GET)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = id;
		out->sender_id = sqlite3_column_int64(s, 0);
		out->room_id = sqlite3_column_int64(s, 1);
		out->rcpt_id = sqlite3_column_int64(s, 2);
		out->deletes = sqlite3_column_int64(s, 3);
		out->deleted = sqlite3_column_int64(s, 4);
		store_column_str(s, 5, out->to, sizeof out->to);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return (0);
	if (rc == SQLITE_DONE)
		return (STORE_NOTFOUND);
	store_error(st, "message get");
	return (-1);
}

/*
 * Inside a transaction: add the deletion record of message m (by account
 * by, at ts), empty m's body and remove its file with every chunk.  Sets
 * *rec_id.  STORE_NOTFOUND if m is already deleted.
 */
int
store_msg_delete(struct store *st, const struct store_msg_ref *m, int64_t by,
    int64_t ts, int64_t *rec_id)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_MSG_DELREC)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, ts);
	sqlite3_bind_int64(s, 2, m->sender_id);
	sqlite3_bind_int64(s, 3, m->room_id);
	sqlite3_bind_int64(s, 4, m->rcpt_id);
	sqlite3_bind_int64(s, 5, m->id);
	sqlite3_bind_int64(s, 6, by);
	if (store_exec_stmt(st, s, "deletion record") != 0)
		return (-1);
	*rec_id = sqlite3_last_insert_rowid(st->db);
	if (store_exec2(st, ST_MSG_MARK_DELETED, m->id, *rec_id,
	    "message delete") != 0)
		return (-1);
	if (sqlite3_changes(st->db) != 1)
		return (STORE_NOTFOUND);
	if ((s = store_stmt(st, ST_FILE_DELETE_MSG)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, m->id);
	return (store_exec_stmt(st, s, "message file delete"));
}

/* Inside the batch transaction: take back a message just inserted. */
int
store_msg_remove(struct store *st, int64_t id)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_MSG_REMOVE)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, id);
	return (store_exec_stmt(st, s, "message remove"));
}

/* What an account's files take (declared sizes) and how many are unfinished. */
int
store_file_usage(struct store *st, int64_t account, int64_t *used,
    int64_t *unfinished)
{
	sqlite3_stmt	*s;
	int		 rc;

	*used = *unfinished = 0;
	if ((s = store_stmt(st, ST_FILE_USAGE)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, account);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*used = sqlite3_column_int64(s, 0);
		*unfinished = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		store_error(st, "file usage");
		return (-1);
	}
	return (0);
}

/* Record a new upload.  STORE_EXISTS if the id is taken. */
int
store_file_create(struct store *st, const struct store_file *f)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store_stmt(st, ST_FILE_INSERT)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, f->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, f->owner_id);
	sqlite3_bind_int64(s, 3, f->room_id);
	sqlite3_bind_int64(s, 4, f->rcpt_id);
	sqlite3_bind_int64(s, 5, f->size);
	sqlite3_bind_int64(s, 6, f->chunks);
	sqlite3_bind_int64(s, 7, f->created);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return (STORE_EXISTS);
	if (rc != SQLITE_DONE) {
		store_error(st, "file insert");
		return (-1);
	}
	return (0);
}

/* Look a file up by id. */
int
store_file_get(struct store *st, const char *id, struct store_file *out)
{
	sqlite3_stmt	*s;
	int		 rc;

	memset(out, 0, sizeof *out);
	if ((s = store_stmt(st, ST_FILE_GET)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		store_column_str(s, 0, out->id, sizeof out->id);
		out->owner_id = sqlite3_column_int64(s, 1);
		store_column_str(s, 2, out->owner, sizeof out->owner);
		out->room_id = sqlite3_column_int64(s, 3);
		out->rcpt_id = sqlite3_column_int64(s, 4);
		store_column_str(s, 5, out->to, sizeof out->to);
		out->size = sqlite3_column_int64(s, 6);
		out->chunks = sqlite3_column_int64(s, 7);
		out->have = sqlite3_column_int64(s, 8);
		out->bytes = sqlite3_column_int64(s, 9);
		out->done = sqlite3_column_int(s, 10);
		out->msg_id = sqlite3_column_int64(s, 11);
		out->created = sqlite3_column_int64(s, 12);
		out->touched = sqlite3_column_int64(s, 13);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return (0);
	if (rc == SQLITE_DONE)
		return (STORE_NOTFOUND);
	store_error(st, "file get");
	return (-1);
}

/* Store chunk seq of an unfinished file and count it. */
int
store_file_chunk_put(struct store *st, const char *id, int64_t seq,
    const uint8_t *data, size_t len, int64_t now)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_FILE_CHUNK_INSERT)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_blob(s, 3, data, (int)len, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "chunk insert") != 0)
		return (-1);
	if ((s = store_stmt(st, ST_FILE_PROGRESS)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)len);
	sqlite3_bind_int64(s, 3, now);
	if (store_exec_stmt(st, s, "file progress") != 0)
		return (-1);
	return (sqlite3_changes(st->db) == 1 ? 0 : STORE_NOTFOUND);
}

/* Mark a complete upload finished.  STORE_NOTFOUND if it is not one. */
int
store_file_finish(struct store *st, const char *id, int64_t now)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_FILE_FINISH)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	if (store_exec_stmt(st, s, "file finish") != 0)
		return (-1);
	return (sqlite3_changes(st->db) == 1 ? 0 : STORE_NOTFOUND);
}

/* Copy chunk seq of a file into buf (size bytes); sets *len. */
int
store_file_chunk_get(struct store *st, const char *id, int64_t seq,
    uint8_t *buf, size_t size, size_t *len)
{
	sqlite3_stmt	*s;
	const void	*p;
	size_t		 n;
	int		 rc, ret = -1;

	*len = 0;
	if ((s = store_stmt(st, ST_FILE_CHUNK_GET)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else if (rc == SQLITE_ROW) {
		p = sqlite3_column_blob(s, 0);
		n = (size_t)sqlite3_column_bytes(s, 0);
		if (n > size || (p == NULL && n != 0))
			log_warnx("store: chunk %lld of %s: %zu bytes",
			    (long long)seq, id, n);
		else {
			if (n != 0)
				memcpy(buf, p, n);
			*len = n;
			ret = 0;
		}
	} else
		store_error(st, "chunk get");
	sqlite3_reset(s);
	return (ret);
}

/*
 * Inside the batch transaction: tie a finished, unannounced file of owner
 * for the conversation (room or rcpt) to message msg_id.  STORE_NOTFOUND
 * if the file is not such a file.
 */
int
store_file_announce(struct store *st, const char *id, int64_t owner,
    int64_t room, int64_t rcpt, int64_t msg_id)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, ST_FILE_ANNOUNCE)) == NULL)
		return (-1);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, msg_id);
	sqlite3_bind_int64(s, 3, owner);
	sqlite3_bind_int64(s, 4, room);
	sqlite3_bind_int64(s, 5, rcpt);
	if (store_exec_stmt(st, s, "file announce") != 0)
		return (-1);
	return (sqlite3_changes(st->db) == 1 ? 0 : STORE_NOTFOUND);
}

/* Remove files no message announces, untouched since before; *n removed. */
int
store_file_purge(struct store *st, int64_t before, int *n)
{
	sqlite3_stmt	*s;

	*n = 0;
	if ((s = store_stmt(st, ST_FILE_PURGE)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, before);
	if (store_exec_stmt(st, s, "file purge") != 0)
		return (-1);
	*n = sqlite3_changes(st->db);
	return (0);
}

/* The id of the message sender sent with cid. */
int
store_msg_by_cid(struct store *st, int64_t sender, const char *cid,
    int64_t *id)
{
	sqlite3_stmt	*s;
	int		 rc;

	*id = 0;
	if ((s = store_stmt(st, ST_MSG_BY_CID)) == NULL)
		return (-1);
	sqlite3_bind_int64(s, 1, sender);
	sqlite3_bind_text(s, 2, cid, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return (0);
	if (rc == SQLITE_DONE)
		return (STORE_NOTFOUND);
	store_error(st, "message by cid");
	return (-1);
}

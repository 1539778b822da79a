/* chatsec — chatsec-agent private header.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_AGENT_H
#define CHATSEC_AGENT_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

struct bufferevent;
struct event;
struct event_base;
struct json_object;

/*
 * Limits of the agent (sizes in bytes, times in ms unless named); the API
 * and wire limits themselves are in proto.h.
 */
#define AGENT_OUT_PAUSE		(1024 * 1024)	/* stop reading a client */
#define AGENT_OUT_HARD		(8 * 1024 * 1024) /* then drop it */
#define AGENT_PENDING_MAX	256		/* open requests per client */
#define AGENT_OUTBOX_MAX	1000		/* sends waiting for an ack */
#define AGENT_SEND_TIMEOUT	60000		/* a send gives up (1016) */
#define AGENT_REQ_TIMEOUT	30000		/* other server requests */
#define AGENT_HISTORY_TIMEOUT	10000		/* then history is local */
#define AGENT_CONNECT_TIMEOUT	10000		/* TCP connect + TLS */
#define AGENT_WAIT_TIMEOUT	10000		/* waiting for the link */
#define AGENT_PING_INTERVAL	60000		/* between pings */
#define AGENT_BACKOFF_MIN	500		/* first reconnect delay */
#define AGENT_EVENTS_KEEP	10000		/* events kept */
#define AGENT_EVENTS_MAX_AGE	(7 * 86400)	/* seconds events are kept */
#define AGENT_REPLAY_PAGE	256		/* events per replay step */

/* Configuration from the command line and the profile (agent.c). */
struct agent_conf {
	char		*socket_path;
	char		*profile_dir;
	char		*server;	/* "host:port" as remembered */
	char		*host;
	char		*port;
	char		*ca_file;	/* NULL: trust on first use */
	char		*known_servers;	/* PROFILE/known_servers */
	int		 foreground;
	int		 verbose;
	int		 backoff_max_ms;
	int		 unattended;	/* log in again by itself */
	char		*credentials;	/* for unattended (relogin.c) */
};

/* One message as the agent shows it (msg.c). */
struct agent_msg {
	int64_t		 id;
	int64_t		 ts;
	char		*from;
	char		*to;
	char		*conv;
	char		*text;
	int		 self;
	int		 forged;	/* msg_from_wire: forged, not undecryptable */
	char		*cid;		/* msg_from_wire: the wire cid */
	struct json_object *file;	/* file message: {name,size,type,digest} */
	char		*fmeta;		/* msg_from_wire: its JSON, key included */
};

/* Which events a subscriber or an `events` call wants (events.c). */
#define EVENTS_MESSAGE	0x1
#define EVENTS_PRESENCE	0x2
#define EVENTS_LINK	0x4
#define EVENTS_ROOM	0x8
#define EVENTS_SECURITY	0x10	/* key_change, forged, undecryptable */
#define EVENTS_FILE	0x20	/* file_progress, _sent, _saved, _failed */
#define EVENTS_TYPING	0x40	/* ephemeral: never stored */
#define EVENTS_ALL	(EVENTS_MESSAGE|EVENTS_PRESENCE|EVENTS_LINK|EVENTS_ROOM|\
			 EVENTS_SECURITY|EVENTS_FILE|EVENTS_TYPING)
struct events_filter {
	unsigned int	 types;
	char		*conv;		/* owned; NULL for every conversation */
};

/*
 * A request from an API client that has not been answered yet.  The
 * operation that completes it owns it; if the client goes away first,
 * client is set to NULL and the reply is dropped.
 */
struct api_pending {
	struct api_client	*client;
	struct json_object	*id;		/* owned; NULL: JSON null */
	int			 has_id;	/* 0: a notification */
	const char		*method;	/* static, from the table */
	TAILQ_ENTRY(api_pending) entry;
};

/* One connection on the API socket (api.c). */
#define API_CLIENT_DEAD		0x1	/* closed; freed from the loop */
#define API_CLIENT_EOF		0x2	/* peer shut down its side */
#define API_CLIENT_PAUSED	0x4	/* not reading: too much queued */
struct api_client {
	unsigned int		 n;		/* for log lines */
	int			 flags;
	struct bufferevent	*bev;
	struct event		*ev_defer;	/* resume reading or free */
	struct frame_reader	 reader;
	unsigned int		 npending;
	TAILQ_HEAD(, api_pending) pending;

	/* Event stream state (events.c). */
	int			 subscribed;
	int			 replaying;	/* catching up from the store */
	int64_t			 sub_cursor;	/* last seq considered */
	struct events_filter	 filter;
	TAILQ_ENTRY(api_client)	 sub_entry;

	TAILQ_ENTRY(api_client)	 entry;
};

/* The link to chatsecd (link.c). */
enum link_state {
	LINK_DISCONNECTED,
	LINK_CONNECTING,
	LINK_HANDSHAKE,
	LINK_AUTHENTICATING,
	LINK_SYNCING,
	LINK_READY,
	LINK_BACKOFF,
	LINK_UNTRUSTED,
};

/*
 * A request to the server completes with code 0 and its result (borrowed),
 * or with an error code, message and maybe data (all borrowed).  Link loss
 * gives CS_ERR_NOT_CONNECTED, a timeout CS_ERR_TIMEOUT.
 */
#define LINK_CB_ARGS	void *, int, const char *, struct json_object *, \
			struct json_object *

/* agent.c */
extern struct agent_conf	 agent_conf;
extern struct event_base	*agent_base;
void	 agent_wipe_json(struct json_object *);

/* api.c */
void	 api_start(int fd);
struct api_client *api_client_new(struct bufferevent *);
int	 api_listen(const char *path);
void	 api_stop(void);
void	 api_reply(struct api_pending *, struct json_object *result);
void	 api_error(struct api_pending *, int code, const char *message,
	     struct json_object *data);
void	 api_errorf(struct api_pending *, int code, const char *fmt, ...)
	     __attribute__((format(printf, 3, 4)));
int	 api_client_write(struct api_client *, struct json_object *);
size_t	 api_client_outlen(struct api_client *);

/* api-account.c */
void	 api_hello(struct api_pending *, struct json_object *);
void	 api_status(struct api_pending *, struct json_object *);
void	 api_register(struct api_pending *, struct json_object *);
void	 api_register_confirm(struct api_pending *, struct json_object *);
void	 api_login(struct api_pending *, struct json_object *);
void	 api_password_change(struct api_pending *, struct json_object *);
void	 api_logout(struct api_pending *, struct json_object *);

/* api-chat.c */
void	 api_send(struct api_pending *, struct json_object *);
void	 api_history(struct api_pending *, struct json_object *);
void	 api_who(struct api_pending *, struct json_object *);

/* typing.c */
void	 api_typing(struct api_pending *, struct json_object *);
void	 typing_on_event(struct json_object *);

/* away.c */
void	 api_away(struct api_pending *, struct json_object *);
char	*away_get(void);
void	 away_forget(void);
void	 away_link_ready(void);
void	 away_on_presence(const char *user, int online, const char *away);

/* api-events.c */
void	 api_subscribe(struct api_pending *, struct json_object *);
void	 api_unsubscribe(struct api_pending *, struct json_object *);
void	 api_events(struct api_pending *, struct json_object *);

/* api-rooms.c */
void	 api_forward(struct api_pending *, struct json_object *);
void	 api_room(struct api_pending *, struct json_object *);
int	 rooms_deliver(struct json_object *);

/* api-admin.c */
void	 api_admin_user(struct api_pending *, struct json_object *);
void	 api_admin_audit(struct api_pending *, struct json_object *);

/* link.c */
void	 link_start(void);
void	 link_stop(void);
enum link_state link_get_state(void);
const char *link_state_name(enum link_state);
const char *link_last_error(void);
const char *link_fingerprint(void);
int	 link_logged_in(void);
const char *link_user(void);
int	 link_reg_pending(void);
void	 link_set_reg_pending(int);
int	 link_request(const char *method, struct json_object *params,
	     int timeout_ms, void (*)(LINK_CB_ARGS), void *arg, int64_t *idp);
void	 link_cancel(int64_t id);
void	 link_when_ready(void (*)(void *, int), void *arg);
void	 link_session_begin(const char *user, const char *token, int admin);
void	 link_session_end(int code, const char *why);
void	 link_session_token(const char *token);
void	 link_resync(void);

/* link-tls.c */
int	 link_tls_init(const char *ca_file);
void	 link_tls_free(void);
struct bufferevent *link_tls_wrap(struct event_base *, int fd,
	     const char *host);
int	 link_tls_verify(struct bufferevent *, const char *hostport,
	     char *fpr, size_t fprlen, char *err, size_t errlen);
int	 link_tls_failure(struct bufferevent *, const char *hostport,
	     char *err, size_t errlen);
char	*link_tls_pinned(const char *hostport);

/* outbox.c */
void	 outbox_submit(struct api_pending *, const char *to, const char *text,
	     const char *cid);
struct outbox_msg *outbox_submit_file(const char *to, const char *json,
	     const char *file, const char *cid,
	     void (*)(void *, int, const char *, struct json_object *),
	     void *arg);
void	 outbox_detach(struct outbox_msg *);
void	 outbox_link_ready(void);
void	 outbox_fail_all(int code, const char *message);
unsigned int outbox_count(void);

/* msg.c */
#define MSG_STALL	1	/* msg_from_wire: can't open yet */
#define MSG_SECURITY	2	/* msg_from_wire: forged or undecryptable */
int	 msg_from_wire(struct json_object *, struct agent_msg *,
	     const char **reason, char *need_keys, size_t need_len);
struct json_object *msg_json(int64_t, int64_t, const char *, const char *,
	     const char *, const char *, int, struct json_object *);
struct json_object *msg_file_parse(const char *json, char *why, size_t);
struct json_object *msg_to_json(const struct agent_msg *);
void	 msg_clear(struct agent_msg *);
int	 msg_deliver(struct json_object *wire);
void	 msg_keep_file(const struct agent_msg *);
int	 msg_conv_check(const char *conv);
int	 msg_same_user(const char *, const char *);
void	 msg_keys_ready(void);
int	 msg_stalled(void);
void	 msg_unstall(void);

/* events.c */
void	 events_init(void);
void	 events_free(void);
int64_t	 events_emit(const char *type, const char *conv,
	     struct json_object *fields);
void	 events_emit_ephemeral(const char *type, const char *conv,
	     struct json_object *fields);
int64_t	 events_cursor(void);
void	 events_hold(void);
void	 events_release(int committed);
int	 events_filter_parse(struct json_object *params,
	     struct events_filter *, char *msg, size_t msglen);
void	 events_filter_clear(struct events_filter *);
struct json_object *events_query(int64_t since, int limit,
	     const struct events_filter *, int64_t *cursor);
void	 events_subscribe(struct api_client *, int64_t since,
	     struct events_filter *);
void	 events_unsubscribe(struct api_client *);
void	 events_replay(struct api_client *);

/* local-store.c */
int	 lstore_open(const char *path);
void	 lstore_close(void);
int	 lstore_begin(void);
int	 lstore_commit(void);
char	*lstore_kv_get(const char *key);
int64_t	 lstore_kv_get_int(const char *key, int64_t def);
int	 lstore_kv_set(const char *key, const char *value);
int	 lstore_kv_set_int(const char *key, int64_t value);
int	 lstore_kv_del(const char *key);
int	 lstore_kv_scan(const char *prefix,
	     int (*)(void *, const char *, const char *), void *arg);
int	 lstore_msg_insert(const struct agent_msg *);
struct json_object *lstore_msg_history(const char *conv, int64_t before,
	     int limit, int *more);
int	 lstore_msg_clear(void);
int	 lstore_msg_delete(int64_t id);
char	*lstore_msg_conv(int64_t id);
int64_t	 lstore_event_last_seq(void);
int	 lstore_event_append(int64_t seq, int64_t ts, const char *type,
	     const char *conv, const char *json);
int	 lstore_event_scan(int64_t since, int max_rows,
	     int (*)(void *, int64_t, const char *, const char *, const char *),
	     void *arg);
int	 lstore_event_prune(int64_t upto);
int	 lstore_event_expire(int64_t min_ts);

/* files.c */
const char *files_type_guess(const char *name);
int64_t	 files_chunks(int64_t size);
int	 files_meta_fits(const char *name, const char *type,
	     const char *text);
unsigned int files_count(void);
const char *files_send(struct api_pending *, const char *conv, int fd,
	     int64_t size, const char *name, const char *type,
	     const char *text);
const char *files_fetch(struct api_pending *, int64_t msg_id,
	     struct json_object *meta, const char *from, const char *dir,
	     int fd, const char *tmp);
void	 files_link_ready(void);
int	 files_cancel(const char *id);
struct json_object *files_list(void);
void	 files_fail_all(const char *reason, const char *message);
void	 files_init(void);
void	 files_free_all(void);

/* api-files.c */
void	 api_file_send(struct api_pending *, struct json_object *);
void	 api_file_fetch(struct api_pending *, struct json_object *);
void	 api_file_transfers(struct api_pending *, struct json_object *);
void	 api_file_cancel(struct api_pending *, struct json_object *);

/* files-save.c */
#define FILES_NAME_MAX		200	/* bytes of a saved file's name */
#define FILES_META_MAX		4096	/* bytes of a file message's JSON */
void	 files_name_sanitize(const char *in, char *out, size_t outlen);
int	 files_save_temp(const char *dir, char *tmp, size_t tmplen);
int	 files_save_commit(int fd, const char *tmp, const char *dir,
	     const char *name, char *path, size_t pathlen);
void	 files_save_discard(int fd, const char *tmp);

/* relogin.c */
void	 relogin_init(void);
void	 relogin_free(void);
void	 relogin_link_ready(void);
int	 relogin_password(char *buf, size_t len);
int	 relogin_password_storable(const char *pw);
int	 relogin_set_password(const char *pw);

/* keys.c */
enum keys_state {
	KEYS_NONE,		/* no session */
	KEYS_READY,
	KEYS_LOCKED,		/* key file encrypted, no password yet */
	KEYS_MISSING,		/* no key file for this account */
};
#define KEYS_PT_TEXT		0x01	/* plaintext content: UTF-8 text */
#define KEYS_PT_FILE		0x02	/* plaintext content: file JSON */
#define KEYS_OPEN_OK		0
#define KEYS_OPEN_LOCKED	1
#define KEYS_OPEN_NO_KEY	2
#define KEYS_OPEN_FORGED	3
#define KEYS_OPEN_UNDECRYPTABLE	4
void	 keys_init(void);
void	 keys_free(void);
void	 keys_hold_password(const char *pw, int create);
void	 keys_forget_password(void);
void	 keys_session_begin(const char *user);
void	 keys_session_end(void);
enum keys_state keys_get_state(void);
const char *keys_state_name(void);
const char *keys_state_detail(void);
const char *keys_locked_why(void);
int	 keys_password_changed(const char *old, size_t oldlen,
	    const char *new, size_t newlen);
int	 keys_fetch(struct json_object *users, void (*)(void *, int),
	     void *arg);
int	 keys_was_fetched(const char *folded);
int	 keys_is_unknown(const char *folded);
void	 keys_on_event(struct json_object *);
void	 keys_link_ready(void);
int	 keys_seal(const char *to, const char *cid, int ptype,
	     const char *text,
	     struct json_object *recipients, struct json_object *unreadable,
	     uint8_t **env, size_t *envlen, char *msg, size_t msglen);
int	 keys_open(int64_t id, const char *from, const char *to,
	     const char *cid, const uint8_t *env, size_t len, char **text,
	     int *ptype, const char **reason);
int	 keys_peek_sender(const uint8_t *env, size_t len, char *out,
	     size_t outlen);
void	 api_keys_fingerprint(struct api_pending *, struct json_object *);
void	 api_keys_safety_number(struct api_pending *, struct json_object *);
void	 api_keys_verify(struct api_pending *, struct json_object *);
void	 api_keys_unverify(struct api_pending *, struct json_object *);
void	 api_keys_list(struct api_pending *, struct json_object *);
void	 api_keys_unlock(struct api_pending *, struct json_object *);
void	 api_keys_reset(struct api_pending *, struct json_object *);
void	 api_keys_export(struct api_pending *, struct json_object *);
void	 api_keys_import(struct api_pending *, struct json_object *);

#endif

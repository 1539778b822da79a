/* chatsec — chatsecd private header.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSECD_H
#define CHATSECD_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "frame.h"
#include "names.h"
#include "sec.h"
#include "totp.h"

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
struct rpc_param;
struct rpc_req;
struct store;
struct store_account;
struct bus_sub;
struct bus_frame;
struct hash_job;

/* ---- chatsecd.c ------------------------------------------------------ */

/*
 * One table describes every option: the command line parser, --help, the
 * configuration file reader and the man page all follow it.  The name is
 * the config key; the long option is the same with '-' for '_'.
 */
enum opt_type {
	OPT_FLAG,	/* no argument, sets 1 */
	OPT_COUNT,	/* no argument, counts (-vv); an integer in the file */
	OPT_INT,	/* integer within [min, max] */
	OPT_STR,	/* string */
	OPT_LIST,	/* repeatable string */
};
#define OPT_CLI		0x1	/* command line only */

struct opt_entry {
	const char	*name;
	int		 shortopt;	/* 0 if none */
	enum opt_type	 type;
	int		 flags;
	size_t		 offset;	/* into struct server_config */
	long long	 def;		/* OPT_INT default */
	long long	 min;
	long long	 max;
	const char	*defstr;	/* OPT_STR/OPT_LIST default, or NULL */
	const char	*arg;		/* argument name for --help */
	const char	*help;
};

#define CONFIG_LIST_MAX	16
#define CONFIG_COUNT_MAX	9	/* -vvv...: more says nothing more */
struct config_list {
	char		*v[CONFIG_LIST_MAX];
	int		 n;
};

struct server_config {
	struct config_list listen;
	char		*user;			/* to become when root */
	char		*datadir;
	char		*config;
	char		*cert;
	char		*key;
	long long	 foreground;
	long long	 verbose;
	long long	 print_fingerprint;
	long long	 help;
	long long	 version;
	long long	 handshake_timeout;	/* seconds */
	long long	 login_timeout;
	long long	 register_timeout;
	long long	 idle_timeout;
	long long	 prelogin_bytes;
	long long	 output_max;
	long long	 request_rate;		/* requests a second, 0: any */
	long long	 request_burst;
	long long	 max_clients;
	long long	 max_per_addr;
	long long	 hash_threads;
	long long	 hash_queue;
	long long	 argon2_opslimit;
	long long	 argon2_memlimit_kib;
	long long	 argon2_max_opslimit;
	long long	 argon2_max_memlimit_kib;
	long long	 batch_max;
	long long	 session_idle_days;
	long long	 session_max_days;
	long long	 max_file_size;		/* bytes of ciphertext per file */
	long long	 file_quota;		/* bytes of files per account */
	char		*admin_grant;		/* offline admin commands */
	char		*admin_revoke;
	char		*dump_frames;		/* debugging: received frames */
	long long	 create_accounts;	/* offline: bulk accounts */
	char		*account_prefix;
	char		*password_file;
	char		*tokens;
};

extern const struct opt_entry	 opt_table[];
extern const size_t		 opt_count;
extern struct event_base	*server_base;
extern struct server_config	 server_cfg;
extern struct store		*server_store;

void	 server_shutdown(const char *why);

/* ---- server-priv.c --------------------------------------------------- */
void	 priv_init(const char *);
void	 priv_datadir(const char *);
void	 priv_drop(void);

/* ---- server-config.c ------------------------------------------------- */
void	 config_defaults(struct server_config *);
int	 config_set(struct server_config *, const struct opt_entry *,
	    const char *value, char *err, size_t errlen);
int	 config_load(struct server_config *, const char *path,
	    const unsigned char *skip);
int	 config_check(struct server_config *, char *err, size_t errlen);
void	 config_free(struct server_config *);
const struct opt_entry *config_find(const char *name);

/* ---- server-tls.c ---------------------------------------------------- */
int	 tls_init(const struct server_config *);
void	 tls_free(void);
const char *tls_fingerprint(void);
struct bufferevent *tls_bufferevent_new(struct event_base *, int fd);
const char *tls_describe(struct bufferevent *, char *buf, size_t len);
const char *tls_error(struct bufferevent *, char *buf, size_t len);
int	 tls_write_through(struct bufferevent *, struct evbuffer *);

/* ---- server-listen.c ------------------------------------------------- */
struct listen_peer {
	char		 addr[64];	/* numeric, without port */
	unsigned int	 conns;
};
int	 listen_bind(void);
void	 listen_start(void);
void	 listen_stop(void);
const char *listen_describe(void);
void	 listen_peer_release(struct listen_peer *);

/* ---- server-client.c ------------------------------------------------- */
enum client_state {
	CLIENT_HANDSHAKE,	/* TLS handshake in progress */
	CLIENT_GREETING,	/* waiting for hello */
	CLIENT_ANON,		/* hello'd, not logged in */
	CLIENT_READY,		/* logged in */
	CLIENT_CLOSING,		/* flushing a last reply */
	CLIENT_DEAD,		/* waiting to be freed */
};

#define CLIENT_BUSY	0x1	/* a password hash runs for this client */
#define CLIENT_SYNCED	0x2	/* first sync returned more=false */
#define CLIENT_PAUSED	0x4	/* not reading: own output piling up */
#define CLIENT_THROTTLED 0x8	/* not reading: over its request rate */
#define CLIENT_FLUSHQ	0x10	/* on the list of connections to write */
#define CLIENT_WAITING	0x20	/* not reading: writes wait for the disk */

struct online;
struct auth_reg;
struct auth_pending;
struct typing_state;

struct client {
	uint64_t		 id;
	enum client_state	 state;
	int			 flags;
	struct bufferevent	*bev;
	struct evbuffer		*outq;		/* this turn's output; or NULL */
	struct event		*timer;
	struct listen_peer	*peer;
	struct frame_reader	 reader;
	size_t			 prelogin_bytes;
	int64_t			 accepted;	/* monotonic ms */
	int64_t			 last_rx;	/* monotonic ms */
	int64_t			 rate_tokens;	/* thousandths of a request */
	int64_t			 rate_last;	/* monotonic ms of the refill */
	struct event		*rate_ev;	/* the end of a throttle */

	/* Logged in. */
	struct online		*online;
	int64_t			 account_id;
	int			 is_admin;
	int			 has_token;
	uint8_t			 token_hash[SEC_TOKEN_HASH_LEN];
	struct bus_sub		*sub;

	/* Authentication in progress. */
	struct hash_job		*job;
	struct auth_pending	*pending;
	struct auth_reg		*reg;
	int64_t			 reg_since;	/* monotonic ms of register */

	unsigned int		 nsending;	/* sends in the batch */
	struct typing_state	*typing;	/* owned; NULL until it types */
	TAILQ_ENTRY(client)	 entry;
	TAILQ_ENTRY(client)	 flush_entry;	/* with CLIENT_FLUSHQ */
};
TAILQ_HEAD(clients, client);

struct client *client_create(struct bufferevent *, struct listen_peer *);
void	 client_enter_state(struct client *, enum client_state);
void	 client_close(struct client *, const char *reason);
void	 client_close_after_flush(struct client *, const char *reason);
void	 client_send(struct client *, struct json_object *);
void	 client_set_busy(struct client *, int);
int	 client_logged_in(const struct client *);
const char *client_user(const struct client *);
const char *client_addr(const struct client *);
void	 client_login(struct client *, const struct store_account *,
	    const uint8_t *token_hash);
void	 client_logout(struct client *);
void	 client_synced(struct client *);
void	 client_who(struct json_object *result);
const char *client_away(int64_t account);
#define CLIENT_AWAY_CHANGES	10	/* away changes per account ... */
#define CLIENT_AWAY_WINDOW	60000	/* ... in this many ms */
int64_t	 client_set_away(struct client *, const char *text);
int	 client_online(int64_t account);
unsigned int client_count_account(int64_t account);
unsigned int client_close_account(int64_t account,
	    const struct client *except, const char *reason);
unsigned int client_count(void);
void	 client_close_all(void);
void	 client_heap_setup(void);
void	 client_resume_waiting(void);

/* ---- server-cmd.c ---------------------------------------------------- */
#define CMD_NOHELLO	0x1	/* allowed before hello */
#define CMD_PRELOGIN	0x2	/* allowed before login */
#define CMD_ANON	0x4	/* only before login */
#define CMD_SECRET	0x8	/* logged in, but its params hold passwords */

struct cmd_entry {
	const char		*name;
	int			 flags;
	const struct rpc_param	*params;
	void			(*handler)(struct client *, struct rpc_req *);
};

void	 cmd_dispatch(struct client *, struct json_object *);
int	 cmd_is_secret(struct json_object *);
void	 cmd_reply(struct client *, struct json_object *id,
	    struct json_object *result);
void	 cmd_error(struct client *, struct json_object *id, int code,
	    const char *message, struct json_object *data);
void	 cmd_error_retry(struct client *, struct json_object *id,
	    int64_t retry_after);

/* ---- server-auth.c --------------------------------------------------- */
int	 auth_init(void);
void	 auth_free(void);
void	 auth_client_free(struct client *);
void	 auth_maintain(void);
void	 auth_cmd_register(struct client *, struct rpc_req *);
void	 auth_cmd_register_confirm(struct client *, struct rpc_req *);
void	 auth_cmd_login(struct client *, struct rpc_req *);
void	 auth_cmd_resume(struct client *, struct rpc_req *);
void	 auth_cmd_logout(struct client *, struct rpc_req *);
void	 auth_cmd_password_change(struct client *, struct rpc_req *);
void	 auth_touch(const uint8_t *token_hash);
size_t	 auth_touch_pending(void);
int	 auth_touch_flush(struct store *);
void	 auth_touch_clear(void);

/* ---- server-hash.c --------------------------------------------------- */
enum hash_op {
	HASH_MAKE,	/* crypto_pwhash_str */
	HASH_VERIFY,	/* crypto_pwhash_str_verify */
};
int	 hash_init(int threads, int queue);
void	 hash_free(void);
struct hash_job *hash_submit(enum hash_op, const char *pw, size_t pwlen,
	    const char *stored, void (*done)(void *, int, const char *),
	    void *arg);
void	 hash_cancel(struct hash_job *);
int	 hash_policy_ok(const char *stored);
char	*hash_make_sync(const char *pw, size_t pwlen);

/* ---- server-fsync.c -------------------------------------------------- */
int	 fsync_init(void);
void	 fsync_free(void);
void	 fsync_after(int fd, void (*)(void *), void *);
void	 fsync_wait(void);

/* ---- server-limit.c -------------------------------------------------- */
enum limit_kind {
	LIMIT_PASSWORD,		/* wrong password or unknown user */
	LIMIT_CODE,		/* wrong or replayed TOTP code */
	LIMIT_OTHER,		/* other failures: counted per address only */
};
void	 limit_key(const char *user, char *out, size_t outlen);
int	 limit_check_addr(const char *addr, int64_t *retry_after);
int	 limit_check_login(const char *key, const char *addr,
	    int64_t *retry_after);
void	 limit_fail(enum limit_kind, const char *key, const char *addr);
void	 limit_maintain(void);

/* ---- server-msg.c ---------------------------------------------------- */
void	 msg_init(void);
void	 msg_free(void);
void	 msg_flush(void);
void	 msg_flush_wait(void);
int	 msg_batch_full(void);
void	 msg_drain(void);
void	 msg_schedule(void);
void	 msg_client_gone(struct client *);
void	 msg_cmd_send(struct client *, struct rpc_req *);
void	 msg_cmd_sync(struct client *, struct rpc_req *);
void	 msg_cmd_history(struct client *, struct rpc_req *);
void	 msg_cmd_who(struct client *, struct rpc_req *);
void	 msg_cmd_away(struct client *, struct rpc_req *);
void	 msg_cmd_delete(struct client *, struct rpc_req *);
int	 msg_resolve(const char *conv, int64_t *room, int64_t *account,
	    char *name, size_t namelen);
/* A message, or a deletion record when deletes != 0 (no cid, no body);
 * file: the file it announces, or NULL. */
struct json_object *msg_json(int64_t id, int64_t ts, const char *from,
	    const char *to, const char *cid, const uint8_t *body,
	    size_t bodylen, const char *file, int64_t deletes);

/* ---- server-typing.c ------------------------------------------------ */
void	 typing_cmd(struct client *, struct rpc_req *);
void	 typing_client_free(struct client *);

/* ---- server-files.c -------------------------------------------------- */
void	 files_cmd_begin(struct client *, struct rpc_req *);
void	 files_cmd_put(struct client *, struct rpc_req *);
void	 files_cmd_end(struct client *, struct rpc_req *);
void	 files_cmd_status(struct client *, struct rpc_req *);
void	 files_cmd_get(struct client *, struct rpc_req *);
int	 files_attachable(struct client *, const char *id, const char *cid,
	    int64_t room, int64_t rcpt, char *msg, size_t msglen);
void	 files_maintain(void);
int	 files_acks_full(void);
void	 files_client_gone(struct client *);

/* ---- server-rights.c ------------------------------------------------ */
/*
 * Everything a request may need to do that some users may not.  Each has
 * one entry in the rights table (server-rights.c), which rights_check()
 * alone consults.
 */
enum right {
	RIGHT_VIEW,		/* read a room's topic */
	RIGHT_HISTORY,
	RIGHT_MEMBERS,
	RIGHT_SEND,
	RIGHT_JOIN,
	RIGHT_LEAVE,
	RIGHT_TOPIC,		/* set it */
	RIGHT_INVITE,
	RIGHT_KICK,
	RIGHT_BAN,
	RIGHT_UNBAN,
	RIGHT_MUTE,
	RIGHT_UNMUTE,
	RIGHT_OP,
	RIGHT_DEOP,
	RIGHT_TRANSFER,
	RIGHT_DELETE,
	RIGHT_DELETE_MSG,	/* someone else's message in a room */
	RIGHT_DELETE_DM,	/* the other party's message in a DM */
	RIGHT_ADMIN,		/* server administration */
	RIGHT_COUNT
};

/* What rights_check() decides on; filled by the caller from the store. */
struct right_ctx {
	const char	*room;		/* display name; NULL for RIGHT_ADMIN */
	int		 general;	/* the room is #general */
	int		 invite_only;
	int		 role;		/* the actor's STORE_ROLE_* */
	int		 muted;		/* the actor is muted */
	int		 banned;	/* the actor is banned (not expired) */
	int		 invited;	/* the actor is invited */
	int		 is_admin;	/* the actor is a server admin */
	const char	*target;	/* the user acted on, or NULL */
	int		 target_role;	/* their effective role */
};

int	 rights_role(int general, int stored_role, int is_admin);
int	 rights_check(enum right, const struct right_ctx *, char *msg,
	    size_t msglen);
const char *rights_role_name(int role);

/* ---- server-rooms.c -------------------------------------------------- */
int	 rooms_allowed(struct client *, int64_t room, const char *name,
	    enum right, char *msg, size_t msglen);
int	 rooms_member_ids(int64_t room, int64_t **ids, size_t *n);
struct json_object *rooms_sync(int64_t account, int64_t since, int *more,
	    int64_t *last);
void	 rooms_cmd_create(struct client *, struct rpc_req *);
void	 rooms_cmd_list(struct client *, struct rpc_req *);
void	 rooms_cmd_join(struct client *, struct rpc_req *);
void	 rooms_cmd_leave(struct client *, struct rpc_req *);
void	 rooms_cmd_topic(struct client *, struct rpc_req *);
void	 rooms_cmd_members(struct client *, struct rpc_req *);
void	 rooms_cmd_invite(struct client *, struct rpc_req *);
void	 rooms_cmd_kick(struct client *, struct rpc_req *);
void	 rooms_cmd_ban(struct client *, struct rpc_req *);
void	 rooms_cmd_unban(struct client *, struct rpc_req *);
void	 rooms_cmd_mute(struct client *, struct rpc_req *);
void	 rooms_cmd_unmute(struct client *, struct rpc_req *);
void	 rooms_cmd_op(struct client *, struct rpc_req *);
void	 rooms_cmd_deop(struct client *, struct rpc_req *);
void	 rooms_cmd_transfer(struct client *, struct rpc_req *);
void	 rooms_cmd_delete(struct client *, struct rpc_req *);

/* ---- server-admin.c -------------------------------------------------- */
int	 admin_offline(const char *grant, const char *revoke);
void	 admin_cmd_accounts(struct client *, struct rpc_req *);
void	 admin_cmd_disable(struct client *, struct rpc_req *);
void	 admin_cmd_enable(struct client *, struct rpc_req *);
void	 admin_cmd_revoke_sessions(struct client *, struct rpc_req *);
void	 admin_cmd_audit(struct client *, struct rpc_req *);

/* ---- server-accounts.c ---------------------------------------------- */
int	 accounts_offline_create(long long n, const char *prefix,
	    const char *pwfile, const char *tokens);

/* ---- server-keys.c --------------------------------------------------- */
void	 keys_cmd_publish(struct client *, struct rpc_req *);
void	 keys_cmd_get(struct client *, struct rpc_req *);

/* ---- audit.c --------------------------------------------------------- */
void	 audit_log(const char *kind, const char *account, const char *addr,
	    const char *detail);
size_t	 audit_pending(void);
int	 audit_flush(struct store *);
void	 audit_free(void);

#endif

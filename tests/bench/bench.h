/* chatsec — chatsec-bench: what its scenarios share.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_BENCH_H
#define CHATSEC_BENCH_H

#include <sys/types.h>

#include <netinet/in.h>

#include <stdint.h>

#include <openssl/ssl.h>

#include "totp.h"

#include "bench-die.h"

struct bufferevent;
struct event;
struct event_base;
struct json_object;

#define BENCH_CONNECT_MAX	128	/* handshakes in progress at once */
#define BENCH_DRAIN_MS		3000	/* wait for stragglers after a run */
#define BENCH_TICK_MS		1	/* open-loop sender tick */
#define BENCH_RATE_INFLIGHT	4096	/* unacked sends per sender, open loop */
#define BENCH_BODY_MAX		4096
#define BENCH_ROOM_IRC		"#bench"

#define HIST_SUB	64	/* sub-buckets per power of two */
#define HIST_SHIFTS	40
#define HIST_SIZE	((HIST_SHIFTS + 2) * HIST_SUB)

struct hist {
	uint64_t	 b[HIST_SIZE];
	uint64_t	 n;
	uint64_t	 max;		/* microseconds */
};

/* ---- state ----------------------------------------------------------- */

enum proto { PROTO_CHATSEC, PROTO_IRC };

enum conn_state {
	CONN_CONNECTING,
	CONN_HELLO,		/* chatsec: hello sent; irc: NICK/USER sent */
	CONN_AUTH,		/* resume or login sent; irc: JOIN sent */
	CONN_SYNC,
	CONN_READY,
	CONN_DEAD,
};

struct account {
	char		*name;
	char		*token;
	uint8_t		 secret[TOTP_SECRET_LEN];
};

struct conn {
	unsigned int	 idx;		/* account index */
	enum conn_state	 state;
	struct bufferevent *bev;
	int		 sender;
	int		 login;		/* real login instead of resume */
	int		 sync;		/* sync after logging in */
	unsigned int	 inflight;
	uint64_t	 seq;
	uint64_t	 next_id;
	int64_t		 sync_since;	/* -1: the stored cursor */
	uint64_t	 synced_msgs;
	char		 b64tail[(BENCH_BODY_MAX + 2) / 3 * 4 + 1];
	unsigned int	 step;		/* soak: where its session is */
	unsigned int	 todo;		/* soak: messages left to send */
};

struct bench {
	/* options */
	const char	*scenario;
	enum proto	 proto;
	const char	*host;
	int		 port;
	const char	*tokens;
	const char	*password;
	const char	*socket;
	const char	*room;
	pid_t		 server_pid;
	unsigned int	 clients;
	unsigned int	 senders;
	unsigned int	 window;
	unsigned int	 size;
	double		 duration;
	double		 rate;
	unsigned int	 count;
	unsigned int	 logins;
	unsigned int	 offset;
	int		 sync;
	int		 quick;
	unsigned int	 connect_max;	/* handshakes in progress at once */
	int		 agent_idle_ok;	/* a read timeout ends agent-rx */

	/* run */
	struct event_base *base;
	SSL_CTX		*ssl_ctx;
	struct sockaddr_in sin;
	struct account	*accts;
	unsigned int	 naccts;
	struct conn	**conns;
	unsigned int	 nconns;
	unsigned int	 next_connect;
	unsigned int	 connecting;
	unsigned int	 nready;
	unsigned int	 nfailed;
	unsigned int	 want_ready;
	void		(*all_ready)(void);
	int		 sending;
	int		 measuring;
	struct hist	 hist[2];
	struct hist	*cur;
	uint64_t	 delivered;
	uint64_t	 sent;
	uint64_t	 acked;
	uint64_t	 errors;
	uint64_t	 first_msg_id;
	uint64_t	 limit_sent;	/* stop closed-loop sending here (0: no) */
	uint64_t	 t0, t1;
	double		 cpu0, cpu1;
	struct event	*tick;
	struct event	*stop_ev;
	/* storm */
	unsigned int	 storm_done;
	unsigned int	 storm_failed;
	uint64_t	 storm_t0, storm_t1;
	/* backlog */
	struct conn	*backlog_rx;
	uint64_t	 backlog_t0, backlog_t1;
	uint64_t	 send_t0, send_t1;
	/* open loop */
	unsigned int	 rr;
	/* scenarios that drive connections themselves (soak) */
	void		(*on_ready)(struct conn *);
	void		(*on_reply)(struct conn *, struct json_object *, int);
	void		(*on_dead)(struct conn *, const char *);
};

extern struct bench B;


uint64_t	 now_ns(void);
long		 proc_rss_kib(pid_t);
void		 conn_request(struct conn *, const char *, struct json_object *);
struct conn	*conn_new(unsigned int, int, int, int);
void		 conn_connect(struct conn *);

/* bench-soak.c */
int		 bench_run_soak(void);

#endif

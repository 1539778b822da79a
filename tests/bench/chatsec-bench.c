/* chatsec — chatsec-bench, the load generator.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base32.h"
#include "clock.h"
#include "frame.h"
#include "proto.h"
#include "sec.h"
#include "totp.h"

#include "bench.h"

/*
 * chatsec-bench: many clients in one process, speaking the wire protocol
 * (doc/protocol.md) directly over TLS 1.3 on loopback, or enough IRC to
 * drive an IRC server through the same scenarios.  No agents: accounts come
 * from the file `chatsecd --create-accounts` writes ("NAME TOKEN SECRET"
 * lines), so clients `resume` with a token and no argon2 work is done, except
 * in the login storm, which logs in for real with the password and a TOTP
 * code.
 *
 * Every message body is SIZE opaque bytes whose first 8 are the send time
 * (CLOCK_MONOTONIC, ns); each receiver computes the latency from it into a
 * log-bucket histogram (about 1.5 % precision).  Each run prints one
 * machine-readable line, "BENCH scenario=... key=value ...".
 *
 * Scenarios (-s):
 *   fanout   C clients in one room, S of them sending closed loop with W
 *            messages in flight each, for D seconds: deliveries/s, per
 *            second of server CPU, latency p50/p99/max.
 *   rate     the same at a fixed offered rate R messages/s (open loop).
 *   idle     C connections logged in and left idle: connect time, server
 *            RSS and CPU per connection.
 *   backlog  one client sends N messages while another is away; the other
 *            comes back and syncs: time until all are delivered.
 *   storm    `rate` with L real logins started at once after D seconds:
 *            logins/s and the chat's p99 before and during the storm.
 *   soak     C clients in sessions for D seconds: connect, resume, sync,
 *            join a room, send to it, to #general and to a person, leave,
 *            hang up, come back; the server's RSS and open files sampled
 *            (bench-soak.c).  Exit 1 on errors or growth after warm-up.
 *   agent-rtt   API round trips on an agent's Unix socket (status), p50/p99.
 *   agent-rx    subscribe on an agent's socket and count message events
 *               until N arrived: messages decrypted and delivered per second.
 */


/* Record one value in microseconds. */
static void
hist_add(struct hist *h, uint64_t us)
{
	unsigned int	 e = 0;
	size_t		 i;

	if (us > h->max)
		h->max = us;
	h->n++;
	if (us < 2 * HIST_SUB) {
		h->b[us]++;
		return;
	}
	while ((us >> e) >= 2 * HIST_SUB)
		e++;
	i = (size_t)e * HIST_SUB + (us >> e);
	if (i >= HIST_SIZE)
		i = HIST_SIZE - 1;
	h->b[i]++;
}

/* The value (microseconds, bucket middle) below which a fraction q lies. */
static double
hist_quantile(const struct hist *h, double q)
{
	uint64_t	 want, seen = 0;
	size_t		 i;
	unsigned int	 e;
	double		 lo, width;

	if (h->n == 0)
		return (0);
	want = (uint64_t)ceil(q * (double)h->n);
	if (want == 0)
		want = 1;
	for (i = 0; i < HIST_SIZE; i++) {
		seen += h->b[i];
		if (seen >= want)
			break;
	}
	if (i < 2 * HIST_SUB)
		return ((double)i);
	e = (unsigned int)(i / HIST_SUB) - 1;
	lo = (double)((uint64_t)(i - (size_t)e * HIST_SUB) << e);
	width = (double)(1ULL << e);
	lo += width / 2;
	return (lo > (double)h->max ? (double)h->max : lo);
}

struct bench B;

static void	 conn_start(unsigned int idx, int sender, int login, int sync);
static void	 conn_send_msg(struct conn *);
static void	 bench_storm_check(void);

/* ---- helpers --------------------------------------------------------- */

uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

/* CPU seconds (user + system) of a process from /proc; -1 if unknown. */
static double
proc_cpu(pid_t pid)
{
	char		 path[64], buf[1024], *p, *end;
	FILE		*f;
	unsigned long	 ut, st;
	size_t		 n;
	int		 field;

	if (pid <= 0)
		return (-1);
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/*
	 * After the command name in parentheses comes field 3 (state);
	 * utime and stime are fields 14 and 15.
	 */
	if ((p = strrchr(buf, ')')) == NULL)
		return (-1);
	p++;
	for (field = 3; field < 14 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return (-1);
	ut = strtoul(p + 1, &end, 10);
	if (*end != ' ')
		return (-1);
	st = strtoul(end + 1, &end, 10);
	if (*end != ' ' && *end != '\0')
		return (-1);
	return ((double)(ut + st) / (double)sysconf(_SC_CLK_TCK));
}

/* CPU seconds of this process. */
static double
self_cpu(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

/* VmRSS of a process in KiB; -1 if unknown. */
long
proc_rss_kib(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kib = -1;

	if (pid <= 0)
		return (-1);
	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kib = strtol(line + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	return (kib);
}

/* Read the accounts file ("NAME TOKEN SECRET" lines). */
static void
accounts_load(const char *path)
{
	FILE	*f;
	char	 line[512], name[64], token[128], secret[64];
	size_t	 cap = 0;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%63s %127s %63s", name, token, secret) != 3)
			continue;
		if (B.naccts == cap) {
			cap = cap ? cap * 2 : 1024;
			B.accts = realloc(B.accts, cap * sizeof *B.accts);
			if (B.accts == NULL)
				die("out of memory");
		}
		B.accts[B.naccts].name = strdup(name);
		B.accts[B.naccts].token = strdup(token);
		if (base32_decode(secret, B.accts[B.naccts].secret,
		    TOTP_SECRET_LEN) != TOTP_SECRET_LEN)
			die("%s: bad TOTP secret for %s", path, name);
		B.naccts++;
	}
	fclose(f);
}

/* A number option: all of s, within [min, max], or die. */
static double
opt_num(int opt, const char *s, double min, double max)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		die("-%c %s: expected a number from %g to %g", opt, s, min, max);
	return (v);
}

/* Decode the send time from the first 12 base64 characters of a body. */
static int
b64_stamp(const char *p, size_t len, uint64_t *ts)
{
	uint8_t	 out[9];

	if (len < 12 || sec_b64_decode(p, 12, out, sizeof out) != 9)
		return (-1);
	memcpy(ts, out, sizeof *ts);
	return (0);
}

/* A received body: record its latency. */
static void
bench_delivered(const char *b64, size_t len)
{
	uint64_t	 ts, now;

	if (!B.measuring)
		return;
	B.delivered++;
	if (b64_stamp(b64, len, &ts) != 0)
		return;
	now = now_ns();
	hist_add(B.cur, now > ts ? (now - ts) / 1000 : 0);
}

/* ---- connections ----------------------------------------------------- */

/* Queue a JSON-RPC request. */
void
conn_request(struct conn *c, const char *method, struct json_object *params)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id",
	    json_object_new_int64((int64_t)++c->next_id));
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "params", params != NULL ? params :
	    json_object_new_object());
	frame_write(bufferevent_get_output(c->bev), o, CS_WIRE_FRAME_MAX);
	json_object_put(o);
}

/* Queue a line of IRC. */
static void __attribute__((format(printf, 2, 3)))
conn_irc(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
	evbuffer_add(bufferevent_get_output(c->bev), "\r\n", 2);
}

/* A connection failed or closed: count it and let the run go on. */
static void
conn_fail(struct conn *c, const char *why)
{
	if (c->state == CONN_DEAD)
		return;
	if (c->state != CONN_READY) {
		B.nfailed++;
		if (B.connecting > 0 && c->state <= CONN_SYNC)
			B.connecting--;
	}
	if (B.nfailed <= 5 && B.on_dead == NULL)
		fprintf(stderr, "chatsec-bench: connection %u: %s\n", c->idx,
		    why);
	c->state = CONN_DEAD;
	bufferevent_free(c->bev);
	c->bev = NULL;
	if (B.on_dead != NULL)
		return (B.on_dead(c, why));
	if (c->login) {
		B.storm_failed++;
		bench_storm_check();
	} else if (B.all_ready != NULL)
		die("connection %u failed while connecting: %s", c->idx, why);
}

/* Start more connections, keeping at most BENCH_CONNECT_MAX in progress. */
static void
conn_pump(void)
{
	struct conn	*c;

	while (B.next_connect < B.nconns && B.connecting < B.connect_max) {
		c = B.conns[B.next_connect++];
		B.connecting++;
		if (bufferevent_socket_connect(c->bev,
		    (struct sockaddr *)&B.sin, sizeof B.sin) != 0)
			conn_fail(c, "connect failed");
	}
}

/* A connection is logged in (and synced): count it, maybe start the run. */
static void
conn_ready(struct conn *c)
{
	void	(*cb)(void);

	c->state = CONN_READY;
	if (B.connecting > 0)
		B.connecting--;
	B.nready++;
	if (B.on_ready != NULL)
		return (B.on_ready(c));
	conn_pump();
	if (B.all_ready != NULL && B.nready == B.want_ready) {
		cb = B.all_ready;
		B.all_ready = NULL;
		cb();
	}
}

/* Send the login or resume request. */
static void
conn_auth(struct conn *c)
{
	struct account		*a = &B.accts[c->idx];
	struct json_object	*p = json_object_new_object();
	char			 code[16];
	int64_t			 v;

	if (c->login) {
		json_object_object_add(p, "user",
		    json_object_new_string(a->name));
		v = totp_code(a->secret, TOTP_SECRET_LEN,
		    totp_step(clock_now()), TOTP_SHA1, TOTP_DIGITS);
		snprintf(code, sizeof code, "%06lld", (long long)v);
		json_object_object_add(p, "password",
		    json_object_new_string(B.password));
		json_object_object_add(p, "code", json_object_new_string(code));
		conn_request(c, "login", p);
	} else {
		json_object_object_add(p, "token",
		    json_object_new_string(a->token));
		conn_request(c, "resume", p);
	}
	c->state = CONN_AUTH;
}

/* Ask for the next sync page. */
static void
conn_sync(struct conn *c)
{
	struct json_object	*p = json_object_new_object();

	if (c->sync_since >= 0)
		json_object_object_add(p, "since",
		    json_object_new_int64(c->sync_since));
	conn_request(c, "sync", p);
	c->state = CONN_SYNC;
}

/* A reply to a chatsec request. */
static void
conn_reply(struct conn *c, struct json_object *o)
{
	struct json_object	*r, *e, *v, *msgs;
	int			 more = 0, code = 0;

	json_object_object_get_ex(o, "result", &r);
	if (json_object_object_get_ex(o, "error", &e)) {
		if (json_object_object_get_ex(e, "code", &v))
			code = json_object_get_int(v);
		r = NULL;
	}
	switch (c->state) {
	case CONN_HELLO:
		if (r == NULL)
			return (conn_fail(c, "hello refused"));
		conn_auth(c);
		break;
	case CONN_AUTH:
		if (r == NULL) {
			char	 why[64];

			snprintf(why, sizeof why, "login refused (%d)", code);
			return (conn_fail(c, why));
		}
		if (c->login) {
			B.storm_done++;
			bench_storm_check();
		}
		if (c->sync)
			conn_sync(c);
		else
			conn_ready(c);
		break;
	case CONN_SYNC:
		if (r == NULL)
			return (conn_fail(c, "sync refused"));
		if (json_object_object_get_ex(r, "messages", &msgs))
			c->synced_msgs += json_object_array_length(msgs);
		if (json_object_object_get_ex(r, "more", &v))
			more = json_object_get_boolean(v);
		if (json_object_object_get_ex(r, "room_more", &v) &&
		    json_object_get_boolean(v))
			more = 1;
		if (json_object_object_get_ex(r, "last_id", &v))
			c->sync_since = json_object_get_int64(v);
		if (more) {
			conn_sync(c);
			break;
		}
		if (c == B.backlog_rx) {
			B.backlog_t1 = now_ns();
			event_base_loopbreak(B.base);
		}
		conn_ready(c);
		break;
	case CONN_READY:
		if (B.on_reply != NULL)
			return (B.on_reply(c, r, code));
		/* A send's ack. */
		if (c->inflight > 0)
			c->inflight--;
		if (r == NULL)
			B.errors++;
		else {
			B.acked++;
			if (B.first_msg_id == 0 &&
			    json_object_object_get_ex(r, "id", &v))
				B.first_msg_id = (uint64_t)json_object_get_int64(v);
		}
		if (c->sender && B.sending && B.rate == 0 &&
		    (B.limit_sent == 0 || B.sent < B.limit_sent))
			conn_send_msg(c);
		break;
	default:
		break;
	}
}

/* One line from a chatsec server. */
static void
conn_line_chatsec(struct conn *c, const char *line, size_t len)
{
	struct json_object	*o;
	const char		*p, *end = line + len;
	char			 err[128];
	size_t			 head = len < 48 ? len : 48;

	if (memmem(line, head, "\"method\":\"message\"", 18) != NULL) {
		if ((p = memmem(line, len, "\"body\":\"", 8)) != NULL)
			bench_delivered(p + 8, (size_t)(end - p - 8));
		return;
	}
	if (memmem(line, head, "\"method\":", 9) != NULL)
		return;		/* presence and other events */
	if (frame_parse(line, len, &o, err, sizeof err) != FRAME_OK)
		return (conn_fail(c, "bad frame from the server"));
	conn_reply(c, o);
	json_object_put(o);
}

/* One line from an IRC server. */
static void
conn_line_irc(struct conn *c, const char *line, size_t len)
{
	const char	*p, *end = line + len;
	char		 tok[64];

	if (len >= 5 && memcmp(line, "PING ", 5) == 0) {
		evbuffer_add(bufferevent_get_output(c->bev), "PONG ", 5);
		evbuffer_add(bufferevent_get_output(c->bev), line + 5,
		    len - 5);
		evbuffer_add(bufferevent_get_output(c->bev), "\r\n", 2);
		return;
	}
	if ((p = memchr(line, ' ', len)) == NULL)
		return;
	p++;
	if ((size_t)(end - p) > 8 && memcmp(p, "PRIVMSG ", 8) == 0) {
		if ((p = memmem(p, (size_t)(end - p), " :", 2)) != NULL)
			bench_delivered(p + 2, (size_t)(end - p - 2));
		return;
	}
	if ((size_t)(end - p) > 5 && memcmp(p, "PONG ", 5) == 0) {
		/* Our ack for a message. */
		if (c->inflight > 0)
			c->inflight--;
		B.acked++;
		if (c->sender && B.sending && B.rate == 0)
			conn_send_msg(c);
		return;
	}
	if (c->state == CONN_HELLO && (size_t)(end - p) > 4 &&
	    memcmp(p, "001 ", 4) == 0) {
		if (c->sync) {
			conn_irc(c, "JOIN %s", BENCH_ROOM_IRC);
			c->state = CONN_AUTH;
		} else
			conn_ready(c);
		return;
	}
	if (c->state == CONN_AUTH && (size_t)(end - p) > 4 &&
	    memcmp(p, "366 ", 4) == 0) {
		conn_ready(c);
		return;
	}
	/* Refusals of NICK, USER or JOIN (not, e.g., 422 "no MOTD"). */
	if ((size_t)(end - p) > 4 && p[3] == ' ' && (memcmp(p, "403", 3) == 0 ||
	    memcmp(p, "405", 3) == 0 || memcmp(p, "432", 3) == 0 ||
	    memcmp(p, "433", 3) == 0 || memcmp(p, "451", 3) == 0 ||
	    memcmp(p, "465", 3) == 0 || (p[0] == '4' && p[1] == '7'))) {
		snprintf(tok, sizeof tok, "IRC error %.40s", p);
		if (c->state != CONN_READY)
			conn_fail(c, tok);
		else
			B.errors++;
	}
}

/* Read callback: every complete line. */
static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn		*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 eol;
	size_t			 eol_len, len;
	char			*line;

	for (;;) {
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			if (evbuffer_get_length(in) > CS_WIRE_FRAME_MAX)
				conn_fail(c, "line too long");
			return;
		}
		len = (size_t)eol.pos;
		line = (char *)evbuffer_pullup(in, (ev_ssize_t)(len + 1));
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (B.proto == PROTO_IRC)
			conn_line_irc(c, line, len);
		else
			conn_line_chatsec(c, line, len);
		if (c->state == CONN_DEAD)
			return;
		evbuffer_drain(in, (size_t)eol.pos + 1);
	}
}

/* Event callback: connected (start the protocol), or an error. */
static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn		*c = arg;
	struct json_object	*p;
	int			 on = 1;
	char			 nick[32];

	if (what & BEV_EVENT_CONNECTED) {
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
		    &on, sizeof on);
		c->state = CONN_HELLO;
		if (B.proto == PROTO_IRC) {
			snprintf(nick, sizeof nick, "b%u", c->idx);
			conn_irc(c, "NICK %s", nick);
			conn_irc(c, "USER %s 0 * :bench", nick);
			return;
		}
		p = json_object_new_object();
		json_object_object_add(p, "version",
		    json_object_new_int(CS_PROTO_VERSION));
		json_object_object_add(p, "client",
		    json_object_new_string("chatsec-bench/" PACKAGE_VERSION));
		conn_request(c, "hello", p);
		return;
	}
	if (what & (BEV_EVENT_ERROR|BEV_EVENT_EOF)) {
		unsigned long	 e = bufferevent_get_openssl_error(bev);
		char		 why[160];

		snprintf(why, sizeof why, "%s%s%s", what & BEV_EVENT_EOF ?
		    "closed by the server" : "connection error",
		    e ? ": " : "", e ? ERR_reason_error_string(e) : "");
		conn_fail(c, why);
	}
}

/* Make a connection object for account idx (not yet connecting). */
struct conn *
conn_new(unsigned int idx, int sender, int login, int sync)
{
	struct conn	*c;
	SSL		*ssl;
	uint8_t		 body[BENCH_BODY_MAX];
	unsigned int	 i;

	if (idx >= B.naccts)
		die("not enough accounts in %s (%u needed)", B.tokens, idx + 1);
	if ((c = calloc(1, sizeof *c)) == NULL)
		die("out of memory");
	c->idx = idx;
	c->sender = sender;
	c->login = login;
	c->sync = sync;
	c->sync_since = -1;
	if (sender) {
		for (i = 0; i < B.size; i++)
			body[i] = (uint8_t)(idx * 31 + i * 7);
		sec_b64_encode(body + 9, B.size - 9, c->b64tail,
		    sizeof c->b64tail);
	}
	if ((ssl = SSL_new(B.ssl_ctx)) == NULL)
		die("SSL_new");
	c->bev = bufferevent_openssl_socket_new(B.base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		die("bufferevent_openssl_socket_new");
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
	bufferevent_enable(c->bev, EV_READ|EV_WRITE);
	return (c);
}

/* Make a connection object for account idx and queue it for connecting. */
static void
conn_start(unsigned int idx, int sender, int login, int sync)
{
	struct conn	*c = conn_new(idx, sender, login, sync);

	B.conns = realloc(B.conns, (B.nconns + 1) * sizeof *B.conns);
	if (B.conns == NULL)
		die("out of memory");
	B.conns[B.nconns++] = c;
}

/* Connect c now (no limit on handshakes in progress). */
void
conn_connect(struct conn *c)
{
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&B.sin,
	    sizeof B.sin) != 0)
		conn_fail(c, "connect failed");
}

/* Send one timestamped message. */
static void
conn_send_msg(struct conn *c)
{
	struct evbuffer	*out;
	uint8_t		 head[9];
	char		 b64[13];
	uint64_t	 t = now_ns();

	if (c->state != CONN_READY)
		return;
	memcpy(head, &t, sizeof t);
	head[8] = (uint8_t)c->seq;
	sec_b64_encode(head, sizeof head, b64, sizeof b64);
	out = bufferevent_get_output(c->bev);
	if (B.proto == PROTO_IRC)
		evbuffer_add_printf(out, "PRIVMSG %s :%s%s\r\nPING :%" PRIu64
		    "\r\n", BENCH_ROOM_IRC, b64, c->b64tail, c->seq);
	else
		evbuffer_add_printf(out, "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64
		    ",\"method\":\"send\",\"params\":{\"to\":\"%s\","
		    "\"cid\":\"b%" PRIu64 "\",\"body\":\"%s%s\"}}\n",
		    ++c->next_id, B.room, c->seq, b64, c->b64tail);
	c->seq++;
	c->inflight++;
	B.sent++;
}

/* ---- runs ------------------------------------------------------------ */

/* Connect the given number of connections and run the loop until all are
 * ready, then call then(). */
static void
bench_connect_all(void (*then)(void))
{
	B.want_ready = B.nconns;
	B.all_ready = then;
	conn_pump();
}

/* The storm is over once every login succeeded or failed. */
static void
bench_storm_check(void)
{
	if (B.storm_done + B.storm_failed < B.logins || B.storm_t1 != 0)
		return;
	B.storm_t1 = now_ns();
	event_base_loopbreak(B.base);
}

/* Timer: the run's duration is over. */
static void
bench_stop_cb(evutil_socket_t fd, short ev, void *arg)
{
	B.t1 = now_ns();
	B.cpu1 = proc_cpu(B.server_pid);
	B.sending = 0;
	event_base_loopbreak(B.base);
}

/* Arm the stop timer for the run's duration. */
static void
bench_arm_stop(double secs)
{
	struct timeval	 tv;

	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	B.stop_ev = evtimer_new(B.base, bench_stop_cb, NULL);
	evtimer_add(B.stop_ev, &tv);
}

/* Open-loop tick: send what the offered rate asks for by now. */
static void
bench_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c;
	double		 due;
	unsigned int	 tries;

	if (!B.sending)
		return;
	due = B.rate * (double)(now_ns() - B.t0) / 1e9;
	while ((double)B.sent < due) {
		for (tries = 0; tries < B.senders; tries++) {
			c = B.conns[B.rr++ % B.senders];
			if (c->state == CONN_READY &&
			    c->inflight < BENCH_RATE_INFLIGHT)
				break;
		}
		if (tries == B.senders)
			break;		/* every sender is saturated */
		conn_send_msg(c);
	}
}

/* Start measuring and sending. */
static void
bench_start_sending(void)
{
	struct timeval	 tv = { 0, BENCH_TICK_MS * 1000 };
	unsigned int	 i, j;

	B.t0 = now_ns();
	B.cpu0 = proc_cpu(B.server_pid);
	B.measuring = 1;
	B.sending = 1;
	if (B.rate > 0) {
		B.tick = event_new(B.base, -1, EV_PERSIST, bench_tick_cb, NULL);
		event_add(B.tick, &tv);
	} else {
		for (i = 0; i < B.senders; i++)
			for (j = 0; j < B.window; j++)
				conn_send_msg(B.conns[i]);
	}
	event_base_loopbreak(B.base);
}

/* After the stop: let what is in flight arrive (bounded). */
static void
bench_drain(void)
{
	struct timeval	 tv = { 0, 20000 };
	uint64_t	 until = now_ns() + BENCH_DRAIN_MS * 1000000ULL;
	uint64_t	 expect;

	if (B.tick != NULL)
		event_del(B.tick);
	while (now_ns() < until) {
		expect = B.acked * (B.proto == PROTO_IRC ? B.clients - 1 :
		    B.clients);
		if (B.acked == B.sent && B.delivered >= expect)
			break;
		event_base_loopexit(B.base, &tv);
		event_base_dispatch(B.base);
	}
}

/* Print the latency figures of a histogram as key=value pairs. */
static void
bench_print_lat(const char *prefix, const struct hist *h)
{
	printf(" %sp50_ms=%.3f %sp99_ms=%.3f %smax_ms=%.3f %ssamples=%" PRIu64,
	    prefix, hist_quantile(h, 0.50) / 1000, prefix,
	    hist_quantile(h, 0.99) / 1000, prefix, (double)h->max / 1000,
	    prefix, h->n);
}

static const char *
proto_name(void)
{
	return (B.proto == PROTO_IRC ? "irc" : "chatsec");
}

/* fanout and rate: C clients, S senders, for D seconds. */
static void
bench_run_chat(void)
{
	unsigned int	 i;
	double		 secs, cpu, self0, self;
	uint64_t	 delivered;

	if (B.senders > B.clients)
		die("more senders than clients");
	for (i = 0; i < B.clients; i++)
		conn_start(B.offset + i, i < B.senders, 0, 1);
	bench_connect_all(bench_start_sending);
	event_base_dispatch(B.base);
	if (!B.measuring)
		die("connecting failed");
	self0 = self_cpu();
	bench_arm_stop(B.duration);
	event_base_dispatch(B.base);
	delivered = B.delivered;
	self = self_cpu() - self0;
	bench_drain();
	secs = (double)(B.t1 - B.t0) / 1e9;
	cpu = B.cpu0 >= 0 && B.cpu1 >= 0 ? B.cpu1 - B.cpu0 : -1;
	printf("BENCH scenario=%s proto=%s clients=%u senders=%u size=%u "
	    "duration_s=%.1f", B.scenario, proto_name(), B.clients, B.senders,
	    B.size, secs);
	if (B.rate > 0)
		printf(" offered_msgs_per_s=%.0f", B.rate);
	else
		printf(" window=%u", B.window);
	printf(" msgs_sent=%" PRIu64 " msgs_per_s=%.0f deliveries=%" PRIu64
	    " deliveries_per_s=%.0f", B.sent, (double)B.acked / secs,
	    delivered, (double)delivered / secs);
	if (cpu > 0)
		printf(" server_cpu_pct=%.0f deliveries_per_cpu_s=%.0f",
		    100 * cpu / secs, (double)delivered / cpu);
	printf(" loadgen_cpu_pct=%.0f", 100 * self / secs);
	bench_print_lat("", &B.hist[0]);
	printf(" errors=%" PRIu64 " failed_conns=%u\n", B.errors, B.nfailed);
}

/* idle: C connections logged in and left idle. */
static void
bench_idle_ready(void)
{
	B.t1 = now_ns();
	event_base_loopbreak(B.base);
}

static void
bench_run_idle(void)
{
	struct timeval	 tv = { 1, 0 };
	unsigned int	 i;
	long		 rss0, rss1;
	double		 cpu0, cpu1, secs;

	rss0 = proc_rss_kib(B.server_pid);
	cpu0 = proc_cpu(B.server_pid);
	for (i = 0; i < B.clients; i++)
		conn_start(B.offset + i, 0, 0, B.sync);
	B.t0 = now_ns();
	bench_connect_all(bench_idle_ready);
	event_base_dispatch(B.base);
	if (B.t1 == 0)
		die("connecting failed");
	secs = (double)(B.t1 - B.t0) / 1e9;
	cpu1 = proc_cpu(B.server_pid);
	/* Let the server settle (buffers released after the last writes). */
	event_base_loopexit(B.base, &tv);
	event_base_dispatch(B.base);
	rss1 = proc_rss_kib(B.server_pid);
	printf("BENCH scenario=idle proto=%s clients=%u connected=%u "
	    "connect_s=%.2f conns_per_s=%.0f", proto_name(), B.clients,
	    B.nready, secs, (double)B.nready / secs);
	if (rss0 > 0 && rss1 > 0)
		printf(" server_rss0_kib=%ld server_rss_kib=%ld "
		    "rss_per_conn_kib=%.2f", rss0, rss1,
		    (double)(rss1 - rss0) / B.nready);
	if (cpu0 >= 0 && cpu1 >= 0)
		printf(" server_cpu_s=%.2f cpu_per_conn_ms=%.3f",
		    cpu1 - cpu0, 1000 * (cpu1 - cpu0) / B.nready);
	printf(" failed_conns=%u\n", B.nfailed);
}

/* backlog: one sends N messages, the other comes back and syncs them. */
static void
bench_backlog_sender_ready(void)
{
	unsigned int	 j;

	B.send_t0 = now_ns();
	B.sending = 1;
	B.measuring = 0;
	B.limit_sent = B.count;
	for (j = 0; j < B.window && j < B.count; j++)
		conn_send_msg(B.conns[0]);
}

static void
bench_backlog_check_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c = B.conns[0];

	if (B.acked + B.errors >= B.count && c->inflight == 0) {
		B.send_t1 = now_ns();
		event_base_loopbreak(B.base);
	}
}

static void
bench_backlog_rx_ready(void)
{
}

static void
bench_run_backlog(void)
{
	struct timeval	 tv = { 0, 1000 };
	struct event	*check;
	struct conn	*rx;
	double		 send_s, sync_s;

	conn_start(B.offset, 1, 0, 0);
	bench_connect_all(bench_backlog_sender_ready);
	check = event_new(B.base, -1, EV_PERSIST, bench_backlog_check_cb,
	    NULL);
	event_add(check, &tv);
	event_base_dispatch(B.base);
	event_free(check);
	if (B.send_t1 == 0)
		die("sending failed");

	/* The receiver comes back: everything after the first message. */
	conn_start(B.offset + 1, 0, 0, 1);
	rx = B.conns[1];
	rx->sync_since = (int64_t)B.first_msg_id - 1;
	B.backlog_rx = rx;
	B.backlog_t0 = now_ns();
	bench_connect_all(bench_backlog_rx_ready);
	event_base_dispatch(B.base);
	if (B.backlog_t1 == 0)
		die("the returning client failed");
	send_s = (double)(B.send_t1 - B.send_t0) / 1e9;
	sync_s = (double)(B.backlog_t1 - B.backlog_t0) / 1e9;
	printf("BENCH scenario=backlog proto=chatsec messages=%u size=%u "
	    "window=%u send_s=%.2f stored_msgs_per_s=%.0f delivered=%" PRIu64
	    " deliver_s=%.3f delivered_msgs_per_s=%.0f errors=%" PRIu64 "\n",
	    B.count, B.size, B.window, send_s, (double)B.acked / send_s,
	    rx->synced_msgs, sync_s, (double)rx->synced_msgs / sync_s,
	    B.errors);
}

/* storm: the rate run, then L real logins at once. */
static void
bench_run_storm(void)
{
	unsigned int	 i, first;
	double		 base_s, storm_s;
	uint64_t	 base_del, storm_del;

	if (B.password == NULL)
		die("storm needs --password");
	if (B.rate == 0)
		die("storm needs --rate");
	for (i = 0; i < B.clients; i++)
		conn_start(B.offset + i, i < B.senders, 0, 1);
	bench_connect_all(bench_start_sending);
	event_base_dispatch(B.base);
	if (!B.measuring)
		die("connecting failed");
	/* Baseline. */
	bench_arm_stop(B.duration);
	event_base_dispatch(B.base);
	B.sending = 1;
	base_s = (double)(B.t1 - B.t0) / 1e9;
	base_del = B.delivered;

	/* The storm: every login at once, into the other histogram. */
	B.cur = &B.hist[1];
	first = B.nconns;
	for (i = 0; i < B.logins; i++)
		conn_start(B.offset + B.clients + i, 0, 1, 0);
	B.storm_t0 = now_ns();
	B.want_ready = B.nconns;
	B.all_ready = NULL;
	B.connecting = 0;
	B.next_connect = first;
	/* All at once: no limit on handshakes in progress. */
	while (B.next_connect < B.nconns)
		conn_connect(B.conns[B.next_connect++]);
	/* Bounded: a storm that takes longer is reported as it stands. */
	{
		struct timeval	 tv = { 300, 0 };

		event_base_loopexit(B.base, &tv);
	}
	event_base_dispatch(B.base);
	storm_s = B.storm_t1 > 0 ? (double)(B.storm_t1 - B.storm_t0) / 1e9 :
	    (double)(now_ns() - B.storm_t0) / 1e9;
	storm_del = B.delivered - base_del;
	B.sending = 0;
	bench_drain();
	printf("BENCH scenario=storm proto=chatsec clients=%u senders=%u "
	    "offered_msgs_per_s=%.0f logins=%u logins_ok=%u storm_s=%.2f "
	    "logins_per_s=%.1f base_deliveries_per_s=%.0f "
	    "storm_deliveries_per_s=%.0f", B.clients, B.senders, B.rate,
	    B.logins, B.storm_done, storm_s, (double)B.storm_done / storm_s,
	    (double)base_del / base_s, (double)storm_del / storm_s);
	bench_print_lat("base_", &B.hist[0]);
	bench_print_lat("storm_", &B.hist[1]);
	printf(" errors=%" PRIu64 " failed_logins=%u\n", B.errors,
	    B.logins - B.storm_done);
}

/* ---- agent API ------------------------------------------------------- */

/* Connect to the agent's socket (blocking). */
static int
agent_connect(void)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (B.socket == NULL || strlen(B.socket) >= sizeof sun.sun_path)
		die("agent scenarios need --socket PATH");
	memcpy(sun.sun_path, B.socket, strlen(B.socket) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
		die("%s: %s", B.socket, strerror(errno));
	/* Never wait forever for an agent that stopped answering. */
	tv.tv_sec = 60;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return (fd);
}

/* Read one line (blocking) into buf; returns its length. */
static size_t
agent_line(int fd, char *buf, size_t size, size_t *have)
{
	char	*nl;
	ssize_t	 n;
	size_t	 len;

	for (;;) {
		if ((nl = memchr(buf, '\n', *have)) != NULL) {
			len = (size_t)(nl - buf);
			return (len);
		}
		if (*have == size)
			die("agent line too long");
		n = read(fd, buf + *have, size - *have);
		if (n == -1 && errno == EAGAIN && B.agent_idle_ok)
			return ((size_t)-1);
		if (n <= 0)
			die("agent: %s", n == 0 ? "connection closed" :
			    strerror(errno));
		*have += (size_t)n;
	}
}

/* Consume a line of len from buf. */
static void
agent_consume(char *buf, size_t len, size_t *have)
{
	memmove(buf, buf + len + 1, *have - len - 1);
	*have -= len + 1;
}

static void
agent_write(int fd, const char *s)
{
	size_t	 len = strlen(s), off = 0;
	ssize_t	 n;

	while (off < len) {
		if ((n = write(fd, s + off, len - off)) <= 0)
			die("agent write: %s", strerror(errno));
		off += (size_t)n;
	}
}

/* agent-rtt: COUNT status requests one after the other. */
static void
bench_run_agent_rtt(void)
{
	static char	 buf[1 << 20];
	char		 req[128];
	size_t		 have = 0, len;
	unsigned int	 i;
	uint64_t	 t, t0;
	int		 fd = agent_connect();

	t0 = now_ns();
	for (i = 0; i < B.count; i++) {
		snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":%u,"
		    "\"method\":\"status\"}\n", i + 1);
		t = now_ns();
		agent_write(fd, req);
		do {
			len = agent_line(fd, buf, sizeof buf, &have);
			/* Skip notifications. */
			if (memmem(buf, len, "\"result\"", 8) != NULL ||
			    memmem(buf, len, "\"error\"", 7) != NULL)
				break;
			agent_consume(buf, len, &have);
		} while (1);
		if (memmem(buf, len, "\"error\"", 7) != NULL)
			B.errors++;
		agent_consume(buf, len, &have);
		hist_add(&B.hist[0], (now_ns() - t) / 1000);
	}
	close(fd);
	printf("BENCH scenario=agent-rtt method=status requests=%u "
	    "requests_per_s=%.0f", B.count, B.count /
	    ((double)(now_ns() - t0) / 1e9));
	bench_print_lat("", &B.hist[0]);
	printf(" errors=%" PRIu64 "\n", B.errors);
}

/* agent-rx: subscribe and count message events until COUNT arrived. */
static void
bench_run_agent_rx(void)
{
	static char	 buf[1 << 20];
	size_t		 have = 0, len;
	uint64_t	 n = 0, t_first = 0, t_last = 0, deadline;
	int		 fd = agent_connect();
	char		 line[256];
	struct timeval	 tv;

	snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"subscribe\",\"params\":{}}\n");
	agent_write(fd, line);
	len = agent_line(fd, buf, sizeof buf, &have);
	if (memmem(buf, len, "\"result\"", 8) == NULL)
		die("subscribe failed: %.*s", (int)(len > 200 ? 200 : len), buf);
	agent_consume(buf, len, &have);
	/* Subscribed: the driver starts the sending once it sees this. */
	printf("READY\n");
	fflush(stdout);
	/* Stop at COUNT, or when nothing came for 10 s (some never came). */
	deadline = now_ns() + (uint64_t)(B.duration * 1e9);
	tv.tv_sec = 10;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	B.agent_idle_ok = 1;
	while (n < B.count && now_ns() < deadline) {
		if ((len = agent_line(fd, buf, sizeof buf, &have)) ==
		    (size_t)-1)
			break;
		if (memmem(buf, len, "\"method\":\"event\"", 16) != NULL) {
			if (memmem(buf, len, "\"type\":\"message\"", 16) ==
			    NULL) {
				if (memmem(buf, len, "\"type\":\"undecryptable\"",
				    22) == NULL && memmem(buf, len,
				    "\"type\":\"forged\"", 15) == NULL) {
					agent_consume(buf, len, &have);
					continue;
				}
				if (B.errors++ == 0)
					fprintf(stderr, "chatsec-bench: "
					    "agent-rx: %.*s\n", (int)(len > 300 ?
					    300 : len), buf);
			}
			t_last = now_ns();
			if (n++ == 0)
				t_first = t_last;
		}
		agent_consume(buf, len, &have);
	}
	close(fd);
	printf("BENCH scenario=agent-rx expected=%u messages=%" PRIu64
	    " span_s=%.3f "
	    "msgs_per_s=%.0f errors=%" PRIu64 "\n", B.count, n,
	    (double)(t_last - t_first) / 1e9, n > 1 ? (double)(n - 1) /
	    ((double)(t_last - t_first) / 1e9) : 0, B.errors);
}

/* agent-tx: COUNT sends of SIZE bytes of text, WINDOW in flight. */
static void
bench_run_agent_tx(void)
{
	static char	 buf[1 << 20];
	char		 req[BENCH_BODY_MAX + 256], text[BENCH_BODY_MAX + 1];
	size_t		 have = 0, len;
	unsigned int	 sent = 0, done = 0;
	uint64_t	 t0;
	int		 fd = agent_connect();

	memset(text, 'x', B.size);
	text[B.size] = '\0';
	t0 = now_ns();
	while (done < B.count) {
		while (sent < B.count && sent - done < B.window) {
			snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":%u,"
			    "\"method\":\"send\",\"params\":{\"to\":\"%s\","
			    "\"text\":\"%s\"}}\n", sent + 1, B.room, text);
			agent_write(fd, req);
			sent++;
		}
		len = agent_line(fd, buf, sizeof buf, &have);
		if (memmem(buf, len, "\"error\"", 7) != NULL) {
			if (B.errors++ == 0)
				fprintf(stderr, "chatsec-bench: %.*s\n",
				    (int)(len > 300 ? 300 : len), buf);
			done++;
		} else if (memmem(buf, len, "\"result\"", 8) != NULL)
			done++;
		agent_consume(buf, len, &have);
	}
	close(fd);
	printf("BENCH scenario=agent-tx messages=%u size=%u window=%u "
	    "msgs_per_s=%.0f errors=%" PRIu64 "\n", B.count, B.size, B.window,
	    B.count / ((double)(now_ns() - t0) / 1e9), B.errors);
}

/* ---- main ------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr,
"usage: chatsec-bench -s SCENARIO [-p PORT] [-H HOST] [-t TOKENS] [options]\n"
"scenarios: fanout rate idle backlog storm soak agent-rtt agent-tx agent-rx\n"
"  -p, --port PORT        server port (127.0.0.1 unless -H)\n"
"  -t, --tokens FILE      accounts from chatsecd --create-accounts\n"
"  -P, --server-pid PID   read the server's CPU and RSS from /proc\n"
"      --irc              speak IRC (NICK/USER/JOIN/PRIVMSG) instead\n"
"  -c, --clients N        connections (fanout 100, rate 1000, idle 10000,\n"
"                         soak 200)\n"
"  -S, --senders N        sending connections (10)\n"
"  -w, --window N         messages in flight per sender, closed loop (8)\n"
"  -r, --rate R           offered messages/s, open loop (rate: 100)\n"
"  -d, --duration SECS    measured time (10; soak 600)\n"
"  -b, --size BYTES       message body size (100; 9..%d)\n"
"  -n, --count N          backlog messages, agent requests (10000)\n"
"  -L, --logins N         logins in the storm (200)\n"
"      --password PW      the accounts' password (storm)\n"
"  -o, --offset N         first account to use (0)\n"
"      --sync / --no-sync sync after logging in (idle: no)\n"
"      --room ROOM        chatsec room (#general)\n"
"      --socket PATH      agent socket (agent-*)\n"
"      --connect-max N    handshakes in progress at once (%d)\n"
"      --quick            tiny sizes: prove the tool works\n", BENCH_BODY_MAX,
	    BENCH_CONNECT_MAX);
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, 'H' },
		{ "tokens", required_argument, NULL, 't' },
		{ "server-pid", required_argument, NULL, 'P' },
		{ "irc", no_argument, NULL, 'I' },
		{ "clients", required_argument, NULL, 'c' },
		{ "senders", required_argument, NULL, 'S' },
		{ "window", required_argument, NULL, 'w' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'n' },
		{ "logins", required_argument, NULL, 'L' },
		{ "password", required_argument, NULL, 'W' },
		{ "offset", required_argument, NULL, 'o' },
		{ "sync", no_argument, NULL, 'y' },
		{ "no-sync", no_argument, NULL, 'Y' },
		{ "room", required_argument, NULL, 'R' },
		{ "socket", required_argument, NULL, 'U' },
		{ "quick", no_argument, NULL, 'q' },
		{ "connect-max", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	struct rlimit	 rl;
	int		 ch, sync = -1;
	long		 clients = -1, count = -1;
	double		 rate = -1, duration = -1;

	signal(SIGPIPE, SIG_IGN);
	if (sec_init() != 0)
		die("libsodium initialisation failed");
	B.host = "127.0.0.1";
	B.room = CS_GENERAL;
	B.senders = 10;
	B.window = 8;
	B.size = 100;
	B.logins = 200;
	B.connect_max = BENCH_CONNECT_MAX;
	while ((ch = getopt_long(argc, argv, "s:p:H:t:P:c:S:w:r:d:b:n:L:o:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 's': B.scenario = optarg; break;
		case 'p': B.port = (int)opt_num(ch, optarg, 1, 65535); break;
		case 'H': B.host = optarg; break;
		case 't': B.tokens = optarg; break;
		case 'P': B.server_pid = (pid_t)opt_num(ch, optarg, 0, 4194304); break;
		case 'I': B.proto = PROTO_IRC; break;
		case 'c': clients = (long)opt_num(ch, optarg, 1, 1000000); break;
		case 'S': B.senders = (unsigned int)opt_num(ch, optarg, 0, 1000000); break;
		case 'w': B.window = (unsigned int)opt_num(ch, optarg, 1, 100000); break;
		case 'r': rate = opt_num(ch, optarg, 0, 1e9); break;
		case 'd': duration = opt_num(ch, optarg, 0, 86400); break;
		case 'b': B.size = (unsigned int)opt_num(ch, optarg, 0, 1e9); break;
		case 'n': count = (long)opt_num(ch, optarg, 0, 1e9); break;
		case 'L': B.logins = (unsigned int)opt_num(ch, optarg, 0, 1000000); break;
		case 'W': B.password = optarg; break;
		case 'o': B.offset = (unsigned int)opt_num(ch, optarg, 0, 10000000); break;
		case 'y': sync = 1; break;
		case 'Y': sync = 0; break;
		case 'R': B.room = optarg; break;
		case 'U': B.socket = optarg; break;
		case 'q': B.quick = 1; break;
		case 'C': B.connect_max = (unsigned int)opt_num(ch, optarg, 1, 1000000); break;
		default: usage();
		}
	}
	if (B.scenario == NULL || optind != argc)
		usage();
	if (B.size < 9 || B.size > BENCH_BODY_MAX || B.window == 0)
		usage();
	if (strcmp(B.scenario, "idle") == 0) {
		B.clients = clients >= 0 ? (unsigned int)clients :
		    B.quick ? 20 : 10000;
		B.sync = sync == 1;
	} else {
		B.clients = clients >= 0 ? (unsigned int)clients :
		    strcmp(B.scenario, "fanout") == 0 ? (B.quick ? 10 : 100) :
		    strcmp(B.scenario, "soak") == 0 ? (B.quick ? 10 : 200) :
		    B.quick ? 20 : 1000;
		B.sync = sync != 0;
	}
	if (B.quick && B.senders > 2)
		B.senders = 2;
	if (B.quick && B.logins > 4)
		B.logins = 4;
	B.rate = rate >= 0 ? rate : strcmp(B.scenario, "rate") == 0 ?
	    (B.quick ? 50 : 100) : strcmp(B.scenario, "storm") == 0 ?
	    (B.quick ? 20 : 50) : 0;
	B.duration = duration > 0 ? duration : B.quick ? 1 :
	    strcmp(B.scenario, "soak") == 0 ? 600 : 10;
	B.count = count > 0 ? (unsigned int)count : B.quick ? 200 : 10000;
	if (B.senders > B.clients)
		B.senders = B.clients;
	B.cur = &B.hist[0];

	if (strcmp(B.scenario, "agent-rtt") == 0) {
		bench_run_agent_rtt();
		return (0);
	}
	if (strcmp(B.scenario, "agent-tx") == 0) {
		bench_run_agent_tx();
		return (B.errors != 0);
	}
	if (strcmp(B.scenario, "agent-rx") == 0) {
		bench_run_agent_rx();
		return (B.errors != 0);
	}

	if (B.port <= 0 || B.port > 65535)
		usage();
	if (B.proto == PROTO_CHATSEC) {
		if (B.tokens == NULL)
			die("-t TOKENS is needed");
		accounts_load(B.tokens);
	} else {
		/* IRC needs no accounts: nick b<N>. */
		B.naccts = B.offset + B.clients + 2;
		B.accts = calloc(B.naccts, sizeof *B.accts);
		if (B.accts == NULL)
			die("out of memory");
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&B.sin, 0, sizeof B.sin);
	B.sin.sin_family = AF_INET;
	B.sin.sin_port = htons((uint16_t)B.port);
	if (inet_pton(AF_INET, B.host, &B.sin.sin_addr) != 1)
		die("bad address %s", B.host);

	if ((B.ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		die("SSL_CTX_new");
	SSL_CTX_set_min_proto_version(B.ssl_ctx, TLS1_3_VERSION);
	/* Loopback benchmark against a throwaway certificate. */
	SSL_CTX_set_verify(B.ssl_ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(B.ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(B.ssl_ctx, SSL_SESS_CACHE_OFF);
	if ((B.base = event_base_new()) == NULL)
		die("event_base_new");

	if (strcmp(B.scenario, "fanout") == 0) {
		B.rate = 0;
		bench_run_chat();
	} else if (strcmp(B.scenario, "rate") == 0) {
		if (B.rate <= 0)
			die("rate needs --rate");
		bench_run_chat();
	} else if (strcmp(B.scenario, "idle") == 0)
		bench_run_idle();
	else if (strcmp(B.scenario, "backlog") == 0) {
		if (B.proto == PROTO_IRC)
			die("backlog is chatsec only");
		if (B.window < 64 && B.quick == 0)
			B.window = 64;
		bench_run_backlog();
	} else if (strcmp(B.scenario, "storm") == 0)
		bench_run_storm();
	else if (strcmp(B.scenario, "soak") == 0) {
		if (B.proto == PROTO_IRC)
			die("soak is chatsec only");
		ch = bench_run_soak();
		fflush(stdout);
		_exit(ch);
	} else
		usage();
	fflush(stdout);
	/* Exit without closing: the server sees the connections drop. */
	_exit(0);
}

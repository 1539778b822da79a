/* chatsec — chatsec-relay, the bare relay `make bench` measures the machine with.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench-die.h"

/*
 * chatsec-relay: the least a TLS chat relay can do, so that `make bench`
 * can say what this machine allows (doc/performance.md).  It speaks the
 * IRC that chatsec-bench --irc speaks: NICK and USER get 001, JOIN gets
 * 366, a PRIVMSG goes to every other connection that joined, PING gets
 * PONG.  No accounts, one room whatever its name, nothing stored, nothing
 * checked beyond line length.
 *
 * It is the lean relay of the reference figures: TLS 1.3 with release
 * buffers, read-ahead, no session tickets or cache; TCP_NODELAY; each
 * connection's output of a loop turn gathered into one TLS record (up to
 * 16 KiB) and one write(2); the heap trimmed once a second while
 * handshakes come in.  A connection whose output passes RELAY_OUT_MAX is
 * dropped.  Runs in the foreground until SIGTERM or SIGINT.
 */

#define RELAY_RECORD	16384		/* bytes per SSL_write at most */
#define RELAY_LINE_MAX	4096		/* an input line, CRLF included */
#define RELAY_OUT_MAX	(8 * 1024 * 1024)
#define RELAY_NICK_MAX	32

struct rconn {
	int			 fd;
	SSL			*ssl;
	struct event		*rev;		/* readable, persistent */
	struct event		*wev;		/* writable, while a record waits */
	struct evbuffer		*out;		/* NULL: nothing queued */
	size_t			 stuck;		/* bytes SSL_write must retry */
	char			*part;		/* an incomplete input line */
	size_t			 partlen;
	int			 ready;		/* handshake done */
	int			 joined;
	int			 queued;	/* on relay_flushq */
	char			 nick[RELAY_NICK_MAX];
	TAILQ_ENTRY(rconn)	 aentry;	/* relay_all */
	TAILQ_ENTRY(rconn)	 mentry;	/* relay_members */
	TAILQ_ENTRY(rconn)	 fentry;	/* relay_flushq */
};
TAILQ_HEAD(rconns, rconn);

static struct event_base	*relay_base;
static SSL_CTX			*relay_ctx;
static struct rconns		 relay_all = TAILQ_HEAD_INITIALIZER(relay_all);
static struct rconns		 relay_members =
    TAILQ_HEAD_INITIALIZER(relay_members);
static struct rconns		 relay_flushq = TAILQ_HEAD_INITIALIZER(relay_flushq);
static struct event		*relay_flusher;
static int			 relay_handshakes;	/* since the last trim */

static void	 relay_flush(struct rconn *);

static void
relay_free(struct rconn *c)
{
	TAILQ_REMOVE(&relay_all, c, aentry);
	if (c->joined)
		TAILQ_REMOVE(&relay_members, c, mentry);
	if (c->queued)
		TAILQ_REMOVE(&relay_flushq, c, fentry);
	event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	if (c->out != NULL)
		evbuffer_free(c->out);
	free(c->part);
	SSL_free(c->ssl);
	close(c->fd);
	free(c);
}

/* Queue bytes for c; it is written once this loop turn's callbacks are done. */
static void
relay_queue(struct rconn *c, const char *p, size_t len)
{
	if (c->out == NULL && (c->out = evbuffer_new()) == NULL)
		die("evbuffer_new");
	if (evbuffer_add(c->out, p, len) != 0)
		die("evbuffer_add");
	if (!c->queued) {
		if (TAILQ_EMPTY(&relay_flushq))
			event_active(relay_flusher, EV_TIMEOUT, 1);
		TAILQ_INSERT_TAIL(&relay_flushq, c, fentry);
		c->queued = 1;
	}
}

static void
relay_printf(struct rconn *c, const char *fmt, ...)
{
	char	 buf[RELAY_LINE_MAX + 128];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		relay_queue(c, buf, (size_t)n < sizeof buf ? (size_t)n :
		    sizeof buf - 1);
}

/* One input line, without its line end. */
static void
relay_line(struct rconn *c, char *line, size_t len)
{
	struct rconn	*m;
	char		 msg[RELAY_LINE_MAX + 128];
	const char	*nick = c->nick[0] != '\0' ? c->nick : "*";
	int		 n;

	line[len] = '\0';
	if (strncmp(line, "NICK ", 5) == 0)
		snprintf(c->nick, sizeof c->nick, "%s", line + 5);
	else if (strncmp(line, "USER ", 5) == 0)
		relay_printf(c, ":relay 001 %s :welcome\r\n", nick);
	else if (strncmp(line, "JOIN ", 5) == 0) {
		if (!c->joined) {
			TAILQ_INSERT_TAIL(&relay_members, c, mentry);
			c->joined = 1;
		}
		relay_printf(c, ":%s!b@relay JOIN %s\r\n:relay 366 %s %s :End "
		    "of /NAMES list.\r\n", nick, line + 5, nick, line + 5);
	} else if (strncmp(line, "PING ", 5) == 0)
		relay_printf(c, ":relay PONG relay %s\r\n", line + 5);
	else if (strncmp(line, "PRIVMSG ", 8) == 0) {
		n = snprintf(msg, sizeof msg, ":%s!b@relay %s\r\n", nick, line);
		if (n <= 0 || (size_t)n >= sizeof msg)
			return;
		TAILQ_FOREACH(m, &relay_members, mentry) {
			if (m != c)
				relay_queue(m, msg, (size_t)n);
		}
	}
}

/* Split what was read into lines; keep an incomplete one.  -1: too long. */
static int
relay_input(struct rconn *c, char *buf, size_t len)
{
	char	*nl, *p = buf, *end = buf + len;
	size_t	 n;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n = (size_t)(nl - p);
		if (c->part != NULL) {
			if (c->partlen + n + 1 > RELAY_LINE_MAX)
				return (-1);
			memcpy(c->part + c->partlen, p, n);
			n += c->partlen;
			if (n > 0 && c->part[n - 1] == '\r')
				n--;
			relay_line(c, c->part, n);
			free(c->part);
			c->part = NULL;
			c->partlen = 0;
		} else {
			if (n > 0 && p[n - 1] == '\r')
				n--;
			relay_line(c, p, n);
		}
		p = nl + 1;
	}
	if (p == end)
		return (0);
	n = (size_t)(end - p);
	if (c->part == NULL && (c->part = malloc(RELAY_LINE_MAX)) == NULL)
		die("malloc");
	if (c->partlen + n + 1 > RELAY_LINE_MAX)
		return (-1);
	memcpy(c->part + c->partlen, p, n);
	c->partlen += n;
	return (0);
}

/* Readable (or writable while the handshake waits to write). */
static void
relay_read(evutil_socket_t fd, short events, void *arg)
{
	static char	 buf[RELAY_RECORD + 1];	/* room for relay_line's NUL */
	struct rconn	*c = arg;
	int		 n, err;

	if (!c->ready) {
		ERR_clear_error();
		if ((n = SSL_do_handshake(c->ssl)) != 1) {
			err = SSL_get_error(c->ssl, n);
			if (err == SSL_ERROR_WANT_READ ||
			    err == SSL_ERROR_WANT_WRITE)
				return;	/* a handshake flight fits the socket */
			relay_free(c);
			return;
		}
		c->ready = 1;
		relay_handshakes++;
	}
	for (;;) {
		ERR_clear_error();
		if ((n = SSL_read(c->ssl, buf, sizeof buf - 1)) <= 0) {
			err = SSL_get_error(c->ssl, n);
			if (err == SSL_ERROR_WANT_READ ||
			    err == SSL_ERROR_WANT_WRITE)
				return;
			relay_free(c);
			return;
		}
		if (relay_input(c, buf, (size_t)n) != 0) {
			relay_free(c);
			return;
		}
	}
}

/* The socket took a waiting record: go on writing. */
static void
relay_writable(evutil_socket_t fd, short events, void *arg)
{
	relay_flush(arg);
}

/*
 * Write c's queue: records of up to RELAY_RECORD bytes, gathered from the
 * queue's chains.  A record the socket did not take is retried with the
 * same bytes when the socket is writable.
 */
static void
relay_flush(struct rconn *c)
{
	static char	 gather[RELAY_RECORD];
	size_t		 len;
	int		 n, err;

	if (c->queued) {
		TAILQ_REMOVE(&relay_flushq, c, fentry);
		c->queued = 0;
	}
	while (c->out != NULL && (len = evbuffer_get_length(c->out)) != 0) {
		if (len > RELAY_OUT_MAX) {
			relay_free(c);
			return;
		}
		if (c->stuck != 0)
			len = c->stuck;
		else if (len > RELAY_RECORD)
			len = RELAY_RECORD;
		if (evbuffer_copyout(c->out, gather, len) != (ssize_t)len)
			die("evbuffer_copyout");
		ERR_clear_error();
		if ((n = SSL_write(c->ssl, gather, (int)len)) > 0) {
			evbuffer_drain(c->out, (size_t)n);
			c->stuck = 0;
			continue;
		}
		err = SSL_get_error(c->ssl, n);
		if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) {
			relay_free(c);
			return;
		}
		c->stuck = len;
		if (c->wev == NULL && (c->wev = event_new(relay_base, c->fd,
		    EV_WRITE, relay_writable, c)) == NULL)
			die("event_new");
		event_add(c->wev, NULL);
		return;
	}
	if (c->out != NULL) {
		evbuffer_free(c->out);
		c->out = NULL;
	}
}

/* End of a loop turn's callbacks: write every connection given something. */
static void
relay_flush_all(evutil_socket_t fd, short events, void *arg)
{
	struct rconn	*c;

	/* relay_flush() unlinks c before it may free it (the analyzer loses
	 * track of TAILQ_REMOVE). */
	while ((c = TAILQ_FIRST(&relay_flushq)) != NULL) {
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		if (c->stuck != 0) {	/* its write event goes on */
			TAILQ_REMOVE(&relay_flushq, c, fentry);
			c->queued = 0;
			continue;
		}
		relay_flush(c);
	}
}

static void
relay_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct rconn	*c;
	int		 one = 1;

	if ((c = calloc(1, sizeof *c)) == NULL)
		die("calloc");
	c->fd = fd;
	TAILQ_INSERT_TAIL(&relay_all, c, aentry);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if ((c->ssl = SSL_new(relay_ctx)) == NULL ||
	    SSL_set_fd(c->ssl, fd) != 1)
		die("SSL_new");
	SSL_set_accept_state(c->ssl);
	if ((c->rev = event_new(relay_base, fd, EV_READ|EV_PERSIST,
	    relay_read, c)) == NULL || event_add(c->rev, NULL) != 0)
		die("event_new");
}

/* Once a second: give the heap handshakes left behind back. */
static void
relay_trim(evutil_socket_t fd, short events, void *arg)
{
	if (relay_handshakes == 0)
		return;
	relay_handshakes = 0;
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

static void
relay_stop(evutil_socket_t sig, short events, void *arg)
{
	event_base_loopbreak(relay_base);
}

static void
usage(void)
{
	fprintf(stderr, "usage: chatsec-relay -p port -c cert.pem -k key.pem\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct evconnlistener	*lev;
	struct rconn		*c;
	struct sockaddr_in	 sin;
	struct event		*trim, *sigterm, *sigint;
	struct timeval		 sec = { 1, 0 };
	const char		*cert = NULL, *key = NULL;
	long			 port = 0;
	char			*end;
	int			 ch;

	while ((ch = getopt(argc, argv, "c:k:p:")) != -1) {
		switch (ch) {
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*end != '\0' || port < 1 || port > 65535)
				usage();
			break;
		default:
			usage();
		}
	}
	if (cert == NULL || key == NULL || port == 0 || optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);

	if ((relay_ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		die("SSL_CTX_new");
	SSL_CTX_set_min_proto_version(relay_ctx, TLS1_3_VERSION);
	SSL_CTX_set_num_tickets(relay_ctx, 0);
	SSL_CTX_set_session_cache_mode(relay_ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(relay_ctx, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_read_ahead(relay_ctx, 1);
	if (SSL_CTX_use_certificate_chain_file(relay_ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(relay_ctx, key, SSL_FILETYPE_PEM) != 1)
		die("%s, %s: cannot load", cert, key);

	if ((relay_base = event_base_new()) == NULL)
		die("event_base_new");
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if ((lev = evconnlistener_new_bind(relay_base, relay_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE|LEV_OPT_REUSEABLE|LEV_OPT_CLOSE_ON_EXEC, 4096,
	    (struct sockaddr *)&sin, sizeof sin)) == NULL)
		die("127.0.0.1:%ld: cannot listen: %s", port, strerror(errno));
	if ((relay_flusher = event_new(relay_base, -1, 0, relay_flush_all,
	    NULL)) == NULL ||
	    (trim = event_new(relay_base, -1, EV_PERSIST, relay_trim,
	    NULL)) == NULL || event_add(trim, &sec) != 0 ||
	    (sigterm = evsignal_new(relay_base, SIGTERM, relay_stop,
	    NULL)) == NULL || event_add(sigterm, NULL) != 0 ||
	    (sigint = evsignal_new(relay_base, SIGINT, relay_stop,
	    NULL)) == NULL || event_add(sigint, NULL) != 0)
		die("event_new");
	printf("chatsec-relay: listening on 127.0.0.1:%ld\n", port);
	fflush(stdout);

	event_base_dispatch(relay_base);

	/* relay_free() unlinks c first (as above). */
	while ((c = TAILQ_FIRST(&relay_all)) != NULL)
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		relay_free(c);
	evconnlistener_free(lev);
	event_free(relay_flusher);
	event_free(trim);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(relay_base);
	SSL_CTX_free(relay_ctx);
	return (0);
}

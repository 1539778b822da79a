/* chatsec — chatsecd listening sockets.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "chatsecd.h"
#include "log.h"
#include "proto.h"
#include "xmalloc.h"

/*
 * Sockets are bound before the server detaches (so a bad address fails the
 * start where the user sees it) and handed to evconnlistener once the event
 * base exists.  Each accepted connection gets TCP_NODELAY and a TLS
 * bufferevent; connections are capped in total and per peer address.
 */

#define LISTEN_MAX	CONFIG_LIST_MAX
#define LISTEN_BACKLOG	511

struct listen_sock {
	int			 fd;
	char			 name[96];	/* as bound, port resolved */
	struct evconnlistener	*lev;
};

static struct listen_sock	 listen_socks[LISTEN_MAX];
static int			 listen_n;
static void			*listen_peers;	/* tsearch tree */
static struct event		*listen_pause_ev;

/* Order peers by address string. */
static int
listen_peer_cmp(const void *a, const void *b)
{
	const struct listen_peer	*x = a, *y = b;

	return (strcmp(x->addr, y->addr));
}

/* Find or make the entry for an address; NULL if it has too many. */
static struct listen_peer *
listen_peer_get(const char *addr)
{
	struct listen_peer	 key, *p, **found;

	snprintf(key.addr, sizeof key.addr, "%s", addr);
	if ((found = tfind(&key, &listen_peers, listen_peer_cmp)) != NULL) {
		p = *found;
		if (p->conns >= (unsigned int)server_cfg.max_per_addr)
			return (NULL);
		p->conns++;
		return (p);
	}
	p = xcalloc(1, sizeof *p);
	snprintf(p->addr, sizeof p->addr, "%s", addr);
	p->conns = 1;
	if (tsearch(p, &listen_peers, listen_peer_cmp) == NULL)
		FATALX("out of memory");
	return (p);
}

/* A connection from peer went away. */
void
listen_peer_release(struct listen_peer *p)
{
	if (p == NULL || --p->conns > 0)
		return;
	tdelete(p, &listen_peers, listen_peer_cmp);
	free(p);
}

/* Format a socket address as "a.b.c.d:port" or "[v6]:port". */
static void
listen_format(const struct sockaddr *sa, char *host, size_t hostlen,
    char *full, size_t fulllen)
{
	char	 h[64], p[16];

	if (getnameinfo(sa, sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
	    h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(h, sizeof h, "?");
		snprintf(p, sizeof p, "?");
	}
	if (host != NULL)
		snprintf(host, hostlen, "%s", h);
	if (full != NULL) {
		if (sa->sa_family == AF_INET6)
			snprintf(full, fulllen, "[%s]:%s", h, p);
		else
			snprintf(full, fulllen, "%s:%s", h, p);
	}
}

/* Split "ADDR:PORT", "[V6]:PORT" or "PORT" into host and port. */
static int
listen_split(const char *spec, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char	*colon, *end;

	if (spec[0] == '[') {
		if ((end = strchr(spec, ']')) == NULL)
			return (-1);
		snprintf(host, hostlen, "%.*s", (int)(end - spec - 1), spec + 1);
		if (end[1] == '\0')
			snprintf(port, portlen, "%d", CS_DEFAULT_PORT);
		else if (end[1] == ':')
			snprintf(port, portlen, "%s", end + 2);
		else
			return (-1);
		return (0);
	}
	if ((colon = strrchr(spec, ':')) == NULL) {
		if (strspn(spec, "0123456789") == strlen(spec)) {
			snprintf(host, hostlen, "%s", CS_DEFAULT_ADDR);
			snprintf(port, portlen, "%s", spec);
		} else {
			snprintf(host, hostlen, "%s", spec);
			snprintf(port, portlen, "%d", CS_DEFAULT_PORT);
		}
		return (0);
	}
	if (strchr(spec, ':') != colon)
		return (-1);	/* bare IPv6 needs brackets */
	snprintf(host, hostlen, "%.*s", (int)(colon - spec), spec);
	snprintf(port, portlen, "%s", colon + 1);
	return (0);
}

/* Bind one address; 0 or -1 (logged). */
static int
listen_bind_one(const char *spec)
{
	struct addrinfo		 hints, *res = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof ss;
	struct listen_sock	*ls;
	char			 host[256], port[32];
	int			 fd = -1, on = 1, error;

	if (listen_n == LISTEN_MAX) {
		log_warnx("listen: too many addresses");
		return (-1);
	}
	if (listen_split(spec, host, sizeof host, port, sizeof port) != 0 ||
	    port[0] == '\0' || strspn(port, "0123456789") != strlen(port)) {
		log_warnx("listen: %s: expected ADDR:PORT or [ADDR]:PORT",
		    spec);
		return (-1);
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((error = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints,
	    &res)) != 0) {
		log_warnx("listen: %s: %s", spec, gai_strerror(error));
		return (-1);
	}
	if ((fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		log_warn("listen: %s: socket", spec);
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
		log_warn("listen: %s: bind", spec);
		goto fail;
	}
	if (listen(fd, LISTEN_BACKLOG) != 0) {
		log_warn("listen: %s: listen", spec);
		goto fail;
	}
	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
		log_warn("listen: %s: getsockname", spec);
		goto fail;
	}
	ls = &listen_socks[listen_n++];
	ls->fd = fd;
	listen_format((struct sockaddr *)&ss, NULL, 0, ls->name,
	    sizeof ls->name);
	freeaddrinfo(res);
	return (0);

fail:
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	return (-1);
}

/* Bind every configured address. */
int
listen_bind(void)
{
	int	 i;

	for (i = 0; i < server_cfg.listen.n; i++) {
		if (listen_bind_one(server_cfg.listen.v[i]) != 0)
			return (-1);
	}
	return (0);
}

/* "127.0.0.1:7780, [::1]:7780": the bound addresses, ports resolved. */
const char *
listen_describe(void)
{
	static char	 buf[LISTEN_MAX * 100];
	size_t		 off = 0;
	int		 i;

	buf[0] = '\0';
	for (i = 0; i < listen_n; i++) {
		off += snprintf(buf + off, sizeof buf - off, "%s%s",
		    i > 0 ? ", " : "", listen_socks[i].name);
		if (off >= sizeof buf)
			break;
	}
	return (buf);
}

/* Accept callback: apply the caps, set TCP_NODELAY, start TLS. */
static void
listen_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listen_peer	*peer;
	struct bufferevent	*bev;
	char			 host[64];
	int			 on = 1;

	listen_format(sa, host, sizeof host, NULL, 0);
	if (client_count() >= (unsigned int)server_cfg.max_clients) {
		audit_log("refused", NULL, host, "too many connections");
		close(fd);
		return;
	}
	if ((peer = listen_peer_get(host)) == NULL) {
		audit_log("refused", NULL, host,
		    "too many connections from this address");
		close(fd);
		return;
	}
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	if ((bev = tls_bufferevent_new(server_base, fd)) == NULL) {
		log_warnx("listen: cannot set up TLS for %s", host);
		close(fd);
		listen_peer_release(peer);
		return;
	}
	client_create(bev, peer);
}

/* Timer: accept again after a pause for lack of descriptors. */
static void
listen_resume(evutil_socket_t fd, short events, void *arg)
{
	int	 i;

	for (i = 0; i < listen_n; i++) {
		if (listen_socks[i].lev != NULL)
			evconnlistener_enable(listen_socks[i].lev);
	}
}

/*
 * Accept error.  Out of descriptors, the socket stays readable and the loop
 * would spin: stop accepting for a second instead.
 */
static void
listen_error(struct evconnlistener *lev, void *arg)
{
	struct timeval	 tv = { 1, 0 };
	int		 error = EVUTIL_SOCKET_ERROR(), i;

	errno = error;
	LOG_WARN("accept");
	if (error != EMFILE && error != ENFILE && error != ENOBUFS &&
	    error != ENOMEM)
		return;
	for (i = 0; i < listen_n; i++) {
		if (listen_socks[i].lev != NULL)
			evconnlistener_disable(listen_socks[i].lev);
	}
	if (listen_pause_ev == NULL &&
	    (listen_pause_ev = evtimer_new(server_base, listen_resume,
	    NULL)) == NULL)
		return;
	evtimer_add(listen_pause_ev, &tv);
}

/* Start accepting on every bound socket. */
void
listen_start(void)
{
	struct listen_sock	*ls;
	int			 i;

	for (i = 0; i < listen_n; i++) {
		ls = &listen_socks[i];
		ls->lev = evconnlistener_new(server_base, listen_accept, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, ls->fd);
		if (ls->lev == NULL)
			FATALX("evconnlistener_new");
		evconnlistener_set_error_cb(ls->lev, listen_error);
	}
}

/* Stop accepting and close the sockets. */
void
listen_stop(void)
{
	struct listen_sock	*ls;
	int			 i;

	for (i = 0; i < listen_n; i++) {
		ls = &listen_socks[i];
		if (ls->lev != NULL)
			evconnlistener_free(ls->lev);
		else if (ls->fd != -1)
			close(ls->fd);
		ls->lev = NULL;
		ls->fd = -1;
	}
	listen_n = 0;
	if (listen_pause_ev != NULL)
		event_free(listen_pause_ev);
	listen_pause_ev = NULL;
}

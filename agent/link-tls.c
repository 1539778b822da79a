/* chatsec — TLS for the agent's link: context, trust, pinning.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fsutil.h"
#include "log.h"
#include "proto.h"
#include "sec.h"
#include "xmalloc.h"

#include "agent.h"

/*
 * Every OpenSSL call in the agent is in this file.  TLS 1.3 only, no
 * tickets, no early data.  The server is trusted one of two ways: with
 * --ca-file, by its certificate chain and its name (or IP address); else
 * by trust on first use: the SHA-256 of its DER certificate is pinned in
 * PROFILE/known_servers ("host:port SHA256:hex" lines) the first time, and
 * a different certificate later is refused until the user removes the line.
 */

#define LINK_TLS_KNOWN_MAX	(1024 * 1024)

static SSL_CTX	*link_tls_ctx;
static int	 link_tls_use_ca;

/* Log the OpenSSL error queue under what. */
static void
link_tls_log_errors(const char *what)
{
	unsigned long	 e;
	char		 buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof buf);
		log_warnx("%s: %s", what, buf);
	}
}

/*
 * Make the client context.  With ca_file the chain is verified during the
 * handshake; without it, link_tls_verify() checks the pin after it.
 * Returns 0 or -1 (logged).
 */
int
link_tls_init(const char *ca_file)
{
	if ((link_tls_ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		link_tls_log_errors("SSL_CTX_new");
		return (-1);
	}
	SSL_CTX_set_min_proto_version(link_tls_ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(link_tls_ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(link_tls_ctx, SSL_OP_NO_TICKET|
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(link_tls_ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(link_tls_ctx, SSL_SESS_CACHE_OFF);
	if (ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(link_tls_ctx, ca_file,
		    NULL) != 1) {
			link_tls_log_errors(ca_file);
			log_warnx("cannot load CA certificates from %s",
			    ca_file);
			return (-1);
		}
		SSL_CTX_set_verify(link_tls_ctx, SSL_VERIFY_PEER, NULL);
		link_tls_use_ca = 1;
	} else
		SSL_CTX_set_verify(link_tls_ctx, SSL_VERIFY_NONE, NULL);
	return (0);
}

/* Free the context. */
void
link_tls_free(void)
{
	SSL_CTX_free(link_tls_ctx);
	link_tls_ctx = NULL;
}

/* Return 1 if host is an IPv4 or IPv6 literal. */
static int
link_tls_is_ip(const char *host)
{
	unsigned char	 buf[16];

	return (inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1);
}

/*
 * Start a TLS client handshake on the connected socket fd (owned by the
 * returned bufferevent), naming host for SNI and, with a CA file, for the
 * name or address check.  NULL on failure (fd is then still the caller's).
 */
struct bufferevent *
link_tls_wrap(struct event_base *base, int fd, const char *host)
{
	struct bufferevent	*bev;
	X509_VERIFY_PARAM	*param;
	SSL			*ssl;
	int			 ip = link_tls_is_ip(host);

	if ((ssl = SSL_new(link_tls_ctx)) == NULL) {
		link_tls_log_errors("SSL_new");
		return (NULL);
	}
	if (!ip)
		SSL_set_tlsext_host_name(ssl, host);
	if (link_tls_use_ca) {
		param = SSL_get0_param(ssl);
		if (ip)
			X509_VERIFY_PARAM_set1_ip_asc(param, host);
		else {
			X509_VERIFY_PARAM_set_hostflags(param,
			    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			X509_VERIFY_PARAM_set1_host(param, host, 0);
		}
	}
	bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE|
	    BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return (NULL);
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return (bev);
}

/*
 * The fingerprint pinned for hostport in known_servers, as a new string
 * owned by the caller, or NULL.
 */
char *
link_tls_pinned(const char *hostport)
{
	char	*data, *line, *next, *sp, *fpr = NULL;
	size_t	 len;

	if (fs_read_file(agent_conf.known_servers, LINK_TLS_KNOWN_MAX, &data,
	    &len) != 0) {
		if (errno != ENOENT)
			log_warn("%s", agent_conf.known_servers);
		return (NULL);
	}
	for (line = data; line != NULL && fpr == NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '#' || (sp = strchr(line, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		sp += strspn(sp, " \t");
		sp[strcspn(sp, " \t\r")] = '\0';
		if (strcmp(line, hostport) == 0)
			fpr = xstrdup(sp);
	}
	free(data);
	return (fpr);
}

/* Append "hostport fpr" to known_servers.  0 or -1 (logged). */
static int
link_tls_pin(const char *hostport, const char *fpr)
{
	char	*line;
	int	 fd, n, rc = 0;

	n = xasprintf(&line, "%s %s\n", hostport, fpr);
	fd = open(agent_conf.known_servers, O_WRONLY|O_APPEND|O_CREAT|
	    O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, line, n) != n || fsync(fd) != 0) {
		log_warn("cannot save the pin in %s",
		    agent_conf.known_servers);
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	free(line);
	return (rc);
}

/*
 * After the handshake: compute the server certificate's fingerprint into
 * fpr and decide whether to trust it.  Returns 0, CS_ERR_TRUST (err says
 * why, for the user), or another non-zero code for other failures.
 */
int
link_tls_verify(struct bufferevent *bev, const char *hostport, char *fpr,
    size_t fprlen, char *err, size_t errlen)
{
	SSL		*ssl = bufferevent_openssl_get_ssl(bev);
	X509		*cert;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		 hex[2 * EVP_MAX_MD_SIZE + 1], got[SEC_FPR_STRLEN];
	char		*pinned;
	long		 vr;

	if (ssl == NULL || (cert = SSL_get1_peer_certificate(ssl)) == NULL) {
		snprintf(err, errlen, "server %s sent no certificate",
		    hostport);
		return (CS_ERR_TRUST);
	}
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32) {
		X509_free(cert);
		snprintf(err, errlen, "cannot hash the certificate of %s",
		    hostport);
		return (CS_ERR_INTERNAL);
	}
	X509_free(cert);
	snprintf(got, sizeof got, "SHA256:%s", sec_hex(md, mdlen, hex));
	snprintf(fpr, fprlen, "%s", got);

	if (link_tls_use_ca) {
		if ((vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
			snprintf(err, errlen, "server certificate for %s "
			    "failed verification: %s", hostport,
			    X509_verify_cert_error_string(vr));
			return (CS_ERR_TRUST);
		}
		return (0);
	}

	if ((pinned = link_tls_pinned(hostport)) == NULL) {
		link_tls_pin(hostport, got);
		log_info("pinned server %s %s", hostport, got);
		return (0);
	}
	if (strcmp(pinned, got) == 0) {
		free(pinned);
		return (0);
	}
	snprintf(err, errlen, "server certificate for %s changed (pinned %s, "
	    "got %s); if this is expected, remove its line from %s",
	    hostport, pinned, got, agent_conf.known_servers);
	free(pinned);
	log_warnx("%s", err);
	return (CS_ERR_TRUST);
}

/*
 * Describe why the TLS connection failed into err.  Returns 1 if it was
 * the server's certificate that failed verification (a trust failure,
 * not a network one), else 0.
 */
int
link_tls_failure(struct bufferevent *bev, const char *hostport, char *err,
    size_t errlen)
{
	SSL		*ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long	 e, first = 0;
	long		 vr;
	int		 serr = EVUTIL_SOCKET_ERROR();
	char		 buf[256];

	while ((e = bufferevent_get_openssl_error(bev)) != 0) {
		if (first == 0)
			first = e;
	}
	if (link_tls_use_ca && ssl != NULL &&
	    (vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(err, errlen, "server certificate for %s failed "
		    "verification: %s", hostport,
		    X509_verify_cert_error_string(vr));
		return (1);
	}
	if (first != 0) {
		ERR_error_string_n(first, buf, sizeof buf);
		snprintf(err, errlen, "TLS error: %s", buf);
	} else if (serr != 0)
		snprintf(err, errlen, "%s", strerror(serr));
	else
		snprintf(err, errlen, "connection closed");
	ERR_clear_error();
	return (0);
}

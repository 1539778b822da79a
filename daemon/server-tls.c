/* chatsec — chatsecd TLS (every OpenSSL call of the server).  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "chatsecd.h"
#include "fsutil.h"
#include "log.h"
#include "xmalloc.h"

/*
 * One SSL_CTX for the server: TLS 1.3 only, no session tickets, no session
 * cache (nothing resumes), no early data, buffers released when idle.  If no
 * certificate is configured, an ECDSA P-256 key and a self-signed
 * certificate are made in the data directory on first start; clients pin
 * the SHA-256 fingerprint of the DER certificate.
 */

#define TLS_CERT_DAYS	(10 * 365)
#define TLS_FILE_MAX	(1024 * 1024)
#define TLS_GATHER	16384	/* bytes of small chains per TLS record */

static SSL_CTX	*tls_ctx;
static char	 tls_fpr[SEC_FPR_STRLEN];

/* Log the OpenSSL error queue under what, emptying it. */
static void
tls_log_errors(const char *what)
{
	unsigned long	 e;
	char		 buf[256];
	int		 logged = 0;

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof buf);
		log_warnx("tls: %s: %s", what, buf);
		logged = 1;
	}
	if (!logged)
		log_warnx("tls: %s failed", what);
}

/* Write the PEM text in a memory BIO to path (mode 0600, atomically). */
static int
tls_write_pem(const char *path, BIO *bio)
{
	char	*data;
	long	 len;

	len = BIO_get_mem_data(bio, &data);
	if (len <= 0 || fs_write_atomic(path, data, len) != 0) {
		log_warn("tls: %s", path);
		return (-1);
	}
	return (0);
}

/*
 * Make a P-256 key and a self-signed certificate for this host and write
 * them to keypath (0600) and certpath (0644).
 */
static int
tls_make_cert(const char *certpath, const char *keypath)
{
	EVP_PKEY	*pkey = NULL;
	X509		*x509 = NULL;
	X509_NAME	*name;
	X509_EXTENSION	*ext;
	X509V3_CTX	 v3;
	BIO		*kbio = NULL, *cbio = NULL;
	unsigned char	 serial[16];
	BIGNUM		*bn = NULL;
	char		 host[HOST_NAME_MAX + 1];
	int		 rv = -1;

	if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
		snprintf(host, sizeof host, "chatsecd");
	host[sizeof host - 1] = '\0';

	if ((pkey = EVP_EC_gen("P-256")) == NULL) {
		tls_log_errors("EVP_EC_gen");
		goto out;
	}
	if ((x509 = X509_new()) == NULL)
		goto err;
	X509_set_version(x509, 2);
	sec_random(serial, sizeof serial);
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)) == NULL)
		goto err;
	X509_gmtime_adj(X509_getm_notBefore(x509), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x509), 86400L * TLS_CERT_DAYS);
	if (X509_set_pubkey(x509, pkey) != 1)
		goto err;
	name = X509_get_subject_name(x509);
	if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"chatsecd", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)host, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x509, name) != 1)
		goto err;
	X509V3_set_ctx(&v3, x509, x509, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	    "critical,CA:FALSE");
	if (ext == NULL || X509_add_ext(x509, ext, -1) != 1)
		goto err;
	X509_EXTENSION_free(ext);
	if (X509_sign(x509, pkey, EVP_sha256()) == 0)
		goto err;

	if ((kbio = BIO_new(BIO_s_mem())) == NULL ||
	    (cbio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(kbio, pkey, NULL, NULL, 0, NULL,
	    NULL) != 1 || PEM_write_bio_X509(cbio, x509) != 1)
		goto err;
	if (tls_write_pem(keypath, kbio) != 0 ||
	    tls_write_pem(certpath, cbio) != 0)
		goto out;
	if (chmod(certpath, 0644) != 0)
		log_warn("tls: chmod %s", certpath);
	log_info("tls: made a key and a self-signed certificate in %s",
	    certpath);
	rv = 0;
	goto out;

err:
	tls_log_errors("making a certificate");
out:
	BN_free(bn);
	BIO_free(kbio);
	BIO_free(cbio);
	X509_free(x509);
	EVP_PKEY_free(pkey);
	return (rv);
}

/* Compute "SHA256:<hex>" of the leaf certificate's DER encoding. */
static int
tls_compute_fingerprint(void)
{
	X509		*x509;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0;

	if ((x509 = SSL_CTX_get0_certificate(tls_ctx)) == NULL ||
	    X509_digest(x509, EVP_sha256(), md, &len) != 1 || len != 32) {
		tls_log_errors("fingerprint");
		return (-1);
	}
	memcpy(tls_fpr, "SHA256:", 7);
	sec_hex(md, len, tls_fpr + 7);
	return (0);
}

/*
 * Build the server context from the configured certificate chain and key,
 * or from DATADIR/server.crt and server.key, made if they don't exist.
 */
int
tls_init(const struct server_config *cfg)
{
	char		*certpath = NULL, *keypath = NULL;
	struct stat	 sb;
	int		 rv = -1;

	if (cfg->cert != NULL || cfg->key != NULL) {
		if (cfg->cert == NULL || cfg->key == NULL) {
			log_warnx("tls: --cert and --key go together");
			return (-1);
		}
		certpath = xstrdup(cfg->cert);
		keypath = xstrdup(cfg->key);
	} else {
		xasprintf(&certpath, "%s/server.crt", cfg->datadir);
		xasprintf(&keypath, "%s/server.key", cfg->datadir);
		if (stat(certpath, &sb) != 0 && errno == ENOENT &&
		    stat(keypath, &sb) != 0 && errno == ENOENT &&
		    tls_make_cert(certpath, keypath) != 0)
			goto out;
	}

	if ((tls_ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_log_errors("SSL_CTX_new");
		goto out;
	}
	SSL_CTX_set_min_proto_version(tls_ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(tls_ctx, TLS1_3_VERSION);
	/*
	 * A peer that closes without close_notify is an ordinary end of
	 * stream: frames are whole lines, so a truncated one is just dropped.
	 */
	SSL_CTX_set_options(tls_ctx, SSL_OP_NO_TICKET |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_num_tickets(tls_ctx, 0);
	SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_max_early_data(tls_ctx, 0);
	SSL_CTX_set_mode(tls_ctx, SSL_MODE_RELEASE_BUFFERS);

	if (SSL_CTX_use_certificate_chain_file(tls_ctx, certpath) != 1) {
		tls_log_errors(certpath);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(tls_ctx, keypath,
	    SSL_FILETYPE_PEM) != 1) {
		tls_log_errors(keypath);
		goto out;
	}
	if (SSL_CTX_check_private_key(tls_ctx) != 1) {
		tls_log_errors("key does not match certificate");
		goto out;
	}
	if (tls_compute_fingerprint() != 0)
		goto out;
	rv = 0;

out:
	if (rv != 0 && tls_ctx != NULL) {
		SSL_CTX_free(tls_ctx);
		tls_ctx = NULL;
	}
	free(certpath);
	free(keypath);
	return (rv);
}

/* Free the context. */
void
tls_free(void)
{
	SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}

/* The certificate's fingerprint, "SHA256:<64 hex>". */
const char *
tls_fingerprint(void)
{
	return (tls_fpr);
}

/* Wrap an accepted socket in a server-side TLS bufferevent (owns fd). */
struct bufferevent *
tls_bufferevent_new(struct event_base *base, int fd)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if ((ssl = SSL_new(tls_ctx)) == NULL) {
		tls_log_errors("SSL_new");
		return (NULL);
	}
	bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return (NULL);
	}
	/* A peer closing TCP without close_notify is an end, not an error. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return (bev);
}

/* Describe the negotiated protocol and cipher into buf. */
const char *
tls_describe(struct bufferevent *bev, char *buf, size_t len)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(bev);

	if (ssl == NULL)
		snprintf(buf, len, "no TLS");
	else
		snprintf(buf, len, "%s %s", SSL_get_version(ssl),
		    SSL_get_cipher_name(ssl));
	return (buf);
}

/*
 * Describe why the TLS layer of bev failed into buf.  libevent queues both
 * OpenSSL error codes and bare SSL_get_error() values (library 0); the
 * first real OpenSSL error says most.
 */
const char *
tls_error(struct bufferevent *bev, char *buf, size_t len)
{
	unsigned long	 e, first = 0, bare = 0;
	const char	*reason;

	buf[0] = '\0';
	while ((e = bufferevent_get_openssl_error(bev)) != 0) {
		if (ERR_GET_LIB(e) == 0)
			bare = e;
		else if (first == 0)
			first = e;
	}
	if (first != 0) {
		if ((reason = ERR_reason_error_string(first)) != NULL)
			snprintf(buf, len, "%s", reason);
		else
			ERR_error_string_n(first, buf, len);
	} else if (EVUTIL_SOCKET_ERROR() != 0)
		snprintf(buf, len, "%s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else if (bare == SSL_ERROR_SSL)
		snprintf(buf, len, "TLS protocol error");
	if (buf[0] == '\0')
		snprintf(buf, len, "connection closed");
	ERR_clear_error();
	return (buf);
}

/*
 * Write buf straight through bev's TLS connection, as far as the socket
 * takes it now, draining what went out; the caller hands the rest to bev.
 * This saves libevent's round of "add write interest, wait for the socket
 * to be writable, write, remove write interest" (two epoll_ctl calls and a
 * loop turn for every write) when the socket has room, which is nearly
 * always.
 *
 * Only when bev has nothing queued itself, so the order holds.  Each
 * SSL_write is one TLS record: a first chain of at least TLS_GATHER bytes
 * is written from where it is, smaller chains are gathered up to
 * TLS_GATHER bytes into one buffer first, so the frames a connection got
 * in a loop turn cost one record and one write(2) however they were
 * queued, and the queue needs no record-sized chain of its own.  When the
 * socket is full (want write), OpenSSL keeps the record and asks for the
 * same bytes again: they are pulled up into buf's first chain, which
 * moves to bev, and libevent's retry writes that chain, at least as long
 * (bev's SSL has SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).  A bufferevent
 * without TLS (the fuzz harness's pairs) writes nothing here.  Returns -1
 * if the connection failed, else 0.
 */
int
tls_write_through(struct bufferevent *bev, struct evbuffer *buf)
{
	static uint8_t		 gather[TLS_GATHER];
	SSL			*ssl = bufferevent_openssl_get_ssl(bev);
	struct evbuffer_iovec	 v;
	const void		*p;
	size_t			 len;
	int			 n, err;

	if (ssl == NULL || !SSL_is_init_finished(ssl) ||
	    evbuffer_get_length(bufferevent_get_output(bev)) != 0)
		return (0);
	while ((len = evbuffer_get_length(buf)) != 0) {
		if (evbuffer_peek(buf, -1, NULL, &v, 1) < 1)
			return (-1);
		if (v.iov_len >= len || v.iov_len >= TLS_GATHER) {
			p = v.iov_base;
			len = v.iov_len > INT_MAX ? INT_MAX : v.iov_len;
		} else {
			if (len > TLS_GATHER)
				len = TLS_GATHER;
			if (evbuffer_copyout(buf, gather, len) != (ssize_t)len)
				return (-1);
			p = gather;
		}
		ERR_clear_error();
		if ((n = SSL_write(ssl, p, (int)len)) > 0) {
			evbuffer_drain(buf, (size_t)n);
			continue;
		}
		err = SSL_get_error(ssl, n);
		ERR_clear_error();
		if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ)
			return (p == gather &&
			    evbuffer_pullup(buf, (ssize_t)len) == NULL ? -1 : 0);
		return (-1);
	}
	return (0);
}

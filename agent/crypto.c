/* chatsec — end-to-end crypto: identities, key files, bundles, envelopes.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "frame.h"
#include "fsutil.h"
#include "log.h"
#include "proto.h"
#include "sec.h"
#include "utf8.h"
#include "xmalloc.h"

#include "agent.h"
#include "crypto.h"

/*
 * All libsodium use in the agent is in this file (common/sec.c keeps
 * randomness, hex, base64 and token hashing).  doc/crypto.md describes the
 * formats; the parsers below treat every input as hostile: each length is
 * checked against what is left before it is used, and nothing is trusted
 * before the signature over it verifies.
 */

#define CCRYPTO_ENV_VERSION	1
#define CCRYPTO_PUB_VERSION	1
#define CCRYPTO_KF_VERSION	1
#define CCRYPTO_KF_KIND_ARGON	1	/* argon2id + XChaCha20-Poly1305 */
#define CCRYPTO_KF_KIND_PLAIN	2	/* explicit opt-out */
#define CCRYPTO_KF_MAGIC	"CSKY"
#define CCRYPTO_KF_OPS_MAX	16ULL	/* refuse costlier files unread */
#define CCRYPTO_KF_MEM_MAX	(1024ULL * 1024 * 1024)
#define CCRYPTO_PW_MAX		4096
#define CCRYPTO_SEED_LEN	32
#define CCRYPTO_SECRET_MAX	(1 + CCRYPTO_NAME_MAX + 2 * CCRYPTO_SEED_LEN)
#define CCRYPTO_KF_HDR_LEN	(4 + 1 + 1 + 8 + 8 + 16 + 24)
#define CCRYPTO_NONCE_LEN	24
#define CCRYPTO_SEALED_LEN	(32 + 32 + 16)	/* crypto_box_seal of a key */

/* Domain separation: each signed or hashed thing starts with its context. */
static const char ccrypto_ctx_keys[] = "chatsec-keys-v1";
static const char ccrypto_ctx_env[] = "chatsec-envelope-v1";
static const char ccrypto_ctx_fpr[] = "chatsec-fingerprint-v1";
static const char ccrypto_ctx_safety[] = "chatsec-safety-number-v1";

#if CCRYPTO_ENVELOPE_MAX > CS_BODY_MAX
#error "the largest envelope does not fit a message body"
#endif

/* Identity: allocated with sodium_malloc (guarded, locked, wiped on free). */
struct ccrypto_identity {
	char		 user[CCRYPTO_NAME_MAX + 1];
	uint8_t		 sign_seed[CCRYPTO_SEED_LEN];
	uint8_t		 sign_sk[64];
	uint8_t		 sign_pk[CCRYPTO_PK_LEN];
	uint8_t		 box_sk[32];
	uint8_t		 box_pk[CCRYPTO_PK_LEN];
	uint8_t		 self_sig[CCRYPTO_SIG_LEN];
	uint8_t		 fpr[CCRYPTO_FPR_LEN];
};

struct ccrypto_pub {
	char		 user[CCRYPTO_NAME_MAX + 1];
	uint8_t		 sign_pk[CCRYPTO_PK_LEN];
	uint8_t		 box_pk[CCRYPTO_PK_LEN];
	uint8_t		 sig[CCRYPTO_SIG_LEN];
	uint8_t		 fpr[CCRYPTO_FPR_LEN];
};

/* An envelope cut into its parts; every pointer borrows the input. */
struct ccrypto_env {
	struct ccrypto_header	 hdr;
	size_t			 hdr_len;	/* AEAD associated data */
	const uint8_t		*nonce;
	const uint8_t		*wraps;
	const uint8_t		*ct;
	size_t			 ct_len;
	const uint8_t		*sig;
	size_t			 signed_len;	/* bytes before the signature */
};

/* A bounds-checked reader over untrusted bytes. */
struct ccrypto_rd {
	const uint8_t	*p;
	size_t		 left;
};

/* A writer into a buffer sized in advance; overflow is a bug. */
struct ccrypto_wr {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
};

/* Initialise libsodium once; 0 or -1. */
int
ccrypto_init(void)
{
	return (sec_init());
}

/* A static sentence for an error code. */
const char *
ccrypto_strerror(int error)
{
	switch (error) {
	case 0:
		return ("success");
	case CCRYPTO_ERR_INVALID:
		return ("invalid argument");
	case CCRYPTO_ERR_TRUNCATED:
		return ("stream ended early or went on after its end");
	case CCRYPTO_ERR_MALFORMED:
		return ("malformed input");
	case CCRYPTO_ERR_VERSION:
		return ("unsupported format version");
	case CCRYPTO_ERR_NO_KEY:
		return ("no pinned key for the sender");
	case CCRYPTO_ERR_SIGNATURE:
		return ("bad signature");
	case CCRYPTO_ERR_NOT_FOR_ME:
		return ("not encrypted for this identity");
	case CCRYPTO_ERR_DECRYPT:
		return ("cannot decrypt");
	case CCRYPTO_ERR_TOO_MANY:
		return ("too many recipients");
	case CCRYPTO_ERR_TOO_BIG:
		return ("message too long");
	case CCRYPTO_ERR_PASSWORD:
		return ("wrong password or damaged key file");
	case CCRYPTO_ERR_IO:
		return ("key file input/output error");
	case CCRYPTO_ERR_PERM:
		return ("key file is readable by others");
	case CCRYPTO_ERR_LOCKED:
		return ("key file is encrypted and no password was given");
	}
	return ("unknown error");
}

/* Wipe and free a secret buffer of len bytes. */
void
ccrypto_free_secret(void *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	free(p);
}

/*
 * A copy of the len bytes of s, NUL-terminated, in guarded, locked memory
 * (sodium_malloc) for a password held a while; NULL if out of such memory.
 * Free with ccrypto_secret_str_free.
 */
char *
ccrypto_secret_str(const char *s, size_t len)
{
	char	*p;

	if ((p = sodium_malloc(len + 1)) == NULL)
		return (NULL);
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

/* Free a ccrypto_secret_str copy (sodium_free wipes it); NULL is fine. */
void
ccrypto_secret_str_free(char *p)
{
	if (p != NULL)
		sodium_free(p);
}

/* 1 if s is 1..max bytes of printable ASCII without spaces. */
static int
ccrypto_name_ok(const char *s, size_t max)
{
	size_t	i;

	if (s == NULL)
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max || s[i] < 0x21 || s[i] > 0x7e)
			return (0);
	}
	return (i > 0);
}

/* 1 if byte c may appear in a cid ([A-Za-z0-9_-]). */
static int
ccrypto_cid_char(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-');
}

/* 1 if s is a valid cid. */
static int
ccrypto_cid_ok(const char *s)
{
	size_t	i;

	if (s == NULL)
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= CCRYPTO_CID_MAX || !ccrypto_cid_char((uint8_t)s[i]))
			return (0);
	}
	return (i > 0);
}

/* Take n bytes from the reader into *p (borrowed); -1 if fewer are left. */
static int
ccrypto_rd_bytes(struct ccrypto_rd *rd, const uint8_t **p, size_t n)
{
	if (rd->left < n)
		return (-1);
	*p = rd->p;
	rd->p += n;
	rd->left -= n;
	return (0);
}

/* Read a big-endian unsigned integer of n (1..8) bytes. */
static int
ccrypto_rd_uint(struct ccrypto_rd *rd, size_t n, uint64_t *v)
{
	const uint8_t	*p;
	size_t		 i;

	if (ccrypto_rd_bytes(rd, &p, n) != 0)
		return (-1);
	*v = 0;
	for (i = 0; i < n; i++)
		*v = (*v << 8) | p[i];
	return (0);
}

/*
 * Read a length byte and that many bytes of name into out (NUL-terminated,
 * out holds max + 1): 1..max printable ASCII, or for cids the cid set.
 */
static int
ccrypto_rd_name(struct ccrypto_rd *rd, char *out, size_t max, int cid)
{
	const uint8_t	*p;
	uint64_t	 n;
	size_t		 i;

	if (ccrypto_rd_uint(rd, 1, &n) != 0 || n == 0 || n > max ||
	    ccrypto_rd_bytes(rd, &p, (size_t)n) != 0)
		return (-1);
	for (i = 0; i < n; i++) {
		if (cid ? !ccrypto_cid_char(p[i]) :
		    (p[i] < 0x21 || p[i] > 0x7e))
			return (-1);
		out[i] = (char)p[i];
	}
	out[n] = '\0';
	return (0);
}

/* Append n bytes; the buffer was sized for everything, so overflow aborts. */
static void
ccrypto_wr_bytes(struct ccrypto_wr *wr, const void *p, size_t n)
{
	if (wr->cap - wr->len < n)
		fatalx("%s: buffer overflow", __func__);
	if (n > 0)
		memcpy(wr->p + wr->len, p, n);
	wr->len += n;
}

/* Append an unsigned integer big-endian in n bytes. */
static void
ccrypto_wr_uint(struct ccrypto_wr *wr, uint64_t v, size_t n)
{
	uint8_t	b[8];
	size_t	i;

	for (i = 0; i < n; i++)
		b[n - 1 - i] = (uint8_t)(v >> (8 * i));
	ccrypto_wr_bytes(wr, b, n);
}

/* Append a length byte and a name. */
static void
ccrypto_wr_name(struct ccrypto_wr *wr, const char *s)
{
	size_t	n = strlen(s);

	ccrypto_wr_uint(wr, n, 1);
	ccrypto_wr_bytes(wr, s, n);
}

/* Fingerprint of a key pair: BLAKE2b-256 over context and both keys. */
static void
ccrypto_fpr(const uint8_t sign_pk[CCRYPTO_PK_LEN],
    const uint8_t box_pk[CCRYPTO_PK_LEN], uint8_t fpr[CCRYPTO_FPR_LEN])
{
	crypto_generichash_state	st;

	crypto_generichash_init(&st, NULL, 0, CCRYPTO_FPR_LEN);
	crypto_generichash_update(&st, (const uint8_t *)ccrypto_ctx_fpr,
	    sizeof ccrypto_ctx_fpr);
	crypto_generichash_update(&st, sign_pk, CCRYPTO_PK_LEN);
	crypto_generichash_update(&st, box_pk, CCRYPTO_PK_LEN);
	crypto_generichash_final(&st, fpr, CCRYPTO_FPR_LEN);
}

/*
 * The bytes a bundle's self-signature covers: context, user name (with
 * its length) and both public keys.  Returns the length written to buf.
 */
static size_t
ccrypto_bundle_msg(const char *user, const uint8_t *sign_pk,
    const uint8_t *box_pk, uint8_t buf[sizeof ccrypto_ctx_keys + 1 +
    CCRYPTO_NAME_MAX + 2 * CCRYPTO_PK_LEN])
{
	struct ccrypto_wr	wr = { buf, 0, sizeof ccrypto_ctx_keys + 1 +
				    CCRYPTO_NAME_MAX + 2 * CCRYPTO_PK_LEN };

	ccrypto_wr_bytes(&wr, ccrypto_ctx_keys, sizeof ccrypto_ctx_keys);
	ccrypto_wr_name(&wr, user);
	ccrypto_wr_bytes(&wr, sign_pk, CCRYPTO_PK_LEN);
	ccrypto_wr_bytes(&wr, box_pk, CCRYPTO_PK_LEN);
	return (wr.len);
}

/*
 * Complete an identity whose user, sign_seed and box_sk are set: derive
 * the public keys, the self-signature and the fingerprint.
 */
static int
ccrypto_identity_derive(struct ccrypto_identity *id)
{
	uint8_t	msg[sizeof ccrypto_ctx_keys + 1 + CCRYPTO_NAME_MAX +
		    2 * CCRYPTO_PK_LEN];
	size_t	len;

	if (crypto_sign_seed_keypair(id->sign_pk, id->sign_sk,
	    id->sign_seed) != 0 ||
	    crypto_scalarmult_base(id->box_pk, id->box_sk) != 0)
		return (CCRYPTO_ERR_INVALID);
	len = ccrypto_bundle_msg(id->user, id->sign_pk, id->box_pk, msg);
	crypto_sign_detached(id->self_sig, NULL, msg, len, id->sign_sk);
	ccrypto_fpr(id->sign_pk, id->box_pk, id->fpr);
	return (0);
}

/* An empty identity in locked, guarded memory. */
static struct ccrypto_identity *
ccrypto_identity_alloc(void)
{
	struct ccrypto_identity	*id;

	if ((id = sodium_malloc(sizeof *id)) == NULL)
		fatalx("%s: out of memory", __func__);
	memset(id, 0, sizeof *id);
	return (id);
}

/*
 * Make a new identity for user (folded name): fresh Ed25519 and X25519
 * key pairs.  *idp is owned by the caller.
 */
int
ccrypto_identity_new(const char *user, struct ccrypto_identity **idp)
{
	struct ccrypto_identity	*id;
	int			 error;

	*idp = NULL;
	if (!ccrypto_name_ok(user, CCRYPTO_NAME_MAX))
		return (CCRYPTO_ERR_INVALID);
	id = ccrypto_identity_alloc();
	snprintf(id->user, sizeof id->user, "%s", user);
	randombytes_buf(id->sign_seed, sizeof id->sign_seed);
	randombytes_buf(id->box_sk, sizeof id->box_sk);
	if ((error = ccrypto_identity_derive(id)) != 0) {
		sodium_free(id);
		return (error);
	}
	*idp = id;
	return (0);
}

/* Wipe and free an identity. */
void
ccrypto_identity_free(struct ccrypto_identity *id)
{
	if (id != NULL)
		sodium_free(id);
}

/* The identity's user name (borrowed). */
const char *
ccrypto_identity_user(const struct ccrypto_identity *id)
{
	return (id->user);
}

/* The identity's public bundle, owned by the caller. */
struct ccrypto_pub *
ccrypto_identity_pub(const struct ccrypto_identity *id)
{
	struct ccrypto_pub	*pub;

	pub = xcalloc(1, sizeof *pub);
	memcpy(pub->user, id->user, sizeof pub->user);
	memcpy(pub->sign_pk, id->sign_pk, sizeof pub->sign_pk);
	memcpy(pub->box_pk, id->box_pk, sizeof pub->box_pk);
	memcpy(pub->sig, id->self_sig, sizeof pub->sig);
	memcpy(pub->fpr, id->fpr, sizeof pub->fpr);
	return (pub);
}

/*
 * Build a bundle from its parts (as keys_get returns them) after checking
 * the self-signature binds both keys to user.  *pubp is owned by the caller.
 */
int
ccrypto_pub_from_parts(const char *user, const uint8_t *sign_pk,
    const uint8_t *box_pk, const uint8_t *sig, struct ccrypto_pub **pubp)
{
	struct ccrypto_pub	*pub;
	uint8_t			 msg[sizeof ccrypto_ctx_keys + 1 +
				    CCRYPTO_NAME_MAX + 2 * CCRYPTO_PK_LEN];
	size_t			 len;

	*pubp = NULL;
	if (!ccrypto_name_ok(user, CCRYPTO_NAME_MAX) || sign_pk == NULL ||
	    box_pk == NULL || sig == NULL)
		return (CCRYPTO_ERR_INVALID);
	len = ccrypto_bundle_msg(user, sign_pk, box_pk, msg);
	if (crypto_sign_verify_detached(sig, msg, len, sign_pk) != 0)
		return (CCRYPTO_ERR_SIGNATURE);
	pub = xcalloc(1, sizeof *pub);
	snprintf(pub->user, sizeof pub->user, "%s", user);
	memcpy(pub->sign_pk, sign_pk, sizeof pub->sign_pk);
	memcpy(pub->box_pk, box_pk, sizeof pub->box_pk);
	memcpy(pub->sig, sig, sizeof pub->sig);
	ccrypto_fpr(pub->sign_pk, pub->box_pk, pub->fpr);
	*pubp = pub;
	return (0);
}

/* Copy a bundle's parts out (for keys_publish). */
void
ccrypto_pub_parts(const struct ccrypto_pub *pub, uint8_t *sign_pk,
    uint8_t *box_pk, uint8_t *sig)
{
	memcpy(sign_pk, pub->sign_pk, CCRYPTO_PK_LEN);
	memcpy(box_pk, pub->box_pk, CCRYPTO_PK_LEN);
	memcpy(sig, pub->sig, CCRYPTO_SIG_LEN);
}

/* Encode a bundle into out; returns the length or CCRYPTO_ERR_INVALID. */
int
ccrypto_pub_encode(const struct ccrypto_pub *pub, uint8_t *out, size_t outlen)
{
	struct ccrypto_wr	wr = { out, 0, outlen };

	if (outlen < 2 + strlen(pub->user) + 2 * CCRYPTO_PK_LEN +
	    CCRYPTO_SIG_LEN)
		return (CCRYPTO_ERR_INVALID);
	ccrypto_wr_uint(&wr, CCRYPTO_PUB_VERSION, 1);
	ccrypto_wr_name(&wr, pub->user);
	ccrypto_wr_bytes(&wr, pub->sign_pk, CCRYPTO_PK_LEN);
	ccrypto_wr_bytes(&wr, pub->box_pk, CCRYPTO_PK_LEN);
	ccrypto_wr_bytes(&wr, pub->sig, CCRYPTO_SIG_LEN);
	return ((int)wr.len);
}

/* Decode and verify an encoded bundle; *pubp is owned by the caller. */
int
ccrypto_pub_decode(const uint8_t *in, size_t len, struct ccrypto_pub **pubp)
{
	struct ccrypto_rd	 rd = { in, len };
	const uint8_t		*sign_pk, *box_pk, *sig;
	char			 user[CCRYPTO_NAME_MAX + 1];
	uint64_t		 v;

	*pubp = NULL;
	if (in == NULL || ccrypto_rd_uint(&rd, 1, &v) != 0)
		return (CCRYPTO_ERR_MALFORMED);
	if (v != CCRYPTO_PUB_VERSION)
		return (CCRYPTO_ERR_VERSION);
	if (ccrypto_rd_name(&rd, user, CCRYPTO_NAME_MAX, 0) != 0 ||
	    ccrypto_rd_bytes(&rd, &sign_pk, CCRYPTO_PK_LEN) != 0 ||
	    ccrypto_rd_bytes(&rd, &box_pk, CCRYPTO_PK_LEN) != 0 ||
	    ccrypto_rd_bytes(&rd, &sig, CCRYPTO_SIG_LEN) != 0 || rd.left != 0)
		return (CCRYPTO_ERR_MALFORMED);
	return (ccrypto_pub_from_parts(user, sign_pk, box_pk, sig, pubp));
}

/* A copy of a bundle, owned by the caller. */
struct ccrypto_pub *
ccrypto_pub_dup(const struct ccrypto_pub *pub)
{
	struct ccrypto_pub	*copy;

	copy = xmalloc(sizeof *copy);
	memcpy(copy, pub, sizeof *copy);
	return (copy);
}

/* Free a bundle; NULL is fine. */
void
ccrypto_pub_free(struct ccrypto_pub *pub)
{
	free(pub);
}

/* The bundle's user name (borrowed). */
const char *
ccrypto_pub_user(const struct ccrypto_pub *pub)
{
	return (pub->user);
}

/* The bundle's key id, CCRYPTO_KID_LEN bytes (borrowed). */
const uint8_t *
ccrypto_pub_kid(const struct ccrypto_pub *pub)
{
	return (pub->fpr);
}

/* 1 if both bundles name the same user with the same keys. */
int
ccrypto_pub_equal(const struct ccrypto_pub *a, const struct ccrypto_pub *b)
{
	return (strcmp(a->user, b->user) == 0 &&
	    sodium_memcmp(a->sign_pk, b->sign_pk, CCRYPTO_PK_LEN) == 0 &&
	    sodium_memcmp(a->box_pk, b->box_pk, CCRYPTO_PK_LEN) == 0);
}

/* The bundle's fingerprint, CCRYPTO_FPR_LEN bytes (borrowed). */
const uint8_t *
ccrypto_pub_fingerprint(const struct ccrypto_pub *pub)
{
	return (pub->fpr);
}

/*
 * Show a fingerprint as 16 groups of 4 lower-case hex digits separated by
 * spaces; out holds CCRYPTO_FPR_STRLEN.  Returns out, or NULL if too small.
 */
char *
ccrypto_fingerprint_str(const uint8_t *fpr, char *out, size_t outlen)
{
	char	hex[2 * CCRYPTO_FPR_LEN + 1];
	size_t	i, o = 0;

	if (outlen < CCRYPTO_FPR_STRLEN)
		return (NULL);
	sec_hex(fpr, CCRYPTO_FPR_LEN, hex);
	for (i = 0; i < 2 * CCRYPTO_FPR_LEN; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = hex[i];
	}
	out[o] = '\0';
	return (out);
}

/*
 * The safety number of two users: BLAKE2b-512 over a context and both
 * fingerprints in byte order (so either side computes the same), shown as
 * 12 groups of 5 digits, each from 5 bytes of the hash taken mod 100000.
 */
int
ccrypto_safety_number(const struct ccrypto_pub *a, const struct ccrypto_pub *b,
    char *out, size_t outlen)
{
	crypto_generichash_state	 st;
	const uint8_t			*lo = a->fpr, *hi = b->fpr;
	uint8_t				 h[64];
	uint64_t			 v;
	size_t				 g, i, o = 0;

	if (outlen < CCRYPTO_SAFETY_STRLEN)
		return (CCRYPTO_ERR_INVALID);
	if (memcmp(lo, hi, CCRYPTO_FPR_LEN) > 0) {
		lo = b->fpr;
		hi = a->fpr;
	}
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)ccrypto_ctx_safety,
	    sizeof ccrypto_ctx_safety);
	crypto_generichash_update(&st, lo, CCRYPTO_FPR_LEN);
	crypto_generichash_update(&st, hi, CCRYPTO_FPR_LEN);
	crypto_generichash_final(&st, h, sizeof h);
	for (g = 0; g < 12; g++) {
		v = 0;
		for (i = 0; i < 5; i++)
			v = (v << 8) | h[g * 5 + i];
		if (g > 0)
			out[o++] = ' ';
		snprintf(out + o, outlen - o, "%05u", (unsigned)(v % 100000));
		o += 5;
	}
	return (0);
}

/* Serialise an identity's secrets: name, signing seed, X25519 secret. */
static size_t
ccrypto_secret_encode(const struct ccrypto_identity *id,
    uint8_t out[CCRYPTO_SECRET_MAX])
{
	struct ccrypto_wr	wr = { out, 0, CCRYPTO_SECRET_MAX };

	ccrypto_wr_name(&wr, id->user);
	ccrypto_wr_bytes(&wr, id->sign_seed, CCRYPTO_SEED_LEN);
	ccrypto_wr_bytes(&wr, id->box_sk, 32);
	return (wr.len);
}

/* Rebuild an identity from serialised secrets. */
static int
ccrypto_secret_decode(const uint8_t *in, size_t len,
    struct ccrypto_identity **idp)
{
	struct ccrypto_rd	 rd = { in, len };
	struct ccrypto_identity	*id;
	const uint8_t		*seed, *box_sk;

	id = ccrypto_identity_alloc();
	if (ccrypto_rd_name(&rd, id->user, CCRYPTO_NAME_MAX, 0) != 0 ||
	    ccrypto_rd_bytes(&rd, &seed, CCRYPTO_SEED_LEN) != 0 ||
	    ccrypto_rd_bytes(&rd, &box_sk, 32) != 0 || rd.left != 0) {
		sodium_free(id);
		return (CCRYPTO_ERR_MALFORMED);
	}
	memcpy(id->sign_seed, seed, CCRYPTO_SEED_LEN);
	memcpy(id->box_sk, box_sk, 32);
	if (ccrypto_identity_derive(id) != 0) {
		sodium_free(id);
		return (CCRYPTO_ERR_MALFORMED);
	}
	*idp = id;
	return (0);
}

/*
 * Encode an identity as a key file: the secrets sealed with
 * XChaCha20-Poly1305 under an argon2id key from the password (random salt
 * and nonce, the header as associated data), or in clear for the
 * CCRYPTO_KF_PLAINTEXT opt-out.  *out (caller's; wipe it) holds the bytes.
 */
static int
ccrypto_kf_encode(const struct ccrypto_identity *id, const char *pw,
    size_t pwlen, int flags, uint8_t **out, size_t *outlen)
{
	struct ccrypto_wr	 wr;
	uint8_t			 secret[CCRYPTO_SECRET_MAX], key[32];
	uint8_t			 salt[16], nonce[CCRYPTO_NONCE_LEN];
	unsigned long long	 ops, ctlen;
	size_t			 mem, slen;
	int			 error = 0;

	*out = NULL;
	*outlen = 0;
	slen = ccrypto_secret_encode(id, secret);
	wr.cap = CCRYPTO_KF_HDR_LEN + slen + 16;
	wr.p = xmalloc(wr.cap);
	wr.len = 0;
	ccrypto_wr_bytes(&wr, CCRYPTO_KF_MAGIC, 4);
	ccrypto_wr_uint(&wr, CCRYPTO_KF_VERSION, 1);
	if (flags & CCRYPTO_KF_PLAINTEXT) {
		ccrypto_wr_uint(&wr, CCRYPTO_KF_KIND_PLAIN, 1);
		ccrypto_wr_bytes(&wr, secret, slen);
		goto out;
	}
	if (pw == NULL || pwlen == 0 || pwlen > CCRYPTO_PW_MAX) {
		error = CCRYPTO_ERR_INVALID;
		goto out;
	}
	if (flags & CCRYPTO_KF_FAST) {
		ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
		mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
	} else {
		ops = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
		mem = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
	}
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);
	ccrypto_wr_uint(&wr, CCRYPTO_KF_KIND_ARGON, 1);
	ccrypto_wr_uint(&wr, ops, 8);
	ccrypto_wr_uint(&wr, mem, 8);
	ccrypto_wr_bytes(&wr, salt, sizeof salt);
	ccrypto_wr_bytes(&wr, nonce, sizeof nonce);
	if (crypto_pwhash(key, sizeof key, pw, pwlen, salt, ops, mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0) {
		errno = ENOMEM;
		error = CCRYPTO_ERR_IO;
		goto out;
	}
	crypto_aead_xchacha20poly1305_ietf_encrypt(wr.p + wr.len, &ctlen,
	    secret, slen, wr.p, wr.len, NULL, nonce, key);
	wr.len += (size_t)ctlen;
out:
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(key, sizeof key);
	if (error != 0) {
		ccrypto_free_secret(wr.p, wr.cap);
		return (error);
	}
	*out = wr.p;
	*outlen = wr.len;
	return (0);
}

/*
 * Export an identity as a blob for another agent of the same account,
 * always encrypted under password.  *out is the caller's (free it with
 * ccrypto_free_secret).
 */
int
ccrypto_identity_export(const struct ccrypto_identity *id, const char *pw,
    size_t pwlen, int flags, uint8_t **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (flags & ~CCRYPTO_KF_FAST)
		return (CCRYPTO_ERR_INVALID);
	return (ccrypto_kf_encode(id, pw, pwlen, flags, out, outlen));
}

/*
 * Open a key file or export blob.  *flags gets CCRYPTO_KF_PLAINTEXT for an
 * opted-out file (which needs no password); an encrypted one without a
 * password is CCRYPTO_ERR_LOCKED.  *idp is owned by the caller.
 */
int
ccrypto_identity_import(const uint8_t *blob, size_t len, const char *pw,
    size_t pwlen, struct ccrypto_identity **idp, int *flags)
{
	struct ccrypto_rd	 rd = { blob, len };
	const uint8_t		*magic, *salt, *nonce;
	uint8_t			 secret[CCRYPTO_SECRET_MAX], key[32];
	unsigned long long	 slen;
	uint64_t		 version, kind, ops, mem;
	int			 error;

	*idp = NULL;
	if (flags != NULL)
		*flags = 0;
	if (blob == NULL || ccrypto_rd_bytes(&rd, &magic, 4) != 0 ||
	    memcmp(magic, CCRYPTO_KF_MAGIC, 4) != 0 ||
	    ccrypto_rd_uint(&rd, 1, &version) != 0 ||
	    ccrypto_rd_uint(&rd, 1, &kind) != 0)
		return (CCRYPTO_ERR_MALFORMED);
	if (version != CCRYPTO_KF_VERSION)
		return (CCRYPTO_ERR_VERSION);
	if (kind == CCRYPTO_KF_KIND_PLAIN) {
		if (flags != NULL)
			*flags = CCRYPTO_KF_PLAINTEXT;
		return (ccrypto_secret_decode(rd.p, rd.left, idp));
	}
	if (kind != CCRYPTO_KF_KIND_ARGON)
		return (CCRYPTO_ERR_VERSION);
	if (ccrypto_rd_uint(&rd, 8, &ops) != 0 ||
	    ccrypto_rd_uint(&rd, 8, &mem) != 0 ||
	    ccrypto_rd_bytes(&rd, &salt, 16) != 0 ||
	    ccrypto_rd_bytes(&rd, &nonce, CCRYPTO_NONCE_LEN) != 0 ||
	    rd.left < 16 || rd.left > CCRYPTO_SECRET_MAX + 16)
		return (CCRYPTO_ERR_MALFORMED);
	/* Refuse costs an attacker could use to exhaust us, before hashing. */
	if (ops < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
	    ops > CCRYPTO_KF_OPS_MAX ||
	    mem < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
	    mem > CCRYPTO_KF_MEM_MAX)
		return (CCRYPTO_ERR_MALFORMED);
	if (pw == NULL)
		return (CCRYPTO_ERR_LOCKED);
	if (pwlen == 0 || pwlen > CCRYPTO_PW_MAX)
		return (CCRYPTO_ERR_PASSWORD);
	if (crypto_pwhash(key, sizeof key, pw, pwlen, salt, ops, (size_t)mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0) {
		errno = ENOMEM;
		return (CCRYPTO_ERR_IO);
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret, &slen, NULL,
	    rd.p, rd.left, blob, CCRYPTO_KF_HDR_LEN, nonce, key) != 0)
		error = CCRYPTO_ERR_PASSWORD;
	else
		error = ccrypto_secret_decode(secret, (size_t)slen, idp);
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(key, sizeof key);
	return (error);
}

/* Write an identity to path (mode 0600, atomically) as ccrypto_kf_encode says. */
int
ccrypto_keyfile_save(const struct ccrypto_identity *id, const char *path,
    const char *pw, size_t pwlen, int flags)
{
	uint8_t	*buf;
	size_t	 len;
	int	 error, saved_errno;

	if (path == NULL ||
	    (flags & ~(CCRYPTO_KF_PLAINTEXT|CCRYPTO_KF_FAST)) != 0)
		return (CCRYPTO_ERR_INVALID);
	if ((error = ccrypto_kf_encode(id, pw, pwlen, flags, &buf, &len)) != 0)
		return (error);
	if (fs_write_atomic(path, buf, len) != 0)
		error = CCRYPTO_ERR_IO;
	saved_errno = errno;
	ccrypto_free_secret(buf, len);
	errno = saved_errno;
	return (error);
}

/*
 * Read a key file: it must be a regular file of ours that group and others
 * can't read (CCRYPTO_ERR_PERM otherwise), at most CCRYPTO_KEYFILE_MAX.
 */
int
ccrypto_keyfile_load(const char *path, const char *pw, size_t pwlen,
    struct ccrypto_identity **idp, int *flags)
{
	struct stat	 st;
	uint8_t		 buf[CCRYPTO_KEYFILE_MAX + 1];
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, error, saved_errno;

	*idp = NULL;
	if (flags != NULL)
		*flags = 0;
	if (path == NULL)
		return (CCRYPTO_ERR_INVALID);
	if ((fd = open(path, O_RDONLY|O_NOFOLLOW|O_CLOEXEC)) == -1)
		return (CCRYPTO_ERR_IO);
	if (fstat(fd, &st) == -1) {
		error = CCRYPTO_ERR_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		error = CCRYPTO_ERR_PERM;
		goto out;
	}
	while (len < sizeof buf) {
		if ((n = read(fd, buf + len, sizeof buf - len)) == -1) {
			if (errno == EINTR)
				continue;
			error = CCRYPTO_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CCRYPTO_KEYFILE_MAX)
		error = CCRYPTO_ERR_MALFORMED;
	else
		error = ccrypto_identity_import(buf, len, pw, pwlen, idp,
		    flags);
out:
	saved_errno = errno;
	sodium_memzero(buf, sizeof buf);
	close(fd);
	errno = saved_errno;
	return (error);
}

/*
 * Cut an envelope into its parts without verifying anything: versions,
 * flags and every length are checked, and nothing may trail the signature.
 */
static int
ccrypto_env_parse(const uint8_t *in, size_t len, struct ccrypto_env *env)
{
	struct ccrypto_rd	 rd = { in, len };
	const uint8_t		*kid;
	uint64_t		 v, n;

	memset(env, 0, sizeof *env);
	if (in == NULL || ccrypto_rd_uint(&rd, 1, &v) != 0)
		return (CCRYPTO_ERR_MALFORMED);
	if (v != CCRYPTO_ENV_VERSION)
		return (CCRYPTO_ERR_VERSION);
	if (ccrypto_rd_uint(&rd, 1, &v) != 0)
		return (CCRYPTO_ERR_MALFORMED);
	if (v != 0)
		return (CCRYPTO_ERR_VERSION);		/* unknown flags */
	if (len > CCRYPTO_ENVELOPE_MAX ||
	    ccrypto_rd_name(&rd, env->hdr.sender, CCRYPTO_NAME_MAX, 0) != 0 ||
	    ccrypto_rd_bytes(&rd, &kid, CCRYPTO_KID_LEN) != 0 ||
	    ccrypto_rd_name(&rd, env->hdr.to, CCRYPTO_NAME_MAX, 0) != 0 ||
	    ccrypto_rd_name(&rd, env->hdr.cid, CCRYPTO_CID_MAX, 1) != 0 ||
	    ccrypto_rd_bytes(&rd, &env->nonce, CCRYPTO_NONCE_LEN) != 0)
		return (CCRYPTO_ERR_MALFORMED);
	memcpy(env->hdr.sender_kid, kid, CCRYPTO_KID_LEN);
	env->hdr_len = len - rd.left;
	if (ccrypto_rd_uint(&rd, 2, &n) != 0 || n == 0 ||
	    n > CCRYPTO_RECIPIENTS_MAX ||
	    ccrypto_rd_bytes(&rd, &env->wraps, (size_t)n * CCRYPTO_WRAP_LEN) != 0)
		return (CCRYPTO_ERR_MALFORMED);
	env->hdr.nrecipients = (unsigned int)n;
	if (ccrypto_rd_uint(&rd, 4, &n) != 0 ||
	    n < CCRYPTO_PAD_BLOCK + 16 || n > CCRYPTO_CT_MAX ||
	    (n - 16) % CCRYPTO_PAD_BLOCK != 0 ||
	    ccrypto_rd_bytes(&rd, &env->ct, (size_t)n) != 0)
		return (CCRYPTO_ERR_MALFORMED);
	env->ct_len = (size_t)n;
	env->signed_len = len - rd.left;
	if (ccrypto_rd_bytes(&rd, &env->sig, CCRYPTO_SIG_LEN) != 0 ||
	    rd.left != 0)
		return (CCRYPTO_ERR_MALFORMED);
	return (0);
}

/* The bytes a signature covers: context, then the envelope up to it. */
static uint8_t *
ccrypto_env_signed(const uint8_t *env, size_t len, size_t *outlen)
{
	uint8_t	*m;

	*outlen = sizeof ccrypto_ctx_env + len;
	m = xmalloc(*outlen);
	memcpy(m, ccrypto_ctx_env, sizeof ccrypto_ctx_env);
	memcpy(m + sizeof ccrypto_ctx_env, env, len);
	return (m);
}

/*
 * Seal plaintext for the recipients: a fresh message key encrypts it with
 * XChaCha20-Poly1305 (header as associated data), is wrapped for each
 * distinct recipient and for the sender with crypto_box_seal, and the
 * sender signs the whole.  to is the folded conversation, cid the
 * client id.  *out (owned by the caller) is at most CCRYPTO_ENVELOPE_MAX.
 */
int
ccrypto_envelope_seal(const struct ccrypto_identity *id, const char *to,
    const char *cid, const uint8_t *plain, size_t plainlen,
    const struct ccrypto_pub *const *recips, size_t nrecips, uint8_t **out,
    size_t *outlen)
{
	const struct ccrypto_pub	**list = NULL;
	struct ccrypto_pub		 *self;
	struct ccrypto_wr		  wr = { NULL, 0, 0 };
	uint8_t				  key[32], nonce[CCRYPTO_NONCE_LEN];
	uint8_t				 *padded = NULL, *m;
	unsigned long long		  ctlen;
	size_t				  i, j, n = 0, plen = 0, mlen;
	int				  error = CCRYPTO_ERR_INVALID;

	*out = NULL;
	*outlen = 0;
	if (!ccrypto_name_ok(to, CCRYPTO_NAME_MAX) || !ccrypto_cid_ok(cid) ||
	    (plain == NULL && plainlen != 0) || (recips == NULL && nrecips != 0))
		return (CCRYPTO_ERR_INVALID);
	if (plainlen > CCRYPTO_PLAIN_MAX)
		return (CCRYPTO_ERR_TOO_BIG);
	if (nrecips >= CCRYPTO_RECIPIENTS_MAX * 2)
		return (CCRYPTO_ERR_TOO_MANY);

	/* The sender first, then each distinct recipient once. */
	self = ccrypto_identity_pub(id);
	list = xreallocarray(NULL, nrecips + 1, sizeof *list);
	list[n++] = self;
	for (i = 0; i < nrecips; i++) {
		if (recips[i] == NULL)
			goto out;
		for (j = 0; j < n; j++) {
			if (memcmp(list[j]->fpr, recips[i]->fpr,
			    CCRYPTO_FPR_LEN) == 0)
				break;
		}
		if (j == n)
			list[n++] = recips[i];
	}
	if (n > CCRYPTO_RECIPIENTS_MAX) {
		error = CCRYPTO_ERR_TOO_MANY;
		goto out;
	}

	plen = (plainlen / CCRYPTO_PAD_BLOCK + 1) * CCRYPTO_PAD_BLOCK;
	padded = xmalloc(plen);
	if (plainlen > 0)
		memcpy(padded, plain, plainlen);
	if (sodium_pad(&plen, padded, plainlen, CCRYPTO_PAD_BLOCK, plen) != 0)
		fatalx("%s: sodium_pad", __func__);

	wr.cap = CCRYPTO_HEADER_MAX + 2 + n * CCRYPTO_WRAP_LEN + 4 + plen +
	    16 + CCRYPTO_SIG_LEN;
	wr.p = xmalloc(wr.cap);
	crypto_aead_xchacha20poly1305_ietf_keygen(key);
	randombytes_buf(nonce, sizeof nonce);

	ccrypto_wr_uint(&wr, CCRYPTO_ENV_VERSION, 1);
	ccrypto_wr_uint(&wr, 0, 1);
	ccrypto_wr_name(&wr, id->user);
	ccrypto_wr_bytes(&wr, id->fpr, CCRYPTO_KID_LEN);
	ccrypto_wr_name(&wr, to);
	ccrypto_wr_name(&wr, cid);
	ccrypto_wr_bytes(&wr, nonce, sizeof nonce);
	/* wr.len is now the header: the associated data. */
	if (wr.len > CCRYPTO_HEADER_MAX)
		fatalx("%s: header too long", __func__);
	mlen = wr.len;
	ccrypto_wr_uint(&wr, n, 2);
	for (i = 0; i < n; i++) {
		ccrypto_wr_bytes(&wr, list[i]->fpr, CCRYPTO_KID_LEN);
		if (wr.cap - wr.len < CCRYPTO_SEALED_LEN)
			fatalx("%s: buffer overflow", __func__);
		if (crypto_box_seal(wr.p + wr.len, key, sizeof key,
		    list[i]->box_pk) != 0)
			goto out;	/* a low-order public key */
		wr.len += CCRYPTO_SEALED_LEN;
	}
	ccrypto_wr_uint(&wr, plen + 16, 4);
	if (wr.cap - wr.len < plen + 16 + CCRYPTO_SIG_LEN)
		fatalx("%s: buffer overflow", __func__);
	crypto_aead_xchacha20poly1305_ietf_encrypt(wr.p + wr.len, &ctlen,
	    padded, plen, wr.p, mlen, NULL, nonce, key);
	wr.len += (size_t)ctlen;

	m = ccrypto_env_signed(wr.p, wr.len, &mlen);
	crypto_sign_detached(wr.p + wr.len, NULL, m, mlen, id->sign_sk);
	wr.len += CCRYPTO_SIG_LEN;
	free(m);

	*out = wr.p;
	*outlen = wr.len;
	wr.p = NULL;
	error = 0;
out:
	sodium_memzero(key, sizeof key);
	if (padded != NULL)
		ccrypto_free_secret(padded, plen);
	free(wr.p);
	free(list);
	ccrypto_pub_free(self);
	return (error);
}

/*
 * Parse an envelope's header without verifying it, to learn which sender
 * key to fetch before ccrypto_envelope_open.  Nothing in it is trusted.
 */
int
ccrypto_envelope_peek(const uint8_t *in, size_t len, struct ccrypto_header *hdr)
{
	struct ccrypto_env	env;
	int			error;

	if ((error = ccrypto_env_parse(in, len, &env)) != 0)
		return (error);
	*hdr = env.hdr;
	return (0);
}

/*
 * Open an envelope for identity id: parse it, find the sender's pinned
 * keys by name and key id, verify the signature over everything, then
 * unwrap our message key and decrypt.  On success *hdr is authentic and
 * *plain (the caller's; free with ccrypto_free_secret) holds *plainlen
 * bytes.  The caller must still check hdr against what the server says
 * (sender, conversation, cid) and treat a mismatch as forged.
 */
int
ccrypto_envelope_open(const struct ccrypto_identity *id, const uint8_t *in,
    size_t len, const struct ccrypto_pub *(*lookup)(void *, const char *,
    const uint8_t *), void *arg, struct ccrypto_header *hdr, uint8_t **plain,
    size_t *plainlen)
{
	struct ccrypto_env	 env;
	const struct ccrypto_pub *pub;
	const uint8_t		*w;
	uint8_t			 key[32], *m = NULL, *sm;
	unsigned long long	 mlen;
	size_t			 i, smlen, unpadded;
	int			 error, mine = 0, opened = 0;

	*plain = NULL;
	*plainlen = 0;
	if (id == NULL || lookup == NULL || hdr == NULL)
		return (CCRYPTO_ERR_INVALID);
	if ((error = ccrypto_env_parse(in, len, &env)) != 0)
		return (error);
	pub = lookup(arg, env.hdr.sender, env.hdr.sender_kid);
	if (pub == NULL || strcmp(pub->user, env.hdr.sender) != 0 ||
	    sodium_memcmp(pub->fpr, env.hdr.sender_kid, CCRYPTO_KID_LEN) != 0)
		return (CCRYPTO_ERR_NO_KEY);
	sm = ccrypto_env_signed(in, env.signed_len, &smlen);
	error = crypto_sign_verify_detached(env.sig, sm, smlen, pub->sign_pk);
	free(sm);
	if (error != 0)
		return (CCRYPTO_ERR_SIGNATURE);

	for (i = 0; i < env.hdr.nrecipients && !opened; i++) {
		w = env.wraps + i * CCRYPTO_WRAP_LEN;
		if (sodium_memcmp(w, id->fpr, CCRYPTO_KID_LEN) != 0)
			continue;
		mine = 1;
		if (crypto_box_seal_open(key, w + CCRYPTO_KID_LEN,
		    CCRYPTO_SEALED_LEN, id->box_pk, id->box_sk) == 0)
			opened = 1;
	}
	if (!opened) {
		error = mine ? CCRYPTO_ERR_DECRYPT : CCRYPTO_ERR_NOT_FOR_ME;
		goto out;
	}
	m = xmalloc(env.ct_len - 16);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(m, &mlen, NULL,
	    env.ct, env.ct_len, in, env.hdr_len, env.nonce, key) != 0) {
		error = CCRYPTO_ERR_DECRYPT;
		goto out;
	}
	if (sodium_unpad(&unpadded, m, (size_t)mlen, CCRYPTO_PAD_BLOCK) != 0 ||
	    unpadded > CCRYPTO_PLAIN_MAX) {
		error = CCRYPTO_ERR_MALFORMED;
		goto out;
	}
	sodium_memzero(m + unpadded, env.ct_len - 16 - unpadded);
	*hdr = env.hdr;
	*plain = m;
	*plainlen = unpadded;
	m = NULL;
	error = 0;
out:
	sodium_memzero(key, sizeof key);
	ccrypto_free_secret(m, env.ct_len - 16);
	return (error);
}

_Static_assert(CCRYPTO_FILE_ABYTES ==
    crypto_secretstream_xchacha20poly1305_ABYTES &&
    CCRYPTO_FILE_HDR_LEN == crypto_secretstream_xchacha20poly1305_HEADERBYTES &&
    CCRYPTO_FILE_KEY_LEN == crypto_secretstream_xchacha20poly1305_KEYBYTES,
    "file stream sizes differ from libsodium's");
_Static_assert(CCRYPTO_FILE_CHUNK == CS_FILE_CHUNK &&
    CCRYPTO_FILE_CHUNK + CCRYPTO_FILE_ABYTES == CS_FILE_CHUNK_MAX,
    "file chunk sizes differ from proto.h");

/* A file stream: key and state in sodium_malloc'd (guarded, locked) memory. */
struct ccrypto_fstream {
	crypto_secretstream_xchacha20poly1305_state	 st;
	uint8_t						 key[CCRYPTO_FILE_KEY_LEN];
	int						 push;
	int						 done;
};

/* Allocate an empty stream in guarded memory; NULL if it can't. */
static struct ccrypto_fstream *
ccrypto_fstream_alloc(int push)
{
	struct ccrypto_fstream	*fs;

	if ((fs = sodium_malloc(sizeof *fs)) == NULL)
		return (NULL);
	sodium_memzero(fs, sizeof *fs);
	fs->push = push;
	return (fs);
}

/*
 * Start encrypting a file under a fresh key: *out is the stream (owned by
 * the caller), key and header what the recipients need.  0 or an error.
 */
int
ccrypto_fstream_push_new(struct ccrypto_fstream **out,
    uint8_t key[CCRYPTO_FILE_KEY_LEN], uint8_t header[CCRYPTO_FILE_HDR_LEN])
{
	struct ccrypto_fstream	*fs;

	*out = NULL;
	if ((fs = ccrypto_fstream_alloc(1)) == NULL)
		return (CCRYPTO_ERR_INVALID);
	crypto_secretstream_xchacha20poly1305_keygen(fs->key);
	if (crypto_secretstream_xchacha20poly1305_init_push(&fs->st, header,
	    fs->key) != 0) {
		ccrypto_fstream_free(fs);
		return (CCRYPTO_ERR_INVALID);
	}
	memcpy(key, fs->key, CCRYPTO_FILE_KEY_LEN);
	*out = fs;
	return (0);
}

/*
 * Encrypt one chunk of len bytes (at most CCRYPTO_FILE_CHUNK) into out,
 * which holds len + CCRYPTO_FILE_ABYTES; final tags the last chunk, after
 * which the stream takes no more.
 */
int
ccrypto_fstream_push(struct ccrypto_fstream *fs, const uint8_t *in,
    size_t len, int final, uint8_t *out)
{
	if (!fs->push || len > CCRYPTO_FILE_CHUNK)
		return (CCRYPTO_ERR_INVALID);
	if (fs->done)
		return (CCRYPTO_ERR_TRUNCATED);
	if (crypto_secretstream_xchacha20poly1305_push(&fs->st, out, NULL,
	    in, len, NULL, 0, final ?
	    crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0) != 0)
		return (CCRYPTO_ERR_INVALID);
	fs->done = final;
	return (0);
}

/* Start decrypting a stream made under key with header. */
int
ccrypto_fstream_pull_new(struct ccrypto_fstream **out,
    const uint8_t key[CCRYPTO_FILE_KEY_LEN],
    const uint8_t header[CCRYPTO_FILE_HDR_LEN])
{
	struct ccrypto_fstream	*fs;

	*out = NULL;
	if ((fs = ccrypto_fstream_alloc(0)) == NULL)
		return (CCRYPTO_ERR_INVALID);
	memcpy(fs->key, key, CCRYPTO_FILE_KEY_LEN);
	if (crypto_secretstream_xchacha20poly1305_init_pull(&fs->st, header,
	    fs->key) != 0) {
		ccrypto_fstream_free(fs);
		return (CCRYPTO_ERR_MALFORMED);
	}
	*out = fs;
	return (0);
}

/*
 * Decrypt the next chunk.  A chunk that fails leaves the stream unusable
 * (the caller discards everything); so does one after the FINAL chunk.
 */
int
ccrypto_fstream_pull(struct ccrypto_fstream *fs, const uint8_t *in,
    size_t len, uint8_t *out, size_t *outlen, int *final)
{
	unsigned long long	 mlen;
	unsigned char		 tag;

	*outlen = 0;
	*final = 0;
	if (fs->push || len > CCRYPTO_FILE_CHUNK + CCRYPTO_FILE_ABYTES)
		return (CCRYPTO_ERR_INVALID);
	if (fs->done)
		return (CCRYPTO_ERR_TRUNCATED);
	if (len < CCRYPTO_FILE_ABYTES ||
	    crypto_secretstream_xchacha20poly1305_pull(&fs->st, out, &mlen,
	    &tag, in, len, NULL, 0) != 0) {
		fs->done = 1;
		return (CCRYPTO_ERR_DECRYPT);
	}
	if (tag != 0 && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		fs->done = 1;
		sodium_memzero(out, (size_t)mlen);
		return (CCRYPTO_ERR_MALFORMED);
	}
	*outlen = (size_t)mlen;
	*final = fs->done = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
	return (0);
}

int
ccrypto_fstream_done(const struct ccrypto_fstream *fs)
{
	return (fs->done);
}

/* Wipe and free a stream (its key and state). */
void
ccrypto_fstream_free(struct ccrypto_fstream *fs)
{
	if (fs != NULL)
		sodium_free(fs);	/* wipes before freeing */
}

struct ccrypto_digest {
	crypto_generichash_state	 st;
};

/* A new BLAKE2b-256 digest, unkeyed. */
struct ccrypto_digest *
ccrypto_digest_new(void)
{
	struct ccrypto_digest	*d;

	d = xmalloc(sizeof *d);
	crypto_generichash_init(&d->st, NULL, 0, CCRYPTO_DIGEST_LEN);
	return (d);
}

void
ccrypto_digest_update(struct ccrypto_digest *d, const uint8_t *p, size_t len)
{
	crypto_generichash_update(&d->st, p, len);
}

/* The digest of everything given; d takes no more after this. */
void
ccrypto_digest_final(struct ccrypto_digest *d, uint8_t out[CCRYPTO_DIGEST_LEN])
{
	crypto_generichash_final(&d->st, out, CCRYPTO_DIGEST_LEN);
}

void
ccrypto_digest_free(struct ccrypto_digest *d)
{
	if (d == NULL)
		return;
	sodium_memzero(d, sizeof *d);
	free(d);
}

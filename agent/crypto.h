/* chatsec — end-to-end crypto seam of the agent.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_CRYPTO_H
#define CHATSEC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/*
 * Identity keys, key files, public key bundles, message envelopes,
 * fingerprints and safety numbers (doc/crypto.md is the contract).  All of
 * the agent's libsodium use is in crypto.c; callers never see a libsodium
 * type.  The prefix is ccrypto_ because libsodium owns crypto_*: a name of
 * ours there could one day clash with one of its symbols.
 *
 * Errors are 0 or a negative CCRYPTO_ERR_* (ccrypto_strerror() names them).
 * Names inside envelopes and bundles (users, conversations) are 1 to
 * CCRYPTO_NAME_MAX bytes of printable ASCII (0x21-0x7e): the caller passes
 * them folded (name_fold, name_room_fold) so that they compare bytewise.
 */

#define CCRYPTO_ERR_INVALID	-1	/* bad argument (name, length, key) */
#define CCRYPTO_ERR_MALFORMED	-2	/* bytes do not parse */
#define CCRYPTO_ERR_VERSION	-3	/* format version or flags unknown */
#define CCRYPTO_ERR_NO_KEY	-4	/* no pinned key for the claimed sender */
#define CCRYPTO_ERR_SIGNATURE	-5	/* signature does not verify: forged */
#define CCRYPTO_ERR_NOT_FOR_ME	-6	/* no wrapped key for this identity */
#define CCRYPTO_ERR_DECRYPT	-7	/* signed, addressed to us, yet won't open */
#define CCRYPTO_ERR_TOO_MANY	-8	/* more than CCRYPTO_RECIPIENTS_MAX */
#define CCRYPTO_ERR_TOO_BIG	-9	/* plaintext over CCRYPTO_PLAIN_MAX */
#define CCRYPTO_ERR_PASSWORD	-10	/* wrong password or damaged key file */
#define CCRYPTO_ERR_IO		-11	/* file error; errno is set */
#define CCRYPTO_ERR_PERM	-12	/* key file readable by group or others */
#define CCRYPTO_ERR_LOCKED	-13	/* key file encrypted, no password given */
#define CCRYPTO_ERR_TRUNCATED	-14	/* file stream: data after FINAL, or none */

#define CCRYPTO_NAME_MAX	64	/* user or conversation name bytes */
#define CCRYPTO_CID_MAX		64	/* client message id bytes */
#define CCRYPTO_PK_LEN		32	/* Ed25519 or X25519 public key */
#define CCRYPTO_SIG_LEN		64	/* Ed25519 signature */
#define CCRYPTO_KID_LEN		16	/* key id: head of the fingerprint */
#define CCRYPTO_FPR_LEN		32	/* fingerprint bytes */
#define CCRYPTO_FPR_STRLEN	80	/* 16 groups of 4 hex, spaces, NUL */
#define CCRYPTO_SAFETY_STRLEN	72	/* 12 groups of 5 digits, spaces, NUL */

/*
 * Envelope bounds.  The worst case (every name and the cid at their
 * maximum, CCRYPTO_RECIPIENTS_MAX wraps, CCRYPTO_PLAIN_MAX of plaintext)
 * is CCRYPTO_ENVELOPE_MAX bytes, which crypto.c checks fits CS_BODY_MAX.
 */
#define CCRYPTO_RECIPIENTS_MAX	1000	/* wraps per envelope, sender's own included */
#define CCRYPTO_PLAIN_MAX	32768	/* plaintext bytes per envelope */
#define CCRYPTO_PAD_BLOCK	256	/* plaintext padded to a multiple */
#define CCRYPTO_WRAP_LEN	(CCRYPTO_KID_LEN + 32 + 32 + 16)
#define CCRYPTO_HEADER_MAX	(3 + CCRYPTO_NAME_MAX + CCRYPTO_KID_LEN + \
				 1 + CCRYPTO_NAME_MAX + 1 + CCRYPTO_CID_MAX + 24)
#define CCRYPTO_CT_MAX		(CCRYPTO_PLAIN_MAX + CCRYPTO_PAD_BLOCK + 16)
#define CCRYPTO_ENVELOPE_MAX	(CCRYPTO_HEADER_MAX + 2 + \
				 CCRYPTO_RECIPIENTS_MAX * CCRYPTO_WRAP_LEN + \
				 4 + CCRYPTO_CT_MAX + CCRYPTO_SIG_LEN)

/* Public key bundle, encoded: version, name length, name, keys, signature. */
#define CCRYPTO_PUB_ENC_MAX	(2 + CCRYPTO_NAME_MAX + 2 * CCRYPTO_PK_LEN + \
				 CCRYPTO_SIG_LEN)

/* Key file flags. */
#define CCRYPTO_KF_PLAINTEXT	0x1	/* opt-out: secret keys stored unencrypted */
#define CCRYPTO_KF_FAST		0x2	/* argon2id at INTERACTIVE, not MODERATE */
#define CCRYPTO_KEYFILE_MAX	4096	/* a larger file is refused unread */

/* A user's secret and public keys; memory locked, wiped when freed. */
struct ccrypto_identity;

/* A user's public keys as a verified, self-signed bundle. */
struct ccrypto_pub;

/* The authenticated header of an opened envelope (or a peeked, unverified one). */
struct ccrypto_header {
	char		 sender[CCRYPTO_NAME_MAX + 1];
	char		 to[CCRYPTO_NAME_MAX + 1];
	char		 cid[CCRYPTO_CID_MAX + 1];
	uint8_t		 sender_kid[CCRYPTO_KID_LEN];
	unsigned int	 nrecipients;
};

int		 ccrypto_init(void);
const char	*ccrypto_strerror(int);

/* Identities (owned by the caller; free with ccrypto_identity_free). */
int		 ccrypto_identity_new(const char *user, struct ccrypto_identity **);
void		 ccrypto_identity_free(struct ccrypto_identity *);
const char	*ccrypto_identity_user(const struct ccrypto_identity *);
struct ccrypto_pub *ccrypto_identity_pub(const struct ccrypto_identity *);

/* Key files and export blobs (the same format; see doc/crypto.md). */
int		 ccrypto_identity_export(const struct ccrypto_identity *,
		     const char *password, size_t pwlen, int flags,
		     uint8_t **out, size_t *outlen);
int		 ccrypto_identity_import(const uint8_t *blob, size_t len,
		     const char *password, size_t pwlen,
		     struct ccrypto_identity **, int *flags);
int		 ccrypto_keyfile_save(const struct ccrypto_identity *,
		     const char *path, const char *password, size_t pwlen,
		     int flags);
int		 ccrypto_keyfile_load(const char *path, const char *password,
		     size_t pwlen, struct ccrypto_identity **, int *flags);

/*
 * Public key bundles (owned by the caller; free with ccrypto_pub_free).
 * Parts are CCRYPTO_PK_LEN, CCRYPTO_PK_LEN and CCRYPTO_SIG_LEN bytes; a
 * fingerprint is CCRYPTO_FPR_LEN, a key id CCRYPTO_KID_LEN.
 */
int		 ccrypto_pub_from_parts(const char *user,
		     const uint8_t *sign_pk, const uint8_t *box_pk,
		     const uint8_t *sig, struct ccrypto_pub **);
void		 ccrypto_pub_parts(const struct ccrypto_pub *,
		     uint8_t *sign_pk, uint8_t *box_pk, uint8_t *sig);
int		 ccrypto_pub_encode(const struct ccrypto_pub *, uint8_t *out,
		     size_t outlen);
int		 ccrypto_pub_decode(const uint8_t *in, size_t len,
		     struct ccrypto_pub **);
struct ccrypto_pub *ccrypto_pub_dup(const struct ccrypto_pub *);
void		 ccrypto_pub_free(struct ccrypto_pub *);
const char	*ccrypto_pub_user(const struct ccrypto_pub *);
const uint8_t	*ccrypto_pub_kid(const struct ccrypto_pub *);
int		 ccrypto_pub_equal(const struct ccrypto_pub *,
		     const struct ccrypto_pub *);

/* Fingerprints and safety numbers. */
const uint8_t	*ccrypto_pub_fingerprint(const struct ccrypto_pub *);
char		*ccrypto_fingerprint_str(const uint8_t *fpr,
		     char *out, size_t outlen);
int		 ccrypto_safety_number(const struct ccrypto_pub *,
		     const struct ccrypto_pub *, char *out, size_t outlen);

/*
 * Envelopes.  The lookup callback returns the pinned public keys of
 * `sender` whose key id is `kid` (borrowed; NULL if none is pinned).
 */
int		 ccrypto_envelope_seal(const struct ccrypto_identity *,
		     const char *to, const char *cid, const uint8_t *plain,
		     size_t plainlen, const struct ccrypto_pub *const *recips,
		     size_t nrecips, uint8_t **out, size_t *outlen);
int		 ccrypto_envelope_open(const struct ccrypto_identity *,
		     const uint8_t *env, size_t len,
		     const struct ccrypto_pub *(*lookup)(void *,
		     const char *sender, const uint8_t *kid), void *arg,
		     struct ccrypto_header *, uint8_t **plain, size_t *plainlen);
int		 ccrypto_envelope_peek(const uint8_t *env, size_t len,
		     struct ccrypto_header *);

/*
 * File streams (doc/files.md): XChaCha20-Poly1305 secretstream, one
 * message per chunk of at most CCRYPTO_FILE_CHUNK plaintext bytes, the
 * last tagged FINAL.  A stream holds its key and state in guarded memory,
 * wiped by ccrypto_fstream_free (NULL is fine).
 */
#define CCRYPTO_FILE_KEY_LEN	32
#define CCRYPTO_FILE_HDR_LEN	24
#define CCRYPTO_FILE_ABYTES	17
#define CCRYPTO_FILE_CHUNK	65536
#define CCRYPTO_DIGEST_LEN	32	/* BLAKE2b-256 of a whole file */

struct ccrypto_fstream;

/* A new stream to encrypt under a fresh key: key and header to send along. */
int		 ccrypto_fstream_push_new(struct ccrypto_fstream **,
		     uint8_t key[CCRYPTO_FILE_KEY_LEN],
		     uint8_t header[CCRYPTO_FILE_HDR_LEN]);
/* Encrypt len (<= CCRYPTO_FILE_CHUNK) bytes into out (len + ABYTES). */
int		 ccrypto_fstream_push(struct ccrypto_fstream *,
		     const uint8_t *in, size_t len, int final, uint8_t *out);
/* A stream to decrypt what key and header began. */
int		 ccrypto_fstream_pull_new(struct ccrypto_fstream **,
		     const uint8_t key[CCRYPTO_FILE_KEY_LEN],
		     const uint8_t header[CCRYPTO_FILE_HDR_LEN]);
/*
 * Decrypt one chunk of len bytes into out (len - ABYTES bytes, stored in
 * *outlen); *final says whether it was the last.  CCRYPTO_ERR_DECRYPT if
 * it does not authenticate (tampered, reordered, wrong key),
 * CCRYPTO_ERR_TRUNCATED if the stream already ended.
 */
int		 ccrypto_fstream_pull(struct ccrypto_fstream *,
		     const uint8_t *in, size_t len, uint8_t *out,
		     size_t *outlen, int *final);
/* 1 once the FINAL chunk went through. */
int		 ccrypto_fstream_done(const struct ccrypto_fstream *);
void		 ccrypto_fstream_free(struct ccrypto_fstream *);

/* Incremental BLAKE2b-256 of a file's plaintext (caller frees). */
struct ccrypto_digest;
struct ccrypto_digest *ccrypto_digest_new(void);
void		 ccrypto_digest_update(struct ccrypto_digest *,
		     const uint8_t *, size_t);
void		 ccrypto_digest_final(struct ccrypto_digest *,
		     uint8_t out[CCRYPTO_DIGEST_LEN]);
void		 ccrypto_digest_free(struct ccrypto_digest *);

/* Wipe len bytes of p and free it (plaintexts, export blobs); NULL is fine. */
void		 ccrypto_free_secret(void *p, size_t len);
/* A password held a while: in sodium_malloc memory, wiped when freed. */
char		*ccrypto_secret_str(const char *s, size_t len);
void		 ccrypto_secret_str_free(char *);

#endif

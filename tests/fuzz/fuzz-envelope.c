/* chatsec — fuzz the E2E envelope and key bundle parsers.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "fuzz.h"

/*
 * Everything a malicious server or peer can hand an agent as bytes: message
 * envelopes (doc/crypto.md, "Message envelope") and encoded key bundles.
 * The first input byte picks what the rest is:
 *   0 raw envelope: peek and open as bob, with alice's keys pinned; only a
 *     genuine envelope of alice's may open;
 *   1 encoded bundle: decode; what decodes re-encodes to the same bytes;
 *   2 a message alice seals: [to_len][to][cid_len][cid][flags][plaintext];
 *     bob must open it to the same header and plaintext, and flipping any
 *     one byte of the envelope must make it fail to open.
 */
static struct ccrypto_identity	*alice, *bob;
static struct ccrypto_pub	*alice_pub, *bob_pub;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (ccrypto_init() != 0 ||
	    ccrypto_identity_new("alice", &alice) != 0 ||
	    ccrypto_identity_new("bob", &bob) != 0)
		abort();
	alice_pub = ccrypto_identity_pub(alice);
	bob_pub = ccrypto_identity_pub(bob);
	return (0);
}

static const struct ccrypto_pub *
lookup(void *arg, const char *sender, const uint8_t *kid)
{
	(void)arg;
	if (strcmp(sender, "alice") == 0 &&
	    memcmp(kid, ccrypto_pub_kid(alice_pub), CCRYPTO_KID_LEN) == 0)
		return (alice_pub);
	return (NULL);
}

static void
fuzz_raw(const uint8_t *data, size_t len)
{
	struct ccrypto_header	 hdr;
	uint8_t			*plain = NULL;
	size_t			 plainlen = 0;
	int			 rc;

	rc = ccrypto_envelope_peek(data, len, &hdr);
	FUZZ_ASSERT(rc <= 0);
	if (rc == 0) {
		FUZZ_ASSERT(strlen(hdr.sender) <= CCRYPTO_NAME_MAX);
		FUZZ_ASSERT(hdr.nrecipients >= 1 &&
		    hdr.nrecipients <= CCRYPTO_RECIPIENTS_MAX);
	}
	rc = ccrypto_envelope_open(bob, data, len, lookup, NULL, &hdr,
	    &plain, &plainlen);
	if (rc == 0) {
		FUZZ_ASSERT(plainlen <= CCRYPTO_PLAIN_MAX);
		ccrypto_free_secret(plain, plainlen);
	} else
		FUZZ_ASSERT(plain == NULL);
}

static void
fuzz_bundle(const uint8_t *data, size_t len)
{
	struct ccrypto_pub	*pub;
	uint8_t			 out[512];
	int			 n;

	if (ccrypto_pub_decode(data, len, &pub) != 0)
		return;
	n = ccrypto_pub_encode(pub, out, sizeof out);
	FUZZ_ASSERT(n > 0 && (size_t)n == len && memcmp(out, data, len) == 0);
	ccrypto_pub_free(pub);
}

/* Take a length-prefixed printable name of 1..max bytes from the input. */
static int
take_name(const uint8_t **p, size_t *left, char *out, size_t max,
    const char *fallback)
{
	size_t	n, i;

	if (*left < 1)
		return (-1);
	n = **p % (max + 1);
	(*p)++;
	(*left)--;
	if (n > *left)
		n = *left;
	for (i = 0; i < n; i++)
		out[i] = (char)(0x21 + (*p)[i] % 0x5e);
	out[n] = '\0';
	*p += n;
	*left -= n;
	if (n == 0)
		strcpy(out, fallback);
	return (0);
}

static void
fuzz_seal(const uint8_t *data, size_t len)
{
	const struct ccrypto_pub *recips[2];
	struct ccrypto_header	 hdr;
	char			 to[CCRYPTO_NAME_MAX + 1], cid[CCRYPTO_CID_MAX + 1];
	uint8_t			*env = NULL, *plain = NULL, flags;
	size_t			 envlen = 0, plainlen = 0, flip, i;
	int			 rc;

	if (take_name(&data, &len, to, 64, "bob") != 0 ||
	    take_name(&data, &len, cid, CCRYPTO_CID_MAX, "c1") != 0 ||
	    len < 1)
		return;
	/* cids are [A-Za-z0-9_-]: map onto that set. */
	for (i = 0; cid[i] != '\0'; i++)
		if (!((cid[i] >= 'a' && cid[i] <= 'z') ||
		    (cid[i] >= 'A' && cid[i] <= 'Z') ||
		    (cid[i] >= '0' && cid[i] <= '9')))
			cid[i] = '_';
	flags = *data++;
	len--;
	recips[0] = bob_pub;
	recips[1] = alice_pub;
	rc = ccrypto_envelope_seal(alice, to, cid, data, len, recips,
	    (flags & 1) ? 2 : 1, &env, &envlen);
	if (len > CCRYPTO_PLAIN_MAX) {
		FUZZ_ASSERT(rc == CCRYPTO_ERR_TOO_BIG);
		return;
	}
	if (rc != 0)
		return;		/* a name the format refuses */
	FUZZ_ASSERT(envlen <= CCRYPTO_ENVELOPE_MAX);
	rc = ccrypto_envelope_open(bob, env, envlen, lookup, NULL, &hdr,
	    &plain, &plainlen);
	FUZZ_ASSERT(rc == 0);
	FUZZ_ASSERT(plainlen == len && memcmp(plain, data, len) == 0);
	FUZZ_ASSERT(strcmp(hdr.sender, "alice") == 0);
	FUZZ_ASSERT(strcmp(hdr.cid, cid) == 0);
	ccrypto_free_secret(plain, plainlen);
	plain = NULL;

	/* Any one flipped byte: refused, never a different plaintext. */
	flip = (size_t)(flags >> 1) * 997 % envlen;
	env[flip] ^= (uint8_t)(1u << (flags % 8));
	rc = ccrypto_envelope_open(bob, env, envlen, lookup, NULL, &hdr,
	    &plain, &plainlen);
	FUZZ_ASSERT(rc != 0 && plain == NULL);
	free(env);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (alice == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (len < 1 || len > 256 * 1024)
		return (0);
	switch (data[0] % 3) {
	case 0:
		fuzz_raw(data + 1, len - 1);
		break;
	case 1:
		fuzz_bundle(data + 1, len - 1);
		break;
	default:
		fuzz_seal(data + 1, len - 1);
		break;
	}
	return (0);
}

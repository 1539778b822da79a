/* chatsec — end-to-end crypto module tests.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "proto.h"
#include "sec.h"

#include "agent.h"
#include "crypto.h"

#define PW	"correct horse battery"

/* The pinned keys an agent knows: what the lookup callback searches. */
struct pins {
	const struct ccrypto_pub	*pub[8];
	size_t				 n;
};

/* Lookup callback: the pinned bundle of sender with key id kid. */
static const struct ccrypto_pub *
pins_lookup(void *arg, const char *sender, const uint8_t *kid)
{
	struct pins	*pins = arg;
	size_t		 i;

	for (i = 0; i < pins->n; i++) {
		if (strcmp(ccrypto_pub_user(pins->pub[i]), sender) == 0 &&
		    memcmp(ccrypto_pub_kid(pins->pub[i]), kid,
		    CCRYPTO_KID_LEN) == 0)
			return (pins->pub[i]);
	}
	return (NULL);
}

/* Lookup callback that ignores the request and returns arg itself. */
static const struct ccrypto_pub *
pins_liar(void *arg, const char *sender, const uint8_t *kid)
{
	(void)sender;
	(void)kid;
	return (arg);
}

/* A new identity for user; fails the test if it can't be made. */
static struct ccrypto_identity *
mkid(const char *user)
{
	struct ccrypto_identity	*id;

	assert_int_equal(ccrypto_identity_new(user, &id), 0);
	assert_non_null(id);
	assert_string_equal(ccrypto_identity_user(id), user);
	return (id);
}

/* Open env as id, expecting error want (0: success with text). */
static void
expect_open(const struct ccrypto_identity *id, const uint8_t *env, size_t len,
    struct pins *pins, int want, const char *text)
{
	struct ccrypto_header	 hdr;
	uint8_t			*plain;
	size_t			 plainlen;
	int			 rc;

	rc = ccrypto_envelope_open(id, env, len, pins_lookup, pins, &hdr,
	    &plain, &plainlen);
	if (rc != want)
		fail_msg("open as %s: got %d (%s), want %d (%s)",
		    ccrypto_identity_user(id), rc, ccrypto_strerror(rc), want,
		    ccrypto_strerror(want));
	if (want != 0) {
		assert_null(plain);
		return;
	}
	assert_int_equal(plainlen, strlen(text));
	assert_memory_equal(plain, text, plainlen);
	ccrypto_free_secret(plain, plainlen);
}

/* 1 if needle occurs in the n bytes of hay. */
static int
contains(const uint8_t *hay, size_t n, const char *needle)
{
	size_t	i, k = strlen(needle);

	for (i = 0; i + k <= n; i++) {
		if (memcmp(hay + i, needle, k) == 0)
			return (1);
	}
	return (0);
}

/* libsodium starts. */
static int
test_setup(void **state)
{
	(void)state;
	return (ccrypto_init() == 0 ? 0 : -1);
}

/* A DM opens for both parties (the sender through its own wrap), not a third. */
static void
test_dm_roundtrip(void **state)
{
	struct ccrypto_identity	*alice = mkid("alice"), *bob = mkid("bob");
	struct ccrypto_identity	*carol = mkid("carol");
	struct ccrypto_pub	*pa = ccrypto_identity_pub(alice);
	struct ccrypto_pub	*pb = ccrypto_identity_pub(bob);
	struct ccrypto_pub	*pc = ccrypto_identity_pub(carol);
	struct pins		 pins = { { pa, pb, pc }, 3 };
	const struct ccrypto_pub *to_bob[] = { pb }, *to_alice[] = { pa };
	struct ccrypto_header	 hdr;
	uint8_t			*env, *plain;
	size_t			 len, plainlen;

	(void)state;
	assert_int_equal(ccrypto_envelope_seal(alice, "bob", "c1",
	    (const uint8_t *)"psst", 4, to_bob, 1, &env, &len), 0);
	assert_true(len <= CS_BODY_MAX);
	assert_int_equal(ccrypto_envelope_open(bob, env, len, pins_lookup,
	    &pins, &hdr, &plain, &plainlen), 0);
	assert_int_equal(plainlen, 4);
	assert_memory_equal(plain, "psst", 4);
	assert_string_equal(hdr.sender, "alice");
	assert_string_equal(hdr.to, "bob");
	assert_string_equal(hdr.cid, "c1");
	assert_int_equal(hdr.nrecipients, 2);
	assert_memory_equal(hdr.sender_kid, ccrypto_pub_kid(pa),
	    CCRYPTO_KID_LEN);
	ccrypto_free_secret(plain, plainlen);
	expect_open(alice, env, len, &pins, 0, "psst");
	expect_open(carol, env, len, &pins, CCRYPTO_ERR_NOT_FOR_ME, NULL);
	/* Peeking sees the same header, unverified. */
	memset(&hdr, 0, sizeof hdr);
	assert_int_equal(ccrypto_envelope_peek(env, len, &hdr), 0);
	assert_string_equal(hdr.sender, "alice");
	free(env);

	/* The reply, and an empty message. */
	assert_int_equal(ccrypto_envelope_seal(bob, "alice", "r-1",
	    (const uint8_t *)"hi", 2, to_alice, 1, &env, &len), 0);
	expect_open(alice, env, len, &pins, 0, "hi");
	expect_open(bob, env, len, &pins, 0, "hi");
	expect_open(carol, env, len, &pins, CCRYPTO_ERR_NOT_FOR_ME, NULL);
	free(env);
	assert_int_equal(ccrypto_envelope_seal(bob, "alice", "r-2", NULL, 0,
	    to_alice, 1, &env, &len), 0);
	expect_open(alice, env, len, &pins, 0, "");
	free(env);

	/* Bad arguments. */
	assert_int_equal(ccrypto_envelope_seal(bob, "", "x", NULL, 0,
	    to_alice, 1, &env, &len), CCRYPTO_ERR_INVALID);
	assert_int_equal(ccrypto_envelope_seal(bob, "alice", "a b", NULL, 0,
	    to_alice, 1, &env, &len), CCRYPTO_ERR_INVALID);
	assert_int_equal(ccrypto_envelope_seal(bob, "al ice", "ab", NULL, 0,
	    to_alice, 1, &env, &len), CCRYPTO_ERR_INVALID);
	assert_null(env);

	ccrypto_pub_free(pa);
	ccrypto_pub_free(pb);
	ccrypto_pub_free(pc);
	ccrypto_identity_free(alice);
	ccrypto_identity_free(bob);
	ccrypto_identity_free(carol);
}

/* A room message opens for every member at send time and nobody else. */
static void
test_room_roundtrip(void **state)
{
	const char		*names[] = { "ann", "ben", "cat", "dan", "eve" };
	struct ccrypto_identity	*id[5];
	struct ccrypto_pub	*pub[5];
	struct pins		 pins = { { NULL }, 5 };
	const struct ccrypto_pub *members[4];
	const char		*text = "room canary 4f1c";
	uint8_t			*env;
	size_t			 len, i;

	(void)state;
	for (i = 0; i < 5; i++) {
		id[i] = mkid(names[i]);
		pins.pub[i] = pub[i] = ccrypto_identity_pub(id[i]);
	}
	/* ann sends to ann, ben, cat, dan; eve was removed. */
	for (i = 0; i < 4; i++)
		members[i] = pub[i];
	assert_int_equal(ccrypto_envelope_seal(id[0], "#team", "m1",
	    (const uint8_t *)text, strlen(text), members, 4, &env, &len), 0);
	for (i = 0; i < 4; i++)
		expect_open(id[i], env, len, &pins, 0, text);
	expect_open(id[4], env, len, &pins, CCRYPTO_ERR_NOT_FOR_ME, NULL);
	free(env);

	/* eve joins, dan leaves: the next message follows the membership. */
	members[3] = pub[4];
	assert_int_equal(ccrypto_envelope_seal(id[1], "#team", "m2",
	    (const uint8_t *)text, strlen(text), members, 4, &env, &len), 0);
	for (i = 0; i < 3; i++)
		expect_open(id[i], env, len, &pins, 0, text);
	expect_open(id[4], env, len, &pins, 0, text);
	expect_open(id[3], env, len, &pins, CCRYPTO_ERR_NOT_FOR_ME, NULL);
	free(env);

	for (i = 0; i < 5; i++) {
		ccrypto_pub_free(pub[i]);
		ccrypto_identity_free(id[i]);
	}
}

/* Flipping any bit of any byte makes the envelope fail to open. */
static void
test_tamper(void **state)
{
	struct ccrypto_identity	*alice = mkid("alice"), *bob = mkid("bob");
	struct ccrypto_pub	*pa = ccrypto_identity_pub(alice);
	struct ccrypto_pub	*pb = ccrypto_identity_pub(bob);
	struct pins		 pins = { { pa, pb }, 2 };
	const struct ccrypto_pub *to[] = { pb };
	struct ccrypto_header	 hdr;
	uint8_t			*env, *plain;
	size_t			 len, i, plainlen, sig_at, ct_at, wraps_at;
	unsigned int		 bit;
	int			 rc;

	(void)state;
	assert_int_equal(ccrypto_envelope_seal(alice, "bob", "t1",
	    (const uint8_t *)"attack at dawn", 14, to, 1, &env, &len), 0);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			env[i] ^= (uint8_t)(1U << bit);
			rc = ccrypto_envelope_open(bob, env, len, pins_lookup,
			    &pins, &hdr, &plain, &plainlen);
			env[i] ^= (uint8_t)(1U << bit);
			if (rc == 0)
				fail_msg("flip of byte %zu bit %u accepted",
				    i, bit);
			assert_null(plain);
		}
	}
	/* Where it is authenticated, it is the signature that catches it. */
	sig_at = len - CCRYPTO_SIG_LEN;
	ct_at = sig_at - (CCRYPTO_PAD_BLOCK + 16);
	wraps_at = ct_at - 4 - 2 * CCRYPTO_WRAP_LEN;
	for (i = 0; i < 4; i++) {
		size_t	at[] = { 1 + 1 + 1 + 5 + CCRYPTO_KID_LEN + 2,
			    wraps_at + CCRYPTO_KID_LEN + 5, ct_at + 7,
			    sig_at + 9 };

		env[at[i]] ^= 0x20;
		expect_open(bob, env, len, &pins, CCRYPTO_ERR_SIGNATURE, NULL);
		env[at[i]] ^= 0x20;
	}
	/* A version or flag we don't know is said so. */
	env[0] = 2;
	expect_open(bob, env, len, &pins, CCRYPTO_ERR_VERSION, NULL);
	env[0] = 1;
	env[1] = 1;
	expect_open(bob, env, len, &pins, CCRYPTO_ERR_VERSION, NULL);
	env[1] = 0;
	expect_open(bob, env, len, &pins, 0, "attack at dawn");
	free(env);
	ccrypto_pub_free(pa);
	ccrypto_pub_free(pb);
	ccrypto_identity_free(alice);
	ccrypto_identity_free(bob);
}

/* A message claiming another sender is rejected however it is made. */
static void
test_impersonation(void **state)
{
	struct ccrypto_identity	*alice = mkid("alice"), *bob = mkid("bob");
	struct ccrypto_identity	*mallory = mkid("mallory"), *fake = mkid("alice");
	struct ccrypto_pub	*pa = ccrypto_identity_pub(alice);
	struct ccrypto_pub	*pb = ccrypto_identity_pub(bob);
	struct ccrypto_pub	*pm = ccrypto_identity_pub(mallory);
	struct pins		 pins = { { pa, pb, pm }, 3 };
	const struct ccrypto_pub *to[] = { pb };
	uint8_t			*env, *menv;
	size_t			 len, mlen;

	(void)state;
	/*
	 * Mallory re-signs Alice's envelope with her own key: the bytes claim
	 * alice, so alice's pinned key checks the signature, and fails.
	 */
	assert_int_equal(ccrypto_envelope_seal(alice, "bob", "x1",
	    (const uint8_t *)"pay bob", 7, to, 1, &env, &len), 0);
	assert_int_equal(ccrypto_envelope_seal(mallory, "bob", "x1",
	    (const uint8_t *)"pay mal", 7, to, 1, &menv, &mlen), 0);
	memcpy(env + len - CCRYPTO_SIG_LEN, menv + mlen - CCRYPTO_SIG_LEN,
	    CCRYPTO_SIG_LEN);
	expect_open(bob, env, len, &pins, CCRYPTO_ERR_SIGNATURE, NULL);
	free(env);
	free(menv);

	/* Keys of her own under the name alice: not the key pinned for alice. */
	assert_int_equal(ccrypto_envelope_seal(fake, "bob", "x2",
	    (const uint8_t *)"pay mal", 7, to, 1, &env, &len), 0);
	expect_open(bob, env, len, &pins, CCRYPTO_ERR_NO_KEY, NULL);

	/* Nor does a lookup that hands back someone else's keys help. */
	{
		struct ccrypto_header	 hdr;
		uint8_t			*plain;
		size_t			 plainlen;

		assert_int_equal(ccrypto_envelope_open(bob, env, len,
		    pins_liar, pm, &hdr, &plain, &plainlen),
		    CCRYPTO_ERR_NO_KEY);
		assert_int_equal(ccrypto_envelope_open(bob, env, len,
		    pins_liar, pa, &hdr, &plain, &plainlen),
		    CCRYPTO_ERR_NO_KEY);
		assert_int_equal(ccrypto_envelope_open(bob, env, len,
		    pins_liar, NULL, &hdr, &plain, &plainlen),
		    CCRYPTO_ERR_NO_KEY);
	}
	free(env);

	ccrypto_pub_free(pa);
	ccrypto_pub_free(pb);
	ccrypto_pub_free(pm);
	ccrypto_identity_free(alice);
	ccrypto_identity_free(bob);
	ccrypto_identity_free(mallory);
	ccrypto_identity_free(fake);
}

/* The recipient bound, the plaintext bound, and the worst case fits a body. */
static void
test_bounds(void **state)
{
	struct ccrypto_identity	*sender, *last = NULL;
	struct ccrypto_pub	**pubs, *ps;
	struct pins		 pins = { { NULL }, 1 };
	char			 name[CCRYPTO_NAME_MAX + 1], to[CCRYPTO_NAME_MAX + 1];
	char			 cid[CCRYPTO_CID_MAX + 1];
	uint8_t			*plain, *env;
	size_t			 len, i, n = CCRYPTO_RECIPIENTS_MAX;

	(void)state;
	memset(name, 's', CCRYPTO_NAME_MAX);
	name[CCRYPTO_NAME_MAX] = '\0';
	memset(to, 't', CCRYPTO_NAME_MAX);
	to[0] = '#';
	to[CCRYPTO_NAME_MAX] = '\0';
	memset(cid, 'c', CCRYPTO_CID_MAX);
	cid[CCRYPTO_CID_MAX] = '\0';
	sender = mkid(name);
	ps = ccrypto_identity_pub(sender);
	pins.pub[0] = ps;
	pubs = calloc(n, sizeof *pubs);
	for (i = 0; i < n; i++) {
		struct ccrypto_identity	*id;
		char			 u[16];

		snprintf(u, sizeof u, "u%zu", i);
		id = mkid(u);
		pubs[i] = ccrypto_identity_pub(id);
		if (i == n - 2)
			last = id;
		else
			ccrypto_identity_free(id);
	}
	plain = malloc(CCRYPTO_PLAIN_MAX + 1);
	sec_random(plain, CCRYPTO_PLAIN_MAX + 1);

	/* n - 1 others and the sender: the largest envelope there is. */
	assert_int_equal(ccrypto_envelope_seal(sender, to, cid, plain,
	    CCRYPTO_PLAIN_MAX, (const struct ccrypto_pub *const *)pubs, n - 1,
	    &env, &len), 0);
	assert_int_equal(len, CCRYPTO_ENVELOPE_MAX);
	assert_true(len <= CS_BODY_MAX);
	{
		struct ccrypto_header	 hdr;
		uint8_t			*out;
		size_t			 outlen;

		assert_int_equal(ccrypto_envelope_open(last, env, len,
		    pins_lookup, &pins, &hdr, &out, &outlen), 0);
		assert_int_equal(outlen, CCRYPTO_PLAIN_MAX);
		assert_memory_equal(out, plain, outlen);
		assert_int_equal(hdr.nrecipients, CCRYPTO_RECIPIENTS_MAX);
		ccrypto_free_secret(out, outlen);
	}
	free(env);

	/* One more is refused, as is one byte more of plaintext. */
	assert_int_equal(ccrypto_envelope_seal(sender, to, cid, plain, 10,
	    (const struct ccrypto_pub *const *)pubs, n, &env, &len),
	    CCRYPTO_ERR_TOO_MANY);
	assert_null(env);
	assert_int_equal(ccrypto_envelope_seal(sender, to, cid, plain,
	    CCRYPTO_PLAIN_MAX + 1, (const struct ccrypto_pub *const *)pubs, 1,
	    &env, &len), CCRYPTO_ERR_TOO_BIG);

	/* Duplicates, the sender among them, count once. */
	{
		const struct ccrypto_pub *dup[] = { pubs[0], ps, pubs[0],
		    pubs[1] };
		struct ccrypto_header	 hdr;

		assert_int_equal(ccrypto_envelope_seal(sender, to, cid, plain,
		    1, dup, 4, &env, &len), 0);
		assert_int_equal(ccrypto_envelope_peek(env, len, &hdr), 0);
		assert_int_equal(hdr.nrecipients, 3);
		free(env);
	}

	for (i = 0; i < n; i++)
		ccrypto_pub_free(pubs[i]);
	free(pubs);
	free(plain);
	ccrypto_pub_free(ps);
	ccrypto_identity_free(sender);
	ccrypto_identity_free(last);
}

/* Every truncation, an extra byte, and random garbage are refused cleanly. */
static void
test_garbage(void **state)
{
	struct ccrypto_identity	*alice = mkid("alice"), *bob = mkid("bob");
	struct ccrypto_pub	*pa = ccrypto_identity_pub(alice);
	struct ccrypto_pub	*pb = ccrypto_identity_pub(bob);
	struct pins		 pins = { { pa, pb }, 2 };
	const struct ccrypto_pub *to[] = { pb };
	struct ccrypto_header	 hdr;
	struct ccrypto_pub	*pub;
	struct ccrypto_identity	*id;
	uint8_t			*env, *cut, buf[2048], enc[CCRYPTO_PUB_ENC_MAX];
	size_t			 len, i, n;
	int			 rc, elen;

	(void)state;
	assert_int_equal(ccrypto_envelope_seal(alice, "#r", "g",
	    (const uint8_t *)"x", 1, to, 1, &env, &len), 0);
	for (i = 0; i < len; i++) {
		/* An exact-size copy, so ASan sees any read past the end. */
		cut = malloc(i > 0 ? i : 1);
		memcpy(cut, env, i);
		rc = ccrypto_envelope_peek(cut, i, &hdr);
		assert_int_equal(rc, CCRYPTO_ERR_MALFORMED);
		expect_open(bob, cut, i, &pins, CCRYPTO_ERR_MALFORMED, NULL);
		free(cut);
	}
	cut = malloc(len + 1);
	memcpy(cut, env, len);
	cut[len] = 0;
	expect_open(bob, cut, len + 1, &pins, CCRYPTO_ERR_MALFORMED, NULL);
	free(cut);
	expect_open(bob, NULL, 0, &pins, CCRYPTO_ERR_MALFORMED, NULL);
	free(env);

	/* Random bytes, some dressed with a valid version and flags. */
	for (i = 0; i < 3000; i++) {
		n = sec_random_uniform(sizeof buf);
		sec_random(buf, n);
		if (i % 2 == 0 && n >= 2) {
			buf[0] = 1;
			buf[1] = 0;
		}
		cut = malloc(n > 0 ? n : 1);
		memcpy(cut, buf, n);
		rc = ccrypto_envelope_peek(cut, n, &hdr);
		assert_int_not_equal(rc, 0);
		rc = ccrypto_pub_decode(cut, n, &pub);
		assert_int_not_equal(rc, 0);
		assert_null(pub);
		rc = ccrypto_identity_import(cut, n, NULL, 0, &id, NULL);
		assert_int_not_equal(rc, 0);
		assert_null(id);
		free(cut);
	}

	/* Every truncation of a public bundle. */
	elen = ccrypto_pub_encode(pa, enc, sizeof enc);
	assert_true(elen > 0);
	for (i = 0; i < (size_t)elen; i++) {
		cut = malloc(i > 0 ? i : 1);
		memcpy(cut, enc, i);
		assert_int_equal(ccrypto_pub_decode(cut, i, &pub),
		    CCRYPTO_ERR_MALFORMED);
		free(cut);
	}

	ccrypto_pub_free(pa);
	ccrypto_pub_free(pb);
	ccrypto_identity_free(alice);
	ccrypto_identity_free(bob);
}

/* Bundles round-trip, and their self-signature binds the name and both keys. */
static void
test_bundle(void **state)
{
	struct ccrypto_identity	*alice = mkid("alice"), *bob = mkid("bob");
	struct ccrypto_pub	*pa = ccrypto_identity_pub(alice), *pub, *copy;
	struct ccrypto_pub	*pb = ccrypto_identity_pub(bob);
	uint8_t			 spk[32], bpk[32], sig[64], bspk[32], bbpk[32];
	uint8_t			 bsig[64], enc[CCRYPTO_PUB_ENC_MAX];
	int			 elen;

	(void)state;
	ccrypto_pub_parts(pa, spk, bpk, sig);
	ccrypto_pub_parts(pb, bspk, bbpk, bsig);
	assert_int_equal(ccrypto_pub_from_parts("alice", spk, bpk, sig, &pub),
	    0);
	assert_true(ccrypto_pub_equal(pub, pa));
	assert_false(ccrypto_pub_equal(pub, pb));
	copy = ccrypto_pub_dup(pub);
	assert_true(ccrypto_pub_equal(copy, pa));
	ccrypto_pub_free(copy);
	ccrypto_pub_free(pub);

	/* Another name, another box key, a bad signature: all refused. */
	assert_int_equal(ccrypto_pub_from_parts("bob", spk, bpk, sig, &pub),
	    CCRYPTO_ERR_SIGNATURE);
	assert_int_equal(ccrypto_pub_from_parts("alice", spk, bbpk, sig, &pub),
	    CCRYPTO_ERR_SIGNATURE);
	assert_int_equal(ccrypto_pub_from_parts("alice", bspk, bpk, bsig,
	    &pub), CCRYPTO_ERR_SIGNATURE);
	sig[10] ^= 1;
	assert_int_equal(ccrypto_pub_from_parts("alice", spk, bpk, sig, &pub),
	    CCRYPTO_ERR_SIGNATURE);
	assert_null(pub);
	assert_int_equal(ccrypto_pub_from_parts("", spk, bpk, sig, &pub),
	    CCRYPTO_ERR_INVALID);

	elen = ccrypto_pub_encode(pa, enc, sizeof enc);
	assert_int_equal(elen, 2 + 5 + 32 + 32 + 64);
	assert_int_equal(ccrypto_pub_encode(pa, enc, (size_t)elen - 1),
	    CCRYPTO_ERR_INVALID);
	assert_int_equal(ccrypto_pub_decode(enc, (size_t)elen, &pub), 0);
	assert_true(ccrypto_pub_equal(pub, pa));
	assert_memory_equal(ccrypto_pub_fingerprint(pub),
	    ccrypto_pub_fingerprint(pa), CCRYPTO_FPR_LEN);
	ccrypto_pub_free(pub);
	enc[0] = 2;
	assert_int_equal(ccrypto_pub_decode(enc, (size_t)elen, &pub),
	    CCRYPTO_ERR_VERSION);
	enc[0] = 1;
	enc[3] ^= 1;		/* the name */
	assert_int_equal(ccrypto_pub_decode(enc, (size_t)elen, &pub),
	    CCRYPTO_ERR_SIGNATURE);

	ccrypto_pub_free(pa);
	ccrypto_pub_free(pb);
	ccrypto_identity_free(alice);
	ccrypto_identity_free(bob);
}

/* Fingerprints are stable and distinct; safety numbers order-independent. */
static void
test_fingerprints(void **state)
{
	struct ccrypto_identity	*alice = mkid("alice"), *bob = mkid("bob");
	struct ccrypto_identity	*carol = mkid("carol");
	struct ccrypto_pub	*pa = ccrypto_identity_pub(alice);
	struct ccrypto_pub	*pa2 = ccrypto_identity_pub(alice);
	struct ccrypto_pub	*pb = ccrypto_identity_pub(bob);
	struct ccrypto_pub	*pc = ccrypto_identity_pub(carol);
	char			 s1[CCRYPTO_FPR_STRLEN], s2[CCRYPTO_FPR_STRLEN];
	char			 ab[CCRYPTO_SAFETY_STRLEN], ba[CCRYPTO_SAFETY_STRLEN];
	char			 ac[CCRYPTO_SAFETY_STRLEN];
	size_t			 i;

	(void)state;
	assert_memory_equal(ccrypto_pub_fingerprint(pa),
	    ccrypto_pub_fingerprint(pa2), CCRYPTO_FPR_LEN);
	assert_memory_not_equal(ccrypto_pub_fingerprint(pa),
	    ccrypto_pub_fingerprint(pb), CCRYPTO_FPR_LEN);
	assert_non_null(ccrypto_fingerprint_str(ccrypto_pub_fingerprint(pa),
	    s1, sizeof s1));
	assert_int_equal(strlen(s1), CCRYPTO_FPR_STRLEN - 1);
	for (i = 0; s1[i] != '\0'; i++) {
		if (i % 5 == 4)
			assert_int_equal(s1[i], ' ');
		else
			assert_non_null(strchr("0123456789abcdef", s1[i]));
	}
	ccrypto_fingerprint_str(ccrypto_pub_fingerprint(pa2), s2, sizeof s2);
	assert_string_equal(s1, s2);
	ccrypto_fingerprint_str(ccrypto_pub_fingerprint(pb), s2, sizeof s2);
	assert_string_not_equal(s1, s2);
	assert_null(ccrypto_fingerprint_str(ccrypto_pub_fingerprint(pa), s2,
	    CCRYPTO_FPR_STRLEN - 1));

	assert_int_equal(ccrypto_safety_number(pa, pb, ab, sizeof ab), 0);
	assert_int_equal(ccrypto_safety_number(pb, pa2, ba, sizeof ba), 0);
	assert_string_equal(ab, ba);
	assert_int_equal(strlen(ab), CCRYPTO_SAFETY_STRLEN - 1);
	for (i = 0; ab[i] != '\0'; i++) {
		if (i % 6 == 5)
			assert_int_equal(ab[i], ' ');
		else
			assert_true(ab[i] >= '0' && ab[i] <= '9');
	}
	assert_int_equal(ccrypto_safety_number(pa, pc, ac, sizeof ac), 0);
	assert_string_not_equal(ab, ac);
	assert_int_equal(ccrypto_safety_number(pa, pc, ac, sizeof ac - 1),
	    CCRYPTO_ERR_INVALID);

	ccrypto_pub_free(pa);
	ccrypto_pub_free(pa2);
	ccrypto_pub_free(pb);
	ccrypto_pub_free(pc);
	ccrypto_identity_free(alice);
	ccrypto_identity_free(bob);
	ccrypto_identity_free(carol);
}

/* A temporary directory for key files; the caller removes it. */
static char *
mktmp(void)
{
	char	*d;

	d = strdup("/tmp/test-crypto.XXXXXX");
	assert_non_null(mkdtemp(d));
	return (d);
}

/* Key files: round trip, mode 0600, wrong password, locked, perms, tamper. */
static void
test_keyfile(void **state)
{
	struct ccrypto_identity	*alice = mkid("alice"), *loaded, *bob = mkid("bob");
	struct ccrypto_pub	*pa = ccrypto_identity_pub(alice), *pl;
	struct ccrypto_pub	*pb = ccrypto_identity_pub(bob);
	struct pins		 pins = { { pa, pb }, 2 };
	const struct ccrypto_pub *to[] = { pa };
	struct stat		 st;
	char			*dir, path[256];
	uint8_t			*env, *raw;
	size_t			 len, rawlen;
	FILE			*f;
	int			 flags;

	(void)state;
	dir = mktmp();
	snprintf(path, sizeof path, "%s/identity", dir);
	assert_int_equal(ccrypto_keyfile_save(alice, path, PW, strlen(PW),
	    CCRYPTO_KF_FAST), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* The file does not hold the secret keys' user name in clear. */
	f = fopen(path, "rb");
	raw = malloc(CCRYPTO_KEYFILE_MAX);
	rawlen = fread(raw, 1, CCRYPTO_KEYFILE_MAX, f);
	fclose(f);
	assert_false(contains(raw, rawlen, "alice"));

	assert_int_equal(ccrypto_keyfile_load(path, PW, strlen(PW), &loaded,
	    &flags), 0);
	assert_int_equal(flags, 0);
	assert_string_equal(ccrypto_identity_user(loaded), "alice");
	pl = ccrypto_identity_pub(loaded);
	assert_true(ccrypto_pub_equal(pl, pa));
	ccrypto_pub_free(pl);
	/* The loaded identity opens what was sealed for the original. */
	assert_int_equal(ccrypto_envelope_seal(bob, "alice", "k1",
	    (const uint8_t *)"welcome back", 12, to, 1, &env, &len), 0);
	expect_open(loaded, env, len, &pins, 0, "welcome back");
	free(env);
	ccrypto_identity_free(loaded);

	assert_int_equal(ccrypto_keyfile_load(path, "wrong horse battery", 19,
	    &loaded, &flags), CCRYPTO_ERR_PASSWORD);
	assert_null(loaded);
	assert_int_equal(ccrypto_keyfile_load(path, NULL, 0, &loaded, &flags),
	    CCRYPTO_ERR_LOCKED);
	assert_int_equal(ccrypto_keyfile_load(path, "", 0, &loaded, &flags),
	    CCRYPTO_ERR_PASSWORD);

	/* Readable by others: refused before reading. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(ccrypto_keyfile_load(path, PW, strlen(PW), &loaded,
	    &flags), CCRYPTO_ERR_PERM);
	assert_int_equal(chmod(path, 0600), 0);

	/* A flipped byte in the salt or the ciphertext: wrong password. */
	raw[30] ^= 1;
	assert_int_equal(ccrypto_identity_import(raw, rawlen, PW, strlen(PW),
	    &loaded, &flags), CCRYPTO_ERR_PASSWORD);
	raw[30] ^= 1;
	raw[rawlen - 1] ^= 1;
	assert_int_equal(ccrypto_identity_import(raw, rawlen, PW, strlen(PW),
	    &loaded, &flags), CCRYPTO_ERR_PASSWORD);
	raw[rawlen - 1] ^= 1;
	/* A cost beyond the policy is refused without hashing. */
	raw[14] = 0xff;
	assert_int_equal(ccrypto_identity_import(raw, rawlen, PW, strlen(PW),
	    &loaded, &flags), CCRYPTO_ERR_MALFORMED);
	free(raw);

	assert_int_equal(ccrypto_keyfile_load("/nonexistent/identity", PW,
	    strlen(PW), &loaded, &flags), CCRYPTO_ERR_IO);
	assert_int_equal(ccrypto_keyfile_save(alice, path, NULL, 0, 0),
	    CCRYPTO_ERR_INVALID);

	unlink(path);
	rmdir(dir);
	free(dir);
	ccrypto_pub_free(pa);
	ccrypto_pub_free(pb);
	ccrypto_identity_free(alice);
	ccrypto_identity_free(bob);
}

/* The unattended-bot opt-out: no password, flagged, still mode 0600. */
static void
test_keyfile_plaintext(void **state)
{
	struct ccrypto_identity	*bot = mkid("bot"), *loaded;
	struct ccrypto_pub	*p1 = ccrypto_identity_pub(bot), *p2;
	struct stat		 st;
	char			*dir, path[256], *raw;
	size_t			 rawlen, i;
	int			 flags;

	(void)state;
	dir = mktmp();
	snprintf(path, sizeof path, "%s/identity", dir);
	assert_int_equal(ccrypto_keyfile_save(bot, path, NULL, 0,
	    CCRYPTO_KF_PLAINTEXT), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(ccrypto_keyfile_load(path, NULL, 0, &loaded, &flags),
	    0);
	assert_int_equal(flags, CCRYPTO_KF_PLAINTEXT);
	p2 = ccrypto_identity_pub(loaded);
	assert_true(ccrypto_pub_equal(p1, p2));
	ccrypto_pub_free(p2);
	ccrypto_identity_free(loaded);
	/* A password given to a plaintext file changes nothing: still flagged. */
	assert_int_equal(ccrypto_keyfile_load(path, PW, strlen(PW), &loaded,
	    &flags), 0);
	assert_int_equal(flags, CCRYPTO_KF_PLAINTEXT);
	ccrypto_identity_free(loaded);

	/* Every truncation of the file's bytes is refused. */
	assert_int_equal(fs_read_file(path, CCRYPTO_KEYFILE_MAX, &raw,
	    &rawlen), 0);
	assert_memory_equal(raw, "CSKY\001\002", 6);
	for (i = 0; i < rawlen; i++) {
		char	*cut = malloc(i > 0 ? i : 1);

		memcpy(cut, raw, i);
		assert_int_equal(ccrypto_identity_import((uint8_t *)cut, i,
		    NULL, 0, &loaded, &flags), CCRYPTO_ERR_MALFORMED);
		free(cut);
	}
	ccrypto_free_secret(raw, rawlen);

	unlink(path);
	rmdir(dir);
	free(dir);
	ccrypto_pub_free(p1);
	ccrypto_identity_free(bot);
}

/* Export to another agent: encrypted always, the passphrase needed. */
static void
test_export(void **state)
{
	struct ccrypto_identity	*alice = mkid("alice"), *copy;
	struct ccrypto_pub	*p1 = ccrypto_identity_pub(alice), *p2;
	uint8_t			*blob, *cut;
	size_t			 len, i;
	int			 flags;

	(void)state;
	assert_int_equal(ccrypto_identity_export(alice, "export pass", 11,
	    CCRYPTO_KF_PLAINTEXT, &blob, &len), CCRYPTO_ERR_INVALID);
	assert_int_equal(ccrypto_identity_export(alice, NULL, 0,
	    CCRYPTO_KF_FAST, &blob, &len), CCRYPTO_ERR_INVALID);
	assert_int_equal(ccrypto_identity_export(alice, "export pass", 11,
	    CCRYPTO_KF_FAST, &blob, &len), 0);
	assert_int_equal(ccrypto_identity_import(blob, len, "export pasS", 11,
	    &copy, &flags), CCRYPTO_ERR_PASSWORD);
	assert_int_equal(ccrypto_identity_import(blob, len, "export pass", 11,
	    &copy, &flags), 0);
	assert_int_equal(flags, 0);
	p2 = ccrypto_identity_pub(copy);
	assert_true(ccrypto_pub_equal(p1, p2));
	ccrypto_pub_free(p2);
	ccrypto_identity_free(copy);
	/* Truncated inside the header: refused before any hashing. */
	for (i = 0; i < 4 + 1 + 1 + 8 + 8 + 16 + 24 + 16; i++) {
		cut = malloc(i > 0 ? i : 1);
		memcpy(cut, blob, i);
		assert_int_equal(ccrypto_identity_import(cut, i, "export pass",
		    11, &copy, &flags), CCRYPTO_ERR_MALFORMED);
		free(cut);
	}
	/* Truncated in the ciphertext: it does not authenticate. */
	assert_int_equal(ccrypto_identity_import(blob, len - 1, "export pass",
	    11, &copy, &flags), CCRYPTO_ERR_PASSWORD);
	ccrypto_free_secret(blob, len);
	ccrypto_pub_free(p1);
	ccrypto_identity_free(alice);
	assert_int_equal(ccrypto_identity_new("", &copy), CCRYPTO_ERR_INVALID);
	assert_int_equal(ccrypto_identity_new("a b", &copy),
	    CCRYPTO_ERR_INVALID);
	assert_string_equal(ccrypto_strerror(CCRYPTO_ERR_NOT_FOR_ME),
	    "not encrypted for this identity");
}

/* Encrypt size bytes of a known pattern as a file stream (doc/files.md). */
struct fenc {
	uint8_t		 key[CCRYPTO_FILE_KEY_LEN];
	uint8_t		 hdr[CCRYPTO_FILE_HDR_LEN];
	uint8_t		*ct[8];
	size_t		 ctlen[8];
	size_t		 n;
	uint8_t		 digest[CCRYPTO_DIGEST_LEN];
};

static void
fenc_make(struct fenc *e, const uint8_t *plain, size_t size)
{
	struct ccrypto_fstream	*fs;
	struct ccrypto_digest	*d = ccrypto_digest_new();
	size_t			 off = 0, len;

	memset(e, 0, sizeof *e);
	assert_int_equal(ccrypto_fstream_push_new(&fs, e->key, e->hdr), 0);
	do {
		len = size - off > CCRYPTO_FILE_CHUNK ? CCRYPTO_FILE_CHUNK :
		    size - off;
		assert_true(e->n < 8);
		e->ct[e->n] = malloc(len + CCRYPTO_FILE_ABYTES);
		e->ctlen[e->n] = len + CCRYPTO_FILE_ABYTES;
		assert_int_equal(ccrypto_fstream_push(fs, plain + off, len,
		    off + len == size, e->ct[e->n]), 0);
		ccrypto_digest_update(d, plain + off, len);
		e->n++;
		off += len;
	} while (off < size);
	assert_true(ccrypto_fstream_done(fs));
	/* A finished stream takes no more. */
	assert_int_equal(ccrypto_fstream_push(fs, plain, 0, 1, e->ct[0]),
	    CCRYPTO_ERR_TRUNCATED);
	ccrypto_fstream_free(fs);
	ccrypto_digest_final(d, e->digest);
	ccrypto_digest_free(d);
}

static void
fenc_free(struct fenc *e)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		free(e->ct[i]);
}

/*
 * Decrypt chunks order[0..n) of e; returns 0 and the plaintext in out
 * (*outlen bytes) if all open and the last is FINAL, else the first error
 * (CCRYPTO_ERR_TRUNCATED when no FINAL came).
 */
static int
fenc_open(const struct fenc *e, const size_t *order, size_t n, uint8_t *out,
    size_t *outlen)
{
	struct ccrypto_fstream	*fs;
	size_t			 i, len;
	int			 final = 0, rc = 0;

	*outlen = 0;
	assert_int_equal(ccrypto_fstream_pull_new(&fs, e->key, e->hdr), 0);
	for (i = 0; i < n && rc == 0; i++) {
		rc = ccrypto_fstream_pull(fs, e->ct[order[i]],
		    e->ctlen[order[i]], out + *outlen, &len, &final);
		*outlen += len;
	}
	if (rc == 0 && !final)
		rc = CCRYPTO_ERR_TRUNCATED;
	ccrypto_fstream_free(fs);
	return (rc);
}

static void
test_file_stream(void **state)
{
	static const size_t	 sizes[] = { 0, 1, CCRYPTO_FILE_CHUNK,
	    CCRYPTO_FILE_CHUNK + 1, 3 * CCRYPTO_FILE_CHUNK - 5 };
	const size_t		 order[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	uint8_t			*plain, *out, d2[CCRYPTO_DIGEST_LEN];
	struct ccrypto_digest	*d;
	struct fenc		 e;
	size_t			 i, k, len;

	(void)state;
	plain = malloc(3 * CCRYPTO_FILE_CHUNK);
	out = malloc(3 * CCRYPTO_FILE_CHUNK);
	for (i = 0; i < 3 * CCRYPTO_FILE_CHUNK; i++)
		plain[i] = (uint8_t)(i * 7 + (i >> 8));
	for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		fenc_make(&e, plain, sizes[k]);
		assert_int_equal(e.n, sizes[k] == 0 ? 1 :
		    (sizes[k] + CCRYPTO_FILE_CHUNK - 1) / CCRYPTO_FILE_CHUNK);
		len = e.ctlen[e.n - 1];
		assert_int_equal(len, sizes[k] - (e.n - 1) * CCRYPTO_FILE_CHUNK +
		    CCRYPTO_FILE_ABYTES);
		assert_int_equal(fenc_open(&e, order, e.n, out, &len), 0);
		assert_int_equal(len, sizes[k]);
		if (sizes[k] > 0)
			assert_memory_equal(out, plain, sizes[k]);
		/* The digest is BLAKE2b-256 of the plaintext, any split. */
		d = ccrypto_digest_new();
		for (i = 0; i < sizes[k]; i += 1000)
			ccrypto_digest_update(d, plain + i, sizes[k] - i > 1000 ?
			    1000 : sizes[k] - i);
		ccrypto_digest_final(d, d2);
		ccrypto_digest_free(d);
		assert_memory_equal(e.digest, d2, sizeof d2);
		/* No chunk goes through twice. */
		if (e.n == 1) {
			const size_t twice[] = { 0, 0 };
			assert_int_equal(fenc_open(&e, twice, 2, out, &len),
			    CCRYPTO_ERR_TRUNCATED);
		}
		fenc_free(&e);
	}
	/* The digest of an empty file: BLAKE2b-256 of nothing. */
	fenc_make(&e, plain, 0);
	{
		char	 hex[2 * CCRYPTO_DIGEST_LEN + 1];

		assert_string_equal(sec_hex(e.digest, sizeof e.digest, hex),
		    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
	}
	fenc_free(&e);
	free(plain);
	free(out);
}

static void
test_file_stream_attacks(void **state)
{
	const size_t	 order[] = { 0, 1, 2 }, swapped[] = { 1, 0, 2 };
	const size_t	 dropped[] = { 0, 2 }, again[] = { 0, 0, 1, 2 };
	uint8_t		*plain, *out, hdr[CCRYPTO_FILE_HDR_LEN];
	struct fenc	 e;
	size_t		 len, i;

	(void)state;
	plain = calloc(1, 3 * CCRYPTO_FILE_CHUNK);
	out = malloc(3 * CCRYPTO_FILE_CHUNK);
	fenc_make(&e, plain, 2 * CCRYPTO_FILE_CHUNK + 100);
	assert_int_equal(e.n, 3);
	assert_int_equal(fenc_open(&e, order, 3, out, &len), 0);

	/* A flipped bit in any chunk. */
	for (i = 0; i < 3; i++) {
		e.ct[i][e.ctlen[i] / 2] ^= 0x01;
		assert_int_equal(fenc_open(&e, order, 3, out, &len),
		    CCRYPTO_ERR_DECRYPT);
		e.ct[i][e.ctlen[i] / 2] ^= 0x01;
	}
	/* Reordered, dropped or repeated chunks. */
	assert_int_equal(fenc_open(&e, swapped, 3, out, &len),
	    CCRYPTO_ERR_DECRYPT);
	assert_int_equal(fenc_open(&e, dropped, 2, out, &len),
	    CCRYPTO_ERR_DECRYPT);
	assert_int_equal(fenc_open(&e, again, 4, out, &len),
	    CCRYPTO_ERR_DECRYPT);
	/* Truncated: the stream ends without its FINAL chunk. */
	assert_int_equal(fenc_open(&e, order, 2, out, &len),
	    CCRYPTO_ERR_TRUNCATED);
	assert_int_equal(len, 2 * CCRYPTO_FILE_CHUNK);
	/* A chunk cut short, or too short to hold a tag. */
	e.ctlen[2]--;
	assert_int_equal(fenc_open(&e, order, 3, out, &len),
	    CCRYPTO_ERR_DECRYPT);
	e.ctlen[2] = 3;
	assert_int_equal(fenc_open(&e, order, 3, out, &len),
	    CCRYPTO_ERR_DECRYPT);
	e.ctlen[2] = 100 + CCRYPTO_FILE_ABYTES;
	/* Another header or key. */
	memcpy(hdr, e.hdr, sizeof hdr);
	e.hdr[0] ^= 0x80;
	assert_int_equal(fenc_open(&e, order, 3, out, &len),
	    CCRYPTO_ERR_DECRYPT);
	memcpy(e.hdr, hdr, sizeof hdr);
	e.key[31] ^= 0x01;
	assert_int_equal(fenc_open(&e, order, 3, out, &len),
	    CCRYPTO_ERR_DECRYPT);
	e.key[31] ^= 0x01;
	assert_int_equal(fenc_open(&e, order, 3, out, &len), 0);
	fenc_free(&e);
	/* Chunks of another stream with the same key do not fit. */
	{
		struct fenc	 f;

		fenc_make(&f, plain, 100);
		assert_memory_not_equal(f.key, e.key, sizeof f.key);
		fenc_free(&f);
	}
	free(plain);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dm_roundtrip),
		cmocka_unit_test(test_room_roundtrip),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_impersonation),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_bundle),
		cmocka_unit_test(test_fingerprints),
		cmocka_unit_test(test_keyfile),
		cmocka_unit_test(test_keyfile_plaintext),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_file_stream),
		cmocka_unit_test(test_file_stream_attacks),
	};

	return (cmocka_run_group_tests(tests, test_setup, NULL));
}

/* chatsec — test tool: what an identity file holds.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"

/*
 * For the end-to-end integration tests only (not installed):
 *   e2e-keytool secret FILE PASSWORD
 * opens an agent's key file and prints, in hex, its two secret keys (the
 * Ed25519 seed and the X25519 secret key), so a test can show those bytes
 * appear nowhere on the server.  Exit 1 if the file does not open (e.g. a
 * wrong password), 2 on usage.
 */
int
main(int argc, char **argv)
{
	struct ccrypto_identity	*id;
	uint8_t			 buf[CCRYPTO_KEYFILE_MAX];
	char			 tmp[4096];
	FILE			*f;
	size_t			 len, i;
	int			 rc, flags;

	if (argc != 4 || strcmp(argv[1], "secret") != 0) {
		fprintf(stderr, "usage: e2e-keytool secret FILE PASSWORD\n");
		return (2);
	}
	if (ccrypto_init() != 0)
		return (1);
	rc = ccrypto_keyfile_load(argv[2], argv[3], strlen(argv[3]), &id,
	    &flags);
	if (rc != 0) {
		fprintf(stderr, "e2e-keytool: %s\n", ccrypto_strerror(rc));
		return (1);
	}
	/*
	 * Write a clear (opt-out) copy next to the file and read its tail:
	 * the Ed25519 seed (32) and the X25519 secret key (32).
	 */
	if (snprintf(tmp, sizeof tmp, "%s.keytool", argv[2]) >=
	    (int)sizeof tmp)
		return (1);
	rc = ccrypto_keyfile_save(id, tmp, NULL, 0, CCRYPTO_KF_PLAINTEXT);
	ccrypto_identity_free(id);
	if (rc != 0) {
		fprintf(stderr, "e2e-keytool: save: %s\n",
		    ccrypto_strerror(rc));
		return (1);
	}
	f = fopen(tmp, "rb");
	len = f != NULL ? fread(buf, 1, sizeof buf, f) : 0;
	if (f != NULL)
		fclose(f);
	unlink(tmp);
	if (len < 64)
		return (1);
	for (i = len - 64; i < len; i++)
		printf("%02x%s", buf[i], i == len - 33 ? "\n" : "");
	printf("\n");
	memset(buf, 0, sizeof buf);
	return (0);
}

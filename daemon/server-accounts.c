/* chatsec — chatsecd bulk account creation.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chatsecd.h"
#include "base32.h"
#include "clock.h"
#include "fsutil.h"
#include "log.h"
#include "sec.h"
#include "store.h"
#include "xmalloc.h"

/*
 * `chatsecd -d DIR --create-accounts N --account-prefix P --password-file F
 * --tokens FILE`: make N accounts P1 .. PN in a stopped server's database
 * (the caller holds the data dir's lock), for benchmarks and load tests.
 *
 * The password is hashed once (argon2id, the configured cost) and every
 * account shares that hash; each gets its own random TOTP secret and a
 * session token, so a load generator can `resume` without any argon2 work
 * and also `login` for real.  FILE (mode 0600, made anew) gets one line per
 * account: "NAME TOKEN TOTP_SECRET_BASE32".  Nothing secret is logged; the
 * password, secrets and tokens are wiped from memory once written.
 *
 * All accounts are made in one transaction: if a name is taken or anything
 * fails, none is.
 */

#define ACCOUNTS_PW_MAX		1024

/* Read the password: the file's first line, without its newline. */
static char *
accounts_read_password(const char *path, size_t *pwlen)
{
	char	*buf;
	size_t	 len;

	if (fs_read_file(path, ACCOUNTS_PW_MAX + 2, &buf, &len) != 0) {
		fprintf(stderr, "chatsecd: %s: %s\n", path, errno == EFBIG ?
		    "password file too large" : strerror(errno));
		return (NULL);
	}
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	*pwlen = len;
	return (buf);
}

/* Write one account's line to f; wipes the secrets it formatted. */
static int
accounts_write_line(FILE *f, const char *name, const uint8_t *token,
    const uint8_t *secret)
{
	char	 hex[2 * SEC_TOKEN_LEN + 1], b32[64];
	int	 rc = 0;

	sec_hex(token, SEC_TOKEN_LEN, hex);
	if (base32_encode(secret, TOTP_SECRET_LEN, b32, sizeof b32) < 0 ||
	    fprintf(f, "%s %s %s\n", name, hex, b32) < 0)
		rc = -1;
	sec_wipe(hex, sizeof hex);
	sec_wipe(b32, sizeof b32);
	return (rc);
}

/* Create n accounts sharing one hash; see above.  Returns the exit status. */
int
accounts_offline_create(long long n, const char *prefix, const char *pwfile,
    const char *tokens)
{
	struct store_account	 a;
	struct store		*st = NULL;
	FILE			*f = NULL;
	uint8_t			 token[SEC_TOKEN_LEN], hash[SEC_TOKEN_HASH_LEN];
	char			*path = NULL, *pw = NULL, *pwhash = NULL;
	char			 name[NAME_USER_MAX + 1], detail[128];
	const char		*why;
	size_t			 pwlen = 0;
	long long		 i;
	int64_t			 now = clock_now();
	int			 fd = -1, len, rc, status = 1;

	memset(&a, 0, sizeof a);
	if (pwfile == NULL || tokens == NULL) {
		fprintf(stderr, "chatsecd: --create-accounts needs "
		    "--password-file and --tokens\n");
		return (2);
	}
	len = snprintf(name, sizeof name, "%s%lld", prefix, n);
	if (len < 0 || (size_t)len >= sizeof name ||
	    name_user_check(name) != NULL) {
		fprintf(stderr, "chatsecd: --account-prefix %s: names like %s "
		    "break the username rules\n", prefix, name);
		return (2);
	}
	if ((pw = accounts_read_password(pwfile, &pwlen)) == NULL)
		return (1);
	if ((why = name_password_check(pw, pwlen)) != NULL) {
		fprintf(stderr, "chatsecd: %s: %s\n", pwfile, why);
		goto out;
	}
	if ((pwhash = hash_make_sync(pw, pwlen)) == NULL) {
		fprintf(stderr, "chatsecd: password hashing failed\n");
		goto out;
	}

	/* O_EXCL: never write tokens through a file someone else made. */
	unlink(tokens);
	if ((fd = open(tokens, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0600)) ==
	    -1 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "chatsecd: %s: %s\n", tokens, strerror(errno));
		goto out;
	}
	fd = -1;

	xasprintf(&path, "%s/chatsecd.db", server_cfg.datadir);
	if ((st = store_open(path)) == NULL) {
		fprintf(stderr, "chatsecd: cannot open the database in %s\n",
		    server_cfg.datadir);
		goto out;
	}
	if (store_begin(st) != 0)
		goto dberr;
	for (i = 1; i <= n; i++) {
		memset(&a, 0, sizeof a);
		snprintf(a.name, sizeof a.name, "%s%lld", prefix, i);
		name_fold(a.name, a.folded, sizeof a.folded);
		a.pwhash = pwhash;
		sec_random(a.totp_secret, sizeof a.totp_secret);
		a.created = now;
		if ((rc = store_account_create(st, &a)) != 0) {
			store_rollback(st);
			if (rc == STORE_EXISTS) {
				fprintf(stderr, "chatsecd: account %s exists; "
				    "nothing was created\n", a.name);
				goto out;
			}
			goto dberr;
		}
		sec_random(token, sizeof token);
		sec_token_hash(token, sizeof token, hash);
		if (store_session_create(st, hash, a.id, now) != 0) {
			store_rollback(st);
			goto dberr;
		}
		if (accounts_write_line(f, a.name, token, a.totp_secret) != 0) {
			store_rollback(st);
			fprintf(stderr, "chatsecd: %s: write failed\n", tokens);
			goto out;
		}
	}
	snprintf(detail, sizeof detail, "created %lld accounts %s1..%s%lld "
	    "(offline)", n, prefix, prefix, n);
	if (store_audit_add(st, clock_now_ms(), "accounts-create", NULL,
	    "local", detail) != 0 || store_commit(st) != 0) {
		store_rollback(st);
		goto dberr;
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fprintf(stderr, "chatsecd: %s: %s\n", tokens, strerror(errno));
		goto out;
	}
	printf("chatsecd: created %lld accounts %s1 to %s%lld; tokens in %s\n",
	    n, prefix, prefix, n, tokens);
	status = 0;
	goto out;

dberr:
	fprintf(stderr, "chatsecd: cannot write the database\n");
out:
	if (status != 0 && f != NULL)
		unlink(tokens);
	if (f != NULL)
		fclose(f);
	if (fd != -1)
		close(fd);
	a.pwhash = NULL;
	sec_wipe(&a, sizeof a);
	sec_wipe(token, sizeof token);
	if (pw != NULL) {
		sec_wipe(pw, pwlen);
		free(pw);
	}
	if (pwhash != NULL) {
		sec_wipe(pwhash, strlen(pwhash));
		free(pwhash);
	}
	store_close(st);
	free(path);
	return (status);
}

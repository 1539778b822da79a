/* chatsec — secrets and file helper tests.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "sec.h"

/* libsodium starts, twice. */
static int
test_setup(void **state)
{
	if (sec_init() != 0 || sec_init() != 0)
		return (-1);
	return (0);
}

/* Hex both ways; odd lengths, non-hex and overflow are refused. */
static void
test_sec_hex(void **state)
{
	const uint8_t	in[] = { 0x00, 0x01, 0xab, 0xff };
	char		hex[9];
	uint8_t		out[4];

	assert_string_equal(sec_hex(in, 4, hex), "0001abff");
	assert_int_equal(sec_unhex("0001abff", out, sizeof out), 4);
	assert_memory_equal(out, in, 4);
	assert_int_equal(sec_unhex("0001ABFF", out, sizeof out), 4);
	assert_memory_equal(out, in, 4);
	assert_int_equal(sec_unhex("", out, sizeof out), 0);
	assert_int_equal(sec_unhex("abc", out, sizeof out), -1);
	assert_int_equal(sec_unhex("0g", out, sizeof out), -1);
	assert_int_equal(sec_unhex("00 1", out, sizeof out), -1);
	assert_int_equal(sec_unhex("00:1", out, sizeof out), -1);
	assert_int_equal(sec_unhex("0001abff00", out, sizeof out), -1);
	assert_int_equal(sec_unhex(NULL, out, sizeof out), -1);
}

/* Base64 per RFC 4648 §10, padded, strict on input. */
static void
test_sec_b64(void **state)
{
	static const char *vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	char	out[16];
	uint8_t	bin[16];
	size_t	i, n;

	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		n = strlen(vec[i][0]);
		assert_int_equal(sec_b64_len(n), strlen(vec[i][1]) + 1);
		assert_non_null(sec_b64_encode((const uint8_t *)vec[i][0], n,
		    out, sizeof out));
		assert_string_equal(out, vec[i][1]);
		assert_int_equal(sec_b64_decode(vec[i][1], strlen(vec[i][1]),
		    bin, sizeof bin), (int)n);
		assert_memory_equal(bin, vec[i][0], n);
	}
	assert_null(sec_b64_encode((const uint8_t *)"foo", 3, out, 4));
	assert_int_equal(sec_b64_decode("Zm9v!", 5, bin, sizeof bin), -1);
	assert_int_equal(sec_b64_decode("Zg", 2, bin, sizeof bin), -1);
	assert_int_equal(sec_b64_decode("Zm9vYmFy", 8, bin, 5), -1);
	assert_int_equal(sec_b64_decode("Zm9v_-", 6, bin, sizeof bin), -1);
	/* Only inlen bytes are read. */
	assert_int_equal(sec_b64_decode("Zm9v!!!!", 4, bin, sizeof bin), 3);
}

/* Equality, wiping, randomness and token hashing. */
static void
test_sec_misc(void **state)
{
	uint8_t	a[32], b[32], h1[SEC_TOKEN_HASH_LEN], h2[SEC_TOKEN_HASH_LEN];
	char	hex[2 * SEC_TOKEN_HASH_LEN + 1];
	int	i, seen[10] = { 0 };

	memset(a, 7, sizeof a);
	memcpy(b, a, sizeof b);
	assert_int_equal(sec_equal(a, b, sizeof a), 0);
	b[31] ^= 1;
	assert_int_equal(sec_equal(a, b, sizeof a), -1);
	b[31] ^= 1;
	b[0] ^= 0x80;
	assert_int_equal(sec_equal(a, b, sizeof a), -1);

	sec_wipe(a, sizeof a);
	for (i = 0; i < 32; i++)
		assert_int_equal(a[i], 0);
	sec_wipe(NULL, 0);

	sec_random(a, sizeof a);
	sec_random(b, sizeof b);
	assert_int_equal(sec_equal(a, b, sizeof a), -1);
	for (i = 0; i < 1000; i++) {
		uint32_t r = sec_random_uniform(10);

		assert_true(r < 10);
		seen[r]++;
	}
	for (i = 0; i < 10; i++)
		assert_true(seen[i] > 0);

	/* BLAKE2b-256("abc"), as crypto_generichash computes it. */
	sec_token_hash((const uint8_t *)"abc", 3, h1);
	assert_string_equal(sec_hex(h1, sizeof h1, hex),
	    "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
	sec_token_hash((const uint8_t *)"abd", 3, h2);
	assert_int_equal(sec_equal(h1, h2, sizeof h1), -1);
}

/* Make a fresh temporary directory for file tests; caller frees. */
static char *
test_tmpdir(void)
{
	char	*dir = strdup("/tmp/chatsec-test-XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return (dir);
}

/* Private directories: parents made, modes fixed, wrong kinds refused. */
static void
test_fs_mkdir(void **state)
{
	char		*dir = test_tmpdir(), path[512], file[512];
	struct stat	 st;
	FILE		*f;

	snprintf(path, sizeof path, "%s/a/b/c", dir);
	assert_int_equal(fs_mkdir_private(path, 0700), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	/* Again is fine. */
	assert_int_equal(fs_mkdir_private(path, 0700), 0);
	/* A directory that grants more is refused and left as it is. */
	assert_int_equal(chmod(path, 0755), 0);
	errno = 0;
	assert_int_equal(fs_mkdir_private(path, 0700), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(chmod(path, 0700), 0);
	/* Trailing slash. */
	snprintf(path, sizeof path, "%s/d/", dir);
	assert_int_equal(fs_mkdir_private(path, 0700), 0);
	/* A file in the way. */
	snprintf(file, sizeof file, "%s/file", dir);
	assert_non_null(f = fopen(file, "w"));
	fclose(f);
	errno = 0;
	assert_int_equal(fs_mkdir_private(file, 0700), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(fs_mkdir_private("", 0700), -1);

	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	free(dir);
}

/* Atomic write then bounded read back. */
static void
test_fs_files(void **state)
{
	char		*dir = test_tmpdir(), path[512], *data;
	size_t		 len;
	struct stat	 st;

	snprintf(path, sizeof path, "%s/f", dir);
	assert_int_equal(fs_write_atomic(path, "hello\n", 6), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fs_read_file(path, 100, &data, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal(data, "hello\n");
	free(data);
	assert_int_equal(fs_read_file(path, 6, &data, &len), 0);
	free(data);
	errno = 0;
	assert_int_equal(fs_read_file(path, 5, &data, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(data);

	/* Replace, including with nothing. */
	assert_int_equal(fs_write_atomic(path, "", 0), 0);
	assert_int_equal(fs_read_file(path, 100, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);

	snprintf(path, sizeof path, "%s/missing", dir);
	errno = 0;
	assert_int_equal(fs_read_file(path, 100, &data, &len), -1);
	assert_int_equal(errno, ENOENT);

	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	free(dir);
}

/* Default directories follow the XDG variables. */
static void
test_fs_dirs(void **state)
{
	char	*s, want[64];

	setenv("XDG_RUNTIME_DIR", "/run/user/1234", 1);
	assert_non_null(s = fs_runtime_dir());
	assert_string_equal(s, "/run/user/1234/chatsec");
	free(s);
	setenv("XDG_RUNTIME_DIR", "", 1);
	snprintf(want, sizeof want, "/tmp/chatsec-%lu",
	    (unsigned long)geteuid());
	assert_non_null(s = fs_runtime_dir());
	assert_string_equal(s, want);
	free(s);
	unsetenv("XDG_RUNTIME_DIR");
	assert_non_null(s = fs_runtime_dir());
	assert_string_equal(s, want);
	free(s);

	setenv("XDG_DATA_HOME", "/data", 1);
	assert_non_null(s = fs_data_dir());
	assert_string_equal(s, "/data/chatsec");
	free(s);
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/home/x", 1);
	assert_non_null(s = fs_data_dir());
	assert_string_equal(s, "/home/x/.local/share/chatsec");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sec_hex),
		cmocka_unit_test(test_sec_b64),
		cmocka_unit_test(test_sec_misc),
		cmocka_unit_test(test_fs_mkdir),
		cmocka_unit_test(test_fs_files),
		cmocka_unit_test(test_fs_dirs),
	};

	return (cmocka_run_group_tests(tests, test_setup, NULL));
}

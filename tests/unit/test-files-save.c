/* chatsec — received file names and atomic saves.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utf8.h"

#include "agent.h"

/* Sanitize in and compare with want; check the rules hold either way. */
static void
name_is(const char *in, const char *want)
{
	char	 out[FILES_NAME_MAX + 1];

	files_name_sanitize(in, out, sizeof out);
	if (strcmp(out, want) != 0)
		fail_msg("\"%s\" -> \"%s\", not \"%s\"", in, out, want);
	assert_null(strchr(out, '/'));
	assert_true(out[0] != '.' && out[0] != '\0');
	assert_true(strlen(out) <= FILES_NAME_MAX);
	assert_true(utf8_valid(out, strlen(out)));
}

static void
test_names(void **state)
{
	char	 in[400], want[FILES_NAME_MAX + 1], out[FILES_NAME_MAX + 1];
	size_t	 i;

	(void)state;
	name_is("report.pdf", "report.pdf");
	name_is("../../etc/passwd", "_.._etc_passwd");
	name_is("a/b", "a_b");
	name_is("a\\b", "a_b");
	name_is(".hidden", "hidden");
	name_is("..", "file");
	name_is(".", "file");
	name_is("", "file");
	name_is(" . . ", "file");
	name_is("/", "_");
	name_is("trailing. .", "trailing");
	name_is("bell\a\r\nname\x7f.txt", "bellname.txt");
	name_is("esc\x1b[31mred", "esc[31mred");
	name_is("c1\xc2\x85x", "c1x");			/* U+0085 NEL */
	name_is("bad\xff\xfeutf8", "bad__utf8");
	name_is("over\xc0\xaflong", "over__long");	/* overlong '/' */
	name_is("caf\xc3\xa9 \xe2\x82\xac.txt", "caf\xc3\xa9 \xe2\x82\xac.txt");

	/* 300 bytes: cut to 200, keeping the extension. */
	memset(in, 'x', 296);
	memcpy(in + 296, ".pdf", 5);
	memset(want, 'x', 196);
	memcpy(want + 196, ".pdf", 5);
	name_is(in, want);
	/* Cut on a character boundary (2-byte é repeated). */
	for (i = 0; i < 150; i++)
		memcpy(in + 2 * i, "\xc3\xa9", 2);
	memcpy(in + 300, ".txt", 5);
	files_name_sanitize(in, out, sizeof out);
	assert_int_equal(strlen(out), 200);
	assert_string_equal(out + 196, ".txt");
	/* Odd room: 195 bytes of base would split a character. */
	memcpy(in + 300, ".text", 6);
	files_name_sanitize(in, out, sizeof out);
	assert_int_equal(strlen(out), 199);
	assert_string_equal(out + 194, ".text");
	assert_true(utf8_valid(out, strlen(out)));
	/* No extension: just cut. */
	memset(in, 'y', 300);
	in[300] = '\0';
	files_name_sanitize(in, out, sizeof out);
	assert_int_equal(strlen(out), FILES_NAME_MAX);
	/* A small buffer still gets a whole character. */
	files_name_sanitize("\xc3\xa9\xc3\xa9", out, 4);
	assert_string_equal(out, "\xc3\xa9");
}

/* A fresh temp dir for a test (path in dir, at least 64 bytes). */
static void
mktmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/test-files-save-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

/* Save content under name in dir; returns the final path's last part. */
static const char *
save(const char *dir, const char *name, const char *content, char *path,
    size_t len)
{
	char	 tmp[512];
	int	 fd;

	fd = files_save_temp(dir, tmp, sizeof tmp);
	assert_true(fd != -1);
	assert_non_null(strstr(tmp, "/.chatsec-"));
	assert_int_equal(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	assert_int_equal(files_save_commit(fd, tmp, dir, name, path, len), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	return (strrchr(path, '/') + 1);
}

/* The contents of a small file. */
static char *
slurp(const char *path)
{
	static char	 buf[256];
	FILE		*f = fopen(path, "r");
	size_t		 n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return (buf);
}

/* Entries of dir, not counting . and .. */
static int
count(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	int		 n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return (n);
}

static void
test_save(void **state)
{
	char		 dir[64], path[512], sub[600], cmd[128];
	struct stat	 sb;

	(void)state;
	mktmpdir(dir, sizeof dir);
	assert_string_equal(save(dir, "notes.txt", "one", path, sizeof path),
	    "notes.txt");
	assert_string_equal(save(dir, "notes.txt", "two", path, sizeof path),
	    "notes (1).txt");
	assert_string_equal(save(dir, "notes.txt", "three", path,
	    sizeof path), "notes (2).txt");
	assert_string_equal(save(dir, "noext", "a", path, sizeof path),
	    "noext");
	assert_string_equal(save(dir, "noext", "b", path, sizeof path),
	    "noext (1)");
	/* Nothing was replaced. */
	snprintf(sub, sizeof sub, "%s/notes.txt", dir);
	assert_string_equal(slurp(sub), "one");
	snprintf(sub, sizeof sub, "%s/notes (1).txt", dir);
	assert_string_equal(slurp(sub), "two");
	/* Private by default. */
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* Hostile names stay in dir. */
	assert_string_equal(save(dir, "../../escape", "x", path, sizeof path),
	    "_.._escape");
	assert_string_equal(save(dir, "..", "x", path, sizeof path), "file");
	assert_string_equal(save(dir, "/etc/passwd", "x", path, sizeof path),
	    "_etc_passwd");
	/* A directory in the way is not replaced either. */
	snprintf(sub, sizeof sub, "%s/taken", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_string_equal(save(dir, "taken", "x", path, sizeof path),
	    "taken (1)");
	/* A symlink in the way is not followed or replaced. */
	snprintf(sub, sizeof sub, "%s/link", dir);
	assert_int_equal(symlink("/nonexistent-target", sub), 0);
	assert_string_equal(save(dir, "link", "x", path, sizeof path),
	    "link (1)");
	assert_int_equal(count(dir), 12);

	/* A discarded save leaves nothing. */
	{
		char	 tmp[512];
		int	 fd = files_save_temp(dir, tmp, sizeof tmp);

		assert_true(fd != -1);
		files_save_discard(fd, tmp);
		assert_int_equal(count(dir), 12);
	}
	/* No temp file in a missing folder. */
	snprintf(sub, sizeof sub, "%s/missing", dir);
	assert_int_equal(files_save_temp(sub, path, sizeof path), -1);
	assert_int_equal(errno, ENOENT);

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_save),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

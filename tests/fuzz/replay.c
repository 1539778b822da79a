/* chatsec — run fuzz inputs once each (make check).  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/*
 * The stand-in for libFuzzer's main() in normal builds: every argument is
 * an input file, or a directory whose regular files are inputs (sorted, so
 * a failure names the same file every run).  Inputs over REPLAY_MAX bytes
 * are refused, like libFuzzer's -max_len would cut them.
 */
#define REPLAY_MAX	(1024 * 1024)

int	LLVMFuzzerInitialize(int *, char ***) __attribute__((__weak__));

static int
replay_file(const char *path)
{
	FILE		*f;
	uint8_t		*buf;
	size_t		 len;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	if ((buf = malloc(REPLAY_MAX + 1)) == NULL) {
		fclose(f);
		return (-1);
	}
	len = fread(buf, 1, REPLAY_MAX + 1, f);
	if (ferror(f) || len > REPLAY_MAX) {
		fprintf(stderr, "replay: %s: %s\n", path,
		    ferror(f) ? "read error" : "input too large");
		free(buf);
		fclose(f);
		return (-1);
	}
	fclose(f);
	/* An exact-size copy, so ASan sees reads past the end. */
	if (len > 0) {
		uint8_t	*exact = malloc(len);

		if (exact == NULL) {
			free(buf);
			return (-1);
		}
		memcpy(exact, buf, len);
		free(buf);
		buf = exact;
	}
	LLVMFuzzerTestOneInput(len > 0 ? buf : (const uint8_t *)"", len);
	free(buf);
	return (0);
}

static int
replay_name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

static int
replay_dir(const char *dir, int *count)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		**names = NULL, path[4096];
	size_t		 n = 0, cap = 0, i;
	int		 rc = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char	**nn;

			cap = cap ? cap * 2 : 64;
			if ((nn = realloc(names, cap * sizeof *names)) == NULL) {
				rc = -1;
				break;
			}
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, replay_name_cmp);
	for (i = 0; i < n; i++) {
		if (rc == 0 && (size_t)snprintf(path, sizeof path, "%s/%s",
		    dir, names[i]) < sizeof path && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			if (replay_file(path) != 0)
				rc = -1;
			else
				(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return (rc);
}

int
main(int argc, char **argv)
{
	struct stat	 st;
	int		 i, count = 0, rc = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;	/* libFuzzer flags: ignored here */
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) != 0)
				rc = 1;
		} else if (replay_file(argv[i]) != 0)
			rc = 1;
		else
			count++;
	}
	printf("%s: %d inputs replayed%s\n", argv[0], count,
	    rc ? ", some could not be read" : "");
	return (rc);
}

/* chatsec — fuzz chatsecd's configuration file reader.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chatsecd.h"
#include "fuzz.h"
#include "log.h"

/*
 * The input is a configuration file (chatsecd.conf): read through
 * config_load() from a memory file, then config_check().  A file that
 * loads leaves every option the file may set within its table's range
 * (the diagnostic names the one that is not), every string
 * non-empty and every list within CONFIG_LIST_MAX; one that doesn't must
 * still free cleanly.  The daemon is compiled in with its main() renamed
 * (see Makefile.am).
 */

static void
check_loaded(const struct server_config *cfg)
{
	const struct opt_entry	*o;
	const long long		*ip;
	char *const		*sp;
	const struct config_list *list;
	size_t			 i;
	int			 j;

	for (i = 0; i < opt_count; i++) {
		o = &opt_table[i];
		if (o->flags & OPT_CLI)		/* never from the file */
			continue;
		switch (o->type) {
		case OPT_INT:
			ip = (const void *)((const char *)cfg + o->offset);
			if (*ip < o->min || *ip > o->max)
				fprintf(stderr, "%s = %lld\n", o->name, *ip);
			FUZZ_ASSERT(*ip >= o->min && *ip <= o->max);
			break;
		case OPT_FLAG:
			ip = (const void *)((const char *)cfg + o->offset);
			FUZZ_ASSERT(*ip == 0 || *ip == 1);
			break;
		case OPT_COUNT:
			ip = (const void *)((const char *)cfg + o->offset);
			FUZZ_ASSERT(*ip >= 0 && *ip <= CONFIG_COUNT_MAX);
			break;
		case OPT_STR:
			sp = (const void *)((const char *)cfg + o->offset);
			FUZZ_ASSERT(*sp == NULL || (*sp)[0] != '\0');
			break;
		case OPT_LIST:
			list = (const void *)((const char *)cfg + o->offset);
			FUZZ_ASSERT(list->n >= 0 && list->n <= CONFIG_LIST_MAX);
			for (j = 0; j < list->n; j++)
				FUZZ_ASSERT(list->v[j] != NULL);
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int		 quiet;
	struct server_config	 cfg;
	unsigned char		*skip;
	char			 path[64], err[256];
	int			 fd;

	if (!quiet) {
		log_init("fuzz-config", 1, 0);
		quiet = 1;
	}
	if (len > 256 * 1024)
		return (0);
	FUZZ_ASSERT((fd = memfd_create("chatsecd.conf", MFD_CLOEXEC)) != -1);
	FUZZ_ASSERT(len == 0 || write(fd, data, len) == (ssize_t)len);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	/* Every other input pretends -v and --datadir came on the command
	 * line: their lines are then skipped. */
	FUZZ_ASSERT((skip = calloc(opt_count, 1)) != NULL);
	if (len > 0 && (data[0] & 1)) {
		skip[config_find("verbose") - opt_table] = 1;
		skip[config_find("datadir") - opt_table] = 1;
	}
	config_defaults(&cfg);
	if (config_load(&cfg, path, skip) == 0) {
		check_loaded(&cfg);
		if (config_check(&cfg, err, sizeof err) == 0)
			check_loaded(&cfg);
	}
	config_free(&cfg);
	free(skip);
	close(fd);
	return (0);
}

/* chatsec — chatsecd configuration.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chatsecd.h"
#include "fsutil.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Settings come from opt_table (chatsecd.c): defaults first, then the
 * configuration file, then the command line, which wins.  The file is lines
 * of "key = value"; '#' starts a comment line; keys are the option names
 * with '_' (the long options spell them with '-').  A repeatable option
 * (listen) may appear on several lines.
 */

#define CONFIG_FILE_MAX	(256 * 1024)

/* Where an option's value lives in cfg. */
static void *
config_field(struct server_config *cfg, const struct opt_entry *o)
{
	return ((char *)cfg + o->offset);
}

/* Look an option up by config key or long name ('-' and '_' alike). */
const struct opt_entry *
config_find(const char *name)
{
	const struct opt_entry	*o;
	size_t			 i, j;

	for (i = 0; i < opt_count; i++) {
		o = &opt_table[i];
		for (j = 0; name[j] != '\0' && o->name[j] != '\0'; j++) {
			if (name[j] != o->name[j] &&
			    !(name[j] == '-' && o->name[j] == '_'))
				break;
		}
		if (name[j] == '\0' && o->name[j] == '\0')
			return (o);
	}
	return (NULL);
}

/* Set every option to its default (lists stay empty until config_check). */
void
config_defaults(struct server_config *cfg)
{
	const struct opt_entry	*o;
	size_t			 i;

	memset(cfg, 0, sizeof *cfg);
	for (i = 0; i < opt_count; i++) {
		o = &opt_table[i];
		switch (o->type) {
		case OPT_INT:
			*(long long *)config_field(cfg, o) = o->def;
			break;
		case OPT_STR:
			*(char **)config_field(cfg, o) = o->defstr != NULL ?
			    xstrdup(o->defstr) : NULL;
			break;
		case OPT_FLAG:
		case OPT_COUNT:
		case OPT_LIST:
			break;
		}
	}
}

/* Parse a yes/no value. */
static int
config_bool(const char *value, long long *out)
{
	static const char	*yes[] = { "1", "yes", "true", "on" };
	static const char	*no[] = { "0", "no", "false", "off" };
	size_t			 i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = 1;
			return (0);
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = 0;
			return (0);
		}
	}
	return (-1);
}

/*
 * Apply one setting.  value is NULL for a flag or a count on the command
 * line.  Returns 0, or -1 with err saying why.
 */
int
config_set(struct server_config *cfg, const struct opt_entry *o,
    const char *value, char *err, size_t errlen)
{
	struct config_list	*list;
	long long		*ip, v;
	char			**sp, *end;

	switch (o->type) {
	case OPT_FLAG:
		ip = config_field(cfg, o);
		if (value == NULL)
			*ip = 1;
		else if (config_bool(value, ip) != 0) {
			snprintf(err, errlen, "%s: expected yes or no",
			    o->name);
			return (-1);
		}
		return (0);
	case OPT_COUNT:
		ip = config_field(cfg, o);
		if (value == NULL) {
			if (*ip < CONFIG_COUNT_MAX)
				(*ip)++;
			return (0);
		}
		/* FALLTHROUGH */
	case OPT_INT:
		ip = config_field(cfg, o);
		errno = 0;
		v = strtoll(value, &end, 10);
		if (value[0] == '\0' || *end != '\0' || errno != 0) {
			snprintf(err, errlen, "%s: not a number: %s", o->name,
			    value);
			return (-1);
		}
		if (o->type == OPT_INT && (v < o->min || v > o->max)) {
			snprintf(err, errlen, "%s: %lld is out of range "
			    "(%lld to %lld)", o->name, v, o->min, o->max);
			return (-1);
		}
		if (o->type == OPT_COUNT && (v < 0 || v > CONFIG_COUNT_MAX)) {
			snprintf(err, errlen, "%s: %lld is out of range "
			    "(0 to %d)", o->name, v, CONFIG_COUNT_MAX);
			return (-1);
		}
		*ip = v;
		return (0);
	case OPT_STR:
		sp = config_field(cfg, o);
		if (value[0] == '\0') {
			snprintf(err, errlen, "%s: empty value", o->name);
			return (-1);
		}
		free(*sp);
		*sp = xstrdup(value);
		return (0);
	case OPT_LIST:
		list = config_field(cfg, o);
		if (list->n == CONFIG_LIST_MAX) {
			snprintf(err, errlen, "%s: at most %d values", o->name,
			    CONFIG_LIST_MAX);
			return (-1);
		}
		list->v[list->n++] = xstrdup(value);
		return (0);
	}
	return (-1);
}

/* Strip leading and trailing white space in place. */
static char *
config_trim(char *s)
{
	char	*end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return (s);
}

/*
 * Read the configuration file at path.  Options whose skip[] entry is set
 * (given on the command line) are left alone.  Errors name the line.
 */
int
config_load(struct server_config *cfg, const char *path,
    const unsigned char *skip)
{
	const struct opt_entry	*o;
	char			*data, *line, *next, *key, *value, *eq;
	char			 err[256];
	size_t			 len;
	int			 lineno = 0, rv = -1;

	if (fs_read_file(path, CONFIG_FILE_MAX, &data, &len) != 0) {
		log_warn("%s", path);
		return (-1);
	}
	for (line = data; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = config_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			log_warnx("%s:%d: expected key = value", path, lineno);
			goto out;
		}
		*eq = '\0';
		key = config_trim(line);
		value = config_trim(eq + 1);
		if ((o = config_find(key)) == NULL || (o->flags & OPT_CLI)) {
			log_warnx("%s:%d: unknown key: %s", path, lineno,
			    log_safe(key));
			goto out;
		}
		if (skip[o - opt_table])
			continue;
		if (config_set(cfg, o, value, err, sizeof err) != 0) {
			log_warnx("%s:%d: %s", path, lineno, log_safe(err));
			goto out;
		}
	}
	rv = 0;
out:
	free(data);
	return (rv);
}

/* Fill in list defaults and check settings that depend on each other. */
int
config_check(struct server_config *cfg, char *err, size_t errlen)
{
	const struct opt_entry	*o;
	struct config_list	*list;
	size_t			 i;

	for (i = 0; i < opt_count; i++) {
		o = &opt_table[i];
		if (o->type != OPT_LIST || o->defstr == NULL)
			continue;
		list = config_field(cfg, o);
		if (list->n == 0)
			list->v[list->n++] = xstrdup(o->defstr);
	}
	if (cfg->argon2_max_opslimit < cfg->argon2_opslimit) {
		snprintf(err, errlen, "argon2_max_opslimit is below "
		    "argon2_opslimit");
		return (-1);
	}
	if (cfg->argon2_max_memlimit_kib < cfg->argon2_memlimit_kib) {
		snprintf(err, errlen, "argon2_max_memlimit_kib is below "
		    "argon2_memlimit_kib");
		return (-1);
	}
	if (cfg->datadir == NULL) {
		snprintf(err, errlen, "no data directory");
		return (-1);
	}
	return (0);
}

/* Free every string the configuration holds. */
void
config_free(struct server_config *cfg)
{
	const struct opt_entry	*o;
	struct config_list	*list;
	size_t			 i;
	int			 j;

	for (i = 0; i < opt_count; i++) {
		o = &opt_table[i];
		if (o->type == OPT_STR) {
			free(*(char **)config_field(cfg, o));
			*(char **)config_field(cfg, o) = NULL;
		} else if (o->type == OPT_LIST) {
			list = config_field(cfg, o);
			for (j = 0; j < list->n; j++)
				free(list->v[j]);
			list->n = 0;
		}
	}
}

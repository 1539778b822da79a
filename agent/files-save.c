/* chatsec — safe names and atomic saves for received files.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utf8.h"

#include "agent.h"

/*
 * A received file's name comes from its sender: it is hostile until made
 * safe here (doc/files.md, "Names").  The file is written to a temporary
 * file in the target folder and, once complete and checked, given its name
 * with a rename that never replaces anything: renameat2(RENAME_NOREPLACE),
 * or link() + unlink() where the file system lacks it.  A name taken gets
 * " (1)", " (2)"... before its extension.
 */

#define FILES_EXT_MAX		32	/* longest extension kept when cutting */
#define FILES_DEDUP_MAX		10000	/* " (n)" tries before giving up */

/* Length of the extension (from the last dot) of name, or 0 if none fits. */
static size_t
files_ext_len(const char *name, size_t len)
{
	const char	*dot;

	if ((dot = memrchr(name, '.', len)) == NULL || dot == name)
		return (0);
	if ((size_t)(name + len - dot) > FILES_EXT_MAX)
		return (0);
	return ((size_t)(name + len - dot));
}

/* Drop leading and trailing dots and spaces of buf[0..*len). */
static void
files_name_trim(char *buf, size_t *len)
{
	size_t	 skip = 0;

	while (skip < *len && (buf[skip] == '.' || buf[skip] == ' '))
		skip++;
	memmove(buf, buf + skip, *len - skip);
	*len -= skip;
	while (*len > 0 && (buf[*len - 1] == '.' || buf[*len - 1] == ' '))
		(*len)--;
}

/* Largest n <= len that ends on a UTF-8 character boundary of s. */
static size_t
files_utf8_cut(const char *s, size_t len)
{
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return (len);
}

/*
 * Make in (any bytes, NUL-terminated) a safe file name in out (at least
 * FILES_NAME_MAX + 1 bytes): `/` and `\` become `_`, control characters
 * (C0, DEL and C1) go, invalid UTF-8 becomes `_`, leading and trailing
 * dots and spaces go, the result is cut to FILES_NAME_MAX bytes on a
 * character boundary keeping its extension, and an empty one is "file".
 */
void
files_name_sanitize(const char *in, char *out, size_t outlen)
{
	char		 buf[FILES_META_MAX + 8];
	size_t		 len = 0, inlen = strlen(in), i = 0, n, ext, keep;
	unsigned int	 cp;

	while (i < inlen && len + 4 < sizeof buf) {
		n = utf8_decode(in + i, inlen - i, &cp);
		if (n == 0) {
			buf[len++] = '_';
			i++;
			continue;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			i += n;
			continue;
		}
		if (cp == '/' || cp == '\\')
			buf[len++] = '_';
		else {
			memcpy(buf + len, in + i, n);
			len += n;
		}
		i += n;
	}
	files_name_trim(buf, &len);
	if (len > FILES_NAME_MAX) {
		ext = files_ext_len(buf, len);
		keep = files_utf8_cut(buf, FILES_NAME_MAX - ext);
		memmove(buf + keep, buf + len - ext, ext);
		len = keep + ext;
		files_name_trim(buf, &len);
	}
	if (len == 0) {
		memcpy(buf, "file", 4);
		len = 4;
	}
	if (len >= outlen)
		len = files_utf8_cut(buf, outlen - 1);
	memcpy(out, buf, len);
	out[len] = '\0';
}

/*
 * Create a new private temporary file dir/.chatsec-XXXXXX.part; its path
 * goes to tmp.  Returns the open fd, or -1 with errno set.
 */
int
files_save_temp(const char *dir, char *tmp, size_t tmplen)
{
	int	 fd;

	if ((size_t)snprintf(tmp, tmplen, "%s/.chatsec-XXXXXX.part", dir) >=
	    tmplen) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = mkostemps(tmp, 5, O_CLOEXEC)) == -1)
		return (-1);
	return (fd);
}

/* Give tmp the name path unless path exists: 0, or -1 with errno (EEXIST). */
static int
files_rename_noreplace(const char *tmp, const char *path)
{
#ifdef RENAME_NOREPLACE
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return (0);
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return (-1);
#endif
	if (link(tmp, path) != 0)
		return (-1);
	unlink(tmp);
	return (0);
}

/*
 * Finish a save: flush fd (then closed), and give tmp (in dir) the
 * sanitized name, or "name (n).ext" if taken, never replacing a file.  The
 * final path goes to path.  Returns 0, or -1 with errno set (tmp is left
 * for the caller to discard).
 */
int
files_save_commit(int fd, const char *tmp, const char *dir,
    const char *name, char *path, size_t pathlen)
{
	char		 safe[FILES_NAME_MAX + 1];
	size_t		 len, ext;
	int		 i, dfd, rc = -1, saved;

	if (fsync(fd) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	if (close(fd) != 0)
		return (-1);
	files_name_sanitize(name, safe, sizeof safe);
	len = strlen(safe);
	ext = files_ext_len(safe, len);
	for (i = 0; i < FILES_DEDUP_MAX; i++) {
		if (i == 0)
			snprintf(path, pathlen, "%s/%s", dir, safe);
		else if ((size_t)snprintf(path, pathlen, "%s/%.*s (%d)%s", dir,
		    (int)(len - ext), safe, i, safe + len - ext) >= pathlen) {
			errno = ENAMETOOLONG;
			return (-1);
		}
		if ((rc = files_rename_noreplace(tmp, path)) == 0 ||
		    errno != EEXIST)
			break;
	}
	if (rc != 0)
		return (-1);
	if ((dfd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	return (0);
}

/* Forget an unfinished save: close fd (if open) and remove tmp. */
void
files_save_discard(int fd, const char *tmp)
{
	if (fd != -1)
		close(fd);
	if (tmp != NULL && tmp[0] != '\0')
		unlink(tmp);
}

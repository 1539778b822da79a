/* chatsec — file system helpers.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

/*
 * Check the final directory: it must be ours (a symlink only if we own
 * the link and what it points to), then get exactly `mode`.
 */
static int
fs_check_private(const char *path, mode_t mode)
{
	struct stat	st;

	if (lstat(path, &st) == -1)
		return (-1);
	if (S_ISLNK(st.st_mode)) {
		if (st.st_uid != geteuid()) {
			errno = EPERM;
			return (-1);
		}
		if (stat(path, &st) == -1)
			return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return (-1);
	}
	if (st.st_uid != geteuid()) {
		errno = EPERM;
		return (-1);
	}
	/*
	 * Never loosen or tighten an existing directory: a -S /tmp/x.sock
	 * must not chmod /tmp.  One that grants more than mode is refused.
	 */
	if ((st.st_mode & 07777) & ~(mode & 07777)) {
		errno = EPERM;
		return (-1);
	}
	return (0);
}

/* Return 1 if path exists and is a directory (following links). */
static int
fs_is_dir(const char *path)
{
	struct stat	st;
	int		saved_errno = errno;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return (1);
	errno = saved_errno;
	return (0);
}

/*
 * Create path and any missing parents (parents 0700), then make sure the
 * last component is a directory we own that grants no more than `mode`.
 */
int
fs_mkdir_private(const char *path, mode_t mode)
{
	char	*copy, *p;
	int	 ret = -1, saved_errno;

	if (path == NULL || *path == '\0') {
		errno = ENOENT;
		return (-1);
	}
	if ((copy = strdup(path)) == NULL)
		return (-1);
	/* Strip trailing slashes so the last mkdir names the directory. */
	for (p = copy + strlen(copy) - 1; p > copy && *p == '/'; p--)
		*p = '\0';

	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) == -1 && errno != EEXIST &&
		    !fs_is_dir(copy)) {
			*p = '/';
			goto out;
		}
		*p = '/';
	}
	if (mkdir(copy, mode & 07777) == -1 && errno != EEXIST)
		goto out;
	ret = fs_check_private(copy, mode);

out:
	saved_errno = errno;
	free(copy);
	errno = saved_errno;
	return (ret);
}

/* Write all of buf to fd, retrying short writes and EINTR. */
static int
fs_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * Replace path with data atomically: write a 0600 temporary file beside
 * it, fsync, rename over path, then fsync the directory so the rename
 * itself survives a crash.
 */
int
fs_write_atomic(const char *path, const void *data, size_t len)
{
	return (fs_write_atomic_mode(path, data, len, 0600));
}

/* fs_write_atomic, the new file getting mode (which no umask narrows). */
int
fs_write_atomic_mode(const char *path, const void *data, size_t len,
    mode_t mode)
{
	char	*tmp = NULL, *dir = NULL, *slash;
	int	 fd = -1, dfd, ret = -1, saved_errno;

	if (path == NULL || *path == '\0') {
		errno = ENOENT;
		return (-1);
	}
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) == -1) {
		tmp = NULL;
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) == -1 || fs_write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1)
		goto out;
	if (close(fd) == -1) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto out;
	free(tmp);
	tmp = NULL;
	ret = 0;

	/* Best effort: a failed directory fsync does not undo the write. */
	if ((slash = strrchr(path, '/')) == NULL)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (dir != NULL) {
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
			fsync(dfd);
			close(dfd);
		}
		free(dir);
	}

out:
	saved_errno = errno;
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	errno = saved_errno;
	return (ret);
}

/*
 * Read a whole file of at most max bytes into a new NUL-terminated buffer
 * owned by the caller.  A file that grows past max while read is EFBIG too.
 */
int
fs_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat	 st;
	char		*buf = NULL, *nbuf;
	size_t		 cap, n = 0;
	ssize_t		 r;
	int		 fd, saved_errno;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (max >= SIZE_MAX - 1) {
		errno = EINVAL;
		return (-1);
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((uintmax_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	/* Room for the expected size, one byte to notice growth, and NUL. */
	cap = (size_t)st.st_size + 2;
	if ((buf = malloc(cap)) == NULL)
		goto fail;
	for (;;) {
		if (n + 1 == cap) {
			if (cap > max + 1) {
				errno = EFBIG;
				goto fail;
			}
			cap = (cap - 1) * 2 + 1;
			if (cap > max + 2)
				cap = max + 2;
			if ((nbuf = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nbuf;
		}
		if ((r = read(fd, buf + n, cap - 1 - n)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	if (len != NULL)
		*len = n;
	return (0);

fail:
	saved_errno = errno;
	close(fd);
	free(buf);
	errno = saved_errno;
	return (-1);
}

/* $XDG_RUNTIME_DIR/chatsec, else /tmp/chatsec-UID; malloc'd or NULL. */
char *
fs_runtime_dir(void)
{
	const char	*xdg;
	char		*s;

	xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg != NULL && *xdg != '\0') {
		if (asprintf(&s, "%s/chatsec", xdg) == -1)
			return (NULL);
	} else {
		if (asprintf(&s, "/tmp/chatsec-%lu",
		    (unsigned long)geteuid()) == -1)
			return (NULL);
	}
	return (s);
}

/*
 * $XDG_DATA_HOME/chatsec (if absolute, as the XDG spec asks), else
 * $HOME/.local/share/chatsec, with the password database as a last
 * resort; malloc'd or NULL.
 */
char *
fs_data_dir(void)
{
	const char	*xdg, *home;
	struct passwd	*pw;
	char		*s;

	xdg = getenv("XDG_DATA_HOME");
	if (xdg != NULL && *xdg == '/') {
		if (asprintf(&s, "%s/chatsec", xdg) == -1)
			return (NULL);
		return (s);
	}
	home = getenv("HOME");
	if (home == NULL || *home == '\0') {
		if ((pw = getpwuid(geteuid())) == NULL || pw->pw_dir == NULL)
			return (NULL);
		home = pw->pw_dir;
	}
	if (asprintf(&s, "%s/.local/share/chatsec", home) == -1)
		return (NULL);
	return (s);
}

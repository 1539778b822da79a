/* chatsec — file system helpers.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_FSUTIL_H
#define CHATSEC_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Create directory path and its parents with the given mode.  The last
 * component must be owned by us and grant no more than `mode`: an existing
 * directory with more bits (e.g. /tmp) is refused with EPERM, never
 * chmod'ed.  Returns 0 or -1 with errno set.
 */
int	 fs_mkdir_private(const char *path, mode_t mode);

/* Write data to path atomically (temp file + fsync + rename), mode 0600. */
int	 fs_write_atomic(const char *path, const void *data, size_t len);
/* The same with the given mode (a 0400 file stays 0400). */
int	 fs_write_atomic_mode(const char *path, const void *data, size_t len,
	    mode_t mode);

/*
 * Read a whole small file (at most max bytes) into a malloc'd NUL-terminated
 * buffer; returns 0 and sets *out and *len, or -1 (errno; EFBIG if over max).
 */
int	 fs_read_file(const char *path, size_t max, char **out, size_t *len);

/*
 * Default per-user runtime directory for sockets: $XDG_RUNTIME_DIR/chatsec,
 * else /tmp/chatsec-UID.  Returns a malloc'd string.
 */
char	*fs_runtime_dir(void);

/* Default per-user data directory: $XDG_DATA_HOME/chatsec or ~/.local/share/chatsec. */
char	*fs_data_dir(void);

#endif

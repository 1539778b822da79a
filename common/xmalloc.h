/* chatsec — allocation wrappers.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_XMALLOC_H
#define CHATSEC_XMALLOC_H

#include <stddef.h>

/*
 * Allocation for the programs: these never return NULL; out of memory is
 * fatal.  Library-style code in common/ that must not exit uses plain
 * malloc and returns an error instead.  All results are owned by the caller.
 */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));

#endif

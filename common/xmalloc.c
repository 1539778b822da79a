/* chatsec — allocation wrappers.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

/* Allocate size bytes (at least one, so never NULL); out of memory is fatal. */
void *
xmalloc(size_t size)
{
	void	*ptr;

	if (size == 0)
		size = 1;	/* never hand back NULL */
	if ((ptr = malloc(size)) == NULL)
		fatal("xmalloc: allocating %zu bytes", size);
	return (ptr);
}

/* Allocate a zeroed array of nmemb elements; overflow and OOM are fatal. */
void *
xcalloc(size_t nmemb, size_t size)
{
	void	*ptr;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if ((ptr = calloc(nmemb, size)) == NULL)
		fatal("xcalloc: allocating %zu * %zu bytes", nmemb, size);
	return (ptr);
}

/* Resize ptr to nmemb elements of size bytes, checking the product. */
void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void	*new_ptr;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if (nmemb > SIZE_MAX / size) {
		errno = ENOMEM;
		fatal("xreallocarray: %zu * %zu bytes overflows", nmemb, size);
	}
	if ((new_ptr = realloc(ptr, nmemb * size)) == NULL)
		fatal("xreallocarray: allocating %zu * %zu bytes", nmemb, size);
	return (new_ptr);
}

/* Duplicate a string. */
char *
xstrdup(const char *str)
{
	char	*cp;

	if ((cp = strdup(str)) == NULL)
		fatal("xstrdup");
	return (cp);
}

/* Duplicate at most maxlen bytes of a string, always NUL-terminated. */
char *
xstrndup(const char *str, size_t maxlen)
{
	char	*cp;

	if ((cp = strndup(str, maxlen)) == NULL)
		fatal("xstrndup");
	return (cp);
}

/* Format into a new string; returns its length. */
int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	ap;
	int	i;

	va_start(ap, fmt);
	i = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (i < 0 || *ret == NULL)
		fatal("xasprintf");
	return (i);
}

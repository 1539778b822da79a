/* chatsec — the bench programs' fatal error.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "bench-die.h"

/* Print "PROGRAM: message" and OpenSSL's queued errors, if any; exit 1. */
void
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(1);
}

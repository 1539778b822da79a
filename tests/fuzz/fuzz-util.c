/* chatsec — shared fuzz harness helpers.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

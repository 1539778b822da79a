/* chatsec — bounded JSON line frames.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_FRAME_H
#define CHATSEC_FRAME_H

#include <stddef.h>

struct evbuffer;
struct json_object;

/*
 * Both protocols (wire and agent API) carry one JSON object per line,
 * terminated by '\n'.  This module is the only code that turns bytes into
 * JSON.  The size limit is checked before a frame is buffered whole: a line
 * that grows past `max` bytes is reported once as FRAME_TOOBIG and the rest
 * of it is skipped up to its newline, so the connection can carry on (the
 * API replies with an error; the wire closes the connection).
 */
enum frame_status {
	FRAME_OK,	/* *out holds one parsed JSON object (owned by caller) */
	FRAME_MORE,	/* need more bytes */
	FRAME_TOOBIG,	/* a line exceeded max; it is being skipped */
	FRAME_BAD,	/* a complete line that is not valid: see reader->error */
};

#define FRAME_MAX_DEPTH	16	/* JSON nesting limit */

struct frame_reader {
	size_t		 max;		/* maximum line length, excluding '\n' */
	int		 skipping;	/* inside an oversized line */
	/* Every reason frame.c gives fits; there is one per connection. */
	char		 error[64];	/* why the last line was FRAME_BAD */
};

void	 frame_reader_init(struct frame_reader *, size_t max);

/*
 * Take at most one line from `in`.  On FRAME_OK, *out is a JSON object
 * (never an array or scalar) the caller must json_object_put().  FRAME_BAD
 * covers: bad UTF-8, a NUL byte, invalid JSON, trailing garbage, nesting
 * over FRAME_MAX_DEPTH, and a top-level value that is not an object.  The
 * offending line has been consumed.  A trailing '\r' is tolerated.
 * Empty lines are skipped silently.
 */
enum frame_status frame_read(struct frame_reader *, struct evbuffer *in,
	    struct json_object **out);

/*
 * Parse one complete line (without '\n') the same way; used by fuzzers and
 * tests.  Returns FRAME_OK or FRAME_BAD (with err filled).
 */
enum frame_status frame_parse(const char *line, size_t len,
	    struct json_object **out, char *err, size_t errlen);

/*
 * Serialise obj compactly plus '\n' onto out.  Returns 0, or -1 if the
 * encoding would exceed max bytes (nothing is written then).  Does not
 * take ownership of obj.
 */
int	 frame_write(struct evbuffer *out, struct json_object *obj, size_t max);

#endif

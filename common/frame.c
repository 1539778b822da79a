/* chatsec — bounded JSON line frames.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "frame.h"
#include "utf8.h"

/* Prepare a reader for lines of at most max bytes (excluding '\n'). */
void
frame_reader_init(struct frame_reader *r, size_t max)
{
	memset(r, 0, sizeof *r);
	r->max = max;
}

/* Return 1 if c is JSON insignificant whitespace. */
static int
frame_is_space(char c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/*
 * Parse one line into a JSON object, refusing anything that is not a
 * single well-formed UTF-8 JSON object within the nesting limit.
 */
enum frame_status
frame_parse(const char *line, size_t len, struct json_object **out,
    char *err, size_t errlen)
{
	struct json_tokener	*tok = NULL;
	struct json_object	*obj = NULL;
	enum json_tokener_error	 jerr;
	enum frame_status	 st = FRAME_BAD;
	size_t			 i, off;
	char			 dummy[1];

	*out = NULL;
	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';

	if (line == NULL || len == 0) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	if (memchr(line, '\0', len) != NULL) {
		snprintf(err, errlen, "line contains a NUL byte");
		goto out;
	}
	if (!utf8_valid(line, len)) {
		snprintf(err, errlen, "line is not valid UTF-8");
		goto out;
	}
	if (len > INT_MAX) {
		snprintf(err, errlen, "line too long");
		goto out;
	}
	/* Refuse scalars and arrays early; json-c waits for more after a number. */
	for (i = 0; i < len && frame_is_space(line[i]); i++)
		;
	if (i == len || line[i] != '{') {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}

	/* json-c counts the depth one past the deepest container allowed. */
	if ((tok = json_tokener_new_ex(FRAME_MAX_DEPTH + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		if (jerr == json_tokener_continue)
			snprintf(err, errlen, "invalid JSON: incomplete");
		else if (jerr == json_tokener_error_depth)
			snprintf(err, errlen,
			    "invalid JSON: nested too deeply (max %d)",
			    FRAME_MAX_DEPTH);
		else
			snprintf(err, errlen, "invalid JSON: %s",
			    json_tokener_error_desc(jerr));
		goto out;
	}
	off = json_tokener_get_parse_end(tok);
	for (i = off; i < len; i++) {
		if (!frame_is_space(line[i])) {
			snprintf(err, errlen,
			    "invalid JSON: trailing data after the object");
			goto out;
		}
	}
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	*out = obj;
	obj = NULL;
	st = FRAME_OK;

out:
	json_object_put(obj);
	if (tok != NULL)
		json_tokener_free(tok);
	return (st);
}

/*
 * Take at most one complete line from in.  The limit is checked against
 * what is buffered before the line is made contiguous, so a peer can never
 * make us hold more than max bytes of one line plus one read.
 */
enum frame_status
frame_read(struct frame_reader *r, struct evbuffer *in,
    struct json_object **out)
{
	struct evbuffer_ptr	 eol;
	size_t			 eol_len, buffered, linelen, len;
	const char		*line;
	enum frame_status	 st;

	*out = NULL;
	for (;;) {
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (r->skipping) {
			/* Inside an oversized line: discard up to its end. */
			if (eol.pos == -1) {
				evbuffer_drain(in, evbuffer_get_length(in));
				return (FRAME_MORE);
			}
			evbuffer_drain(in, (size_t)eol.pos + eol_len);
			r->skipping = 0;
			continue;
		}
		if (eol.pos == -1) {
			buffered = evbuffer_get_length(in);
			if (buffered <= r->max)
				return (FRAME_MORE);
			evbuffer_drain(in, buffered);
			r->skipping = 1;
			snprintf(r->error, sizeof r->error,
			    "line longer than %zu bytes", r->max);
			return (FRAME_TOOBIG);
		}

		linelen = (size_t)eol.pos;
		if (linelen > r->max) {
			evbuffer_drain(in, linelen + eol_len);
			snprintf(r->error, sizeof r->error,
			    "line longer than %zu bytes", r->max);
			return (FRAME_TOOBIG);
		}
		if (linelen == 0) {
			evbuffer_drain(in, eol_len);
			continue;
		}

		if ((line = (const char *)evbuffer_pullup(in,
		    (ssize_t)linelen)) == NULL) {
			evbuffer_drain(in, linelen + eol_len);
			snprintf(r->error, sizeof r->error, "out of memory");
			return (FRAME_BAD);
		}
		len = linelen;
		if (line[len - 1] == '\r')
			len--;
		if (len == 0) {
			evbuffer_drain(in, linelen + eol_len);
			continue;
		}
		st = frame_parse(line, len, out, r->error, sizeof r->error);
		evbuffer_drain(in, linelen + eol_len);
		return (st);
	}
}

/*
 * Append obj as one compact line.  The string is built by json-c inside
 * obj and copied once into the evbuffer.
 */
int
frame_write(struct evbuffer *out, struct json_object *obj, size_t max)
{
	const char	*s;
	size_t		 len;

	if (obj == NULL)
		return (-1);
	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL || len > max)
		return (-1);
	if (evbuffer_expand(out, len + 1) != 0)
		return (-1);
	if (evbuffer_add(out, s, len) != 0)
		return (-1);
	if (evbuffer_add(out, "\n", 1) != 0)
		return (-1);
	return (0);
}
